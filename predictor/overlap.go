package predictor

import (
	"net/netip"
	"slices"
	"strings"
)

// overlapFindings raises the findings about addresses two services share:
// CIDROverlap and ClusterIPOverlap. They read what the builder built and
// change nothing in it.
func (b *builder) overlapFindings(egresses []egress) {
	for _, key := range b.order {
		b.cidrOverlaps(b.entries[key])
	}
	b.clusterIPOverlaps(egresses, b.listenersByPort())
}

// prefixes returns a chain's destination prefixes, masked, as Envoy
// matches them (chainMatch).
func prefixes(c *chain) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range chainMatch(c).PrefixRanges {
		if p, err := netip.ParsePrefix(r); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// cidrOverlaps models what Envoy does with the prefix-range chains that
// buildSidecarOutboundListener gives CIDR addresses on one listener: istiod
// keeps both chains when their masked prefix sets differ
// (filterChainOpts.conflictsWith), and Envoy picks the longest prefix
// (FilterChainManagerImpl::findFilterChainForDestinationIP), so the broader
// chain never sees the narrower chain's addresses.
func (b *builder) cidrOverlaps(e *entry) {
	type ranged struct {
		c  *chain
		ps []netip.Prefix
	}
	var chains []ranged
	for _, c := range e.chains {
		if ps := prefixes(c); len(ps) > 0 {
			chains = append(chains, ranged{c, ps})
		}
	}
	for _, broad := range chains {
		for _, narrow := range chains {
			if broad.c == narrow.c || broad.c.dest.String() == narrow.c.dest.String() {
				continue
			}
			for _, bp := range broad.ps {
				for _, np := range narrow.ps {
					if bp.Bits() >= np.Bits() || !bp.Contains(np.Addr()) {
						continue
					}
					b.finding(CIDROverlap, broad.c.svc, broad.c.port, e.name(),
						"connections to %s, in %s's range %s, go to %s", np, broad.c.svc.Hostname, bp, narrow.c.svc.Hostname)
					b.why("both ranges are prefix matches of chains on %s, and Envoy picks the longest prefix that holds the destination: %s's claim on %s has no effect",
						e.name(), broad.c.svc.Hostname, np)
					b.related(narrow.c.svc)
					spec := b.chainConn(broad.c, e.binds[0])
					spec.addr = np.Addr().String()
					b.witness(spec)
				}
			}
		}
	}
}

// related adds the manifest of another service to the last finding.
func (b *builder) related(s *service) {
	f := &b.findings[len(b.findings)-1]
	if s.Source != f.Source && !slices.Contains(f.Related, s.Source) {
		f.Related = append(f.Related, s.Source)
	}
}

// imported is a service port of the sidecar scope: the egress port's when
// the egress listener names one (serviceMatchingListenerPort).
type imported struct {
	svc  *service
	port port
}

func importedPorts(egresses []egress) map[int][]imported {
	out := map[int][]imported{}
	for _, eg := range egresses {
		for _, s := range eg.Services {
			ports := s.Ports
			if eg.Port != nil {
				ports = []port{*eg.Port}
			}
			for _, p := range ports {
				out[p.Number] = append(out[p.Number], imported{s, p})
			}
		}
	}
	return out
}

// clusterIPOverlaps checks every ServiceEntry address (an IP or a CIDR,
// as convertServices keeps it) that contains the ClusterIP of a Kubernetes
// Service imported on the same port, and reports where a connection to
// that ClusterIP goes (route): buildSidecarOutboundListener gives both
// services listeners, and which one a connection reaches depends on the
// listener name (a clash merges them, mergeTCPFilterChains) or on
// Envoy's listener and prefix matching.
func (b *builder) clusterIPOverlaps(egresses []egress, byPort map[int][]*entry) {
	if b.p.CaptureNone {
		// Nothing is captured: a connection to the ClusterIP never meets
		// the proxy's listeners (they listen on 127.0.0.1), whatever
		// addresses the ServiceEntry declares.
		return
	}
	if !slices.ContainsFunc(egresses, func(eg egress) bool { return slices.ContainsFunc(eg.Services, addressedEntry) }) {
		return // no ServiceEntry address to contain a ClusterIP
	}
	for number, ports := range importedPorts(egresses) {
		var entries, vips []imported
		for _, ip := range ports {
			s := ip.svc
			switch {
			case s.Resolution == resAlias || ip.port.Protocol.class() == classNone:
			case addressedEntry(s):
				entries = append(entries, ip)
			case s.Registry == registryKube && len(s.ClusterIPs) > 0:
				vips = append(vips, ip)
			}
		}
		for _, x := range entries {
			xp, ok := addressPrefix(x.svc.DefaultAddress)
			if !ok {
				continue
			}
			for _, k := range vips {
				vip, err := netip.ParseAddr(k.svc.address(b.p))
				if err != nil || !xp.Contains(vip) {
					continue
				}
				b.clusterIPOverlap(x, k, xp, vip, number, byPort)
			}
		}
	}
}

// addressedEntry reports whether s is a ServiceEntry service with an
// address of its own (an IP or a CIDR).
func addressedEntry(s *service) bool {
	return s.Registry == registryExternal && s.DefaultAddress != wildcardV4
}

func (b *builder) clusterIPOverlap(x, k imported, xp netip.Prefix, vip netip.Addr, number int, byPort map[int][]*entry) {
	e, c := route(byPort, conn{addr: vip, port: number, http: k.port.Protocol.isHTTP()})
	what := "address " + xp.Addr().String()
	if xp.Bits() != xp.Addr().BitLen() {
		what = "CIDR " + xp.String()
	}
	listenerName := ""
	where := "no listener: it passes through"
	if e != nil {
		listenerName = e.name()
		where = "the catch-all of " + listenerName
		if c != nil {
			where = c.svc.Hostname + " (" + strings.TrimPrefix(c.dest.String(), "cluster ") + " on " + listenerName + ")"
		}
	}
	head := x.svc.Hostname + ":" + itoa(number) + " " + what + " contains the ClusterIP " + vip.String() + " of " + k.svc.Hostname
	switch {
	case c != nil && c.svc.Source == k.svc.Source && c.svc.Hostname == k.svc.Hostname && xp.Bits() == xp.Addr().BitLen():
		b.findingAt(ClusterIPOverlap, SeverityWarning, x.svc, x.port, listenerName,
			"connections to %s:%d still reach %s; %s's claim on it has no effect", vip, number, k.svc.Hostname, x.svc.Hostname)
		b.why("%s: both claim %s:%d and connections go to %s", head, vip, number, where)
	case c != nil && c.svc.Source == k.svc.Source && c.svc.Hostname == k.svc.Hostname:
		b.findingAt(ClusterIPOverlap, SeverityInfo, x.svc, x.port, listenerName,
			"connections to %s:%d still reach %s, not %s", vip, number, k.svc.Hostname, x.svc.Hostname)
		b.why("%s: connections to %s:%d go to %s", head, vip, number, where)
	default:
		b.findingAt(ClusterIPOverlap, SeverityError, x.svc, x.port, listenerName,
			"connections to %s:%d (%s) go to %s", vip, number, k.svc.Hostname, where)
		b.why("%s on the same port; Envoy hands a connection to the listener bound to its exact address, else to the wildcard one, then picks the chain with the longest matching prefix", head)
	}
	b.related(k.svc)
	spec := witnessSpec{addr: vip.String(), port: number, meant: k.svc.Hostname}
	if k.port.Protocol.isHTTP() {
		spec.host = k.svc.Hostname
	}
	b.witness(spec)
}

// addressPrefix reads a ServiceEntry address: an IP is a full-length prefix.
func addressPrefix(a string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(a); err == nil {
		return p.Masked(), true
	}
	if ip, err := netip.ParseAddr(a); err == nil {
		return netip.PrefixFrom(ip, ip.BitLen()), true
	}
	return netip.Prefix{}, false
}
