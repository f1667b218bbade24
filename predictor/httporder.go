package predictor

import (
	"net"
	"slices"
	"strings"
)

// vhostTie is a place of a port's virtual hosts where istiod's order comes
// from a map: a domain two services' default virtual hosts both have (the
// first built keeps it), or a hostname two tied services share (the later
// listed is the one built). vhosts names the virtual hosts involved (the
// same twice for a hostname), services the services (the prediction's
// pick first).
type vhostTie struct {
	domain   string
	vhosts   [2]string
	services [2]*service
	port     int
	// source is, for a VirtualService whose routes apply on several
	// service ports of an every-port configuration, the VirtualService
	// (vsPortTies).
	source string
	// only is, for a shared hostname, the one of the two services whose
	// port makes the virtual host when the other's port is not HTTP or
	// auto-detected (the virtual host is there or not); nil when both
	// make one.
	only *service
}

// hostnameTies finds the hostnames of byName that several services of the
// egress listener with the port have, the one kept (the last listed)
// tied with another: istiod lists them in a map's order, so either may be
// the one its servicesByName keeps.
func (b *builder) hostnameTies(services []*service, byName map[string]*service, number int) []vhostTie {
	var out []vhostTie
	groups := map[string][]*service{}
	var order []string
	for _, s := range services {
		h := strings.ToLower(s.Hostname)
		if byName[h] == nil || number != 0 && !hasRoutePort(s, number) {
			continue
		}
		if groups[h] == nil {
			order = append(order, h)
		}
		groups[h] = append(groups[h], s)
	}
	for _, h := range order {
		ss := groups[h]
		last := ss[len(ss)-1]
		for _, o := range ss[:len(ss)-1] {
			if !b.tied(last, o) {
				continue
			}
			kept, other := routedPorts(byName[h], number), routedPorts(o, number)
			for _, n := range kept {
				name := net.JoinHostPort(last.Hostname, itoa(n))
				t := vhostTie{vhosts: [2]string{name, name}, services: [2]*service{last, o}, port: n}
				if !slices.Contains(other, n) {
					t.only = last
				}
				out = append(out, t)
			}
			for _, n := range other {
				if !slices.Contains(kept, n) {
					name := net.JoinHostPort(last.Hostname, itoa(n))
					out = append(out, vhostTie{vhosts: [2]string{name, name}, services: [2]*service{last, o}, port: n, only: o})
				}
			}
			break
		}
	}
	return out
}

// vsPortTies finds, on an every-port route configuration (number 0: an
// HTTP_PROXY egress port), the VirtualServices whose routes apply on
// port 80 and on other ports of their services: istiod ranges over a map
// of those ports, the virtual hosts of the port it takes first keep the
// domains without a port (dedupeDomains), and mergeAllVirtualHosts keeps
// only port 80's virtual hosts whole. Whether port 80's virtual host has
// those domains depends on that order.
func vsPortTies(wrappers []hostWrapper, number int) []vhostTie {
	if number != 0 {
		return nil
	}
	var out []vhostTie
	seen := map[string]bool{}
	for i, w := range wrappers {
		if w.source == "" || w.port != 80 || seen[w.source] {
			continue
		}
		seen[w.source] = true
		for j, o := range wrappers {
			if j == i || o.source != w.source || o.port == w.port {
				continue
			}
			host, other := wrapperHost(w), wrapperHost(o)
			t := vhostTie{vhosts: [2]string{net.JoinHostPort(host, "80"), net.JoinHostPort(other, itoa(o.port))}, port: 80, source: w.source}
			if len(w.services) > 0 && len(o.services) > 0 {
				t.services = [2]*service{w.services[0], o.services[0]}
			}
			out = append(out, t)
			break
		}
	}
	return out
}

// wrapperHost names a wrapper's first virtual host: its first service's
// hostname, else its first plain host.
func wrapperHost(w hostWrapper) string {
	if len(w.services) > 0 {
		return w.services[0].Hostname
	}
	if len(w.vsHosts) > 0 {
		return w.vsHosts[0]
	}
	return ""
}

// routedPorts are the numbers of s's ports that get a virtual host on
// the listener port number: its port of that number as servicesByName
// takes it (routePort), every port for 0; only HTTP and auto-detected
// ones.
func routedPorts(s *service, number int) []int {
	if number != 0 {
		if p, ok := routePort(s, number); ok && httpOrSniffed(p.Protocol) {
			return []int{p.Number}
		}
		return nil
	}
	var out []int
	for _, p := range s.Ports {
		if httpOrSniffed(p.Protocol) && !slices.Contains(out, p.Number) {
			out = append(out, p.Number)
		}
	}
	return out
}

// hasRoutePort reports whether s has the port as servicesByName takes
// it (routePort: not UDP).
func hasRoutePort(s *service, number int) bool {
	_, ok := routePort(s, number)
	return ok
}

// vhostUndetermined raises OrderUndetermined (info: the prediction shows
// one of the outcomes) on each virtual host of route configuration name
// that a tie decides, located as "NAME vhost VHOST".
func (b *builder) vhostUndetermined(name string, ties []vhostTie) {
	for _, t := range ties {
		a, c := t.services[0], t.services[1]
		if t.source != "" {
			loc := name + " vhost " + t.vhosts[0]
			b.findingAt(OrderUndetermined, SeverityInfo, a, port{Number: t.port}, loc,
				"virtual host %s of route %s keeps the domains without a port only if istiod builds %s's port 80 before its other ports (%s): requests whose Host has no port go to its routes or to the catch-all", t.vhosts[0], name, t.source, t.vhosts[1])
			b.why("on an every-port route configuration (an HTTP_PROXY egress port) BuildSidecarOutboundVirtualHosts builds a VirtualService's virtual hosts once per port of its services, ranging over a map of ports; dedupeDomains leaves the domains without a port in the first built, and mergeAllVirtualHosts keeps only port 80's virtual hosts whole (the others with their HOST:PORT domains only); the prediction builds them in port order")
			f := &b.findings[len(b.findings)-1]
			if a == nil {
				f.Source = t.source
			}
			if c != nil {
				b.related(c)
			}
			continue
		}
		if t.domain == "" {
			loc := name + " vhost " + t.vhosts[0]
			why := "so its addresses in the domains may be either's"
			if t.only == nil {
				b.findingAt(OrderUndetermined, SeverityInfo, a, port{Number: t.port}, loc,
					"virtual host %s of route %s is built from %s (%s) or from %s (%s)", t.vhosts[0], name, describeAddr(a), a.Source, describeAddr(c), c.Source)
			} else {
				o := pick(t.only == a, c.Source, a.Source)
				b.findingAt(OrderUndetermined, SeverityInfo, a, port{Number: t.port}, loc,
					"route %s has a virtual host %s only if istiod keeps %s rather than %s", name, t.vhosts[0], t.only.Source, o)
				why = "and only " + t.only.Source + "'s port " + itoa(t.port) + " is HTTP or auto-detected, so the virtual host is there or not"
			}
			b.why("both are services of host %s in namespace %s created in the same second, listed in a map's order; BuildSidecarOutboundVirtualHosts keeps the later of a hostname's services (servicesByName), %s", a.Hostname, a.Namespace, why)
			b.related(c)
			continue
		}
		for i, vh := range t.vhosts {
			s := t.services[i]
			b.findingAt(OrderUndetermined, SeverityInfo, s, port{Number: t.port}, name+" vhost "+vh,
				"virtual host %s of route %s keeps the domain %s only if istiod builds it before %s: requests with that Host go to either", vh, name, t.domain, t.vhosts[1-i])
			b.why("%s and %s both have the domain %s and no VirtualService: BuildSidecarVirtualHostWrapper takes such services from a map, and dedupeDomains keeps a domain in the first virtual host that has it; the prediction shows %s first (by hostname), and the order may change on any push",
				a.Hostname, c.Hostname, t.domain, t.vhosts[0])
			b.related(t.services[1-i])
		}
	}
}
