package fuzz

import (
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/predictor"
)

// TestNotModelledExplains checks which findings explain a divergence:
// EnvoyFilterNotModelled or OrderUndetermined, by code, on every listener that
// differs; nothing else, and never a difference on another listener.
func TestNotModelledExplains(t *testing.T) {
	patched := predictor.Finding{Code: predictor.EnvoyFilterNotModelled, Listener: "10.96.1.1_6379",
		Message: "not modelled: EnvoyFilter default/patch configPatches[0] (LISTENER MERGE, context SIDECAR_OUTBOUND) patches 10.96.1.1_6379"}
	order := predictor.Finding{Code: predictor.OrderUndetermined, Listener: "0.0.0.0_9042", Message: "which of a's services istiod keeps on 0.0.0.0_9042 is not determined"}
	taken := predictor.Finding{Code: predictor.SniffedListenerTaken, Listener: "0.0.0.0_9042", Message: "non-HTTP connections go elsewhere"}
	diff := func(l string) compare.Difference { return compare.Difference{Level: compare.LevelMatch, Listener: l} }
	tests := []struct {
		name     string
		findings []predictor.Finding
		diffs    []compare.Difference
		want     string
	}{
		{"not modelled", []predictor.Finding{patched}, []compare.Difference{diff("10.96.1.1_6379")}, patched.Message},
		{"order undetermined", []predictor.Finding{taken, order}, []compare.Difference{diff("0.0.0.0_9042"), diff("0.0.0.0_9042")}, order.Message},
		{"another code", []predictor.Finding{taken}, []compare.Difference{diff("0.0.0.0_9042")}, ""},
		{"the code decides, not the message", []predictor.Finding{{Code: predictor.PortSkipped, Listener: "10.96.1.1_6379", Message: "not modelled: a message alone"}}, []compare.Difference{diff("10.96.1.1_6379")}, ""},
		{"another listener too", []predictor.Finding{order}, []compare.Difference{diff("0.0.0.0_9042"), diff("10.96.1.1_6379")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notModelled(&predictor.Prediction{Findings: tt.findings}, tt.diffs); got != tt.want {
				t.Errorf("notModelled = %q, want %q", got, tt.want)
			}
		})
	}
}
