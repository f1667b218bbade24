package app

import (
	"testing"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestSourceField: versions add records in the catalog line only the gates
// whose source value differs from the minor's rule.
func TestSourceField(t *testing.T) {
	snapshot := map[versions.Gate]bool{
		versions.GateIPAutoallocateByDefault: true, versions.GateServiceEntryServicePerAddress: true,
		versions.GateHTTPInspectorAddsTLSInspector: false, versions.GateSidecarExactHostLookup: false,
		versions.GateVirtualServiceExclusions: false,
	}
	tests := []struct {
		minor int
		gates map[versions.Gate]bool
		want  string
	}{
		{31, snapshot, ",\n\t\tSource: map[Gate]bool{GateSidecarExactHostLookup: false, GateVirtualServiceExclusions: false}"},
		{30, snapshot, ""},
		{31, nil, ""},
	}
	for _, tt := range tests {
		if got := sourceField(tt.minor, tt.gates); got != tt.want {
			t.Errorf("sourceField(%d, %v) = %q, want %q", tt.minor, tt.gates, got, tt.want)
		}
	}
}
