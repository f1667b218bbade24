package predictor

import (
	apiv1alpha3 "istio.io/api/networking/v1alpha3"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/world"
)

// redisFilterEnv is the istiod setting that ends Redis chains with
// redis_proxy (pilot/pkg/features/xds.go EnableRedisFilter, off by default).
const redisFilterEnv = "PILOT_ENABLE_REDIS_FILTER"

// redisFilter reports whether istiod runs with PILOT_ENABLE_REDIS_FILTER on.
func redisFilter(w *world.World) bool { return envTrue(w, redisFilterEnv) }

// redisProxy models the Redis case of buildNetworkFiltersStack
// (pilot/pkg/networking/core/networkfilter.go): with PILOT_ENABLE_REDIS_FILTER
// on, a TCP chain built for a listener port whose protocol is Redis ends
// with a redis_proxy and no tcp_proxy. Its only route, the catch-all, sends
// every command to the cluster the tcp_proxy would have used; of weighted
// clusters (several route destinations), to the first in the route's order
// that has a weight. The port is the listener's: a Sidecar egress port
// declared REDIS makes a service's chain redis_proxy whatever the service
// port says, and one declared TCP keeps tcp_proxy. Every chain that ends so
// is a Redis port's: a VIP listener, the wildcard listener of a ServiceEntry
// without addresses, a headless service's per-endpoint listeners, and a
// chain merged into a listener another service built first. A Redis port is
// never TLS, so no SNI chain ends so.
func (b *builder) redisProxy(listenPort port, d listener.Destination, routes []*apiv1alpha3.RouteDestination) (listener.Destination, bool) {
	if !b.redis || listenPort.Protocol != pRedis {
		return d, false
	}
	cluster := d.Cluster
	if len(d.Weighted) > 0 {
		// Istio's validation refuses several destinations whose weights are
		// all 0, so one has a weight.
		for _, r := range routes {
			if r.Weight > 0 {
				cluster = b.destinationCluster(r.Destination, listenPort.Number)
				break
			}
		}
	}
	return listener.Destination{Kind: listener.Redis, Cluster: cluster}, true
}
