package predictor

import (
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/world"
)

// VirtualOutbound is where Istio's virtualOutbound listener (15001) sends a
// connection that no outbound listener takes, as buildVirtualOutboundListener
// (pilot/pkg/networking/core/listener.go) decides from the sidecar scope's
// OutboundTrafficPolicy: PassthroughCluster, or BlackHoleCluster under
// REGISTRY_ONLY. A Prediction leaves the virtual listeners out; tracing a
// connection needs this one's destination.
func VirtualOutbound(w *world.World) listener.Destination {
	d := listener.Destination{Kind: listener.TCP, Cluster: listener.PassthroughCluster}
	if registryOnly(w, selectSidecar(w, newProxy(w.Client, false))) {
		d.Cluster = listener.BlackHoleCluster
	}
	return d
}
