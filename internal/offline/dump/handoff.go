package dump

import (
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/trace"
)

// Handoff returns the listeners of the dump that a captured outbound
// connection can be handed to, and its virtualOutbound as trace.Options.
// Envoy hands a connection to any listener on its original destination, not
// only outbound ones (a connection to port 15006 reaches virtualInbound), so
// every serving listener is a candidate: active and static ones, not warming
// ones, which Envoy does not serve yet. The listener with use_original_dst
// is the capturing one, not a candidate. The options carry the dump's
// route configurations (nil when it has none: the trace of an HTTP chain
// then stops at the route's name) and the capturing listener's inline ones.
func (d *Dump) Handoff() ([]listener.Listener, trace.Options) {
	var ls []listener.Listener
	o := trace.Options{Routes: d.Routes}
	for _, e := range d.Listeners {
		l := e.Listener
		switch {
		case e.UseOriginalDst || l.Name == trace.VirtualOutboundName:
			if o.VirtualOutbound == nil {
				o.VirtualOutbound, o.Inline = &l, e.InlineRoutes
			}
		case e.State != Warming:
			ls = append(ls, l)
		}
	}
	return ls, o
}
