package deploy_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

func opts(t *testing.T) deploy.Options {
	v, err := versions.Lookup("1.26")
	if err != nil {
		t.Fatal(err)
	}
	return deploy.Options{Version: v, Isolate: isolate.Options{Run: "dry", Image: "curlimages/curl:8.11.1"}}
}

// TestDryRunOfTheCorpus is what `make e2e-dry-run` prints, checked: every
// scenario gets a plan or a reason to skip, and every manifest it would
// apply is printed after isolation.
func TestDryRunOfTheCorpus(t *testing.T) {
	scs, errs := scenario.LoadAll([]string{filepath.Join("..", "..", "..", "scenarios")})
	for _, err := range errs {
		t.Fatal(err)
	}
	o := opts(t)
	ran, skipped := 0, 0
	for _, sc := range scs {
		p, err := deploy.Build(sc, o)
		if err != nil {
			t.Fatalf("%s: %v", sc.Path, err)
		}
		var b bytes.Buffer
		p.Write(&b)
		out := b.String()
		if !strings.HasPrefix(out, "=== scenario "+sc.Header.Name) {
			t.Errorf("%s: output starts %q", sc.Path, out[:40])
		}
		if p.Skip != "" {
			skipped++
			if !strings.Contains(out, "SKIP: ") {
				t.Errorf("%s: skip not printed", sc.Path)
			}
			continue
		}
		ran++
		for _, m := range p.Iso.Manifests {
			if !strings.Contains(out, string(m.YAML)) {
				t.Errorf("%s: manifest %s not printed", sc.Path, m.Ref())
			}
		}
		for _, kind := range []string{deploy.CreateNamespaces, deploy.Apply, deploy.WaitPods, deploy.WaitSynced, deploy.FetchConfigDump, deploy.ReadConflicts, deploy.Compare, deploy.CaptureRoundTrip, deploy.DeleteNamespaces} {
			if !strings.Contains(out, " "+kind+": ") {
				t.Errorf("%s: no %s step", sc.Path, kind)
			}
		}
		if strings.Contains(out, "namespace: default\n") {
			t.Errorf("%s: an object left in the shared default namespace:\n%s", sc.Path, out)
		}
		if !strings.Contains(out, `exec: ["pilot-agent" "request" "GET" "config_dump"]`) {
			t.Errorf("%s: config dump command not printed", sc.Path)
		}
	}
	if ran == 0 || skipped == 0 {
		t.Errorf("ran %d, skipped %d: the corpus has IPv4 and dual-stack scenarios", ran, skipped)
	}
}

func TestCreationOrderIsBatchedWithPauses(t *testing.T) {
	sc, err := scenario.LoadFile(filepath.Join("..", "..", "..", "scenarios", "visibility", "same-host-two-namespaces-client-namespace-wins.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := deploy.Build(sc, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range p.Steps {
		kinds = append(kinds, s.Kind)
	}
	got := strings.Join(kinds, " ")
	want := "create-namespaces apply pause apply pause apply wait-pods wait-addresses wait-synced read-world predict fetch-config-dump read-conflicts compare capture-round-trip delete-namespaces"
	if got != want {
		t.Errorf("steps:\n got %s\nwant %s", got, want)
	}
	pre := p.Iso.Prefix
	if r := p.Steps[3].Manifests[0].Ref(); r != "ServiceEntry/"+pre+"partner/partner-api" {
		t.Errorf("first creationOrder object %s", r)
	}
	if r := p.Steps[5].Manifests[0].Ref(); r != "ServiceEntry/"+pre+"default/partner-api" {
		t.Errorf("second creationOrder object %s", r)
	}
	for _, m := range p.Steps[1].Manifests {
		if m.Kind == "ServiceEntry" {
			t.Errorf("creationOrder object %s applied with the rest", m.Ref())
		}
	}
}

func TestBatchesPutOrderedKindsFirst(t *testing.T) {
	sc, err := scenario.LoadFile(filepath.Join("..", "..", "..", "scenarios", "kubernetes", "tcp-port-on-clusterip.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := isolate.Isolate(sc, isolate.Options{Run: "x"})
	if err != nil {
		t.Fatal(err)
	}
	b := deploy.Batches(iso)
	seenOther := false
	for _, m := range b[1] {
		if deploy.OrderMatters(m.Kind) && seenOther {
			t.Errorf("%s after an object Istio does not order", m.Ref())
		}
		seenOther = seenOther || !deploy.OrderMatters(m.Kind)
	}
	for _, m := range b[0] {
		if m.Kind != "Namespace" {
			t.Errorf("%s in the namespace batch", m.Ref())
		}
	}
}

func TestPlanSkipsOtherVersionsAndFamilies(t *testing.T) {
	sc, err := scenario.Parse("x.yaml", []byte("kind: Scenario\nname: v6\nversions: \">=1.30\"\nclient: {ipFamily: IPv6}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := deploy.Build(sc, opts(t))
	if err != nil || !strings.Contains(p.Skip, ">=1.30") {
		t.Errorf("skip %q err %v", p.Skip, err)
	}
	o := opts(t)
	o.Version = versions.Newest()
	p, err = deploy.Build(sc, o)
	if err != nil || !strings.Contains(p.Skip, "needs IP family IPv6") {
		t.Errorf("skip %q err %v", p.Skip, err)
	}
}
