package e2erun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
)

// shadowScenario is a corpus scenario with two address-less ServiceEntries
// (the allocation controller gives each an address on 1.25 and later).
const shadowScenario = "scenarios/serviceentry/tcp-without-addresses-shadow.yaml"

// testRun is a Run of one corpus scenario on fake clients.
func testRun(t *testing.T, provider ProviderName, objs ...runtime.Object) *Run {
	t.Helper()
	s := testSuite(t, func(c *Config) { c.Provider, c.Scenarios = provider, shadowScenario })
	plans, bad, err := s.Plans(nil)
	if err != nil || len(bad) > 0 || len(plans) != 1 {
		t.Fatalf("planning %s: %d plans, %v %v", shadowScenario, len(plans), bad, err)
	}
	return &Run{s: s, p: plans[0], cs: fake.NewSimpleClientset(objs...), ic: istiofake.NewSimpleClientset(), start: time.Now()}
}

func pod(ns, name string, ready bool, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c})
	}
	if ready {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	} else {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available"}}
	}
	return p
}

func TestWaitPods(t *testing.T) {
	step := deploy.Step{Kind: deploy.WaitPods, Timeout: 100 * time.Millisecond}
	for _, tc := range []struct {
		name     string
		provider ProviderName
		pods     func(ns string) []runtime.Object
		want     int
		wantErr  string
	}{
		{name: "local: the client is ready", provider: ProviderLocal, want: 1,
			pods: func(ns string) []runtime.Object { return []runtime.Object{pod(ns, "client", true, "client")} }},
		{name: "local: one pending", provider: ProviderLocal, want: 2,
			pods: func(ns string) []runtime.Object {
				return []runtime.Object{pod(ns, "client", true, "client"), pod(ns, "backend", false, "backend")}
			},
			wantErr: "last seen: 1/2 ready: backend Pending (unschedulable: 0/1 nodes are available)"},
		{name: "local: fewer pods than the simulation", provider: ProviderLocal, want: 2,
			pods:    func(ns string) []runtime.Object { return []runtime.Object{pod(ns, "client", true, "client")} },
			wantErr: "waited 100ms for 2 pods of the scenario to be Ready"},
		{name: "kind: the client has its proxy", provider: ProviderKind, want: 1,
			pods: func(ns string) []runtime.Object {
				return []runtime.Object{pod(ns, "client", true, "client", istiod.ProxyContainer)}
			}},
		{name: "kind: no injection", provider: ProviderKind, want: 1,
			pods:    func(ns string) []runtime.Object { return []runtime.Object{pod(ns, "client", true, "client")} },
			wantErr: "no istio-proxy container in the client namespace (is sidecar injection on?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRun(t, tc.provider)
			for _, o := range tc.pods(r.clientNS()) {
				if _, err := r.cs.CoreV1().Pods(r.clientNS()).Create(context.Background(), o.(*corev1.Pod), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			err := r.waitPods(context.Background(), step, tc.want)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var we *kindcluster.WaitError
			if !errors.As(err, &we) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want a wait error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestWaitAddresses(t *testing.T) {
	r := testRun(t, ProviderLocal)
	sim, err := resolve.Simulate(r.p.Iso.Live, r.s.version)
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.ServiceEntries) != 2 || len(sim.ServiceEntries[0].Status.GetAddresses()) == 0 {
		t.Fatalf("the simulation of %s on %s gives %d ServiceEntries, want 2 with addresses", shadowScenario, r.s.version.Label, len(sim.ServiceEntries))
	}
	ctx := context.Background()
	step := deploy.Step{Kind: deploy.WaitAddresses, Timeout: 100 * time.Millisecond}
	// Created without addresses: the controller has not written them yet.
	for _, se := range sim.ServiceEntries {
		bare := se.DeepCopy()
		bare.Status.Addresses = nil
		if _, err := r.ic.NetworkingV1().ServiceEntries(se.Namespace).Create(ctx, bare, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	err = r.waitAddresses(ctx, step, sim)
	if err == nil || !strings.Contains(err.Error(), "status.addresses of 2 ServiceEntries") {
		t.Fatalf("error %v, want a wait for 2 ServiceEntries", err)
	}
	for _, se := range sim.ServiceEntries {
		if want := fmt.Sprintf("%s/%s has 0 of %d", se.Namespace, se.Name, len(se.Status.GetAddresses())); !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	for _, se := range sim.ServiceEntries {
		if _, err := r.ic.NetworkingV1().ServiceEntries(se.Namespace).Update(ctx, se.DeepCopy(), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.waitAddresses(ctx, step, sim); err != nil {
		t.Errorf("with the addresses written: %v", err)
	}
}

func TestTeardownDeletesNamespaces(t *testing.T) {
	r := testRun(t, ProviderLocal)
	ctx := context.Background()
	for _, ns := range r.p.Iso.LiveNamespaces() {
		if _, err := r.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	nss, err := r.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nss.Items) != 1 || nss.Items[0].Name != "default" {
		t.Errorf("namespaces left: %v; want only default", nss.Items)
	}
}

func TestFailRecordsTheSetupError(t *testing.T) {
	r := testRun(t, ProviderLocal)
	v := r.Fail(errors.New("creating Service/x: forbidden"))
	if v.Passed() || !r.Failed() {
		t.Errorf("a setup failure passed")
	}
	for _, want := range []string{"ERROR tcp-serviceentries-without-addresses-shadow", "setup: creating Service/x: forbidden", "rerun just this scenario: make e2e-local ISTIO_VERSION=1.26 SCENARIOS=" + shadowScenario} {
		if !strings.Contains(v.Text, want) {
			t.Errorf("verdict lacks %q:\n%s", want, v.Text)
		}
	}
	if len(r.s.results) != 1 || r.s.results[0].Err != "setup: creating Service/x: forbidden" {
		t.Errorf("recorded %+v", r.s.results)
	}
}

func TestCheckStamps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s := deploy.Step{Kind: deploy.Apply, Text: "apply"}
	for _, tc := range []struct {
		name     string
		stamps   []time.Time
		previous time.Time
		want     string
	}{
		{"one second", []time.Time{t0, t0}, time.Time{}, ""},
		{"later than the previous batch", []time.Time{t0.Add(time.Second)}, t0, ""},
		{"two seconds", []time.Time{t0, t0.Add(time.Second)}, time.Time{}, "created in different seconds"},
		{"same second as the previous batch", []time.Time{t0}, t0, "is not later than the previous object's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkStamps(s, tc.stamps, tc.previous)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLogHelpers(t *testing.T) {
	log := "a ll1-default x\nb other\nc ll1-default y\n"
	if got := string(linesNaming([]byte(log), "ll1-default")); got != "a ll1-default x\nc ll1-default y\n" {
		t.Errorf("linesNaming = %q", got)
	}
	if got := lastLines("1\n2\n3\n", 2); got != "2\n3" {
		t.Errorf("lastLines = %q", got)
	}
	if got := lastLines("1\n", 5); got != "1" {
		t.Errorf("lastLines of a short text = %q", got)
	}
}

// TestStagesOfAPlan: every assessed step of a plan is in one named stage,
// in the plan's order, the capture round trip last.
func TestStagesOfAPlan(t *testing.T) {
	r := testRun(t, ProviderLocal)
	var names []string
	steps := 0
	for _, st := range Stages(r.p) {
		names = append(names, st.Name)
		steps += len(st.steps)
	}
	want := []string{StagePods, StageAddresses, StageSynced, StagePrediction, StageRealConfig, StageComparison, StageCaptureTrip}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("stages %q, want %q", names, want)
	}
	assessed := 0
	for _, s := range r.p.Steps {
		if _, ok := stageOf[s.Kind]; ok {
			assessed++
		}
	}
	if steps != assessed || assessed != 9 {
		t.Errorf("stages hold %d steps, the plan assesses %d, want 9", steps, assessed)
	}
	if st := Stages(r.p); !st[len(st)-1].last || st[0].last {
		t.Error("only the last stage concludes")
	}
}

// TestAFailedStageConcludes: a stage that cannot be carried out fails,
// names its step, records the verdict once with its evidence, and leaves
// nothing for the later stages.
func TestAFailedStageConcludes(t *testing.T) {
	r := testRun(t, ProviderKind)
	pods := Stage{Name: StagePods, steps: []deploy.Step{{Kind: deploy.WaitPods, Timeout: 100 * time.Millisecond}}}
	text, failed := r.AssessStage(context.Background(), pods)
	if !failed || !r.Concluded() {
		t.Fatalf("failed %v, concluded %v:\n%s", failed, r.Concluded(), text)
	}
	for _, want := range []string{"ERROR tcp-serviceentries-without-addresses-shadow", "wait-pods: ", "evidence: ", "rerun just this scenario: "} {
		if !strings.Contains(text, want) {
			t.Errorf("verdict lacks %q:\n%s", want, text)
		}
	}
	if text, failed := r.AssessStage(context.Background(), Stages(r.p)[1]); text != "" || failed {
		t.Errorf("a stage after the verdict reported %v %q", failed, text)
	}
	if len(r.s.results) != 1 || !strings.HasPrefix(r.s.results[0].Err, "wait-pods: ") {
		t.Errorf("recorded %+v", r.s.results)
	}
}

// TestTeardownConcludesAnUnfinishedAssessment: stages skipped after a
// failed one (--fail-fast) still leave the scenario's verdict in the
// reports, once.
func TestTeardownConcludesAnUnfinishedAssessment(t *testing.T) {
	r := testRun(t, ProviderKind)
	r.res = compare.Result{Scenario: r.p.Scenario, File: r.p.File, Version: r.s.version.Label, Outcome: compare.Fail}
	if err := r.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !r.Concluded() || len(r.s.results) != 1 || r.s.results[0].Outcome != compare.Fail {
		t.Errorf("concluded %v, recorded %+v", r.Concluded(), r.s.results)
	}
	if err := r.Teardown(context.Background()); err != nil || len(r.s.results) != 1 {
		t.Errorf("a second Teardown: %v, %d results", err, len(r.s.results))
	}
}
