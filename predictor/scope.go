package predictor

import (
	"net/netip"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// proxy is the client sidecar as listener generation sees it.
type proxy struct {
	Namespace    string
	Labels       map[string]string
	IPs          []string
	V4, V6       bool
	CaptureNone  bool
	DNSCapture   bool
	DNSAuto      bool
	Unprivileged bool
	// AllocFeature is PILOT_ENABLE_IP_AUTOALLOCATE as istiod sees it.
	AllocFeature bool
	// version is the Istio version whose rules apply.
	version versions.Version
	// DualStackFeature is ISTIO_DUAL_STACK (or PILOT_ENABLE_AMBIENT): only
	// then does a dual-stack proxy get service addresses of both families.
	DualStackFeature bool
	// AbsoluteFQDN is PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN as istiod
	// sees it: alternate names include the hostname with a trailing dot.
	AbsoluteFQDN bool
}

func newProxy(c world.Client, allocFeature bool) *proxy {
	p := &proxy{
		Namespace: c.Namespace, Labels: c.Labels, IPs: c.IPs,
		CaptureNone: c.InterceptionMode == "NONE", DNSCapture: c.DNSCapture, DNSAuto: c.DNSAutoAllocate,
		Unprivileged: c.Unprivileged, AllocFeature: allocFeature,
	}
	for _, ip := range c.IPs {
		if a, err := netip.ParseAddr(ip); err == nil && a.Is4() {
			p.V4 = true
		} else if err == nil {
			p.V6 = true
		}
	}
	return p
}

// wildcards models getWildcardsAndLocalHost
// (pilot/pkg/networking/core/listener_address.go).
// The wildcard lists wildcards returns, shared: no caller writes to them
// (an append reallocates, their capacity being their length).
var (
	wildcards4  = []string{wildcardV4}
	wildcards6  = []string{wildcardV6}
	wildcards46 = []string{wildcardV4, wildcardV6}
)

func (p *proxy) wildcards() []string {
	switch {
	case p.V4 && p.V6:
		return wildcards46
	case p.V6:
		return wildcards6
	}
	return wildcards4
}

func (p *proxy) localhosts() []string {
	switch {
	case p.V4 && p.V6:
		return []string{"127.0.0.1", "::1"}
	case p.V6:
		return []string{"::1"}
	}
	return []string{"127.0.0.1"}
}

// usesAutoIPs models nodeUsesAutoallocatedIPs (pilot/pkg/model/service.go):
// allocation on (the proxy's DNS_AUTO_ALLOCATE or istiod's flag) and DNS
// capture on.
func (p *proxy) usesAutoIPs() bool { return (p.DNSAuto || p.AllocFeature) && p.DNSCapture }

// family models the address filter of GetAddressForProxy and
// getAllAddressesForProxy (filterAddresses in pilot/pkg/model/service.go,
// later FilterAddressesByIPFamily in pilot/pkg/util/network/ip.go): keep
// the proxy's families, and a dual-stack proxy keeps one family, that of
// the first address (DualStackFirstFamily) or, before, IPv4 whenever there
// is an IPv4 address. all keeps both families for a dual-stack proxy, as
// getAllAddressesForProxy does with the dual-stack feature on.
func (p *proxy) family(addrs []string, all bool) []string {
	is4 := func(a string) (bool, bool) {
		if strings.Contains(a, "/") {
			pre, err := netip.ParsePrefix(a)
			return err == nil && pre.Addr().Is4(), err == nil
		}
		ip, err := netip.ParseAddr(a)
		return err == nil && ip.Is4(), err == nil
	}
	keeps := func(a string) bool {
		v4, ok := is4(a)
		return ok && (v4 && p.V4 || !v4 && p.V6)
	}
	var out []string
	switch {
	case len(addrs) == 1 && keeps(addrs[0]):
		// The common case, without an allocation; capacity clipped so
		// that a caller's append does not write into addrs.
		out = slices.Clip(addrs)
	default:
		for _, a := range addrs {
			if keeps(a) {
				out = append(out, a)
			}
		}
	}
	if !p.V4 || !p.V6 || all || len(out) == 0 {
		return out
	}
	keep, _ := is4(out[0])
	if !p.version.DualStackFirstFamily() && slices.ContainsFunc(out, func(a string) bool { v4, _ := is4(a); return v4 }) {
		keep = true
	}
	kept := out[:0:0]
	for _, a := range out {
		if v4, _ := is4(a); v4 == keep {
			kept = append(kept, a)
		}
	}
	return kept
}

// address models Service.GetAddressForProxy: the first of its addresses
// for the proxy (always one family), else its auto-allocated VIP, else its
// default address.
func (s *service) address(p *proxy) string {
	if ips := p.family(s.ClusterIPs, false); len(ips) > 0 {
		return ips[0]
	}
	if p.usesAutoIPs() && s.DefaultAddress == wildcardV4 {
		if p.V4 && s.AutoV4 != "" {
			return s.AutoV4
		}
		if p.V6 && s.AutoV6 != "" {
			return s.AutoV6
		}
	}
	return s.DefaultAddress
}

// extraAddresses models Service.GetExtraAddressesForProxy: every address
// for the proxy after the first (both families for a dual-stack proxy
// when istiod's dual-stack feature is on).
func (s *service) extraAddresses(p *proxy) []string {
	addrs := s.ClusterIPs
	if len(addrs) == 0 && p.usesAutoIPs() {
		for _, a := range []string{s.AutoV4, s.AutoV6} {
			if a != "" {
				addrs = append(addrs, a)
			}
		}
	}
	addrs = p.family(addrs, p.DualStackFeature)
	if len(addrs) > 1 {
		return addrs[1:]
	}
	return nil
}

// visibleTo models PushContext's export index (servicesExportedToNamespace):
// the services a namespace sees, those exported to it privately or by name
// first, then the public ones, each group in creation order. With
// privateFirst (PrivateServicesFirst), the namespace's own private services
// come before those other namespaces export to it by name.
func visibleTo(all []*service, ns string, privateFirst bool) []*service {
	var private, named, public []*service
	for _, s := range all {
		export := s.ExportTo
		if len(export) == 0 {
			export = []string{"*"}
		}
		switch {
		case !ExportedTo(s.Namespace, export, ns):
		case slices.Contains(export, "*"):
			public = append(public, s)
		case s.Namespace == ns && (slices.Contains(export, ns) || slices.Contains(export, ".")):
			private = append(private, s)
		case privateFirst:
			named = append(named, s)
		default:
			private = append(private, s)
		}
	}
	return append(append(private, named...), public...)
}

// ExportedTo reports whether an object of namespace ns with the given
// exportTo (a Service's networking.istio.io/exportTo annotation, a
// ServiceEntry's or VirtualService's spec.exportTo) is visible in
// namespace to, as PushContext's export index decides: empty or "*" is
// every namespace, "~" none, "." the object's own, else the names listed.
func ExportedTo(ns string, exportTo []string, to string) bool {
	switch {
	case len(exportTo) == 0, slices.Contains(exportTo, "*"):
		return true
	case slices.Contains(exportTo, "~"):
		return false
	}
	return slices.Contains(exportTo, to) || slices.Contains(exportTo, ".") && ns == to
}

// egress is one egress listener of the proxy's sidecar scope.
type egress struct {
	Port     *port
	Bind     string
	Capture  string
	Services []*service
	// Hosts are the egress listener's imports ("ns/host"), which also
	// select its VirtualServices.
	Hosts []string
	// Source names the Sidecar and egress entry, for reasons.
	Source string
	// Undetermined are the other imports istiod may make here: an exact
	// import whose service ties with another of its host and namespace
	// (exactHostLookup).
	Undetermined []alternative
}

// alternative is what an egress listener imports when istiod's host index
// holds Alt, not Pick, for their host and namespace: tied services
// (tiedServices) whose order comes from a map.
type alternative struct {
	Pick, Alt *service
	// Services are the egress listener's services then.
	Services []*service
}

// selectSidecar models PushContext.getSidecarScope: in the proxy's
// namespace, a Sidecar whose workloadSelector matches (oldest first), else
// the namespace's Sidecar without selector, else the root namespace's.
func selectSidecar(w *world.World, p *proxy) *networkingv1.Sidecar {
	return SidecarInMesh(w.Sidecars, RootNamespace(w), p.Namespace, p.Labels)
}

// SidecarFor is SidecarInMesh in a mesh whose root namespace is
// istio-system (Istio's default).
func SidecarFor(sidecars []*networkingv1.Sidecar, ns string, workloadLabels map[string]string) *networkingv1.Sidecar {
	return SidecarInMesh(sidecars, DefaultRootNamespace, ns, workloadLabels)
}

// SidecarInMesh returns the Sidecar that configures a workload with the
// given labels in namespace ns, as PushContext.getSidecarScope picks it
// among sidecars: one in ns whose workloadSelector matches, else ns's
// Sidecar without selector, else the root namespace's (the mesh config's
// rootNamespace) without selector; the oldest, then by name, within each;
// nil when none applies.
func SidecarInMesh(sidecars []*networkingv1.Sidecar, rootNamespace, ns string, workloadLabels map[string]string) *networkingv1.Sidecar {
	var withSel, without, root *networkingv1.Sidecar
	older := func(a, b *networkingv1.Sidecar) bool {
		if b == nil {
			return true
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	}
	for _, sc := range sidecars {
		switch {
		case sc.Namespace == ns && sc.Spec.WorkloadSelector != nil:
			if labels.SelectorFromSet(sc.Spec.WorkloadSelector.Labels).Matches(labels.Set(workloadLabels)) && older(sc, withSel) {
				withSel = sc
			}
		case sc.Namespace == ns:
			if older(sc, without) {
				without = sc
			}
		case sc.Namespace == rootNamespace && sc.Spec.WorkloadSelector == nil:
			if older(sc, root) {
				root = sc
			}
		}
	}
	switch {
	case withSel != nil:
		return withSel
	case without != nil:
		return without
	}
	return root
}

// egressListeners models initSidecarScopeInternalIndexes and
// convertIstioListenerToWrapper (pilot/pkg/model/sidecar.go): no Sidecar
// means one catch-all egress listener importing */*.
func egressListeners(w *world.World, p *proxy, all []*service) ([]egress, *networkingv1.Sidecar) {
	sc := selectSidecar(w, p)
	visible := visibleTo(all, p.Namespace, p.version.PrivateServicesFirst())
	if sc == nil || len(sc.Spec.Egress) == 0 {
		return []egress{{Services: selectServices(visible, p.Namespace, []string{"*/*"}, nil, false), Hosts: []string{"*/*"}, Source: "default egress (*/*)"}}, sc
	}
	// From 1.31 exact imports are looked up by host and namespace
	// (servicesForExactHosts): one service per pair, the oldest, in
	// creation order, private services losing their precedence.
	exactLookup := p.version.SidecarExactHostLookup()
	var out []egress
	for i, e := range sc.Spec.Egress {
		eg := egress{Bind: e.Bind, Capture: e.CaptureMode.String(), Hosts: e.Hosts, Source: "Sidecar " + sc.Namespace + "/" + sc.Name + " egress[" + itoa(i) + "]"}
		if e.Port != nil {
			proto := parseProtocol(e.Port.Protocol)
			eg.Port = &port{Name: e.Port.Name, Number: int(e.Port.Number), Protocol: proto, Why: "Sidecar egress port protocol " + quote(e.Port.Protocol)}
		}
		sel := func(candidates []*service) []*service {
			return selectServices(candidates, p.Namespace, e.Hosts, portToMatch(eg.Port), p.version.SidecarHostExclusions())
		}
		if exactLookup && allExact(e.Hosts) {
			eg.Services, eg.Undetermined = exactHostLookup(all, visible, p, e.Hosts, sel)
		} else {
			eg.Services = sel(visible)
		}
		out = append(out, eg)
	}
	return out, sc
}

// allExact reports whether every import names one namespace and one exact
// host (no "*" namespace, no wildcard host); exclusions do not count.
func allExact(hosts []string) bool {
	for _, h := range hosts {
		ns, name, _ := strings.Cut(h, "/")
		if strings.HasPrefix(ns, "~") {
			continue
		}
		if ns == "*" || strings.HasPrefix(name, "*") {
			return false
		}
	}
	return true
}

// exactHostLookup models servicesForExactHosts (pilot/pkg/model/sidecar.go)
// and selectServices after it: the egress listener's services, and the
// other imports istiod may make when an index entry ties (exactImports).
func exactHostLookup(all, visible []*service, p *proxy, hosts []string, sel func([]*service) []*service) ([]*service, []alternative) {
	imports := exactImports(all, p.Namespace, hosts, p.version)
	var alts []alternative
	for i, imp := range imports {
		for _, alt := range imp[1:] {
			alts = append(alts, alternative{Pick: imp[0], Alt: alt, Services: sel(exactHostServices(imports, visible, i, alt))})
		}
	}
	return sel(exactHostServices(imports, visible, -1, nil)), alts
}

// exactImports models the lookups of servicesForExactHosts in PushContext's
// HostnameAndNamespace index (initServiceRegistry,
// pilot/pkg/model/push_context.go): for each imported namespace/host the
// service the index holds, the first SortServicesByCreationTime lists (a
// Kubernetes Service over a ServiceEntry), followed by the services tied
// with it (tiedServices), any of which the index may hold instead.
func exactImports(all []*service, configNS string, hosts []string, v versions.Version) [][]*service {
	var out [][]*service
	seen := map[string]bool{}
	for _, h := range hosts {
		ns, name, _ := strings.Cut(h, "/")
		if strings.HasPrefix(ns, "~") {
			continue
		}
		if ns == "." {
			ns = configNS
		}
		if seen[ns+"/"+name] {
			continue
		}
		seen[ns+"/"+name] = true
		var pick *service
		for _, s := range all {
			if s.Hostname == name && s.Namespace == ns && (pick == nil || pick.Registry != registryKube && s.Registry == registryKube) {
				pick = s
			}
		}
		if pick == nil {
			continue
		}
		imp := []*service{pick}
		for _, s := range all {
			if s.Hostname == name && s.Namespace == ns && tiedServices(v, pick, s) {
				imp = append(imp, s)
			}
		}
		out = append(out, imp)
	}
	return out
}

// exactHostServices models servicesForExactHosts over the index entries
// imports: each entry's service, if visible, sorted by creation time;
// entry at holds alt instead (at -1: none does).
func exactHostServices(imports [][]*service, visible []*service, at int, alt *service) []*service {
	var out []*service
	for i, imp := range imports {
		s := imp[0]
		if i == at {
			s = alt
		}
		if slices.Contains(visible, s) {
			out = append(out, s)
		}
	}
	sortByCreation(out)
	return out
}

// selectServices models IstioEgressListenerWrapper.selectServices: import
// by "namespace/host" (namespace "*", "." or a name; "~" excludes), keep
// the aliases the imports match, trim to the egress port, and keep one
// namespace per hostname (the proxy's own,
// else a Kubernetes Service over a ServiceEntry, else the first seen).
//
// With exclusions (1.31 on), a namespace starting with "~" excludes its
// hosts ("~/*" everything not imported otherwise, "~ns/h" one host);
// before, "~" is the namespace of nothing, so such an entry imports nothing
// and excludes nothing.
func selectServices(visible []*service, configNS string, hosts []string, egressPort *port, exclusions bool) []*service {
	type rule struct {
		ns, host string
		exclude  bool
	}
	var rules []rule
	for _, h := range hosts {
		ns, name, _ := strings.Cut(h, "/")
		r := rule{ns: ns, host: name}
		if exclusions && strings.HasPrefix(ns, "~") {
			r.exclude, r.ns = true, strings.TrimPrefix(ns, "~")
			if r.ns == "" {
				r.ns = "*"
			}
		}
		if r.ns == "." {
			r.ns = configNS
		}
		rules = append(rules, r)
	}
	matchesIn := func(ns string, s *service, exclude bool) bool {
		for _, r := range rules {
			if r.ns == ns && r.exclude == exclude && HostMatches(r.host, s.Hostname) {
				return true
			}
		}
		return false
	}
	var imported []*service
	for _, s := range visible {
		if matchesIn(s.Namespace, s, true) || matchesIn("*", s, true) {
			continue
		}
		importNS := s.Namespace
		if !matchesIn(importNS, s, false) {
			importNS = "*"
			if !matchesIn(importNS, s, false) {
				continue
			}
		}
		s = keepImportedAliases(s, func(a *service) bool { return matchesIn(importNS, a, false) })
		if egressPort != nil {
			trimmed := trimToPort(s, egressPort.Number)
			if trimmed == nil {
				continue
			}
			s = trimmed
		}
		imported = append(imported, s)
	}
	type pick struct {
		ns   string
		kube bool
	}
	chosen := map[string]pick{}
	for _, s := range imported {
		np := pick{s.Namespace, s.Registry == registryKube}
		ex, seen := chosen[s.Hostname]
		switch {
		case !seen, s.Namespace == configNS:
			chosen[s.Hostname] = np
		case !ex.kube && np.kube && (np.ns == configNS || ex.ns != configNS):
			chosen[s.Hostname] = np
		}
	}
	out := imported[:0]
	for _, s := range imported {
		if chosen[s.Hostname].ns == s.Namespace {
			out = append(out, s)
		}
	}
	return out
}

// keepImportedAliases models matchingAliasService: an imported service
// keeps only the ExternalName aliases whose hostnames the same imports match
// (those of the namespace that imported the service, else those of "*"),
// whatever the alias's own namespace; a Sidecar that imports only
// "ns1/svc-a.ns1.svc.cluster.local" drops every alias of it, so the alias
// names never reach its SNI chain. Exclusions do not apply to aliases.
func keepImportedAliases(s *service, imported func(alias *service) bool) *service {
	var kept, dropped []*service
	for _, a := range s.Aliases {
		if imported(a) {
			kept = append(kept, a)
		} else {
			dropped = append(dropped, a)
		}
	}
	if len(dropped) == 0 {
		return s
	}
	c := *s
	c.Aliases, c.UnimportedAliases = kept, dropped
	return &c
}

// portToMatch models needsPortMatch: an egress port imports only the
// services that have it, except an HTTP_PROXY port, a generic HTTP proxy
// that imports its hosts whatever their ports.
func portToMatch(egressPort *port) *port {
	if egressPort == nil || egressPort.Protocol == pHTTPProxy {
		return nil
	}
	return egressPort
}

// trimToPort models serviceMatchingListenerPort: a service is imported on
// an egress port only if it has that port, and then only with that port.
func trimToPort(s *service, number int) *service {
	for _, p := range s.Ports {
		if p.Number == number {
			if len(s.Ports) == 1 {
				return s
			}
			c := *s
			c.Ports = []port{p}
			return &c
		}
	}
	return nil
}

// HostMatches is Istio's host.Name matching for Sidecar imports: "*"
// matches all, "*.example.com" matches subdomains, anything else itself.
func HostMatches(pattern, h string) bool {
	if pattern == "*" || pattern == h {
		return true
	}
	if strings.HasPrefix(pattern, "*") {
		return strings.HasSuffix(h, pattern[1:])
	}
	return false
}
