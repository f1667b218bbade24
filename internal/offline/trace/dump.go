package trace

import (
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/listener"
)

// FromDump returns the listeners of a config dump that a captured outbound
// connection can be handed to, and its virtualOutbound as Options. Envoy
// hands a connection to any listener on its original destination, not only
// outbound ones (a connection to port 15006 reaches virtualInbound), so every
// serving listener is a candidate: active and static ones, not warming ones,
// which Envoy does not serve yet. The listener with use_original_dst is the
// capturing one, not a candidate.
func FromDump(d *dump.Dump) ([]listener.Listener, Options) {
	var ls []listener.Listener
	var o Options
	for _, e := range d.Listeners {
		l := e.Listener
		switch {
		case e.UseOriginalDst || l.Name == VirtualOutboundName:
			if o.VirtualOutbound == nil {
				o.VirtualOutbound = &l
			}
		case e.State != dump.Warming:
			ls = append(ls, l)
		}
	}
	return ls, o
}
