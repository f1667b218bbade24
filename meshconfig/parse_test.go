package meshconfig

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]any
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "camelCase kept", in: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\ndefaultServiceExportTo: [.]",
			want: map[string]any{"outboundTrafficPolicy": map[string]any{"mode": "REGISTRY_ONLY"}, "defaultServiceExportTo": []any{"."}}},
		{name: "proto names become JSON names", in: "default_config: {proxy_metadata: {ISTIO_META_DNS_CAPTURE: \"true\"}}",
			want: map[string]any{"defaultConfig": map[string]any{"proxyMetadata": map[string]any{"ISTIO_META_DNS_CAPTURE": "true"}}}},
		{name: "enum number becomes its name", in: "outboundTrafficPolicy: {mode: 0}",
			want: map[string]any{"outboundTrafficPolicy": map[string]any{"mode": "REGISTRY_ONLY"}}},
		{name: "durations and wrappers", in: "connectTimeout: 5s\nenableAutoMtls: false",
			want: map[string]any{"connectTimeout": "5s", "enableAutoMtls": false}},
		{name: "unknown top-level field", in: "outboundTraficPolicy: {mode: REGISTRY_ONLY}",
			wantErr: "meshConfig.outboundTraficPolicy: unknown field (did you mean outboundTrafficPolicy?)"},
		{name: "unknown nested field", in: "defaultConfig:\n  proxyMetdata: {A: b}",
			wantErr: "meshConfig.defaultConfig.proxyMetdata: unknown field (did you mean proxyMetadata?)"},
		{name: "unknown field in a list item", in: "serviceSettings:\n- settings: {clusterLocal: true}\n  host: [a]",
			wantErr: "meshConfig.serviceSettings[0].host: unknown field (did you mean hosts?)"},
		{name: "wrong type: list wanted", in: "defaultServiceExportTo: .",
			wantErr: "meshConfig.defaultServiceExportTo: want a list, got a string"},
		{name: "wrong type: number wanted", in: "proxyListenPort: fifteen",
			wantErr: "meshConfig.proxyListenPort: invalid value for int32 field proxyListenPort: \"fifteen\""},
		{name: "wrong type: map value", in: "defaultConfig: {proxyMetadata: {ISTIO_META_DNS_CAPTURE: true}}",
			wantErr: "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE: invalid value for string field value: true"},
		{name: "wrong type: mapping wanted", in: "outboundTrafficPolicy: REGISTRY_ONLY",
			wantErr: "meshConfig.outboundTrafficPolicy: want a mapping of OutboundTrafficPolicy fields, got a string"},
		{name: "bad duration", in: "connectTimeout: 5 seconds",
			wantErr: "meshConfig.connectTimeout: invalid google.protobuf.Duration value \"5 seconds\""},
		{name: "unknown enum value", in: "outboundTrafficPolicy: {mode: ALLOW_ALL}",
			wantErr: "meshConfig.outboundTrafficPolicy.mode: unknown value ALLOW_ALL (one of REGISTRY_ONLY, ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS)"},
		{name: "not a mapping", in: "- a",
			wantErr: "meshConfig: want a mapping of MeshConfig fields, got a list"},
		{name: "every error, sorted", in: "zeta: 1\nalpha: 2",
			wantErr: "meshConfig.alpha: unknown field; meshConfig.zeta: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseIstioDefault decodes Istio's own default mesh config, every
// field it sets, without an error and without losing a field.
func TestParseIstioDefault(t *testing.T) {
	data, err := os.ReadFile("testdata/istio-default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if n := len(got); n != 29 {
		t.Errorf("got %d top-level fields, want the 29 of the file", n)
	}
	if dc := got["defaultConfig"].(map[string]any); dc["serviceCluster"] != "istio-proxy" || len(dc) != 10 {
		t.Errorf("defaultConfig = %v, want its 10 fields", dc)
	}
	// Every field of it is Istio's default: nothing to report.
	if nm := Unmodelled(got, nil, 0); len(nm) != 0 {
		t.Errorf("Unmodelled(Istio's defaults) = %q, want none", nm)
	}
}

func TestFieldErrorNamesField(t *testing.T) {
	_, err := Parse([]byte("defaultConfig:\n  proxyMetdata: {}"))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "meshConfig.defaultConfig.proxyMetdata" || !strings.HasPrefix(fe.Msg, "unknown field") {
		t.Fatalf("error = %#v, want a FieldError at meshConfig.defaultConfig.proxyMetdata", err)
	}
}
