package e2erun

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestPlansOfTheCorpus plans the whole corpus the way make e2e-local
// does: every scenario file is planned, recorded as skipped, or reported,
// and paths are relative to the module root; no scenario is skipped for
// its IP family, since a control plane of each family runs.
func TestPlansOfTheCorpus(t *testing.T) {
	s := testSuite(t, nil)
	files, err := filepath.Glob(filepath.Join(s.root, "scenarios", "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios under %s: %v", s.root, err)
	}
	plans, bad, err := s.Plans(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range bad {
		t.Errorf("the corpus must plan: %v", err)
	}
	skipped := 0
	for _, r := range s.results {
		if r.Outcome != compare.Skip || r.Err == "" {
			t.Errorf("%s recorded as %s (%q) while planning; only skips are recorded then", r.Scenario, r.Outcome, r.Err)
		}
		if strings.Contains(r.Err, "IP family") {
			t.Errorf("%s skipped on the local provider: %s", r.Scenario, r.Err)
		}
		skipped++
	}
	if len(plans)+skipped != len(files) {
		t.Errorf("%d plans and %d skips for %d scenario files", len(plans), skipped, len(files))
	}
	for _, p := range plans {
		if filepath.IsAbs(p.File) || !strings.HasPrefix(p.File, "scenarios"+string(filepath.Separator)) {
			t.Errorf("plan file %q is not relative to the module root", p.File)
		}
		if len(p.Steps) == 0 || p.Skip != "" {
			t.Errorf("%s: a plan to run has %d steps, skip %q", p.Scenario, len(p.Steps), p.Skip)
		}
	}

	groups := Groups(plans)
	if len(groups) < 2 {
		t.Fatalf("%d istiod groups; the corpus has scenarios with istiod settings of their own", len(groups))
	}
	if def := (kindcluster.IstiodConfig{}).Key(); groups[0].Config.Key() != def {
		t.Errorf("first group %s, want the default settings %s", groups[0].Config.Key(), def)
	}
	seen := map[string]string{}
	exclusive := 0
	for _, g := range groups {
		for _, p := range append(append([]*deploy.Plan(nil), g.Shared...), g.Exclusive...) {
			if prev, ok := seen[p.Scenario]; ok {
				t.Errorf("%s is in groups %s and %s", p.Scenario, prev, g.Config.Key())
			}
			seen[p.Scenario] = g.Config.Key()
			h := p.Iso.Original.Header
			// The live mesh config: namespaces it names are renamed.
			if got := (kindcluster.IstiodConfig{Env: h.Istiod.Env, MeshConfig: p.Iso.Live.Header.MeshConfig}).Key(); got != g.Config.Key() {
				t.Errorf("%s needs istiod settings %s and is in group %s", p.Scenario, got, g.Config.Key())
			}
		}
		for _, p := range g.Shared {
			if p.Iso.Exclusive != "" {
				t.Errorf("%s runs alone (%s) but is shared", p.Scenario, p.Iso.Exclusive)
			}
		}
		for _, p := range g.Exclusive {
			if p.Iso.Exclusive == "" {
				t.Errorf("%s is exclusive without a reason", p.Scenario)
			}
			exclusive++
		}
	}
	if len(seen) != len(plans) {
		t.Errorf("groups hold %d plans of %d", len(seen), len(plans))
	}
	if exclusive == 0 {
		t.Errorf("no exclusive plan; sidecar/explicit-egress-port-locks-catch-all imports */* and must run alone")
	}
	if g := seen["serviceentry-pilot-hash-allocation-flag-off"]; g == "" || g == groups[0].Config.Key() {
		t.Errorf("serviceentry-pilot-hash-allocation-flag-off sets istiod env and is in group %q", g)
	}
	// Families in order, each once: one control plane per family.
	var families []controlplane.IPFamily
	for _, g := range groups {
		if n := len(families); n == 0 || families[n-1] != g.Family {
			families = append(families, g.Family)
		}
		for _, p := range append(append([]*deploy.Plan(nil), g.Shared...), g.Exclusive...) {
			if want, _ := controlplane.ParseIPFamily(p.Iso.Original.Header.Client.IPFamily); want != g.Family {
				t.Errorf("%s needs family %s and is in a %s group", p.Scenario, want, g.Family)
			}
		}
	}
	if got := fmt.Sprint(families); got != "[IPv4 IPv6 DualStack]" {
		t.Errorf("families of the groups %s, want [IPv4 IPv6 DualStack] (the corpus has IPv6 and dual-stack scenarios)", got)
	}
}

// TestKindSkipsOtherFamilies checks that on kind, whose cluster has one
// family, the scenarios of the others are skipped and named.
func TestKindSkipsOtherFamilies(t *testing.T) {
	s := testSuite(t, func(c *Config) {
		c.Provider, c.DryRun, c.Scenarios = ProviderKind, true, "scenarios/ipfamily/ipv6-single-stack.yaml,scenarios/ipfamily/dual-stack-prefer-dual-stack.yaml,scenarios/kubernetes/tcp-port-on-clusterip.yaml"
	})
	plans, _, err := s.Plans(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Scenario != "kubernetes-tcp-port-on-clusterip" {
		t.Errorf("plans %d, want only the IPv4 scenario", len(plans))
	}
	skips := 0
	for _, r := range s.results {
		if r.Outcome == compare.Skip && strings.Contains(r.Err, "needs IP family") {
			skips++
		}
	}
	if skips != 2 {
		t.Errorf("%d IP family skips, want the IPv6 and the dual-stack scenario: %+v", skips, s.results)
	}
}

func TestPlansRefuseBadInput(t *testing.T) {
	t.Run("pattern matching nothing", func(t *testing.T) {
		s := testSuite(t, func(c *Config) { c.Scenarios = "scenarios/serviceentry, scenarios/no-such-topic" })
		_, _, err := s.Plans(nil)
		if err == nil || !strings.Contains(err.Error(), "no-such-topic matches nothing") {
			t.Errorf("error %v, want the pattern named", err)
		}
	})
	t.Run("bad scenario file", func(t *testing.T) {
		dir := t.TempDir()
		good, err := os.ReadFile(filepath.Join("..", "..", "..", "scenarios", "serviceentry", "tcp-without-addresses-shadow.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "good.yaml"), good, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("kind: Scenario\nname: bad\nclient: [\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s := testSuite(t, func(c *Config) { c.Scenarios = dir })
		plans, bad, err := s.Plans(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != 1 || plans[0].Scenario != "tcp-serviceentries-without-addresses-shadow" {
			t.Errorf("the good scenario must still run: %d plans", len(plans))
		}
		if len(bad) != 1 || !strings.Contains(bad[0].Error(), "bad.yaml") {
			t.Errorf("bad = %v, want one error naming bad.yaml", bad)
		}
	})
}

// TestDryRunPrintsSkips checks that a dry run shows why a scenario is
// skipped, and a real run does not print plans.
func TestDryRunPrintsSkips(t *testing.T) {
	for _, dry := range []bool{false, true} {
		s := testSuite(t, func(c *Config) { c.Provider, c.Scenarios, c.DryRun = ProviderKind, "scenarios/*", dry })
		var b bytes.Buffer
		if _, _, err := s.Plans(&b); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "SKIP: the scenario needs IP family"); got != dry {
			t.Errorf("dry run %v: printed skips %v:\n%s", dry, got, b.String())
		}
	}
}

func TestPrintPlanAndGroup(t *testing.T) {
	for _, tc := range []struct {
		provider ProviderName
		want     []string
	}{
		{ProviderLocal, []string{"suite step 1: build kube-apiserver", "istiod process with this env and mesh config", "=== scenario tcp-serviceentries-without-addresses-shadow"}},
		{ProviderKind, []string{"suite step 2: create kind cluster listenerlab", "suite step 3: build istioctl 1.26", "istioctl install", "--- # OVERLAY", "=== scenario tcp-serviceentries-without-addresses-shadow"}},
	} {
		t.Run(string(tc.provider), func(t *testing.T) {
			s := testSuite(t, func(c *Config) {
				c.Provider, c.DryRun, c.Scenarios = tc.provider, true, "scenarios/serviceentry/tcp-without-addresses-shadow.yaml"
			})
			plans, _, err := s.Plans(nil)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			s.PrintPlan(&b)
			for _, g := range Groups(plans) {
				s.PrintGroup(&b, g)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("dry run lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestWriteReports checks the three report files and the summary line.
func TestWriteReports(t *testing.T) {
	s := testSuite(t, nil)
	for _, r := range []compare.Result{
		{Scenario: "zeta", File: "scenarios/z.yaml", Version: "1.26", Outcome: compare.Pass, Duration: time.Second},
		{Scenario: "alpha", File: "scenarios/a.yaml", Version: "1.26", Outcome: compare.Fail},
		{Scenario: "mid", File: "scenarios/m.yaml", Version: "1.26", Outcome: compare.Skip, Err: "needs IPv6"},
		{Scenario: "beta", File: "scenarios/b.yaml", Version: "1.26", Outcome: compare.Error, Err: "setup: boom"},
	} {
		s.record(r)
	}
	s.recordRoundTrip(RoundTrip{Scenario: "zeta", OK: true})
	s.recordRoundTrip(RoundTrip{Scenario: "alpha", Problem: "listener 10.96.1.1_80:\n  -address=10.96.1.1", Dir: "art/alpha"})
	if !s.failed() {
		t.Error("failed() is false with a failed and an errored scenario")
	}
	text, err := s.WriteReports()
	if err != nil {
		t.Fatal(err)
	}
	want := "\n1 passed, 1 failed, 1 skipped\n1 errors; 4 scenarios on Istio 1.26 in a local control plane (no Envoy: xDS client)\ncapture round trips: 1/2\n"
	if !strings.HasSuffix(string(text), want) {
		t.Errorf("report ends\n%s\nwant\n%s", text, want)
	}
	if want := "CAPTURE FAIL  alpha\n  listener 10.96.1.1_80:\n    -address=10.96.1.1\n  files: art/alpha\n"; !strings.Contains(string(text), want) {
		t.Errorf("report lacks the failed round trip %q:\n%s", want, text)
	}
	if i, j := strings.Index(string(text), "alpha"), strings.Index(string(text), "zeta"); i < 0 || j < i {
		t.Errorf("report not sorted by scenario:\n%s", text)
	}
	if disk, err := os.ReadFile(s.artifacts.Report()); err != nil || !bytes.Equal(disk, text) {
		t.Errorf("report.txt differs from the returned text (%v)", err)
	}
	var rs []compare.Result
	b, err := os.ReadFile(s.artifacts.Results())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Scenario)
	}
	if got := strings.Join(names, ","); got != "alpha,beta,mid,zeta" {
		t.Errorf("results.json scenarios %s, want sorted alpha,beta,mid,zeta", got)
	}
	var junit struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, err = os.ReadFile(s.artifacts.JUnit())
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &junit); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if len(junit.Suites) != 1 || len(junit.Suites[0].Cases) != 4 {
		t.Errorf("junit.xml has %+v, want one suite of 4 cases", junit.Suites)
	}
}

func TestSlots(t *testing.T) {
	s := testSuite(t, func(c *Config) { c.MaxParallel = 1 })
	if err := s.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Acquire(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second Acquire of one slot gave %v, want the deadline", err)
	}
	s.Release()
	if err := s.Acquire(context.Background()); err != nil {
		t.Errorf("Acquire after Release: %v", err)
	}
}

// TestGroupsOrder checks the order on plans made up for it: the default
// settings first whatever the order of the plans, then each other
// settings in the order the plans first name them; exclusive plans apart.
func TestGroupsOrder(t *testing.T) {
	plan := func(name string, env map[string]string, mesh map[string]any, exclusive string) *deploy.Plan {
		h := scenario.Header{Name: name, Istiod: scenario.Istiod{Env: env}, MeshConfig: mesh}
		return &deploy.Plan{Scenario: name, Iso: &isolate.Isolated{Original: &scenario.Scenario{Header: h}, Exclusive: exclusive}}
	}
	off := map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false"}
	registryOnly := map[string]any{"outboundTrafficPolicy": map[string]any{"mode": "REGISTRY_ONLY"}}
	plans := []*deploy.Plan{
		plan("a-off", off, nil, ""),
		plan("b-mesh", nil, registryOnly, ""),
		plan("c-default", nil, nil, ""),
		plan("d-default-alone", nil, nil, "its Sidecar imports */*"),
		plan("e-off", off, nil, ""),
	}
	var got []string
	for _, g := range Groups(plans) {
		var names []string
		for _, p := range g.Shared {
			names = append(names, p.Scenario)
		}
		for _, p := range g.Exclusive {
			names = append(names, "alone:"+p.Scenario)
		}
		got = append(got, strings.Join(names, ","))
	}
	want := []string{"c-default,alone:d-default-alone", "a-off,e-off", "b-mesh"}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("groups %q, want %q", got, want)
	}
}
