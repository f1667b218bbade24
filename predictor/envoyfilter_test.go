package predictor_test

import (
	"slices"
	"strings"
	"testing"
)

const ef = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
`

// TestEnvoyFilterFindings checks which EnvoyFilter patches are reported on
// which listeners: the filters a proxy gets (PushContext.EnvoyFilters: root
// namespace and own namespace, by workloadSelector) and the listeners a
// patch matches (envoyfilter/listener_patch.go listenerMatch).
func TestEnvoyFilterFindings(t *testing.T) {
	const services = svc + `metadata: {name: a}
spec: {clusterIP: 10.96.8.1, selector: {app: a}, ports: [{name: tcp, port: 7001}]}
---
` + svc + `metadata: {name: b}
spec: {clusterIP: 10.96.8.2, selector: {app: b}, ports: [{name: tcp, port: 7002}]}
---
`
	tests := []struct {
		name   string
		filter string
		// want are the listeners reported; nil means none.
		want []string
		// all means every listener is reported.
		all bool
	}{{
		name: "port match in the client's namespace",
		filter: `metadata: {name: f}
spec: {configPatches: [{applyTo: NETWORK_FILTER, match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 7001}}, patch: {operation: INSERT_BEFORE, value: {name: x}}}]}`,
		want: []string{"10.96.8.1_7001"},
	}, {
		name: "listener name match, context ANY",
		filter: `metadata: {name: f}
spec: {configPatches: [{applyTo: FILTER_CHAIN, match: {context: ANY, listener: {name: 10.96.8.2_7002}}, patch: {operation: MERGE, value: {}}}]}`,
		want: []string{"10.96.8.2_7002"},
	}, {
		name: "root namespace, no port: every outbound listener",
		filter: `metadata: {name: f, namespace: istio-system}
spec: {configPatches: [{applyTo: LISTENER_FILTER, patch: {operation: INSERT_FIRST, value: {name: x}}}]}`,
		all: true,
	}, {
		name: "another namespace than the client's and the root",
		filter: `metadata: {name: f, namespace: other}
spec: {configPatches: [{applyTo: LISTENER, match: {context: SIDECAR_OUTBOUND}, patch: {operation: MERGE, value: {}}}]}`,
	}, {
		name: "workloadSelector of another workload",
		filter: `metadata: {name: f}
spec: {workloadSelector: {labels: {app: a}}, configPatches: [{applyTo: LISTENER, match: {context: SIDECAR_OUTBOUND}, patch: {operation: MERGE, value: {}}}]}`,
	}, {
		name: "inbound and gateway contexts",
		filter: `metadata: {name: f}
spec: {configPatches: [{applyTo: LISTENER, match: {context: SIDECAR_INBOUND}, patch: {operation: MERGE, value: {}}}, {applyTo: LISTENER, match: {context: GATEWAY}, patch: {operation: MERGE, value: {}}}]}`,
	}, {
		name: "HTTP filters and routes are not listener patches",
		filter: `metadata: {name: f}
spec: {configPatches: [{applyTo: HTTP_FILTER, match: {context: SIDECAR_OUTBOUND}, patch: {operation: INSERT_BEFORE, value: {name: x}}}, {applyTo: ROUTE_CONFIGURATION, patch: {operation: MERGE, value: {}}}]}`,
	}, {
		name: "a port the client has no listener on",
		filter: `metadata: {name: f}
spec: {configPatches: [{applyTo: LISTENER, match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 7999}}, patch: {operation: MERGE, value: {}}}]}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := predict(t, "kind: Scenario\nname: ef\n---\n"+services+ef+tt.filter+"\n")
			var got []string
			for _, f := range p.Findings {
				if f.Code != "EnvoyFilterNotModelled" {
					continue
				}
				if !strings.HasPrefix(f.Message, "not modelled: EnvoyFilter ") || !strings.Contains(f.Message, f.Listener) {
					t.Errorf("finding message %q does not say what is not modelled on %s", f.Message, f.Listener)
				}
				got = append(got, f.Listener)
			}
			want := tt.want
			if tt.all {
				want = nil
				for _, l := range p.Listeners {
					want = append(want, l.Name)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("reported on %v, want %v", got, want)
			}
		})
	}
}
