package predictor

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/world"
)

// meshGateway is the gateway name that binds a VirtualService to sidecars
// (constants.IstioMeshGateway).
const meshGateway = "mesh"

// virtualService is a VirtualService as the push context indexes it: hosts
// and destination hosts resolved to FQDNs in its namespace
// (ResolveVirtualServiceShortnames).
type virtualService struct {
	Name, Namespace string
	Hosts           []string
	Spec            *apiv1alpha3.VirtualService
	// Source names the manifest: "VirtualService ns/name".
	Source string
	// visibility is how it reaches the client: "private" (to the
	// client's namespace), "exported" (to it by name) or "public"; created
	// its creation time (RFC 3339): the order between them.
	visibility, created string
}

// routing is what the sidecar scope knows about VirtualServices: those
// each egress listener selects (IstioEgressListenerWrapper.VirtualServices)
// and the scope's services by hostname (SidecarScope.servicesByHostname,
// behind PushContext.ServiceForHostname).
type routing struct {
	byEgress map[*egress][]*virtualService
	services map[string]*service
	// merged holds the http routes of root VirtualServices with their
	// delegates merged in, by Source (delegateHTTP); delegateNotes says,
	// by Source, which routes the merge dropped.
	merged        map[string][]*apiv1alpha3.HTTPRoute
	delegateNotes map[string][]string
}

// none reports whether no egress listener selects a VirtualService.
func (r *routing) none() bool {
	if r == nil {
		return true
	}
	for _, vss := range r.byEgress {
		if len(vss) > 0 {
			return false
		}
	}
	return true
}

// httpOf is a VirtualService's http routes as the sidecar's route
// building reads them: a root's with its delegates merged in.
func (r *routing) httpOf(vs *virtualService) []*apiv1alpha3.HTTPRoute {
	if m, ok := r.merged[vs.Source]; ok {
		return m
	}
	return vs.Spec.Http
}

// newRouting models initVirtualServices (pilot/pkg/model/push_context.go)
// and SelectVirtualServices (pilot/pkg/model/virtualservice.go) for each
// egress listener.
func newRouting(w *world.World, p *proxy, egresses []egress) *routing {
	r := &routing{byEgress: map[*egress][]*virtualService{}, services: map[string]*service{}}
	for i := range egresses {
		for _, s := range egresses[i].Services {
			if _, ok := r.services[s.Hostname]; !ok {
				r.services[s.Hostname] = s
			}
		}
	}
	export := defaultExportTo(stringList(w.MeshConfig["defaultVirtualServiceExportTo"]), p.version)
	visible := visibleVirtualServices(w.VirtualServices, p.Namespace, export)
	r.merged, r.delegateNotes = delegateHTTP(w.VirtualServices, export)
	for i := range egresses {
		eg := &egresses[i]
		r.byEgress[eg] = selectVirtualServices(visible, p.Namespace, eg.Hosts, p.version.VirtualServiceExclusions())
	}
	return r
}

// visibleVirtualServices models the virtual service index of
// initVirtualServices and its read by SelectVirtualServices: only those
// bound to the mesh gateway (no gateways, or "mesh" among them); the ones
// private to the proxy's namespace first, then those exported to it by
// name, then the public ones (exportTo "*", the default), each group in
// creation order, then name, then namespace
// (sortMergedVirtualServicesByCreationTime). One without exportTo takes
// defaultExport, the mesh config's defaultVirtualServiceExportTo as the
// version reads it (defaultExportTo; nil is "*").
func visibleVirtualServices(all []*networkingv1.VirtualService, ns string, defaultExport []string) []*virtualService {
	sorted := slices.Clone(all)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Namespace < b.Namespace
	})
	var private, exported, public []*virtualService
	for _, v := range sorted {
		if len(v.Spec.Gateways) > 0 && !slices.Contains(v.Spec.Gateways, meshGateway) {
			continue
		}
		rv := resolveVirtualService(v)
		rv.created = v.CreationTimestamp.UTC().Format(time.RFC3339)
		export := v.Spec.ExportTo
		if len(export) == 0 {
			export = defaultExport
		}
		if len(export) == 0 {
			export = []string{"*"}
		}
		switch {
		case slices.Contains(export, "*"):
			rv.visibility = "public"
			public = append(public, rv)
		case slices.Contains(export, "~"):
		case v.Namespace == ns && (slices.Contains(export, ".") || slices.Contains(export, ns)):
			rv.visibility = "private"
			private = append(private, rv)
		case slices.Contains(export, ns):
			rv.visibility = "exported"
			exported = append(exported, rv)
		}
	}
	return append(append(private, exported...), public...)
}

// resolveVirtualService models ResolveVirtualServiceShortnames: a host
// without a dot is a Kubernetes short name in the VirtualService's
// namespace, in hosts, in http route destinations and mirrors, and in tcp
// and tls route destinations.
func resolveVirtualService(v *networkingv1.VirtualService) *virtualService {
	spec := v.Spec.DeepCopy()
	rv := &virtualService{Name: v.Name, Namespace: v.Namespace, Spec: spec, Source: "VirtualService " + v.Namespace + "/" + v.Name}
	for _, h := range spec.Hosts {
		rv.Hosts = append(rv.Hosts, shortnameToFQDN(h, v.Namespace))
	}
	for _, h := range spec.Http {
		for _, d := range h.Route {
			if d.Destination != nil {
				d.Destination.Host = shortnameToFQDN(d.Destination.Host, v.Namespace)
			}
		}
		if h.Mirror != nil {
			h.Mirror.Host = shortnameToFQDN(h.Mirror.Host, v.Namespace)
		}
		for _, m := range h.Mirrors {
			if m.Destination != nil {
				m.Destination.Host = shortnameToFQDN(m.Destination.Host, v.Namespace)
			}
		}
	}
	for _, t := range spec.Tcp {
		for _, d := range t.Route {
			if d.Destination != nil {
				d.Destination.Host = shortnameToFQDN(d.Destination.Host, v.Namespace)
			}
		}
	}
	for _, t := range spec.Tls {
		for _, d := range t.Route {
			if d.Destination != nil {
				d.Destination.Host = shortnameToFQDN(d.Destination.Host, v.Namespace)
			}
		}
	}
	return rv
}

// shortnameToFQDN models ResolveShortnameToFQDN (pilot/pkg/model/config.go):
// "*" and IP addresses stay, a name without a dot gets
// ".NAMESPACE.svc.cluster.local", anything else is taken as written.
func shortnameToFQDN(h, ns string) string {
	if h == "*" || h == "" || strings.Contains(h, ".") {
		return h
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	return h + "." + ns + ".svc." + domainSuffix
}

// selectVirtualServices models SelectVirtualServices with
// hostClassification.VSMatches (non-gateway semantics): a VirtualService is
// selected when one of its hosts matches an import of its own namespace or
// of "*" ("ns/host" of the egress listener's hosts) and, with exclusions
// on, no exclusion ("~ns/host") covers that host.
func selectVirtualServices(visible []*virtualService, configNS string, hosts []string, exclusions bool) []*virtualService {
	type imports struct{ hosts, excluded []string }
	byNS := map[string]*imports{}
	for _, h := range hosts {
		ns, name, ok := strings.Cut(h, "/")
		if !ok {
			continue
		}
		excluded := strings.HasPrefix(ns, "~")
		if excluded {
			ns = strings.TrimPrefix(ns, "~")
			if ns == "" {
				ns = "*"
			}
		}
		if ns == "." {
			ns = configNS
		}
		im := byNS[ns]
		if im == nil {
			im = &imports{}
			byNS[ns] = im
		}
		if excluded {
			im.excluded = append(im.excluded, name)
		} else {
			im.hosts = append(im.hosts, name)
		}
	}
	isExcluded := func(im *imports, h string) bool {
		if im == nil || !exclusions {
			return false
		}
		for _, x := range im.excluded {
			if hostNameMatches(x, h) {
				return true
			}
		}
		return false
	}
	selects := func(v *virtualService, im *imports) bool {
		for _, h := range v.Hosts {
			matched := false
			for _, imported := range im.hosts {
				if h == imported || (strings.HasPrefix(h, "*") || strings.HasPrefix(imported, "*")) && hostNameMatches(h, imported) {
					matched = true
					break
				}
			}
			if matched && !isExcluded(byNS[v.Namespace], h) && !isExcluded(byNS["*"], h) {
				return true
			}
		}
		return false
	}
	var out []*virtualService
	for _, v := range visible {
		if im := byNS[v.Namespace]; im != nil && selects(v, im) {
			out = append(out, v)
			continue
		}
		if im := byNS["*"]; im != nil && selects(v, im) {
			out = append(out, v)
		}
	}
	return out
}

// hostNameMatches models host.Name.Matches (pkg/config/host/name.go): equal
// names, or a wildcard ("*", "*.example.com") on either side covering the
// other.
func hostNameMatches(a, b string) bool {
	aw, bw := strings.HasPrefix(a, "*"), strings.HasPrefix(b, "*")
	switch {
	case aw && bw:
		if len(a) < len(b) {
			return strings.HasSuffix(b[1:], a[1:])
		}
		return strings.HasSuffix(a[1:], b[1:])
	case aw:
		return strings.HasSuffix(b, a[1:])
	case bw:
		return strings.HasSuffix(a, b[1:])
	}
	return a == b
}

// configsForHost models getConfigsForHost (pilot/pkg/networking/core/tls.go)
// as buildSidecarOutboundTCPListenerOpts calls it: the selected
// VirtualServices with a host matching the service's hostname, in any
// namespace.
func (r *routing) configsForHost(eg *egress, hostname string) []*virtualService {
	var out []*virtualService
	for _, v := range r.byEgress[eg] {
		for _, h := range v.Hosts {
			if hostNameMatches(h, hostname) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// routedChains models buildSidecarOutboundTLSFilterChainOpts and
// buildSidecarOutboundTCPFilterChainOpts (pilot/pkg/networking/core/tls.go)
// for the VirtualServices of the service: it returns the chains the tls or
// tcp routes build, and whether the chain to the service's own cluster is
// still added after them (no route matched everything).
func (b *builder) routedChains(o opts) ([]*chain, bool) {
	if b.routing == nil || o.eg == nil {
		return nil, true
	}
	configs := b.routing.configsForHost(o.eg, o.svc.Hostname)
	if len(configs) == 0 {
		return nil, true
	}
	if o.port.Protocol.isTLS() {
		out := b.tlsRouteChains(o, configs)
		return out, len(out) == 0
	}
	return b.tcpRouteChains(o, configs)
}

// matchesProxy models matchTLS and matchTCP: the static predicates of a
// match (gateways, source labels, port, source namespace) against this
// sidecar on this listener port.
func (b *builder) matchesProxy(gateways []string, sourceLabels map[string]string, matchPort uint32, sourceNamespace string, listenPort int) bool {
	if len(gateways) > 0 && !slices.Contains(gateways, meshGateway) {
		return false
	}
	if !labels.SelectorFromSet(sourceLabels).Matches(labels.Set(b.p.Labels)) {
		return false
	}
	if matchPort != 0 && int(matchPort) != listenPort {
		return false
	}
	return sourceNamespace == "" || sourceNamespace == b.p.Namespace
}

// tlsRouteChains models the VirtualService part of
// buildSidecarOutboundTLSFilterChainOpts: one SNI chain per matching tls
// match, the first of each runtime predicate (SNI hosts, destination
// subnets) kept. A match's destinationSubnets replace the service's CIDRs
// for it and, as Istio's loop reassigns the variable, for the matches
// after it.
func (b *builder) tlsRouteChains(o opts, configs []*virtualService) []*chain {
	cidrs := o.cidrs
	handled := map[string]bool{}
	var out []*chain
	for _, v := range configs {
		for i, t := range v.Spec.Tls {
			if len(t.Route) == 0 {
				continue
			}
			for j, m := range t.Match {
				if m == nil || !b.matchesProxy(m.Gateways, m.SourceLabels, m.Port, m.SourceNamespace, o.port.Number) {
					continue
				}
				if len(m.DestinationSubnets) > 0 && o.port.Number > 0 {
					cidrs = m.DestinationSubnets
				}
				hash := strings.Join(m.SniHosts, ",") + "|" + strings.Join(m.DestinationSubnets, ",")
				if handled[hash] {
					continue
				}
				handled[hash] = true
				c := &chain{sni: m.SniHosts, cidrs: cidrs, svc: o.svc, port: o.port,
					dest: b.routeDestination(t.Route, o.port)}
				c.reason = fmt.Sprintf("TLS for SNI %s to %s: %s tls[%d].match[%d] (buildSidecarOutboundTLSFilterChainOpts)",
					strings.Join(m.SniHosts, ","), destLabel(c.dest), v.Source, i, j)
				out = append(out, c)
			}
		}
	}
	return out
}

// tcpRouteChains models the VirtualService part of
// buildSidecarOutboundTCPFilterChainOpts: the first tcp route without
// match, or with a matching match without destinationSubnets, ends the
// search with a chain on the service's CIDRs; matching matches with
// destinationSubnets collect into one chain on those subnets per route.
// The chain to the service's cluster follows unless a route ended the
// search or a route's subnets equal the service's CIDRs.
func (b *builder) tcpRouteChains(o opts, configs []*virtualService) ([]*chain, bool) {
	var out []*chain
	addDefault := true
	for _, v := range configs {
		for i, t := range v.Spec.Tcp {
			if len(t.Route) == 0 {
				continue
			}
			dest := b.routeDestination(t.Route, o.port)
			note := ""
			if dest.Kind == listener.Redis && len(t.Route) > 1 {
				note = "; redis_proxy has one cluster, not weights: the route's first destination with a weight"
			}
			if len(t.Match) == 0 {
				c := &chain{cidrs: o.cidrs, svc: o.svc, port: o.port, dest: dest,
					reason: fmt.Sprintf("TCP to %s: %s tcp[%d] has no match (buildSidecarOutboundTCPFilterChainOpts)%s", destLabel(dest), v.Source, i, note)}
				return append(out, c), false
			}
			var subnets []string
			for j, m := range t.Match {
				if m == nil || !b.matchesProxy(m.Gateways, m.SourceLabels, m.Port, m.SourceNamespace, o.port.Number) {
					continue
				}
				if len(m.DestinationSubnets) == 0 || o.port.Number == 0 {
					c := &chain{cidrs: o.cidrs, svc: o.svc, port: o.port, dest: dest,
						reason: fmt.Sprintf("TCP to %s: %s tcp[%d].match[%d] matches this sidecar on port %d (buildSidecarOutboundTCPFilterChainOpts)%s", destLabel(dest), v.Source, i, j, o.port.Number, note)}
					return append(out, c), false
				}
				subnets = append(subnets, m.DestinationSubnets...)
			}
			if len(subnets) == 0 {
				continue
			}
			c := &chain{cidrs: subnets, svc: o.svc, port: o.port, dest: dest,
				reason: fmt.Sprintf("TCP for destinations in %s to %s: %s tcp[%d] destinationSubnets (buildSidecarOutboundTCPFilterChainOpts)%s", strings.Join(subnets, ","), destLabel(dest), v.Source, i, note)}
			out = append(out, c)
			a, s := slices.Clone(subnets), slices.Clone(o.cidrs)
			sort.Strings(a)
			sort.Strings(s)
			if slices.Equal(a, s) {
				addDefault = false
			}
		}
	}
	return out, addDefault
}

// routeDestination models buildOutboundNetworkFilters
// (pilot/pkg/networking/core/networkfilter.go): one route is a tcp_proxy to
// its cluster, several are weighted clusters, those of weight 0 left out;
// on a Redis listener port, a redis_proxy instead (redisProxy).
func (b *builder) routeDestination(routes []*apiv1alpha3.RouteDestination, listenPort port) listener.Destination {
	var d listener.Destination
	if len(routes) == 1 {
		d = listener.Destination{Kind: listener.TCP, Cluster: b.destinationCluster(routes[0].Destination, listenPort.Number)}
	} else {
		var ws []listener.WeightedCluster
		for _, r := range routes {
			if r.Weight > 0 {
				ws = append(ws, listener.WeightedCluster{Name: b.destinationCluster(r.Destination, listenPort.Number), Weight: uint32(r.Weight)})
			}
		}
		d = listener.WeightedDestination(ws)
	}
	d, _ = b.redisProxy(listenPort, d, routes)
	return d
}

// destinationCluster models GetDestinationCluster
// (pilot/pkg/networking/core/route/route.go): outbound|PORT|SUBSET|HOST,
// the port being the destination's, else the only port of the service the
// sidecar scope knows by that hostname, else the listener's.
func (b *builder) destinationCluster(d *apiv1alpha3.Destination, listenPort int) string {
	number := listenPort
	svc := b.routing.services[d.GetHost()]
	switch {
	case d.GetPort() != nil:
		number = int(d.GetPort().GetNumber())
	case svc != nil && len(svc.Ports) == 1:
		number = svc.Ports[0].Number
	}
	return listener.ServiceCluster{Port: number, Subset: d.GetSubset(), Host: d.GetHost()}.Name()
}

// destLabel is a destination in a chain's reason: the cluster, the
// weighted clusters, or a redis_proxy's cluster and the setting behind it.
func destLabel(d listener.Destination) string {
	if d.Kind == listener.Redis {
		return d.Cluster + " through redis_proxy (PILOT_ENABLE_REDIS_FILTER)"
	}
	return strings.TrimPrefix(d.String(), "cluster ")
}

// httpRouteNotes explains, on the HTTP chains of services that have
// VirtualServices with http routes, that those routes live in RDS: Istio's
// listener code reads only tcp and tls routes (buildSidecarOutboundTCPListenerOpts).
func (b *builder) httpRouteNotes() {
	if b.routing.none() {
		return
	}
	egresses := sortedEgresses(b.routing.byEgress)
	for _, key := range b.order {
		for _, c := range b.entries[key].chains {
			if c.dest.Kind != listener.HTTP || c.svc == nil {
				continue
			}
			var names []string
			for _, eg := range egresses {
				for _, v := range b.routing.configsForHost(eg, c.svc.Hostname) {
					if len(v.Spec.Http) > 0 && !slices.Contains(names, v.Source) {
						names = append(names, v.Source)
					}
				}
			}
			if len(names) > 0 {
				c.reason += "; the http routes of " + strings.Join(names, ", ") + " apply in route " + c.dest.Route + " (RDS), not in the listener"
			}
		}
	}
}

func sortedEgresses(m map[*egress][]*virtualService) []*egress {
	out := make([]*egress, 0, len(m))
	for eg := range m {
		out = append(out, eg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// routingKey is what of the proxy, beyond its sidecar scope, the rules of
// vsroutes.go and envoyfilter.go read: its namespace (VirtualService
// visibility, sourceNamespace, EnvoyFilters of its namespace) and labels
// (sourceLabels, workloadSelector). It is "" for a World with neither
// VirtualServices nor EnvoyFilters, so Shared keeps sharing predictions.
func routingKey(w *world.World, p *proxy) string {
	if len(w.VirtualServices) == 0 && len(w.EnvoyFilters) == 0 {
		return ""
	}
	keys := make([]string, 0, len(p.Labels))
	for k, v := range p.Labels {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return p.Namespace + "\x00" + strings.Join(keys, ",")
}
