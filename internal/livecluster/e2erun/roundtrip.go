package e2erun

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/scenario"
)

// RoundTrip is the outcome of one scenario's capture round trip: capture
// (the code behind listenerlab capture) reads the deployed client back
// from the cluster as a scenario, and that scenario must predict the
// listeners and conflicts the live World predicts.
type RoundTrip struct {
	Scenario string
	// OK says the two predictions have the same listeners and conflicts.
	OK bool
	// Problem is the first difference (-live World +captured scenario),
	// or why capture or the captured scenario failed.
	Problem string
	// Dir holds the captured scenario and the original after a failure.
	Dir string
}

// String is the round trip's line in report.txt.
func (rt RoundTrip) String() string {
	if rt.OK {
		return "CAPTURE PASS  " + rt.Scenario
	}
	s := fmt.Sprintf("CAPTURE FAIL  %s\n  %s", rt.Scenario, strings.ReplaceAll(rt.Problem, "\n", "\n  "))
	if rt.Dir != "" {
		s += "\n  files: " + rt.Dir
	}
	return s
}

// roundTrip captures the client, predicts the captured scenario with the
// simulated resolver, and compares its listeners and conflicts with the
// prediction on the live World, the live addresses of the built-in
// Services and of the client's pods translated to those the resolver
// gives them (capture leaves both to the resolver). Run it after the live
// World was read and predicted.
func (r *Run) roundTrip(ctx context.Context) RoundTrip {
	rt := RoundTrip{Scenario: r.p.Scenario}
	var captured []byte
	var warned []string
	fail := func(format string, args ...any) RoundTrip {
		rt.Problem = fmt.Sprintf(format, args...)
		if len(warned) > 0 {
			rt.Problem += "\ncapture warned: " + strings.Join(warned, "; ")
		}
		rt.Dir = r.keepRoundTrip(captured)
		return rt
	}
	clients, err := capture.ReadOnlyClients(r.rc)
	if err != nil {
		return fail("capture: %v", err)
	}
	kubeContext := r.s.context
	if kubeContext == "" {
		kubeContext = controlplane.KubeContext
	}
	res, err := capture.Capture(ctx, clients, capture.Options{Namespace: r.clientNS(), Pod: r.live.Client.Name, Context: kubeContext, Now: func() time.Time { return r.start }})
	if err != nil {
		return fail("capture: %v", err)
	}
	captured = res.YAML
	// capture's warnings are said with a failure: they may explain it.
	for _, w := range res.Warnings {
		warned = append(warned, w.String())
	}
	sc, err := scenario.Parse(res.Name+".yaml", res.YAML)
	if err != nil {
		return fail("the captured scenario does not load: %v", err)
	}
	sim, pred, err := resolve.Predict(sc, r.s.version)
	if err != nil {
		return fail("the captured scenario does not resolve: %v", err)
	}
	tr := livestate.NewPairing(sim, r.live)
	live := &predictor.Prediction{Listeners: tr.Listeners(r.pred.Listeners), Conflicts: tr.Conflicts(r.pred.Conflicts)}
	diffs := compare.Predictions(live, pred)
	if len(diffs) > 0 {
		return fail("the captured scenario predicts %d differences from the live World (-live +captured), the first:\n%s", len(diffs), diffs[0])
	}
	rt.OK = true
	return rt
}

// keepRoundTrip writes the captured scenario (if any) and the original
// scenario file into the scenario's artifacts and returns the folder.
func (r *Run) keepRoundTrip(captured []byte) string {
	a := r.s.artifacts
	if len(captured) > 0 {
		_, _ = a.WriteScenario(r.p.Scenario, kindcluster.CapturedFile, captured)
	}
	if orig, err := os.ReadFile(abs(r.s.root, r.p.File)); err == nil {
		_, _ = a.WriteScenario(r.p.Scenario, kindcluster.OriginalFile, orig)
	}
	return a.Scenario(r.p.Scenario)
}
