package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

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
