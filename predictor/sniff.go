package predictor

import (
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// serverFirstSniffed raises ServerFirstSniffed: a listener that sniffs
// (an HTTP chain puts the http_inspector in front, buildListenerFromEntry)
// also carries a TCP or auto-detected chain for a port that carries a
// server-first protocol: a MySQL or MongoDB port, or one of the ports Istio
// itself assumes to be server first and defaults to TCP (wellKnownTCPPorts,
// kube.ConvertProtocol). The inspector waits for the client's first bytes,
// the client waits for the server's greeting, and the connection stalls
// until protocol detection gives up. ServerFirstConflict covers the ports
// declared MySQL or Mongo, which istiod refuses to merge.
func (b *builder) serverFirstSniffed() {
	for _, key := range b.order {
		e := b.entries[key]
		var http []*chain
		for _, c := range e.chains {
			if len(c.alpn) > 0 {
				http = append(http, c)
			}
		}
		if len(http) == 0 {
			continue
		}
		for _, c := range e.chains {
			if len(c.alpn) > 0 || c.dest.Kind != listener.TCP || !serverFirstPort(c.port) {
				continue
			}
			var others []string
			for _, h := range http {
				if h.svc.Source != c.svc.Source || h.svc.Hostname != c.svc.Hostname {
					others = append(others, h.svc.Hostname)
				}
			}
			how := "is auto-detected (" + c.port.Why + ")"
			if len(others) > 0 {
				how = "shares the listener with HTTP for " + strings.Join(others, ", ")
			}
			b.finding(ServerFirstSniffed, c.svc, c.port, e.name(),
				"connections to %s:%d stall: %s waits for the client to speak first", c.svc.Hostname, c.port.Number, e.name())
			b.why("%s:%d %s, so %s sniffs the protocol with the http_inspector, which reads the client's first bytes; port %d carries a server-first protocol, whose client waits for the server's greeting: the connection hangs until protocol detection gives up",
				c.svc.Hostname, c.port.Number, how, e.name(), c.port.Number)
			for _, h := range http {
				b.related(h.svc)
			}
			b.witness(b.chainConn(c, e.binds[0]))
		}
	}
}

// serverFirstPort reports a port whose protocol has the server speak first:
// declared MySQL or Mongo, or a port Istio treats as server first.
func serverFirstPort(p port) bool {
	return p.Protocol.serverFirst() || wellKnownTCPPorts[int32(p.Number)]
}
