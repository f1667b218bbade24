package predictor

import (
	"net/netip"
	"strings"
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

// pickChain models Envoy's filter chain match
// (FilterChainManagerImpl::findFilterChain, and the order documented for
// FilterChainMatch): destination IP by longest prefix (chains without
// prefix ranges only when no prefix contains the address), then server
// names, transport protocol and application protocols, the most specific
// value at each step; a connection no chain matches takes the default
// chain, which finalize makes of the match-all chain.
func pickChain(e *entry, c conn) *chain {
	var def *chain
	var cands []*chain
	sniffed := false
	for _, ch := range e.chains {
		sniffed = sniffed || len(ch.alpn) > 0
		if ch.matchAll() {
			def = ch
			continue
		}
		cands = append(cands, ch)
	}
	// Destination IP: the longest prefix containing the address.
	best := -1
	var byIP, generic []*chain
	for _, ch := range cands {
		ranges := chainMatch(ch).PrefixRanges
		if len(ranges) == 0 {
			generic = append(generic, ch)
			continue
		}
		for _, r := range ranges {
			p, err := netip.ParsePrefix(r)
			if err != nil || !p.Contains(c.addr) {
				continue
			}
			switch {
			case p.Bits() > best:
				best, byIP = p.Bits(), []*chain{ch}
			case p.Bits() == best:
				byIP = append(byIP, ch)
			}
		}
	}
	if best < 0 {
		byIP = generic
	}
	// Server names: a plaintext connection has none.
	var bySNI []*chain
	for _, ch := range byIP {
		if len(chainMatch(ch).ServerNames) == 0 {
			bySNI = append(bySNI, ch)
		}
	}
	// Transport protocol: raw_buffer, Envoy's value when no TLS is detected.
	byTransport := filterMostSpecific(bySNI, func(ch *chain) (bool, bool) {
		return ch.transport == "raw_buffer", ch.transport == ""
	})
	// Application protocols: http/1.1 when the http_inspector runs and the
	// bytes are HTTP, none otherwise.
	byALPN := filterMostSpecific(byTransport, func(ch *chain) (bool, bool) {
		return sniffed && c.http && strings.Contains(","+strings.Join(ch.alpn, ",")+",", ",http/1.1,"), len(ch.alpn) == 0
	})
	if len(byALPN) > 0 {
		return byALPN[0]
	}
	return def
}

// filterMostSpecific keeps the chains that match a step exactly, else those
// that leave the step open.
func filterMostSpecific(chains []*chain, match func(*chain) (exact, open bool)) []*chain {
	var exact, open []*chain
	for _, ch := range chains {
		e, o := match(ch)
		switch {
		case e:
			exact = append(exact, ch)
		case o:
			open = append(open, ch)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return open
}
