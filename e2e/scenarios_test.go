//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/internal/realpilot/verify"
)

// group is the scenarios that share one istiod configuration.
type group struct {
	config    kindcluster.IstiodConfig
	shared    []*deploy.Plan // run beside each other
	exclusive []*deploy.Plan // each runs alone
}

// TestScenarios runs one feature per scenario: scenarios of the same
// istiod settings together, those that cannot be isolated one at a time.
func TestScenarios(t *testing.T) {
	plans := loadPlans(t)
	groups := groupPlans(plans)
	if st.dryRun {
		for _, g := range groups {
			if _, local := st.provider.(*localProvider); local {
				fmt.Printf("### istiod settings %s: istiod process with this env and mesh config\n", g.config)
			} else {
				overlay, _ := g.config.Overlay()
				args, err := kindcluster.InstallArgs(st.version, "OVERLAY")
				fmt.Printf("### istiod settings %s: istioctl %s (%v)\n--- # OVERLAY\n%s\n", g.config, strings.Join(args, " "), err, overlay)
			}
			for _, p := range append(append([]*deploy.Plan(nil), g.shared...), g.exclusive...) {
				p.Write(os.Stdout)
			}
		}
		return
	}
	for _, g := range groups {
		t.Run("istiod="+g.config.Key(), func(t *testing.T) {
			if err := st.provider.ensureIstio(suiteCtx, testenv.EnvConf(), g.config); err != nil {
				t.Fatalf("Istio not ready: %v", err)
			}
			var fs []features.Feature
			for _, p := range g.shared {
				fs = append(fs, feature(p))
			}
			testenv.TestInParallel(t, fs...)
			for _, p := range g.exclusive {
				testenv.Test(t, feature(p))
			}
		})
	}
}

func loadPlans(t *testing.T) []*deploy.Plan {
	var paths []string
	for _, pat := range strings.Split(*flagScenarios, ",") {
		pat = abs(st.root, strings.TrimSpace(pat))
		matches, err := filepath.Glob(pat)
		if err != nil || len(matches) == 0 {
			t.Fatalf("SCENARIOS=%s matches nothing", pat)
		}
		paths = append(paths, matches...)
	}
	scs, errs := scenario.LoadAll(paths)
	for _, err := range errs {
		t.Errorf("bad scenario: %v", err)
	}
	opts := deploy.Options{Version: st.version, Isolate: isolate.Options{Run: st.run, Image: *flagImage}, IPFamily: *flagIPFamily}
	var plans []*deploy.Plan
	for _, sc := range scs {
		rel, err := filepath.Rel(st.root, sc.Path)
		if err == nil {
			sc.Path = rel
		}
		p, err := deploy.Build(sc, opts)
		if err != nil {
			t.Errorf("%s: %v", sc.Path, err)
			record(verify.Result{Scenario: sc.Header.Name, File: sc.Path, Version: st.version.Label, Outcome: verify.Error, Err: err.Error()})
			continue
		}
		if p.Skip != "" {
			record(verify.Result{Scenario: sc.Header.Name, File: sc.Path, Version: st.version.Label, Outcome: verify.Skip, Err: p.Skip})
			if st.dryRun {
				p.Write(os.Stdout)
			}
			continue
		}
		plans = append(plans, p)
	}
	return plans
}

// groupPlans groups plans by istiod settings, the default settings first.
func groupPlans(plans []*deploy.Plan) []*group {
	byKey := map[string]*group{}
	var keys []string
	for _, p := range plans {
		h := p.Iso.Original.Header
		c := kindcluster.IstiodConfig{Env: h.Istiod.Env, MeshConfig: h.MeshConfig}
		g, ok := byKey[c.Key()]
		if !ok {
			g = &group{config: c}
			byKey[c.Key()] = g
			keys = append(keys, c.Key())
		}
		if p.Iso.Exclusive != "" {
			g.exclusive = append(g.exclusive, p)
		} else {
			g.shared = append(g.shared, p)
		}
	}
	def := kindcluster.IstiodConfig{}.Key()
	sort.SliceStable(keys, func(i, j int) bool { return keys[i] == def && keys[j] != def })
	out := make([]*group, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

// slots bounds how many scenarios are deployed at once.
var (
	slotsOnce sync.Once
	slots     chan struct{}
)

func slot() chan struct{} {
	slotsOnce.Do(func() { slots = make(chan struct{}, max(1, *flagParallel)) })
	return slots
}

type runKey struct{}

// feature is one scenario: Setup deploys it, Assess compares, Teardown
// deletes its namespaces whatever happened.
func feature(p *deploy.Plan) features.Feature {
	return features.New(p.Scenario).
		WithLabel("scenario", p.Scenario).
		WithLabel("file", filepath.ToSlash(p.File)).
		Setup(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			select {
			case slot() <- struct{}{}:
			case <-ctx.Done():
				t.Fatalf("interrupted before %s was deployed", p.Scenario)
			}
			r, err := newRunner(ctx, cfg, p)
			if err != nil {
				t.Fatalf("%s: %v", p.Scenario, err)
			}
			ctx = context.WithValue(ctx, runKey{}, r)
			if err := r.setup(ctx); err != nil {
				r.fail(t, err)
			}
			return ctx
		}).
		Assess("the client's listeners are the predicted ones", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			r, ok := ctx.Value(runKey{}).(*runner)
			if !ok || r.err != nil {
				t.Skip("setup failed")
			}
			r.assess(ctx, t)
			return ctx
		}).
		Teardown(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			defer func() { <-slot() }()
			if r, ok := ctx.Value(runKey{}).(*runner); ok {
				if err := r.teardown(ctx); err != nil {
					t.Errorf("%s: %v", p.Scenario, err)
				}
			}
			return ctx
		}).Feature()
}
