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
// that selects the client.
func TestVirtualOutbound(t *testing.T) {
	tests := map[string]string{
		"../scenarios/serviceentry/tcp-without-addresses-shadow.yaml":     listener.PassthroughCluster,
		"../scenarios/proxy/registry-only-blackhole-default-chain.yaml":   listener.BlackHoleCluster,
		"../scenarios/sidecar/outbound-traffic-policy-registry-only.yaml": listener.BlackHoleCluster,
	}
	for file, want := range tests {
		sc, err := scenario.LoadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		w, err := resolve.Simulate(sc, versions.Newest())
		if err != nil {
			t.Fatal(err)
		}
		if got := predictor.VirtualOutbound(w); got.Kind != listener.TCP || got.Cluster != want {
			t.Errorf("%s: %v, want cluster %s", file, got, want)
		}
	}
}
