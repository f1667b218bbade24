//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/e2erun"
)

// TestScenarios runs one feature per scenario: scenarios of the same IP
// family and istiod settings together, those that cannot be isolated one
// at a time.
func TestScenarios(t *testing.T) {
	plans, bad, err := suite.Plans(os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range bad {
		t.Error(err)
	}
	groups := e2erun.Groups(plans)
	if suite.DryRun() {
		for _, g := range groups {
			suite.PrintGroup(os.Stdout, g)
		}
		return
	}
	for _, g := range groups {
		t.Run(string(g.Family)+",istiod="+g.Config.Key(), func(t *testing.T) {
			if err := suite.EnsureIstio(suiteCtx, testenv.EnvConf(), g); err != nil {
				t.Fatalf("Istio not ready: %v", err)
			}
			if err := suite.StartSentinel(suiteCtx, testenv.EnvConf(), g.Family); err != nil {
				t.Fatalf("conflict reads not ready: %v", err)
			}
			defer func() {
				if err := suite.StopSentinel(suiteCtx); err != nil {
					t.Errorf("deleting the sentinel scenario: %v", err)
				}
			}()
			var fs []features.Feature
			for _, p := range g.Shared {
				fs = append(fs, feature(p))
			}
			testenv.TestInParallel(t, fs...)
			for _, p := range g.Exclusive {
				testenv.Test(t, feature(p))
			}
		})
	}
}

type runKey struct{}

// feature is one scenario: Setup deploys it, one Assess step per stage of
// its assessment (e2erun.Stages) waits, reads and compares, so a failure
// names its stage; Teardown deletes its namespaces whatever happened.
func feature(p *deploy.Plan) features.Feature {
	acquired := false // Teardown gives back only a slot Setup took
	b := features.New(p.Scenario).
		WithLabel("scenario", p.Scenario).
		WithLabel("file", filepath.ToSlash(p.File)).
		Setup(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			if err := suite.Acquire(ctx); err != nil {
				t.Fatalf("%s was not deployed: %v", p.Scenario, err)
			}
			acquired = true
			r, err := suite.NewRun(cfg, p)
			if err != nil {
				t.Fatal(err)
			}
			ctx = context.WithValue(ctx, runKey{}, r)
			if err := r.Setup(ctx); err != nil {
				t.Error(r.Fail(err).Text)
			}
			return ctx
		})
	for _, st := range e2erun.Stages(p) {
		b = b.Assess(st.Name, assess(st))
	}
	return b.Teardown(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		if acquired {
			defer suite.Release()
		}
		if r, ok := ctx.Value(runKey{}).(*e2erun.Run); ok {
			if err := r.Teardown(ctx); err != nil {
				t.Errorf("%s: %v", p.Scenario, err)
			}
		}
		return ctx
	}).Feature()
}

// assess is one stage of a scenario's assessment as an Assess step; after
// a failed setup or a stage that concluded the assessment, it is skipped.
func assess(st e2erun.Stage) features.Func {
	return func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		r, ok := ctx.Value(runKey{}).(*e2erun.Run)
		switch {
		case !ok || r.Failed():
			t.Skip("setup failed")
		case r.Concluded():
			t.Skip("an earlier stage failed")
		}
		switch text, failed := r.AssessStage(ctx, st); {
		case failed:
			t.Error(text)
		case text != "":
			t.Log(text)
		}
		return ctx
	}
}
