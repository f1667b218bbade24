// Package scenarios_test checks the scenario corpus: every scenario loads,
// meets its expectations under the predictor, and matches its golden
// prediction (rewrite with `go test ./scenarios -update`).
package scenarios_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/trace"
)

func TestCorpus(t *testing.T) {
	files, err := scenario.Expand([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Errorf("the corpus has %d scenarios, want at least 25", len(files))
	}
	v := versions.Newest()
	names := map[string]string{}
	for _, f := range files {
		t.Run(strings.TrimSuffix(f, ".yaml"), func(t *testing.T) {
			sc, err := scenario.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := names[sc.Header.Name]; dup {
				t.Errorf("scenario name %q is used by %s too", sc.Header.Name, other)
			}
			names[sc.Header.Name] = f
			_, p, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range compare.Expectations(sc.Header.Expect, v, p.Listeners, p.Conflicts) {
				t.Errorf("expectation not met (-expected +predicted):\n%s", d)
			}
			var buf bytes.Buffer
			if err := report.Table(&buf, p.Listeners); err != nil {
				t.Fatal(err)
			}
			buf.WriteString("\n")
			report.Explain(&buf, sc.Header.Name, p)
			golden.Assert(t, buf.String(), filepath.Join("predictions", strings.TrimSuffix(f, ".yaml")+".golden"))
		})
	}
}

// TestWitnesses checks every error and warning of the corpus, on every
// catalogued version, carries a witness connection that says what its
// severity claims: traced again through the predicted listeners it goes
// where the witness says; an error's connection does not reach the
// service it was meant for (but a ServerFirstSniffed one, which reaches it
// only if it does not stall first), a warning's reaches no other service
// (CIDROverlap and Hijack aside: their warnings are about addresses another
// service, or no service, claims).
func TestWitnesses(t *testing.T) {
	files, err := scenario.Expand([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	witnessed := 0
	for _, v := range versions.Catalog {
		for _, f := range files {
			sc, err := scenario.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !sc.Header.AppliesTo(v) {
				continue
			}
			w, p, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range p.Findings {
				if fd.Severity == predictor.SeverityInfo {
					continue
				}
				where := fmt.Sprintf("%s %s: %s %s %q", v.Label, f, fd.Severity, fd.Code, fd.Message)
				if fd.Witness == nil {
					// A proxy that captures nothing has no connection to trace;
					// the sidecar's own ports lead to listeners the prediction
					// leaves out.
					own := fd.Port == 15006 || fd.Port == 15021 || fd.Port == 15090
					if fd.Code != predictor.PortSkipped || w.Client.InterceptionMode != "NONE" && !own {
						t.Errorf("%s: no witness", where)
					}
					continue
				}
				witnessed++
				wit := fd.Witness
				call, err := wit.Call()
				if err != nil {
					t.Errorf("%s: witness %+v: %v", where, wit, err)
					continue
				}
				o := predictor.TraceOptions(w, v, p)
				if !wit.IsRequest() {
					o.Routes = nil
				}
				r := trace.Trace(p.Listeners, call, o)
				l, d, sniffed := predictor.Outcome(p.Listeners, r)
				rt := ""
				if name, dest, ok := predictor.RouteTaken(r); ok && wit.IsRequest() {
					rt, d = name, dest
				}
				if l != wit.Listener || d != wit.Destination || sniffed != wit.Sniffed || rt != wit.Route {
					t.Errorf("%s: witness says %s -> %s %s (sniffed %v), trace says %s -> %s %s (sniffed %v)", where, wit.Listener, wit.Route, wit.Destination, wit.Sniffed, l, rt, d, sniffed)
				}
				if wit.IsRequest() {
					// A request witness's Meant is the action it was meant
					// to take: an error's goes elsewhere (an UndefinedSubset's
					// takes it, and its cluster does not exist), a warning's
					// takes it.
					elsewhere := d != wit.Meant
					if fd.Severity == predictor.SeverityError && elsewhere == (fd.Code == predictor.UndefinedSubset) ||
						fd.Severity == predictor.SeverityWarning && elsewhere {
						t.Errorf("%s: a request witness meant for %s goes to %s", where, wit.Meant, d)
					}
					continue
				}
				service := strings.HasPrefix(d, "cluster outbound|")
				reaches := service && strings.HasSuffix(d, "|"+wit.Meant)
				switch {
				case fd.Code == predictor.ServerFirstSniffed:
					if !wit.Sniffed {
						t.Errorf("%s: the witness's listener %s does not sniff", where, l)
					}
				case fd.Severity == predictor.SeverityError && reaches:
					t.Errorf("%s: an error whose witness reaches %s (%s)", where, wit.Meant, d)
				case fd.Severity == predictor.SeverityWarning && fd.Code != predictor.CIDROverlap && fd.Code != predictor.Hijack && service && !reaches:
					t.Errorf("%s: a warning whose witness reaches another service than %s (%s)", where, wit.Meant, d)
				}
			}
		}
	}
	if witnessed < 20 {
		t.Errorf("%d witnesses in the corpus, want at least 20", witnessed)
	}
}

// TestRequests checks every scenario's request expectations
// (expect.requests) on the prediction of every catalogued version: each
// request traced through the predicted listeners into the predicted route
// configurations (verify checks the same ones on real pilot's).
func TestRequests(t *testing.T) {
	files, err := scenario.Expand([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, v := range versions.Catalog {
		for _, f := range files {
			sc, err := scenario.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !sc.Header.AppliesTo(v) {
				continue
			}
			w, p, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range sc.Header.Expect {
				checked += len(e.Requests)
			}
			for _, d := range compare.Requests(sc.Header.Expect, v, p.Listeners, p.Routes, predictor.TraceOptions(w, v, p)) {
				t.Errorf("%s %s: expectation not met (-expected +predicted):\n%s", v.Label, f, d)
			}
		}
	}
	if checked < 20 {
		t.Errorf("%d requests checked, want the corpus' request expectations (at least 20)", checked)
	}
}
