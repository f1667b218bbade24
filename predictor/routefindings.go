package predictor

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
	rds "github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/trace"
	"github.com/listenerlab/listenerlab/world"
)

// lostHost is a virtual host istiod dropped whole (domain "") because an
// earlier one has its name, or one domain it dropped from a virtual host
// because an earlier one has the domain: the manifests that kept and lost
// it, the virtual host that kept it, and the dropped one's wrapper, host
// and service (nil for a plain VirtualService host).
type lostHost struct {
	vhost, host, domain string
	kept, keptVHost     string
	dropped             string
	w                   hostWrapper
	svc                 *service
	// tie: which one keeps the domain comes from a map's order
	// (OrderUndetermined says so; no DuplicateDomain then).
	tie bool
}

// lostHostFindings raises VirtualServiceShadowed for each VirtualService
// virtual host dropped whole for its name, and DuplicateDomain for each
// virtual host that lost domains to another manifest's (one finding per
// virtual host and keeper, naming every domain), in route configuration
// name; vhs are the port's virtual hosts as built.
func (b *builder) lostHostFindings(name string, vhs []rds.VirtualHost, lost []lostHost) {
	if len(lost) == 0 {
		return
	}
	byName := make(map[string]*rds.VirtualHost, len(vhs))
	for i := range vhs {
		byName[vhs[i].Name] = &vhs[i]
	}
	type group struct {
		l       lostHost
		domains []string
	}
	var groups []*group
	index := map[string]*group{}
	for _, l := range lost {
		switch {
		case l.kept == l.dropped || l.tie:
		case l.domain == "" && l.w.source != "":
			b.shadowedVirtualService(name, l, byName[l.keptVHost])
		case l.domain != "":
			key := l.vhost + "\x00" + l.kept
			if g, ok := index[key]; ok {
				g.domains = append(g.domains, l.domain)
				continue
			}
			g := &group{l: l, domains: []string{l.domain}}
			index[key] = g
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		b.duplicateDomain(name, g.l, g.domains, byName[g.l.keptVHost])
	}
}

// shadowedVirtualService raises VirtualServiceShadowed for l, a
// VirtualService's virtual host dropped for its name.
func (b *builder) shadowedVirtualService(name string, l lostHost, kept *rds.VirtualHost) {
	req, meant := pickRequest(l.w.routes, kept, l.host)
	b.routeFinding(VirtualServiceShadowed, name, l, "%s never routes %s on port %d: %s has a virtual host %s first, and istiod drops %s's",
		l.dropped, l.host, l.w.port, l.kept, l.vhost, l.dropped)
	b.why("both VirtualServices name %s and reach this sidecar; BuildSidecarOutboundVirtualHosts builds one virtual host per HOST:PORT in the VirtualServices' order (private to the client's namespace, then exported to it by name, then public; each oldest first, then by name, then namespace) and drops a later one of the same name (pilot_vservice_dup_domain): %s; VirtualServices of one host are merged only for gateways", l.host, b.whyFirst(l.kept, l.dropped))
	b.requestWitness(l.svc, l.w.port, l.host, req, meant, true)
}

// whyFirst says why istiod lists VirtualService kept before dropped (by
// their Sources): visibility, then creation time, then name and
// namespace.
func (b *builder) whyFirst(kept, dropped string) string {
	var k, d *virtualService
	for _, vss := range b.routing.byEgress {
		for _, vs := range vss {
			switch vs.Source {
			case kept:
				k = vs
			case dropped:
				d = vs
			}
		}
	}
	switch {
	case k == nil || d == nil:
		return kept + " comes first"
	case k.visibility != d.visibility:
		return fmt.Sprintf("%s is %s and %s %s, and %s VirtualServices come first", kept, k.visibility, dropped, d.visibility, k.visibility)
	case k.created != d.created:
		return fmt.Sprintf("both are %s and %s is older (created %s, the other %s)", k.visibility, kept, k.created, d.created)
	}
	return fmt.Sprintf("both are %s and created at %s, and %s sorts first by name, then namespace", k.visibility, k.created, kept)
}

// duplicateDomain raises DuplicateDomain for the domains a virtual host
// lost to an earlier one of another manifest.
func (b *builder) duplicateDomain(name string, l lostHost, domains []string, kept *rds.VirtualHost) {
	req, meant := pickRequest(l.w.routes, kept, domains[0])
	b.routeFinding(DuplicateDomain, name, l, "%s loses the domain %s on port %d: the virtual host %s of %s has it first, so requests with that Host go there",
		l.dropped, strings.Join(domains, ", "), l.w.port, l.keptVHost, l.kept)
	// Between two services without a VirtualService, istiod's order is a
	// map's: a domain lost to one is a tie (OrderUndetermined), unless it
	// is a hostname a service declares, which keeps it in either order.
	first := domains[0] + " is the hostname " + l.kept + " declares, which keeps it in either order: a service's short forms never take another service's own hostname"
	if strings.HasPrefix(l.kept, "VirtualService ") {
		first = "the virtual hosts of VirtualServices are built before those of services without one, in the VirtualServices' order"
	}
	b.why("dedupeDomains keeps a domain in the first virtual host of the route configuration that has it and drops it from later ones (pilot_vservice_dup_domain): %s", first)
	b.requestWitness(l.svc, l.w.port, domains[0], req, meant, true)
}

// routeFinding raises a route finding located as "ROUTE vhost VHOST" for
// the virtual host of l: its service (or plain host), port and manifest.
func (b *builder) routeFinding(code Code, name string, l lostHost, format string, args ...any) {
	b.finding(code, l.svc, port{Number: l.w.port}, name+" vhost "+l.vhost, format, args...)
	f := &b.findings[len(b.findings)-1]
	f.Source, f.Port = l.dropped, l.w.port
	if f.Service == "" {
		f.Service = l.host
	}
	if l.kept != l.dropped {
		f.Related = append(f.Related, l.kept)
	}
}

// requestWitness attaches a request witness to the last finding: to the
// address of service s (any address no listener holds when s is nil or
// has none) on port number, with Host host; meant is the action the
// request was meant to take, and graded says the trace grades the finding.
func (b *builder) requestWitness(s *service, number int, host string, req rds.Request, meant string, graded bool) {
	if rest, ok := strings.CutPrefix(host, "*"); ok {
		// A wildcard host: a name it covers ("*.example.com":
		// "any.example.com"; "*": "any.invalid").
		host = "any" + rest
		if rest == "" {
			host = "any.invalid"
		}
	}
	spec := witnessSpec{port: number, host: host, meant: meant, req: &req, graded: graded}
	if s != nil {
		if a := s.address(b.p); a != "" && !strings.Contains(a, "/") && a != wildcardV4 && a != wildcardV6 {
			spec.addr = a
		}
	}
	spec.v6 = b.p.V6 && !b.p.V4
	b.witness(spec)
}

// pickRequest chooses a request of the dropped routes for a witness: the
// first one a dropped route takes that the kept virtual host answers
// otherwise, else the first a dropped route takes, else GET /; and the
// outcome the dropped routes give it (its Meant).
func pickRequest(dropped []rds.Route, kept *rds.VirtualHost, host string) (rds.Request, string) {
	var first *rds.Request
	for _, r := range dropped {
		req, ok := requestFor(r.Match)
		if !ok {
			continue
		}
		req.Host = host
		meant := outcomeOn(dropped, req)
		if kept != nil && outcomeOn(kept.Routes, req) != meant {
			return req, meant
		}
		if first == nil {
			first = &req
		}
	}
	req := rds.Request{Host: host, Path: "/"}
	if first != nil {
		req = *first
	}
	return req, outcomeOn(dropped, req)
}

// outcomeOn is what routes answer a request, in trace's words: the
// action of the first route it matches, else 404 (no route).
func outcomeOn(routes []rds.Route, req rds.Request) string {
	c := rds.Config{VirtualHosts: []rds.VirtualHost{{Name: "*", Domains: []string{"*"}, Routes: routes}}}
	sel := rds.Select(&c, req)
	if sel.Route == nil {
		return trace.NoRoute
	}
	return actionText(sel.Route.Action)
}

// actionText is an action as trace prints it: weighted clusters by name.
func actionText(a rds.Action) string {
	w := append([]listener.WeightedCluster(nil), a.Weighted...)
	sort.SliceStable(w, func(i, j int) bool { return w[i].Name < w[j].Name })
	a.Weighted = w
	return a.String()
}

// requestFor builds a request that match m takes: its path (a regular
// expression only if it matches itself), the values of its header and
// query conditions (a presence test any value; an inverted condition
// left out), its :method. false when none can be built this way, or the
// match needs the Host or scheme (the virtual host decides the Host).
func requestFor(m rds.Match) (rds.Request, bool) {
	req := rds.Request{Path: m.Path}
	if !strings.HasPrefix(req.Path, "/") {
		return req, false
	}
	for _, h := range m.Headers {
		if h.Invert {
			continue
		}
		v := conditionValue(h)
		switch strings.ToLower(h.Name) {
		case ":method":
			req.Method = v
		case ":authority", "host", ":scheme", ":path":
			return req, false
		default:
			if req.Headers == nil {
				req.Headers = map[string]string{}
			}
			req.Headers[strings.ToLower(h.Name)] = v
		}
	}
	var query []string
	for _, q := range m.QueryParams {
		if !q.Invert {
			query = append(query, q.Name+"="+conditionValue(q))
		}
	}
	if len(query) > 0 {
		req.Path += "?" + strings.Join(query, "&")
	}
	ok, _ := m.Matches(req)
	return req, ok
}

// conditionValue is a value a condition takes: its own value, or "x" for
// a presence test.
func conditionValue(h rds.HeaderMatch) string {
	if h.Kind == rds.ValuePresent {
		return "x"
	}
	return h.Value
}

// covers reports whether every request match b takes is taken by match a
// (decided only where it is provable): a holds no condition b lacks, and
// its path is prefix / or regex .*, b's own path, or a prefix of b's
// prefix or exact path (case-insensitive a compares lower-cased; a
// case-sensitive a does not cover a case-insensitive b).
func covers(a, b rds.Match) bool {
	for _, c := range a.Headers {
		if !containsCondition(b.Headers, c) {
			return false
		}
	}
	for _, c := range a.QueryParams {
		if !containsCondition(b.QueryParams, c) {
			return false
		}
	}
	switch {
	case a.PathKind == rds.Prefix && a.Path == "/", a.PathKind == rds.Regex && a.Path == ".*":
		return true
	case a.PathKind == b.PathKind && a.Path == b.Path && a.CaseInsensitive == b.CaseInsensitive:
		return true
	case a.PathKind == rds.Prefix && (b.PathKind == rds.Prefix || b.PathKind == rds.Exact || b.PathKind == rds.SeparatedPrefix):
		if a.CaseInsensitive {
			return strings.HasPrefix(strings.ToLower(b.Path), strings.ToLower(a.Path))
		}
		return !b.CaseInsensitive && strings.HasPrefix(b.Path, a.Path)
	case a.PathKind == rds.Exact && b.PathKind == rds.Exact:
		return a.CaseInsensitive && strings.EqualFold(a.Path, b.Path)
	}
	return false
}

func containsCondition(cs []rds.HeaderMatch, c rds.HeaderMatch) bool {
	for _, x := range cs {
		if strings.EqualFold(x.Name, c.Name) && x.Kind == c.Kind && x.Value == c.Value && x.Invert == c.Invert && x.MissingAsEmpty == c.MissingAsEmpty {
			return true
		}
	}
	return false
}

// unreachableRoutes raises UnreachableRoute for each route of a
// VirtualService's virtual host (of host, service s) that an earlier
// written route covers, the routes istiod cut after a catch-all
// included; once per VirtualService, port and route, and only when a
// request the route takes can be built for the witness.
func (b *builder) unreachableRoutes(w hostWrapper, host string, s *service) {
	if w.source == "" || len(w.routes)+len(w.cut) < 2 {
		return
	}
	all := append(append([]rds.Route(nil), w.routes...), w.cut...)
	for j := 1; j < len(all); j++ {
		for i := 0; i < j && i < len(w.routes); i++ {
			if b.proxyScoped[all[i].Reason] || !covers(all[i].Match, all[j].Match) {
				continue
			}
			key := fmt.Sprintf("%s\x00%d\x00%s", w.source, w.port, all[j].Reason)
			req, ok := requestFor(all[j].Match)
			if b.unreachable[key] || !ok {
				break
			}
			if b.unreachable == nil {
				b.unreachable = map[string]bool{}
			}
			b.unreachable[key] = true
			req.Host = host
			cut := ""
			if j >= len(w.routes) {
				cut = "; istiod does not even write it (it stops at a route that matches every request)"
			}
			vhost := net.JoinHostPort(host, itoa(w.port))
			b.finding(UnreachableRoute, s, port{Number: w.port}, itoa(w.port)+" vhost "+vhost,
				"%s (%s) is never taken on %s: %s (%s) before it matches every request it matches%s",
				all[j].Reason, all[j].Match, vhost, all[i].Reason, all[i].Match, cut)
			b.why("Envoy takes the first route of a virtual host whose match a request meets (BuildHTTPRoutesForVirtualService keeps the http routes in order, and stops after one that matches every request)")
			f := &b.findings[len(b.findings)-1]
			f.Source, f.Port = w.source, w.port
			if f.Service == "" {
				f.Service = host
			}
			b.requestWitness(s, w.port, host, req, actionText(all[j].Action), true)
			break
		}
	}
}

// scoped records that the route of reason why comes from a match with a
// port, gateways, sourceLabels or sourceNamespace: conditions istiod
// applies while building this sidecar's routes, so the route covers
// others only for this port and client, as the VirtualService's author
// meant (UnreachableRoute leaves it out).
func (b *builder) scoped(why string) {
	if b.proxyScoped == nil {
		b.proxyScoped = map[string]bool{}
	}
	b.proxyScoped[why] = true
}

// routeFindings raises the findings read from the final route
// configurations: UndefinedSubset and VirtualServiceNoService.
func (b *builder) routeFindings(w *world.World, cs []rds.Config) {
	if b.routing == nil || len(w.VirtualServices) == 0 {
		// Subsets and VirtualService hosts come from VirtualServices only.
		return
	}
	b.undefinedSubsets(w, cs)
	b.virtualServicesWithoutService(cs)
}

// undefinedSubsets raises UndefinedSubset for each route (once per
// virtual host name and route) that forwards to a subset cluster
// outbound|PORT|SUBSET|HOST no DestinationRule of the World defines:
// none whose host, resolved in its namespace, matches HOST lists SUBSET.
// A DestinationRule that defines it but does not reach the client
// (exportTo, a more specific rule of the host) is not judged. A route
// no built request reaches is left to UnreachableRoute.
func (b *builder) undefinedSubsets(w *world.World, cs []rds.Config) {
	seen := map[string]bool{}
	for ci := range cs {
		c := &cs[ci]
		for _, vh := range c.VirtualHosts {
			host, portText, err := net.SplitHostPort(vh.Name)
			if err != nil {
				continue
			}
			for ri, r := range vh.Routes {
				missing := undefinedClusters(w, r.Action)
				key := vh.Name + "\x00" + r.Reason + "\x00" + r.Name
				if len(missing) == 0 || seen[key] {
					continue
				}
				req, ok := requestFor(r.Match)
				req.Host = host
				if sel := rds.Select(&rds.Config{VirtualHosts: []rds.VirtualHost{vh}}, req); !ok || sel.RouteIndex != ri {
					continue
				}
				seen[key] = true
				number := atoiOr0(portText)
				s := b.routing.services[host]
				b.finding(UndefinedSubset, s, port{Number: number}, c.Name+" vhost "+vh.Name,
					"%s on %s sends requests to %s, which no DestinationRule defines: Envoy answers 503 (NC)", describeRoute(r), vh.Name, strings.Join(missing, ", "))
				b.why("istiod names the cluster outbound|PORT|SUBSET|HOST in the route (GetDestinationCluster) but builds subset clusters only from a DestinationRule's subsets (buildOutboundClusters), so Envoy finds no cluster of that name")
				f := &b.findings[len(b.findings)-1]
				f.Service, f.Port = host, number
				f.Source = virtualServiceOf(r.Reason)
				b.requestWitness(s, number, host, req, actionText(r.Action), false)
			}
		}
	}
}

// virtualServiceOf is the VirtualService a route's reason names first
// ("VirtualService ns/name http[0]..."), "" when it names none.
func virtualServiceOf(reason string) string {
	i := strings.Index(reason, "VirtualService ")
	if i < 0 {
		return ""
	}
	f := strings.Fields(reason[i:])
	if len(f) < 2 {
		return ""
	}
	return f[0] + " " + f[1]
}

// describeRoute names a route by its reason, else its name and match.
func describeRoute(r rds.Route) string {
	if r.Reason != "" {
		return r.Reason
	}
	return fmt.Sprintf("route %q (%s)", r.Name, r.Match)
}

func atoiOr0(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// undefinedClusters lists the subset clusters of a forwarding action
// that no DestinationRule of the World defines.
func undefinedClusters(w *world.World, a rds.Action) []string {
	if a.Kind != rds.Forward {
		return nil
	}
	names := []string{a.Cluster}
	if len(a.Weighted) > 0 {
		names = names[:0]
		for _, wc := range a.Weighted {
			names = append(names, wc.Name)
		}
	}
	var out []string
	for _, n := range names {
		sc, ok := listener.ParseServiceCluster(n)
		if ok && sc.Subset != "" && !subsetDefined(w, sc.Host, sc.Subset) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// subsetDefined reports whether some DestinationRule of the World, its
// host resolved in its namespace (ResolveShortnameToFQDN), matches host
// (equal, or a wildcard on either side) and lists the subset.
func subsetDefined(w *world.World, host, subset string) bool {
	for _, dr := range w.DestinationRules {
		h := shortnameToFQDN(dr.Spec.Host, dr.Namespace)
		if !hostNameMatches(strings.ToLower(h), strings.ToLower(host)) {
			continue
		}
		for _, s := range dr.Spec.Subsets {
			if s.GetName() == subset {
				return true
			}
		}
	}
	return false
}

// virtualServicesWithoutService raises VirtualServiceNoService for each
// exact host of a VirtualService the client selects that no service of
// the client has, when no route configuration has a virtual host with
// that host as a domain and the VirtualService has http routes.
// Wildcard hosts are not judged.
func (b *builder) virtualServicesWithoutService(cs []rds.Config) {
	var domains, known map[string]bool
	seen := map[string]bool{}
	for _, eg := range sortedEgresses(b.routing.byEgress) {
		for _, vs := range b.routing.byEgress[eg] {
			if len(b.routing.httpOf(vs)) == 0 {
				continue
			}
			for _, h := range vs.Hosts {
				lower := strings.ToLower(h)
				if strings.HasPrefix(h, "*") || seen[vs.Source+"\x00"+lower] || b.routing.services[h] != nil {
					continue
				}
				if domains == nil {
					// Built only when a host is no service as written.
					domains, known = routeDomains(cs), map[string]bool{}
					for h := range b.routing.services {
						known[strings.ToLower(h)] = true
					}
				}
				if known[lower] || domains[lower] {
					continue
				}
				seen[vs.Source+"\x00"+lower] = true
				b.virtualServiceNoService(vs, h)
			}
		}
	}
}

// routeDomains is the set of every virtual host domain of cs,
// lower-cased.
func routeDomains(cs []rds.Config) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		for _, vh := range c.VirtualHosts {
			for _, d := range vh.Domains {
				out[strings.ToLower(d)] = true
			}
		}
	}
	return out
}

// virtualServiceNoService raises VirtualServiceNoService for host h of
// vs, with a request its first route takes as the witness.
func (b *builder) virtualServiceNoService(vs *virtualService, h string) {
	number := b.destinationPort(vs)
	routes, _ := b.httpRoutes(vs, number, b.routing.services)
	if len(routes) == 0 {
		return
	}
	req, ok := requestFor(routes[0].Match)
	if !ok {
		req = rds.Request{Path: "/"}
	}
	req.Host = h
	b.finding(VirtualServiceNoService, nil, port{}, "", "%s routes host %s, which no service of this sidecar has: no route configuration has a virtual host for it, so its routes apply nowhere", vs.Source, h)
	b.why("istiod resolves a host without a dot in the VirtualService's namespace, and on a port other than 80 keeps only VirtualServices with a host naming a service of that port (selectVirtualServices of httproute.go); on port 80 a host without a service gets a virtual host of its own")
	f := &b.findings[len(b.findings)-1]
	f.Service, f.Port, f.Source = h, number, vs.Source
	b.requestWitness(nil, number, h, req, outcomeOn(routes, req), true)
}

// destinationPort is the port a request to a VirtualService's host would
// use: its first http destination's port, else the first HTTP or
// auto-detected port of that destination's service, else 80.
func (b *builder) destinationPort(vs *virtualService) int {
	for _, hr := range b.routing.httpOf(vs) {
		if len(hr.Route) == 0 {
			continue
		}
		d := hr.Route[0].GetDestination()
		if n := d.GetPort().GetNumber(); n != 0 {
			return int(n)
		}
		if s := b.routing.services[d.GetHost()]; s != nil {
			for _, p := range s.Ports {
				if httpOrSniffed(p.Protocol) {
					return p.Number
				}
			}
		}
	}
	return 80
}
