package predictor_test

import (
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestVirtualOutbound checks virtualOutbound's destination: passthrough by
// default, blackhole under the mesh's REGISTRY_ONLY and under a Sidecar's
// that selects the client; under the mesh's ALLOW_ANY_DYNAMIC_DNS,
// passthrough where pilot knows the mode (1.31) and blackhole where only
// the API does (the 1.30 branch, versions.AllowAnyDynamicDNS).
func TestVirtualOutbound(t *testing.T) {
	v130, err := versions.Lookup("1.30")
	if err != nil {
		t.Fatal(err)
	}
	v131, err := versions.Lookup("1.31-dev")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		v    versions.Version
		want string
	}{
		{"../scenarios/serviceentry/tcp-without-addresses-shadow.yaml", versions.Newest(), listener.PassthroughCluster},
		{"../scenarios/proxy/registry-only-blackhole-default-chain.yaml", versions.Newest(), listener.BlackHoleCluster},
		{"../scenarios/sidecar/outbound-traffic-policy-registry-only.yaml", versions.Newest(), listener.BlackHoleCluster},
		{"../scenarios/mesh/allow-any-dynamic-dns-passthrough.yaml", v131, listener.PassthroughCluster},
		{"../scenarios/mesh/allow-any-dynamic-dns-passthrough.yaml", v130, listener.BlackHoleCluster},
	}
	for _, tt := range tests {
		sc, err := scenario.LoadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		w, err := resolve.Simulate(sc, tt.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := predictor.VirtualOutbound(w, tt.v); got.Kind != listener.TCP || got.Cluster != tt.want {
			t.Errorf("%s on %s: %v, want cluster %s", tt.file, tt.v.Label, got, tt.want)
		}
	}
}
