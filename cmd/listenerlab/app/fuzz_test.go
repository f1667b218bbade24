package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/realpilot/fuzz"
)

// TestPrintFuzzSummaryCountsExplained checks that the totals line tells
// divergences a "not modelled" finding explains from those it does not:
// only the latter fail a run.
func TestPrintFuzzSummaryCountsExplained(t *testing.T) {
	sum := fuzz.Summary{Elapsed: time.Second, Versions: []fuzz.VersionSummary{
		{Version: "1.30", Worlds: 10, Elapsed: time.Second, Divergences: []fuzz.Divergence{
			{Seed: 1, NotModelled: "not modelled: EnvoyFilter default/patch configPatches[0] (LISTENER MERGE, context SIDECAR_OUTBOUND) patches 0.0.0.0_80"},
			{Seed: 2},
		}},
		{Version: "1.31-dev", Worlds: 10, Elapsed: time.Second, Divergences: []fuzz.Divergence{
			{Seed: 1, NotModelled: "not modelled: EnvoyFilter default/patch configPatches[0] (LISTENER MERGE, context SIDECAR_OUTBOUND) patches 0.0.0.0_80"},
		}},
	}}
	var out bytes.Buffer
	printFuzzSummary(&out, sum, 1)
	want := "fuzz --seed 1: 20 worlds on 2 versions in 1s (20.0 worlds/s), 3 divergences (2 explained by a \"not modelled\" or OrderUndetermined finding, 1 not)"
	if !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
}

// TestPrintFuzzSummaryNondeterministic checks that cases real pilot answered
// differently between runs get their own count and section, say how many
// runs diverged and whether an OrderUndetermined finding names them, and
// stay out of the divergence counts.
func TestPrintFuzzSummaryNondeterministic(t *testing.T) {
	named := "a.example.com's listener 0.0.0.0_5432 depends on which of its services istiod's host index holds"
	sum := fuzz.Summary{Elapsed: time.Second, Versions: []fuzz.VersionSummary{
		{Version: "1.31-dev", Worlds: 3, Elapsed: time.Second,
			Divergences: []fuzz.Divergence{{Seed: 5, Runs: 12, Diverging: 12, First: compare.Difference{Level: compare.LevelMatch, Listener: "0.0.0.0_80", Got: "all -> passthrough"}}},
			Nondeterministic: []fuzz.Divergence{
				{Seed: 777001537, Runs: 12, Diverging: 5, NotModelled: named},
				{Seed: 9, Runs: 12, Diverging: 1},
			}},
	}}
	var out bytes.Buffer
	printFuzzSummary(&out, sum, 1)
	for _, want := range []string{
		"1 divergences, 2 nondeterministic,",
		"  seed 5: match 0.0.0.0_80 +all -> passthrough (every one of 12 runs)",
		"  nondeterministic: real pilot answered 2 Worlds differently between runs (not failures of the predictor):",
		"  seed 777001537: diverged in 5 of 12 runs: ",
		"[named: " + named + "]",
		"  seed 9: diverged in 1 of 12 runs: ",
		"[no OrderUndetermined finding names every listener that differed: the predictor does not know this order]",
		"1 divergences (0 explained by a \"not modelled\" or OrderUndetermined finding, 1 not), 2 nondeterministic (real pilot answered the same World differently between runs; 1 named by OrderUndetermined, 1 not)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
