package verify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// fakeBackend writes a script that prints a pilot result holding the given
// real config dump (written by the 1.31-dev backend) and TCP conflicts
// recorded for the client as pilot records them in its push status
// (pilot_conflict_outbound_listener_tcp_over_current_tcp, keyed by
// listener), and returns its path.
func fakeBackend(t *testing.T, dumpFile, proxyID string, conflicts []listener.Conflict) Process {
	t.Helper()
	dump, err := os.ReadFile(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	type record struct {
		Proxy   string `json:"proxy"`
		Message string `json:"message"`
	}
	tcp := map[string]record{}
	for _, c := range conflicts {
		if c.Kind != "tcp over current tcp" {
			t.Fatalf("fakeBackend writes TCP conflicts only, not %q", c.Kind)
		}
		tcp[c.Listener] = record{Proxy: proxyID, Message: "Listener=" + c.Listener + " Accepted=TCP Rejected=TCP (" + c.Rejected + ")"}
	}
	// Another proxy's record: not the client's, never reported.
	tcp["0.0.0.0_9999"] = record{Proxy: "other.default", Message: "Listener=0.0.0.0_9999 Accepted=TCP Rejected=TCP (x.example.com)"}
	status := map[string]map[string]record{"pilot_conflict_outbound_listener_tcp_over_current_tcp": tcp}
	out, err := json.Marshal(map[string]any{"format": backend.ResultFormat, "istioVersion": "fake",
		"proxyVersion": "1.31.0", "configDump": json.RawMessage(dump), "pushStatus": status})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	result := filepath.Join(dir, "result.json")
	if err := os.WriteFile(result, out, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "pilotbackend")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\ncat >/dev/null\ncat "+result+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return Process(bin)
}

// TestScenarioAgainstRealDumps runs verify's whole comparison on dumps the
// real 1.31-dev pilot wrote: the matching scenario passes, and the same
// scenario against another scenario's dump fails at the listener level
// with the predictor's reasons attached.
func TestScenarioAgainstRealDumps(t *testing.T) {
	sc, err := scenario.LoadFile("../../../scenarios/serviceentry/tcp-without-addresses-shadow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v, err := versions.Lookup("1.31-dev")
	if err != nil {
		t.Fatal(err)
	}
	conflict := []listener.Conflict{{Listener: "0.0.0.0_3306", Kind: "tcp over current tcp", Rejected: "sql-b.example.com"}}
	w, err := resolve.Simulate(sc, v)
	if err != nil {
		t.Fatal(err)
	}
	proxyID := w.Client.Name + "." + w.Client.Namespace

	r := Scenario(context.Background(), sc, v, fakeBackend(t, "../../offline/dump/testdata/pilot-1.31-dev-tcp-shadow.json", proxyID, conflict), Options{})
	if r.Outcome != compare.Pass {
		t.Fatalf("outcome %s: %v %v %s", r.Outcome, r.Differences, r.Expectations, r.Err)
	}

	if r.Witnesses < 2 {
		t.Errorf("%d witnesses replayed, want the Shadowed and Hijack errors' at least", r.Witnesses)
	}

	// A witness that says its connection goes elsewhere than the real
	// listeners send it fails, printed like any other difference.
	wrong := Options{tamper: func(p *predictor.Prediction) {
		for i := range p.Findings {
			if w := p.Findings[i].Witness; w != nil && p.Findings[i].Code == predictor.Shadowed {
				w.Destination = "cluster outbound|3306||sql-b.example.com"
			}
		}
	}}
	r = Scenario(context.Background(), sc, v, fakeBackend(t, "../../offline/dump/testdata/pilot-1.31-dev-tcp-shadow.json", proxyID, conflict), wrong)
	if r.Outcome != compare.Fail || len(r.Differences) != 1 || r.Differences[0].Level != compare.LevelWitness ||
		!strings.Contains(r.Differences[0].String(), "+--to 203.0.113.10:3306 (meant for sql-b.example.com) -> 0.0.0.0_3306 cluster outbound|3306||sql-a.example.com") {
		t.Errorf("a wrong witness must fail at the witness level: %s %v", r.Outcome, r.Differences)
	}

	r = Scenario(context.Background(), sc, v, fakeBackend(t, "../../offline/dump/testdata/pilot-1.31-dev-tcp-shadow.json", proxyID, nil), Options{})
	if r.Outcome != compare.Fail || len(r.Differences) != 1 || r.Differences[0].Level != compare.LevelConflict {
		t.Errorf("a missing conflict record must fail at the conflict level: %s %v", r.Outcome, r.Differences)
	}

	r = Scenario(context.Background(), sc, v, fakeBackend(t, "../../offline/dump/testdata/pilot-1.31-dev-tls-sni.json", proxyID, conflict), Options{})
	if r.Outcome != compare.Fail {
		t.Fatalf("another scenario's dump passed")
	}
	var missing bool
	for _, d := range r.Differences {
		if d.Level == compare.LevelListener && d.Listener == "0.0.0.0_3306" && d.Got == "" {
			missing = true
		}
	}
	if !missing || !strings.Contains(r.Reasons["0.0.0.0_3306"], "without addresses") {
		t.Errorf("want 0.0.0.0_3306 missing with its reason; got %v, reasons %v", r.Differences, r.Reasons)
	}
}

func TestScenarioOutsideItsVersionsIsSkipped(t *testing.T) {
	sc, err := scenario.Parse("inline.yaml", []byte("kind: Scenario\nname: new\nversions: \">=1.31\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := Scenario(context.Background(), sc, versions.Version{Label: "1.24", Minor: 24}, Process("/nonexistent"), Options{})
	if r.Outcome != compare.Skip {
		t.Errorf("outcome %s, want skip", r.Outcome)
	}
}

// TestScenarioRequestsOnRealRoutes checks a scenario's request
// expectations on the route configurations real pilot 1.26 sent for it
// (verify --keep): they hold, and a wrong one fails at the request level
// with where the request really went.
func TestScenarioRequestsOnRealRoutes(t *testing.T) {
	sc, err := scenario.LoadFile("../../../scenarios/routes/bookinfo-request-routing-jason.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v, err := versions.Lookup("1.26")
	if err != nil {
		t.Fatal(err)
	}
	w, err := resolve.Simulate(sc, v)
	if err != nil {
		t.Fatal(err)
	}
	bin := fakeBackend(t, "../../offline/dump/testdata/pilot-1.26-bookinfo-jason.json", w.Client.Name+"."+w.Client.Namespace, nil)
	r := Scenario(context.Background(), sc, v, bin, Options{})
	if r.Outcome != compare.Pass {
		t.Fatalf("outcome %s: %v %v %s", r.Outcome, r.Differences, r.Expectations, r.Err)
	}
	sc.Header.Expect[0].Requests[0].Want = "cluster outbound|9080|v3|reviews.bookinfo.svc.cluster.local"
	r = Scenario(context.Background(), sc, v, bin, Options{})
	if r.Outcome != compare.Fail || len(r.Expectations) != 1 || r.Expectations[0].Level != compare.LevelRequest ||
		!strings.Contains(r.Expectations[0].Got, "cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local (listener 0.0.0.0_9080") {
		t.Errorf("a wrong request expectation must fail at the request level: %s %v", r.Outcome, r.Expectations)
	}
}
