//lint:file-ignore SA1019 istiod of older versions still writes the header matchers Envoy deprecated (exact_match, prefix_match, ...): a config dump must be read as sent

package dump

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
)

// routeConfigName is the message name of a route configuration.
const routeConfigName = "envoy.config.route.v3.RouteConfiguration"

// errNotModelled marks a part of a route configuration that the route
// model cannot hold: the configuration is then unreadable rather than read
// with a condition or an action left out.
var errNotModelled = errors.New("not modelled")

// readRoute decodes and normalizes one route configuration.
func readRoute(raw rawRoute) (route.Config, error) {
	if len(raw.json) == 0 || string(raw.json) == "null" {
		return route.Config{}, fmt.Errorf("%s: no route configuration", raw.where)
	}
	if name := anyName(raw.json); name != "" && name != routeConfigName {
		return route.Config{}, fmt.Errorf("%s: route configuration has type %s, want %s", raw.where, name, routeConfigName)
	}
	var rc routev3.RouteConfiguration
	if err := unmarshal.Unmarshal(raw.json, &rc); err != nil {
		return route.Config{}, fmt.Errorf("%s: %w", raw.where, err)
	}
	c, err := convertRouteConfig(&rc)
	if err != nil {
		return route.Config{}, fmt.Errorf("%s: route configuration %q: %w", raw.where, rc.GetName(), err)
	}
	c.Normalize()
	return c, nil
}

// convertRouteConfig turns an Envoy route configuration into the route
// model: virtual hosts in order, their domains and routes.
func convertRouteConfig(rc *routev3.RouteConfiguration) (route.Config, error) {
	out := route.Config{
		Name:                     rc.GetName(),
		VirtualHosts:             []route.VirtualHost{},
		IgnorePortInHostMatching: rc.GetIgnorePortInHostMatching(),
	}
	for i, vh := range rc.GetVirtualHosts() {
		v := route.VirtualHost{Name: vh.GetName(), Domains: append([]string{}, vh.GetDomains()...), Routes: []route.Route{}}
		for j, r := range vh.GetRoutes() {
			cr, err := convertRoute(r)
			if err != nil {
				return route.Config{}, fmt.Errorf("virtual_hosts[%d] %q: routes[%d] %q: %w", i, vh.GetName(), j, r.GetName(), err)
			}
			v.Routes = append(v.Routes, cr)
		}
		out.VirtualHosts = append(out.VirtualHosts, v)
	}
	return out, nil
}

func convertRoute(r *routev3.Route) (route.Route, error) {
	m, err := convertMatch(r.GetMatch())
	if err != nil {
		return route.Route{}, fmt.Errorf("match: %w", err)
	}
	var a route.Action
	switch act := r.GetAction().(type) {
	case *routev3.Route_Route:
		a, err = forwardAction(act.Route)
	case *routev3.Route_Redirect:
		a, err = redirectAction(act.Redirect)
	case *routev3.Route_DirectResponse:
		a = route.Action{Kind: route.DirectResponse, Status: act.DirectResponse.GetStatus()}
	case nil:
		err = errors.New("no action")
	default:
		err = fmt.Errorf("action %T: %w", act, errNotModelled)
	}
	if err != nil {
		return route.Route{}, err
	}
	return route.Route{Name: r.GetName(), Match: m, Action: a}, nil
}

// convertMatch reads a route match: its path, header and query conditions.
// A condition the model lacks (dynamic metadata such as JWT claims, a
// runtime fraction, gRPC or TLS context) makes it unreadable.
func convertMatch(rm *routev3.RouteMatch) (route.Match, error) {
	var m route.Match
	switch p := rm.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		m.PathKind, m.Path = route.Prefix, p.Prefix
	case *routev3.RouteMatch_Path:
		m.PathKind, m.Path = route.Exact, p.Path
	case *routev3.RouteMatch_SafeRegex:
		m.PathKind, m.Path = route.Regex, p.SafeRegex.GetRegex()
	case *routev3.RouteMatch_PathSeparatedPrefix:
		m.PathKind, m.Path = route.SeparatedPrefix, p.PathSeparatedPrefix
	case nil:
		return m, errors.New("no path specifier")
	default:
		return m, fmt.Errorf("path specifier %T: %w", p, errNotModelled)
	}
	if cs := rm.GetCaseSensitive(); cs != nil && !cs.GetValue() {
		m.CaseInsensitive = true
	}
	switch {
	case len(rm.GetDynamicMetadata()) > 0:
		return m, fmt.Errorf("dynamic_metadata (JWT claim) conditions: %w", errNotModelled)
	case rm.GetRuntimeFraction() != nil:
		return m, fmt.Errorf("runtime_fraction: %w", errNotModelled)
	case rm.GetGrpc() != nil || rm.GetTlsContext() != nil || rm.GetFilterState() != nil:
		return m, fmt.Errorf("grpc, tls_context or filter_state conditions: %w", errNotModelled)
	}
	for _, h := range rm.GetHeaders() {
		c, err := headerCondition(h)
		if err != nil {
			return m, fmt.Errorf("header %q: %w", h.GetName(), err)
		}
		m.Headers = append(m.Headers, c)
	}
	for _, q := range rm.GetQueryParameters() {
		c := route.HeaderMatch{Name: q.GetName(), Kind: route.ValuePresent}
		switch s := q.GetQueryParameterMatchSpecifier().(type) {
		case *routev3.QueryParameterMatcher_StringMatch:
			var err error
			if c.Kind, c.Value, err = stringCondition(s.StringMatch); err != nil {
				return m, fmt.Errorf("query parameter %q: %w", q.GetName(), err)
			}
		case *routev3.QueryParameterMatcher_PresentMatch:
			c.Invert = !s.PresentMatch
		}
		m.QueryParams = append(m.QueryParams, c)
	}
	return m, nil
}

// headerCondition reads a header matcher: its string match (or one of the
// deprecated single-kind fields an older Envoy's dump may hold), a
// presence test (present_match false: the header must be absent), or no
// specifier at all, which Envoy reads as presence.
func headerCondition(h *routev3.HeaderMatcher) (route.HeaderMatch, error) {
	c := route.HeaderMatch{Name: h.GetName(), Kind: route.ValuePresent, MissingAsEmpty: h.GetTreatMissingHeaderAsEmpty()}
	var err error
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_StringMatch:
		c.Kind, c.Value, err = stringCondition(s.StringMatch)
	case *routev3.HeaderMatcher_PresentMatch:
		c.Invert = !s.PresentMatch
	case *routev3.HeaderMatcher_ExactMatch:
		c.Kind, c.Value = route.ValueExact, s.ExactMatch
	case *routev3.HeaderMatcher_PrefixMatch:
		c.Kind, c.Value = route.ValuePrefix, s.PrefixMatch
	case *routev3.HeaderMatcher_SuffixMatch:
		c.Kind, c.Value = route.ValueSuffix, s.SuffixMatch
	case *routev3.HeaderMatcher_SafeRegexMatch:
		c.Kind, c.Value = route.ValueRegex, s.SafeRegexMatch.GetRegex()
	case nil:
	default:
		err = fmt.Errorf("%T: %w", s, errNotModelled)
	}
	if h.GetInvertMatch() {
		c.Invert = !c.Invert
	}
	return c, err
}

// stringCondition reads a string matcher of the kinds istiod writes
// (exact, prefix, regex; suffix too); ignore_case and contains are not
// modelled.
func stringCondition(sm *matcherv3.StringMatcher) (route.ValueKind, string, error) {
	if sm.GetIgnoreCase() {
		return "", "", fmt.Errorf("ignore_case: %w", errNotModelled)
	}
	switch p := sm.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return route.ValueExact, p.Exact, nil
	case *matcherv3.StringMatcher_Prefix:
		return route.ValuePrefix, p.Prefix, nil
	case *matcherv3.StringMatcher_Suffix:
		return route.ValueSuffix, p.Suffix, nil
	case *matcherv3.StringMatcher_SafeRegex:
		return route.ValueRegex, p.SafeRegex.GetRegex(), nil
	case nil:
		// An empty string matcher is exact "": Envoy's default pattern.
		return route.ValueExact, "", nil
	default:
		return "", "", fmt.Errorf("string match %T: %w", p, errNotModelled)
	}
}

// forwardAction reads a route action: its cluster or weighted clusters,
// the rewrite it notes and its mirrors.
func forwardAction(ra *routev3.RouteAction) (route.Action, error) {
	a := route.Action{Kind: route.Forward}
	switch s := ra.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		a.Cluster = s.Cluster
	case *routev3.RouteAction_WeightedClusters:
		for _, w := range s.WeightedClusters.GetClusters() {
			a.Weighted = append(a.Weighted, listener.WeightedCluster{Name: w.GetName(), Weight: w.GetWeight().GetValue()})
		}
		sort.SliceStable(a.Weighted, func(i, j int) bool { return a.Weighted[i].Name < a.Weighted[j].Name })
	default:
		return a, fmt.Errorf("cluster specifier %T: %w", s, errNotModelled)
	}
	var rewrites []string
	if p := ra.GetPrefixRewrite(); p != "" {
		rewrites = append(rewrites, "uri "+p)
	}
	if rr := ra.GetRegexRewrite(); rr != nil {
		rewrites = append(rewrites, "uri regex "+rr.GetPattern().GetRegex()+" "+rr.GetSubstitution())
	}
	if h := ra.GetHostRewriteLiteral(); h != "" {
		rewrites = append(rewrites, "authority "+h)
	}
	a.Rewrite = strings.Join(rewrites, ", ")
	for _, mp := range ra.GetRequestMirrorPolicies() {
		a.Mirrors = append(a.Mirrors, mp.GetCluster())
	}
	sort.Strings(a.Mirrors)
	return a, nil
}

// redirectStatus maps Envoy's redirect response codes to HTTP statuses.
var redirectStatus = map[routev3.RedirectAction_RedirectResponseCode]uint32{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

// redirectAction reads a redirect: its status and target (see
// route.RedirectTarget).
func redirectAction(rd *routev3.RedirectAction) (route.Action, error) {
	scheme := rd.GetSchemeRedirect()
	if rd.GetHttpsRedirect() {
		scheme = "https"
	}
	if rd.GetRegexRewrite() != nil {
		return route.Action{}, fmt.Errorf("redirect regex_rewrite: %w", errNotModelled)
	}
	status, ok := redirectStatus[rd.GetResponseCode()]
	if !ok {
		return route.Action{}, fmt.Errorf("redirect response code %v: %w", rd.GetResponseCode(), errNotModelled)
	}
	return route.Action{
		Kind:     route.Redirect,
		Status:   status,
		Redirect: route.RedirectTarget(scheme, rd.GetHostRedirect(), rd.GetPortRedirect(), rd.GetPathRedirect(), rd.GetPrefixRewrite()),
	}, nil
}

// routeName is the "name" of a route configuration's JSON, "" when it has
// none or is not an object.
func routeName(js []byte) string {
	var v struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(js, &v) != nil {
		return ""
	}
	return v.Name
}
