package predictor

import (
	"net"
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
			for _, p := range byName[h].Ports {
				if !httpOrSniffed(p.Protocol) {
					continue
				}
				name := net.JoinHostPort(last.Hostname, itoa(p.Number))
				out = append(out, vhostTie{vhosts: [2]string{name, name}, services: [2]*service{last, o}, port: p.Number})
			}
			break
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
		if t.domain == "" {
			loc := name + " vhost " + t.vhosts[0]
			b.findingAt(OrderUndetermined, SeverityInfo, a, port{Number: t.port}, loc,
				"virtual host %s of route %s is built from %s (%s) or from %s (%s)", t.vhosts[0], name, describeAddr(a), a.Source, describeAddr(c), c.Source)
			b.why("both are services of host %s in namespace %s created in the same second, listed in a map's order; BuildSidecarOutboundVirtualHosts keeps the later of a hostname's services (servicesByName), so its addresses in the domains may be either's", a.Hostname, a.Namespace)
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
