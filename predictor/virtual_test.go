package predictor_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/trace"
)

// TestVirtualOutbound checks where virtualOutbound sends a connection no
// listener takes (predictor.TraceOptions, traced to 203.0.113.10:8888): TCP
// and plaintext HTTP pass through by default, blackhole under the mesh's
// REGISTRY_ONLY and under a Sidecar's that selects the client. Under the
// mesh's ALLOW_ANY_DYNAMIC_DNS, where pilot knows the mode (1.31), TCP
// passes through and plaintext HTTP goes to the HTTP chain of
// buildAllowAnyDynamicDNSHTTPFilterChain, whose inline route configuration
// sends it to AllowAnyDynamicDNSCluster; where only the API does (the 1.30
// branch, versions.AllowAnyDynamicDNS), both are dropped.
func TestVirtualOutbound(t *testing.T) {
	v130, err := versions.Lookup("1.30")
	if err != nil {
		t.Fatal(err)
	}
	v131, err := versions.Lookup("1.31-dev")
	if err != nil {
		t.Fatal(err)
	}
	const dfpRoute = listener.InlineRoutePrefix + "allow_any_dynamic_dns"
	tests := []struct {
		file    string
		v       versions.Version
		tcp     string
		http    string
		httpVia string
	}{
		{"../scenarios/serviceentry/tcp-without-addresses-shadow.yaml", versions.Newest(), "passthrough", "passthrough", ""},
		{"../scenarios/proxy/registry-only-blackhole-default-chain.yaml", versions.Newest(), "blackhole", "blackhole", ""},
		{"../scenarios/sidecar/outbound-traffic-policy-registry-only.yaml", versions.Newest(), "blackhole", "blackhole", ""},
		{"../scenarios/mesh/allow-any-dynamic-dns-passthrough.yaml", v131, "passthrough", "route " + dfpRoute, "cluster AllowAnyDynamicDNSCluster"},
		{"../scenarios/mesh/allow-any-dynamic-dns-passthrough.yaml", v130, "blackhole", "blackhole", ""},
	}
	to := netip.MustParseAddrPort("203.0.113.10:8888")
	for _, tt := range tests {
		sc, err := scenario.LoadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		w, err := resolve.Simulate(sc, tt.v)
		if err != nil {
			t.Fatal(err)
		}
		p, err := predictor.Predict(w, tt.v)
		if err != nil {
			t.Fatal(err)
		}
		o := predictor.TraceOptions(w, tt.v, p)
		tcp := trace.Trace(p.Listeners, trace.Call{To: to}, o)
		if got := strings.TrimSuffix(tcp.Summary, " (virtualOutbound)"); !strings.HasSuffix(got, tt.tcp) {
			t.Errorf("%s on %s: TCP %q, want %s", tt.file, tt.v.Label, tcp.Summary, tt.tcp)
		}
		http := trace.Trace(p.Listeners, trace.Call{To: to, Host: "example.org", Path: "/"}, o)
		if !strings.Contains(http.Summary, tt.http+" (virtualOutbound)") {
			t.Errorf("%s on %s: HTTP %q, want %s", tt.file, tt.v.Label, http.Summary, tt.http)
		}
		var via string
		if http.HTTP != nil && http.HTTP.Routed != nil {
			via = http.HTTP.Routed.Outcome
		}
		if via != tt.httpVia {
			t.Errorf("%s on %s: HTTP routed to %q, want %q", tt.file, tt.v.Label, via, tt.httpVia)
		}
	}
}
