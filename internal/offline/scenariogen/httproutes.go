package scenariogen

import (
	"fmt"
	"strings"
)

// MaxHTTPVirtualServices bounds the VirtualServices with http routes a
// case holds (each with up to MaxHTTPRoutes routes).
const (
	MaxHTTPVirtualServices = 2
	MaxHTTPRoutes          = 4
)

// HTTPRouteChance is how often a case gets VirtualServices with http
// routes.
const HTTPRouteChance = 0.35

// httpRoutes adds VirtualServices with http routes for the case's
// services: matches (uri exact, prefix and regex, ignoreUriCase, headers,
// withoutHeaders, query parameters, method, port), destinations (subsets,
// weights), redirects, direct responses, rewrites and mirrors, sometimes
// two for one host or in another namespace, and a DestinationRule with the
// subsets. Everything is drawn from g.routes after every other draw, so
// the objects a seed made before these are unchanged; they are created
// with the others (not in creationOrder).
func (g *gen) httpRoutes() {
	if len(g.svcs) == 0 || g.routes.Float64() >= HTTPRouteChance || len(g.c.Objects) > 17 {
		return
	}
	for i, n := 0, 1+g.routes.IntN(MaxHTTPVirtualServices); i < n; i++ {
		s := g.svcs[g.routes.IntN(len(g.svcs))]
		if len(s.ports) == 0 {
			continue
		}
		fqdn := fmt.Sprintf("%s.%s.svc.cluster.local", s.name, s.ns)
		host := fqdn
		ns := s.ns
		switch x := g.routes.IntN(4); {
		case x == 0:
			host = s.name // a short name, resolved in the VirtualService's namespace
		case x == 1:
			ns = Namespaces[g.routes.IntN(len(Namespaces))]
		}
		spec := map[string]any{"hosts": []any{host}}
		var http []any
		for j, m := 0, 1+g.routes.IntN(MaxHTTPRoutes); j < m; j++ {
			http = append(http, g.httpRoute(j, fqdn, s))
		}
		spec["http"] = http
		if g.routes.Float64() < 0.15 {
			spec["exportTo"] = []any{g.pickR([]string{".", "*", "default", "ns1"})}
		}
		g.add(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
			"metadata": g.meta(ns, fmt.Sprintf("vs-http-%d", i)), "spec": spec})
	}
	if len(g.c.Objects) <= 19 && g.routes.Float64() < 0.5 {
		s := g.svcs[g.routes.IntN(len(g.svcs))]
		g.add(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": g.meta(s.ns, "dr-http"),
			"spec": map[string]any{"host": fmt.Sprintf("%s.%s.svc.cluster.local", s.name, s.ns), "subsets": []any{
				map[string]any{"name": "v1", "labels": map[string]any{"version": "v1"}},
				map[string]any{"name": "v2", "labels": map[string]any{"version": "v2"}}}}})
	}
}

func (g *gen) pickR(list []string) string { return list[g.routes.IntN(len(list))] }

// httpRoute draws route i of a VirtualService for the service s (fqdn):
// its matches, then one action.
func (g *gen) httpRoute(i int, fqdn string, s genSvc) map[string]any {
	r := map[string]any{}
	if g.routes.Float64() < 0.5 {
		r["name"] = fmt.Sprintf("r%d", i)
	}
	if g.routes.Float64() < 0.7 {
		var matches []any
		for k, n := 0, 1+g.routes.IntN(2); k < n; k++ {
			matches = append(matches, g.httpMatch(s))
		}
		r["match"] = matches
	}
	switch x := g.routes.IntN(10); {
	case x == 0:
		r["redirect"] = g.httpRedirect()
	case x == 1:
		r["directResponse"] = map[string]any{"status": []int{200, 404, 418, 503}[g.routes.IntN(4)]}
	default:
		r["route"] = g.httpDestinations(fqdn, s)
		if g.routes.Float64() < 0.15 {
			r["rewrite"] = map[string]any{g.pickR([]string{"uri", "authority"}): g.pickR([]string{"/v2/", "/", "other.example.com"})}
		}
		if g.routes.Float64() < 0.1 {
			r["mirror"] = map[string]any{"host": fqdn}
		}
	}
	return r
}

// httpMatch draws one match request: a uri, sometimes case-insensitive,
// headers and withoutHeaders, query parameters, a method, a port.
func (g *gen) httpMatch(s genSvc) map[string]any {
	m := map[string]any{}
	if g.routes.Float64() < 0.7 {
		kind := g.pickR([]string{"exact", "prefix", "prefix", "regex"})
		val := g.pickR([]string{"/", "/api", "/api/v1", "/login", "/static/"})
		if kind == "regex" {
			val = g.pickR([]string{"/api/v[0-9]+/.*", ".*", "/[a-z]+"})
		}
		m["uri"] = map[string]any{kind: val}
		if g.routes.Float64() < 0.2 {
			m["ignoreUriCase"] = true
		}
	}
	if g.routes.Float64() < 0.4 {
		m["headers"] = map[string]any{g.pickR([]string{"end-user", "x-version"}): g.stringMatch()}
	}
	if g.routes.Float64() < 0.15 {
		m["withoutHeaders"] = map[string]any{"x-canary": g.stringMatch()}
	}
	if g.routes.Float64() < 0.15 {
		m["queryParams"] = map[string]any{g.pickR([]string{"debug", "v"}): g.stringMatch()}
	}
	if g.routes.Float64() < 0.1 {
		m["method"] = map[string]any{"exact": g.pickR([]string{"GET", "POST"})}
	}
	if g.routes.Float64() < 0.15 {
		m["port"] = s.ports[g.routes.IntN(len(s.ports))]["port"]
	}
	return m
}

// stringMatch draws a header or query condition: exact, prefix, regex,
// or none (a presence test, istiod's present_match; the regex "*" that
// once meant it is refused by Istio's validation since RE2 checks).
func (g *gen) stringMatch() map[string]any {
	kind := g.pickR([]string{"exact", "exact", "prefix", "regex", "present"})
	val := g.pickR([]string{"jason", "v2", "1", "beta"})
	switch kind {
	case "regex":
		val = g.pickR([]string{"v[12]", ".*"})
	case "present":
		return map[string]any{}
	}
	return map[string]any{kind: val}
}

// httpDestinations draws one destination, or two or three with weights
// that sum to 100; each to s's host, its short name or another port, with
// a subset or not.
func (g *gen) httpDestinations(fqdn string, s genSvc) []any {
	n := 1
	if g.routes.Float64() < 0.3 {
		n = 2 + g.routes.IntN(2)
	}
	weights := map[int][]int{1: {0}, 2: {90, 10}, 3: {50, 30, 20}}[n]
	var out []any
	for i := 0; i < n; i++ {
		dst := map[string]any{"host": fqdn}
		if g.routes.Float64() < 0.2 {
			dst["host"] = strings.SplitN(fqdn, ".", 2)[0]
		}
		if g.routes.Float64() < 0.5 {
			dst["subset"] = g.pickR([]string{"v1", "v2"})
		}
		if len(s.ports) > 1 && g.routes.Float64() < 0.3 {
			dst["port"] = map[string]any{"number": s.ports[g.routes.IntN(len(s.ports))]["port"]}
		}
		d := map[string]any{"destination": dst}
		if n > 1 {
			d["weight"] = weights[i]
		}
		out = append(out, d)
	}
	return out
}

// httpRedirect draws a redirect: a uri, an authority, a scheme, a port,
// a code.
func (g *gen) httpRedirect() map[string]any {
	r := map[string]any{"uri": g.pickR([]string{"/new", "/"})}
	if g.routes.Float64() < 0.5 {
		r["authority"] = "new.example.com"
	}
	if g.routes.Float64() < 0.3 {
		r["scheme"] = "https"
	}
	if g.routes.Float64() < 0.2 {
		r["port"] = 8443
	}
	if g.routes.Float64() < 0.3 {
		r["redirectCode"] = []int{302, 307, 308}[g.routes.IntN(3)]
	}
	return r
}
