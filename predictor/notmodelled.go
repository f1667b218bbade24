package predictor

import "github.com/listenerlab/listenerlab/world"

// redisFilterFindings says where PILOT_ENABLE_REDIS_FILTER makes the
// prediction incomplete: with it istiod ends a Redis port's chain with a
// redis_proxy filter (its catch-all route to the same cluster) instead of
// tcp_proxy, which the predictor does not model; it predicts tcp_proxy.
func (b *builder) redisFilterFindings(w *world.World) {
	if !envTrue(w, "PILOT_ENABLE_REDIS_FILTER") {
		return
	}
	for _, key := range b.order {
		e := b.entries[key]
		for _, c := range e.chains {
			if c.svc == nil || c.port.Protocol != pRedis {
				continue
			}
			b.finding(NotModelled, c.svc, c.port, e.name(),
				"not modelled: PILOT_ENABLE_REDIS_FILTER is on, so istiod ends the chain of Redis port %d of %s on %s with a redis_proxy filter instead of tcp_proxy; this prediction shows tcp_proxy and is incomplete there",
				c.port.Number, c.svc.Hostname, e.name())
		}
	}
}
