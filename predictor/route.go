package predictor

import (
	"net/netip"

	"github.com/listenerlab/listenerlab/listener"
)

// conn is one connection the client opens, as the outbound listeners see
// it: its original destination, and whether its first bytes are HTTP/1.1
// (what the http_inspector would detect). It carries no SNI: plaintext.
type conn struct {
	addr netip.Addr
	port int
	http bool
}

// listenersByPort indexes the captured listeners (not bound to a port of
// their own) by port, in build order.
func (b *builder) listenersByPort() map[int][]*entry {
	out := map[int][]*entry{}
	for _, key := range b.order {
		e := b.entries[key]
		if !e.bindToPort {
			out[e.port.Number] = append(out[e.port.Number], e)
		}
	}
	return out
}

// route models where Envoy sends a captured connection. The virtual
// outbound listener (use_original_dst) hands it to the listener bound to
// its destination address and port, else to the port's wildcard listener
// (Envoy's ConnectionHandlerImpl::findActiveListenerByAddress); that
// listener picks a filter chain (route's pickChain). It returns no entry
// when no listener takes the connection, and no chain when it falls to the
// listener's catch-all.
func route(byPort map[int][]*entry, c conn) (*entry, *chain) {
	wild := wildcardV4
	if c.addr.Is6() {
		wild = wildcardV6
	}
	var exact, any *entry
	for _, e := range byPort[c.port] {
		for _, a := range e.binds {
			switch a {
			case c.addr.String():
				exact = e
			case wild:
				any = e
			}
		}
	}
	e := exact
	if e == nil {
		e = any
	}
	if e == nil {
		return nil, nil
	}
	return e, pickChain(e, c)
}

// pickChain models Envoy's filter chain match with listener.SelectChain,
// the matcher trace uses too: destination IP by longest prefix (chains
// without prefix ranges only when no prefix contains the address), then
// server names, transport protocol and application protocols, the most
// specific value at each step; a connection no chain matches takes the
// default chain, which finalize makes of the match-all chain. The
// connection is plaintext (no SNI, raw_buffer); its application protocol
// is http/1.1 when the listener sniffs (some chain lists application
// protocols: Istio adds the http_inspector then) and the bytes are HTTP.
func pickChain(e *entry, c conn) *chain {
	var def *chain
	var cands []*chain
	var matches []listener.Match
	sniffed := false
	for _, ch := range e.chains {
		sniffed = sniffed || len(ch.alpn) > 0
		if ch.matchAll() {
			def = ch
			continue
		}
		cands = append(cands, ch)
		matches = append(matches, chainMatch(ch))
	}
	k := listener.Connection{Address: c.addr, Port: uint32(c.port), Transport: listener.RawBuffer}
	if sniffed && c.http {
		k.ALPN = []string{"http/1.1"}
	}
	if i, _ := listener.SelectChain(matches, k); i >= 0 {
		return cands[i]
	}
	return def
}
