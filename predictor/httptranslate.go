package predictor

import (
	"sort"
	"strings"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/listener"
	rds "github.com/listenerlab/listenerlab/route"
)

// httpRoutes models BuildHTTPRoutesForVirtualService for a sidecar: each
// http route, once per match that applies to this sidecar and port (once
// when it has no match), in order, up to the first route that matches
// every request. cut are the routes after that one, which istiod does not
// write (UnreachableRoute reports them).
func (b *builder) httpRoutes(vs *virtualService, number int, byName map[string]*service) (routes, cut []rds.Route) {
	catchAll := false
	for i, h := range b.routing.httpOf(vs) {
		if len(h.Match) == 0 {
			r := b.translateRoute(h, nil, number, byName, vsRouteWhy(vs, i, -1))
			if catchAll {
				cut = append(cut, r)
				continue
			}
			routes = append(routes, r)
			catchAll = true
			continue
		}
		for j, m := range h.Match {
			if !b.httpMatchApplies(m, number) {
				continue
			}
			r := b.translateRoute(h, m, number, byName, vsRouteWhy(vs, i, j))
			if m.GetPort() != 0 || len(m.GetSourceLabels()) > 0 || m.GetSourceNamespace() != "" || len(m.GetGateways()) > 0 {
				b.scoped(r.Reason)
			}
			switch {
			case catchAll:
				cut = append(cut, r)
			case isCatchAllRoute(r.Match):
				routes = append(routes, r)
				catchAll = true
			default:
				routes = append(routes, r)
			}
		}
	}
	return routes, cut
}

// httpMatchApplies models the static part of TranslateRoute and
// sourceMatchHTTP: the match's port is the listener's (or none); with
// gateways, one is mesh; else its sourceLabels are the client's and its
// sourceNamespace (if any) the client's namespace.
func (b *builder) httpMatchApplies(m *apiv1alpha3.HTTPMatchRequest, number int) bool {
	if m == nil {
		return true
	}
	if m.Port != 0 && int(m.Port) != number {
		return false
	}
	if len(m.Gateways) > 0 {
		for _, g := range m.Gateways {
			if g == meshGateway {
				return true
			}
		}
		return false
	}
	if !labels.SelectorFromSet(m.SourceLabels).Matches(labels.Set(b.p.Labels)) {
		return false
	}
	return m.SourceNamespace == "" || m.SourceNamespace == b.p.Namespace
}

// isCatchAllRoute models IsCatchAllRoute: prefix "/" or regex ".*" with
// no header or query parameter condition.
func isCatchAllRoute(m rds.Match) bool {
	path := m.PathKind == rds.Prefix && m.Path == "/" || m.PathKind == rds.Regex && m.Path == ".*"
	return path && len(m.Headers) == 0 && len(m.QueryParams) == 0
}

// translateRoute models TranslateRoute for a sidecar: the route's name
// (the http route's, ".MATCH" appended when the match has a name), its
// match, and a redirect, a direct response, or the destinations.
func (b *builder) translateRoute(h *apiv1alpha3.HTTPRoute, m *apiv1alpha3.HTTPMatchRequest, number int, byName map[string]*service, why string) rds.Route {
	name := h.Name
	if m != nil && m.Name != "" {
		name += "." + m.Name
	}
	r := rds.Route{Name: name, Match: translateMatch(m), Reason: why}
	switch {
	case h.Redirect != nil:
		r.Action = redirectAction(h.Redirect, number, b.p.version.RedirectPrefixRewrite())
	case h.DirectResponse != nil:
		r.Action = rds.Action{Kind: rds.DirectResponse, Status: h.DirectResponse.Status}
	default:
		r.Action = forwardAction(h, number, byName)
	}
	return r
}

// translateMatch models TranslateRouteMatch for a sidecar: headers and
// withoutHeaders (inverted; a missing header read as empty unless the
// condition is a presence test) sorted by name, then :method, :authority and
// :scheme; the uri as prefix, exact or regex (prefix "/" without one);
// ignoreUriCase; query parameters (sorted by name: istiod ranges over a
// map). A string match of regex "*" or none is a presence match.
func translateMatch(m *apiv1alpha3.HTTPMatchRequest) rds.Match {
	out := rds.Match{PathKind: rds.Prefix, Path: "/"}
	if m == nil {
		return out
	}
	for name, sm := range m.Headers {
		out.Headers = append(out.Headers, stringMatch(name, sm, false))
	}
	for name, sm := range m.WithoutHeaders {
		hm := stringMatch(name, sm, true)
		// treat_missing_header_as_empty conflicts with present_match
		hm.MissingAsEmpty = hm.Kind != rds.ValuePresent
		out.Headers = append(out.Headers, hm)
	}
	sort.SliceStable(out.Headers, func(i, j int) bool { return out.Headers[i].Name < out.Headers[j].Name })
	switch u := m.GetUri().GetMatchType().(type) {
	case *apiv1alpha3.StringMatch_Exact:
		out.PathKind, out.Path = rds.Exact, u.Exact
	case *apiv1alpha3.StringMatch_Prefix:
		out.PathKind, out.Path = rds.Prefix, u.Prefix
	case *apiv1alpha3.StringMatch_Regex:
		out.PathKind, out.Path = rds.Regex, u.Regex
	}
	out.CaseInsensitive = m.IgnoreUriCase
	if m.Method != nil {
		out.Headers = append(out.Headers, stringMatch(":method", m.Method, false))
	}
	if m.Authority != nil {
		out.Headers = append(out.Headers, stringMatch(":authority", m.Authority, false))
	}
	if m.Scheme != nil {
		out.Headers = append(out.Headers, stringMatch(":scheme", m.Scheme, false))
	}
	for name, sm := range m.QueryParams {
		out.QueryParams = append(out.QueryParams, stringMatch(name, sm, false))
	}
	sort.SliceStable(out.QueryParams, func(i, j int) bool { return out.QueryParams[i].Name < out.QueryParams[j].Name })
	return out
}

// stringMatch models translateHeaderMatch and translateQueryParamMatch
// (with canBeConvertedToPresentMatch and ConvertToEnvoyMatch).
func stringMatch(name string, sm *apiv1alpha3.StringMatch, invert bool) rds.HeaderMatch {
	hm := rds.HeaderMatch{Name: name, Kind: rds.ValuePresent, Invert: invert}
	switch v := sm.GetMatchType().(type) {
	case *apiv1alpha3.StringMatch_Exact:
		hm.Kind, hm.Value = rds.ValueExact, v.Exact
	case *apiv1alpha3.StringMatch_Prefix:
		hm.Kind, hm.Value = rds.ValuePrefix, v.Prefix
	case *apiv1alpha3.StringMatch_Regex:
		if v.Regex != "*" {
			hm.Kind, hm.Value = rds.ValueRegex, v.Regex
		}
	}
	return hm
}

// redirectAction models ApplyRedirect for a sidecar (never TLS): the
// target as "SCHEME://AUTHORITY[:PORT]PATH", each part empty where the
// request keeps its own, PATH being the uri, or with prefixRewrite
// (versions.RedirectPrefixRewrite) a prefixRewrite as "PREFIX*"; a
// derived port is the listener's; :80 on http and :443 on https left
// out; the status 301 unless 302, 303, 307 or 308.
func redirectAction(r *apiv1alpha3.HTTPRedirect, number int, prefixRewrite bool) rds.Action {
	port := uint32(0)
	scheme := r.Scheme
	switch rp := r.RedirectPort.(type) {
	case *apiv1alpha3.HTTPRedirect_DerivePort:
		if rp.DerivePort == apiv1alpha3.HTTPRedirect_FROM_REQUEST_PORT {
			port = uint32(number)
		}
	case *apiv1alpha3.HTTPRedirect_Port:
		port = rp.Port
	}
	if r.RedirectPort != nil {
		s := scheme
		if s == "" {
			s = "http"
		}
		if port == 80 && s == "http" || port == 443 && s == "https" {
			port = 0
		}
	}
	status := r.RedirectCode
	if status == 0 {
		status = 301
	}
	prefix := ""
	if prefixRewrite {
		prefix = r.PrefixRewrite
	}
	return rds.Action{Kind: rds.Redirect, Redirect: rds.RedirectTarget(scheme, r.Authority, port, r.Uri, prefix), Status: status}
}

// forwardAction models applyHTTPRouteDestination for a sidecar: one
// destination is its cluster, several are weighted clusters without those
// of weight 0; rewrites (uri, regex, authority, a header's authority) are
// noted; mirrors (mirror and mirrors, unless their percentage is 0) are
// listed by cluster.
func forwardAction(h *apiv1alpha3.HTTPRoute, number int, byName map[string]*service) rds.Action {
	a := rds.Action{Kind: rds.Forward}
	if len(h.Route) == 1 {
		a.Cluster = httpCluster(h.Route[0].Destination, number, byName)
	} else {
		for _, d := range h.Route {
			if d.Weight == 0 {
				continue
			}
			a.Weighted = append(a.Weighted, listener.WeightedCluster{Name: httpCluster(d.Destination, number, byName), Weight: uint32(d.Weight)})
		}
		sort.SliceStable(a.Weighted, func(i, j int) bool { return a.Weighted[i].Name < a.Weighted[j].Name })
	}
	a.Rewrite = rewriteNote(h)
	//lint:ignore SA1019 Istio still reads mirror_percent
	if h.Mirror != nil && mirrorPercent(h.MirrorPercentage, h.MirrorPercent != nil && h.MirrorPercent.GetValue() == 0) {
		a.Mirrors = append(a.Mirrors, httpCluster(h.Mirror, number, byName))
	}
	for _, m := range h.Mirrors {
		if m.Destination != nil && mirrorPercent(m.Percentage, false) {
			a.Mirrors = append(a.Mirrors, httpCluster(m.Destination, number, byName))
		}
	}
	sort.Strings(a.Mirrors)
	return a
}

// rewriteNote models the rewrites of applyHTTPRouteDestination, in the
// order route.Action.Rewrite lists them: the uri prefix or regex rewrite,
// then the authority: the rewrite's, else the route's headers' (request
// set, then add, of ":authority" or "host": TranslateHeadersOperations),
// else, with one destination, that destination's headers'
// (processDestination).
func rewriteNote(h *apiv1alpha3.HTTPRoute) string {
	var parts []string
	authority := headersAuthority(h.Headers)
	if rw := h.Rewrite; rw != nil {
		if re := rw.GetUriRegexRewrite(); re != nil {
			parts = append(parts, "uri regex "+re.Match+" "+re.Rewrite)
		} else if rw.Uri != "" {
			parts = append(parts, "uri "+rw.Uri)
		}
		if rw.Authority != "" {
			authority = rw.Authority
		}
	}
	if authority == "" && len(h.Route) == 1 {
		authority = headersAuthority(h.Route[0].Headers)
	}
	if authority != "" {
		parts = append(parts, "authority "+authority)
	}
	return strings.Join(parts, ", ")
}

// headersAuthority models the authority of TranslateHeadersOperations:
// a request header ":authority" or "host" (any case) that headers set,
// else one they add.
func headersAuthority(hs *apiv1alpha3.Headers) string {
	find := func(m map[string]string) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys) // validation refuses two; istiod takes the last in map order
		out := ""
		for _, k := range keys {
			if strings.EqualFold(k, ":authority") || strings.EqualFold(k, "host") {
				out = m[k]
			}
		}
		return out
	}
	if a := find(hs.GetRequest().GetSet()); a != "" {
		return a
	}
	return find(hs.GetRequest().GetAdd())
}

// mirrorPercent models MirrorPercent: a mirror applies unless its
// percentage is explicitly 0.
func mirrorPercent(p *apiv1alpha3.Percent, zero bool) bool {
	if p != nil {
		return p.GetValue() > 0
	}
	return !zero
}

// httpCluster models GetDestinationCluster as an http route calls it:
// outbound|PORT|SUBSET|HOST, the destination's port, else the port of the
// service of that host if it has one (on a listener port the services it
// looks up carry that port alone), else the listener's (0 for an every-
// port configuration); a
// destination naming an ExternalName Service of the port goes to the host
// that Service names.
func httpCluster(d *apiv1alpha3.Destination, number int, byName map[string]*service) string {
	if d.GetHost() == "" {
		return "UnknownService"
	}
	h := d.GetHost()
	s := byName[h]
	if s != nil && s.ExternalName != "" {
		h = s.ExternalName
	}
	switch {
	case d.GetPort() != nil:
		number = int(d.GetPort().GetNumber())
	case s != nil && len(s.Ports) == 1:
		number = s.Ports[0].Number
	}
	return listener.ServiceCluster{Port: number, Subset: d.GetSubset(), Host: h}.Name()
}
