package predictor

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// virtualServiceWrappers models the VirtualService part of
// BuildSidecarVirtualHostWrapper: on a port other than 80 only the
// VirtualServices with a host matching a service of the port take part
// (selectVirtualServices of httproute.go); each gives its http routes
// for this sidecar and port to its hosts: to the services of those hosts
// whose port is HTTP or auto-detected, and to its hosts that are no
// service, once per such port (on port 0, every port: one wrapper per
// port of those services); without such a service, only on port 80, to
// those hosts alone.
func (b *builder) virtualServiceWrappers(eg *egress, byName map[string]*service, number int) []hostWrapper {
	if b.routing == nil {
		return nil
	}
	vss := b.routing.byEgress[eg]
	if len(vss) == 0 {
		return nil
	}
	specific := mostSpecificVirtualService(vss, eg.Services)
	var out []hostWrapper
	for _, vs := range vss {
		if number != 80 && !hostsMatchServices(vs.Hosts, byName) {
			continue
		}
		routes, cut := b.httpRoutes(vs, number, byName)
		if len(routes) == 0 {
			continue
		}
		hosts, matched := separateHosts(vs, byName, specific)
		byPort := map[int][]*service{}
		for _, s := range matched {
			for _, p := range s.Ports {
				if httpOrSniffed(p.Protocol) {
					byPort[p.Number] = append(byPort[p.Number], s)
				}
			}
		}
		if len(byPort) == 0 && number == 80 {
			byPort[80] = nil
		}
		// istiod ranges over a map: on port 0 the order of a
		// VirtualService's ports decides which keeps a shared domain.
		for _, p := range slices.Sorted(maps.Keys(byPort)) {
			out = append(out, hostWrapper{port: p, services: byPort[p], vsHosts: hosts, routes: routes, cut: cut, source: vs.Source,
				notes: b.routing.delegateNotes[vs.Source]})
		}
	}
	return out
}

// hostsMatchServices models selectVirtualServices of httproute.go: a
// host equal to a service's hostname (lower-cased), or a wildcard on
// either side covering the other.
func hostsMatchServices(hosts []string, byName map[string]*service) bool {
	for _, h := range hosts {
		h = strings.ToLower(h)
		if byName[h] != nil {
			return true
		}
		for name := range byName {
			if (strings.HasPrefix(h, "*") || strings.HasPrefix(name, "*")) && hostNameMatches(h, name) {
				return true
			}
		}
	}
	return false
}

// separateHosts models separateVSHostsAndServices: an exact host is a
// service of the port or a plain host; a wildcard host takes the services
// it covers whose most specific VirtualService is this one, and is a
// plain host when it covers no service of the port.
func separateHosts(vs *virtualService, byName map[string]*service, specific map[string]*virtualService) ([]string, []*service) {
	var plain, wild []string
	var matched []*service
	for _, h := range vs.Hosts {
		lower := strings.ToLower(h)
		switch {
		case strings.HasPrefix(lower, "*"):
			wild = append(wild, lower)
		case byName[lower] != nil:
			matched = append(matched, byName[lower])
		default:
			plain = append(plain, lower)
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, h := range wild {
		found := false
		for _, n := range names {
			if !hostNameMatches(n, h) {
				continue
			}
			found = true
			if specific[n] == vs && !slices.Contains(matched, byName[n]) {
				matched = append(matched, byName[n])
			}
		}
		if !found {
			plain = append(plain, h)
		}
	}
	return plain, matched
}

// mostSpecificVirtualService models computeWildcardHostVirtualServiceIndex
// and MostSpecificHostMatch: for each service of the egress listener, the
// first VirtualService with its exact hostname, else the first with the
// longest wildcard host covering it.
func mostSpecificVirtualService(vss []*virtualService, services []*service) map[string]*virtualService {
	exact := map[string]*virtualService{}
	wild := map[string]*virtualService{}
	for _, vs := range vss {
		for _, h := range vs.Hosts {
			idx := exact
			if strings.HasPrefix(h, "*") {
				idx = wild
			}
			if _, ok := idx[h]; !ok {
				idx[h] = vs
			}
		}
	}
	out := map[string]*virtualService{}
	for _, s := range services {
		h := s.Hostname
		if vs, ok := exact[h]; ok {
			out[strings.ToLower(h)] = vs
			continue
		}
		best := ""
		for w := range wild {
			if strings.HasSuffix(h, w[1:]) && (best == "" || len(w) > len(best)) {
				best = w
			}
		}
		if best != "" {
			out[strings.ToLower(h)] = wild[best]
		}
	}
	return out
}

// vsRouteWhy is the reason of a route built from a VirtualService's http
// route i, match j (-1: none).
func vsRouteWhy(vs *virtualService, i, j int) string {
	if j < 0 {
		return fmt.Sprintf("%s http[%d] (no match: every request)", vs.Source, i)
	}
	return fmt.Sprintf("%s http[%d].match[%d]", vs.Source, i, j)
}
