package predictor

import (
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// VirtualOutbound is where Istio's virtualOutbound listener (15001) sends a
// connection that no outbound listener takes, as buildVirtualOutboundListener
// (pilot/pkg/networking/core/listener.go) decides from the sidecar scope's
// OutboundTrafficPolicy: PassthroughCluster, BlackHoleCluster under
// REGISTRY_ONLY, or the Sidecar's egressProxy (outboundCatchAll). Under
// ALLOW_ANY_DYNAMIC_DNS a plaintext HTTP connection goes to
// AllowAnyDynamicDNSCluster instead (not modelled: a witness connection is
// TCP or TLS). A Prediction leaves the virtual listeners out; tracing a
// connection needs this one's destination, by the rules of version v.
func VirtualOutbound(w *world.World, v versions.Version) listener.Destination {
	d, _ := outboundCatchAll(w, selectSidecar(w, newProxy(w.Client, false)), v)
	return d
}
