package predictor

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	rds "github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/world"
)

// routeConfigs models BuildHTTPRoutes for a sidecar: one route
// configuration for each RDS name the HTTP chains of the listeners name,
// sorted by name. A name istiod builds no configuration for is left out
// and said in the returned notes.
func (b *builder) routeConfigs(ls []listener.Listener, egresses []egress, catchAll rds.VirtualHost) ([]rds.Config, []string) {
	names := map[string]bool{}
	note := func(d listener.Destination) {
		if d.Kind == listener.HTTP && d.Route != "" {
			names[d.Route] = true
		}
	}
	for _, l := range ls {
		for _, c := range l.FilterChains {
			note(c.Destination)
		}
		if l.DefaultChain != nil {
			note(l.DefaultChain.Destination)
		}
	}
	var out []rds.Config
	var notes []string
	cache := map[portKey]portHosts{}
	for name := range names {
		c, note := b.routeConfig(name, egresses, catchAll, cache)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		out = append(out, c)
	}
	rds.Sort(out)
	sort.Strings(notes)
	return out, notes
}

// routeConfig models buildSidecarOutboundHTTPRouteConfig for one route
// name: "PORT" (the port's virtual hosts, then the catch-all) or
// "HOST:PORT" (a sniffed listener of its own: only the virtual host with
// that host among its domains, whose domains become "*"), or a unix
// socket's "unix://PATH" (every port, as an HTTP_PROXY port's); each
// ignores the Host's port.
func (b *builder) routeConfig(name string, egresses []egress, catchAll rds.VirtualHost, cache map[portKey]portHosts) (rds.Config, string) {
	unix := strings.HasPrefix(name, "unix://")
	hostPart, portPart, sniffed := strings.Cut(name, ":")
	if !sniffed || unix {
		portPart, sniffed = name, false
	}
	number, err := strconv.Atoi(portPart)
	if err != nil && !unix {
		return rds.Config{}, "route " + name + " (a name istiod builds no configuration for)"
	}
	eg := egressForRDS(egresses, number, name)
	var vhs []rds.VirtualHost
	var dups []rds.Duplicate
	from := "no egress listener (none takes the port)"
	if eg != nil {
		// An HTTP_PROXY egress port is a proxy for every port: its
		// configuration holds the virtual hosts of all of them.
		listenPort := listenPort(eg, number, unix)
		switch {
		case unix:
			from = "every port (" + eg.Source + ", a unix socket)"
		case listenPort == 0:
			from = "every port (" + eg.Source + " is an HTTP_PROXY port)"
		}
		key := portKey{eg, listenPort}
		ph, ok := cache[key]
		if !ok {
			ph.vhs, ph.dups, ph.ties, ph.lost = b.portVirtualHosts(eg, listenPort)
			cache[key] = ph
			b.lostHostFindings(name, ph.vhs, ph.lost)
		}
		vhs, dups = ph.vhs, ph.dups
		if listenPort != 0 {
			from = eg.Source
		}
		if sniffed {
			vhs = ph.holding(hostPart)
			cache[key] = ph
		}
	}
	c := rds.Config{Name: name, Duplicates: dups, IgnorePortInHostMatching: true}
	if !sniffed {
		vhs = slices.Clone(vhs)
		sortVirtualHosts(vhs)
		c.VirtualHosts = append(vhs, catchAll)
		c.Reason = fmt.Sprintf("port %d's virtual hosts from %s, then the catch-all (buildSidecarOutboundHTTPRouteConfig)", number, from)
		if eg != nil {
			b.vhostUndetermined(name, cache[portKey{eg, listenPort(eg, number, unix)}].ties)
		}
		return c, ""
	}
	if eg != nil {
		// Which of two tied services of the host istiod keeps decides
		// this configuration's virtual host too.
		var own []vhostTie
		for _, t := range cache[portKey{eg, listenPort(eg, number, unix)}].ties {
			if t.domain == "" && t.source == "" && strings.EqualFold(t.services[0].Hostname, hostPart) {
				own = append(own, t)
			}
		}
		b.vhostUndetermined(name, own)
	}
	kept := vhs
	if len(kept) == 1 {
		kept[0].Domains = []string{"*"}
		kept[0].Reason += "; the only virtual host of " + hostPart + " on a listener of its own, so its domains become * (getVirtualHostsForSniffedServicePort)"
	}
	sortVirtualHosts(kept)
	c.VirtualHosts = kept
	c.Reason = fmt.Sprintf("the virtual hosts of port %d naming %s, no catch-all: a sniffed listener of its own (getVirtualHostsForSniffedServicePort)", number, hostPart)
	return c, ""
}

// listenPort is the port BuildSidecarOutboundVirtualHosts builds for: 0
// (every port) for an HTTP_PROXY egress port, else the route name's (0
// for a unix socket).
func listenPort(eg *egress, number int, unix bool) int {
	if !unix && eg.Port != nil && eg.Port.Protocol == pHTTPProxy {
		return 0
	}
	return number
}

// portKey and portHosts cache the virtual hosts of an egress listener's
// port, as istiod's vHostCache does for the route names of one port.
type portKey struct {
	eg     *egress
	number int
}

type portHosts struct {
	vhs  []rds.VirtualHost
	dups []rds.Duplicate
	// lost are the virtual hosts and domains dropped for a duplicate,
	// with what route findings need of them (lostHost).
	lost []lostHost
	// ties are the virtual hosts whose domains an order istiod takes from
	// a map decides (vhostTie).
	ties []vhostTie
	// byDomain indexes vhs by domain, for the sniffed route names of the
	// port (getVirtualHostsForSniffedServicePort).
	byDomain domainIndex
}

// holding returns the port's virtual hosts that hold the domain host, in
// order, indexing them by domain the first time.
func (ph *portHosts) holding(host string) []rds.VirtualHost {
	if ph.byDomain.first == nil {
		ph.byDomain = newDomainIndex(ph.vhs)
	}
	i, ok := ph.byDomain.first[host]
	if !ok {
		return nil
	}
	out := []rds.VirtualHost{ph.vhs[i]}
	for _, j := range ph.byDomain.more[host] {
		out = append(out, ph.vhs[j])
	}
	return out
}

// newDomainIndex maps each domain to the virtual hosts holding it, in order.
// The domains have no port, so a sniffed route name "HOST:PORT" matches a
// virtual host by HOST alone.
func newDomainIndex(vhs []rds.VirtualHost) domainIndex {
	x := domainIndex{first: make(map[string]int, 2*len(vhs))}
	for i, vh := range vhs {
		for _, d := range vh.Domains {
			first, ok := x.first[d]
			switch {
			case !ok:
				x.first[d] = i
			case first != i && !slices.Contains(x.more[d], i):
				if x.more == nil {
					x.more = map[string][]int{}
				}
				x.more[d] = append(x.more[d], i)
			}
		}
	}
	return x
}

// domainIndex holds, for each domain, the position of the first virtual
// host holding it and, apart, those of any later ones (rare: domains are
// deduplicated), so that the common case costs no list.
type domainIndex struct {
	first map[string]int
	more  map[string][]int
}

// egressForRDS models SidecarScope.GetEgressListenerForRDS: the first
// egress listener without a port (the catch-all), or with this port; for
// port 0 (a unix socket) only one bound to the route name.
func egressForRDS(egresses []egress, number int, name string) *egress {
	for i := range egresses {
		eg := &egresses[i]
		if eg.Port == nil || eg.Port.Number == number && (number != 0 || eg.Bind == name) {
			return eg
		}
	}
	return nil
}

// sortVirtualHosts models util.SortVirtualHosts: by name, stable.
func sortVirtualHosts(vhs []rds.VirtualHost) { rds.SortVirtualHosts(vhs) }

// hostWrapper is Istio's VirtualHostWrapper: services and plain
// VirtualService hosts that share the routes of one VirtualService (or a
// service's default route).
type hostWrapper struct {
	// port is the service port the virtual hosts are for.
	port     int
	services []*service
	vsHosts  []string
	routes   []rds.Route
	// cut are the VirtualService's routes after one that matches every
	// request, which istiod does not write (httpRoutes).
	cut []rds.Route
	// source is the VirtualService, "" for a service's default route.
	source string
	// notes say which of the VirtualService's http routes its delegates
	// dropped.
	notes []string
}

// portServices models the servicesByName map of
// BuildSidecarOutboundVirtualHosts: of the services (servicesWithPort), those that
// have the port, each with that port only (for port 0, every service
// with every port), by (lower-cased) hostname; a later service of a
// hostname replaces an earlier one. A service whose port of that number
// is UDP does not have it here (routePort).
func portServices(number int, services []*service) map[string]*service {
	out := make(map[string]*service, len(services))
	for _, s := range services {
		if number == 0 {
			out[strings.ToLower(s.Hostname)] = s
			continue
		}
		if p, ok := routePort(s, number); ok {
			c := *s
			c.Ports = []port{p}
			out[strings.ToLower(s.Hostname)] = &c
		}
	}
	return out
}

// routePort models PortList.GetByPort: the service's first port of that
// number that is not UDP. A UDP port is never one istiod routes HTTP on,
// so for the route configurations a service with only a UDP port of the
// number does not have the port: a VirtualService host naming it is a
// host that is no service.
func routePort(s *service, number int) (port, bool) {
	for _, p := range s.Ports {
		if p.Number == number && p.Protocol != pUDP {
			return p, true
		}
	}
	return port{}, false
}

// udpOnlyHosts are the (lower-cased) hostnames of the egress listener's
// services that have the port number only as UDP: routePort leaves them
// out, which the virtual host of a VirtualService naming one says.
func udpOnlyHosts(number int, services []*service) map[string]bool {
	out, routed := map[string]bool{}, map[string]bool{}
	if number == 0 {
		return out
	}
	for _, s := range services {
		h := strings.ToLower(s.Hostname)
		if _, ok := routePort(s, number); ok {
			routed[h] = true
		} else if slices.ContainsFunc(s.Ports, func(p port) bool { return p.Number == number }) {
			out[h] = true
		}
	}
	for h := range routed {
		delete(out, h)
	}
	return out
}

// portVirtualHosts models BuildSidecarOutboundVirtualHosts for a listener
// port: the VirtualServices' virtual hosts first, then each remaining
// service's default one, with their domains deduplicated in that order.
func (b *builder) portVirtualHosts(eg *egress, number int) ([]rds.VirtualHost, []rds.Duplicate, []vhostTie, []lostHost) {
	services := b.servicesWithPort(eg, number)
	byName := portServices(number, services)
	ties := b.hostnameTies(services, byName, number)
	wrappers := b.virtualServiceWrappers(eg, byName, number)
	for _, w := range wrappers {
		for _, s := range w.services {
			delete(byName, strings.ToLower(s.Hostname))
		}
	}
	hosts := make([]string, 0, len(byName))
	for h := range byName {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts) // istiod ranges over a map: only duplicate domains see the order
	wrappers = slices.Grow(wrappers, len(hosts))
	for _, h := range hosts {
		s := byName[h]
		if s.Resolution == resAlias {
			continue
		}
		for _, p := range s.Ports {
			if !httpOrSniffed(p.Protocol) {
				continue
			}
			cluster := listener.ServiceCluster{Port: p.Number, Host: s.Hostname}.Name()
			wrappers = append(wrappers, hostWrapper{port: p.Number, services: []*service{s}, routes: []rds.Route{{
				Name: "default", Match: rds.Match{PathKind: rds.Prefix, Path: "/"},
				Action: rds.Action{Kind: rds.Forward, Cluster: cluster},
				Reason: "no VirtualService routes " + s.Hostname + " on port " + itoa(p.Number) + ": every request goes to its cluster (buildSidecarVirtualHostForService)",
			}}})
		}
	}
	vb := b.virtualHosts(wrappers, number, udpOnlyHosts(number, services))
	vhs := vb.out
	if number == 0 {
		vhs = mergeAllPorts(vhs, vb.ports)
	}
	ties = append(ties, vsPortTies(wrappers, number)...)
	return vhs, vb.dups, append(ties, vb.ties...), vb.lost
}

// servicesWithPort is the egress listener's services that have a port of
// that number (of any protocol), in order; every service for port 0. The
// index is built once per egress listener: a sidecar's route
// configurations are one per port, and each reads only its port's
// services.
func (b *builder) servicesWithPort(eg *egress, number int) []*service {
	if number == 0 {
		return eg.Services
	}
	if b.portIndex == nil {
		b.portIndex = map[*egress]map[int][]*service{}
	}
	index, ok := b.portIndex[eg]
	if !ok {
		index = map[int][]*service{}
		for _, s := range eg.Services {
			for i, p := range s.Ports {
				if !slices.ContainsFunc(s.Ports[:i], func(q port) bool { return q.Number == p.Number }) {
					index[p.Number] = append(index[p.Number], s)
				}
			}
		}
		b.portIndex[eg] = index
	}
	return index[number]
}

// mergeAllPorts models mergeAllVirtualHosts: of the virtual hosts of every
// port, those of port 80 whole, the others with only their domains that
// hold a colon (HOST:PORT), dropped when none does.
func mergeAllPorts(vhs []rds.VirtualHost, ports []int) []rds.VirtualHost {
	var out []rds.VirtualHost
	for i, vh := range vhs {
		if ports[i] != 80 {
			vh.Domains = slices.DeleteFunc(slices.Clone(vh.Domains), func(d string) bool { return !strings.Contains(d, ":") })
			if len(vh.Domains) == 0 {
				continue
			}
			vh.Reason += "; merged into an every-port configuration, so only its domains with a port (mergeAllVirtualHosts)"
		}
		out = append(out, vh)
	}
	return out
}

func httpOrSniffed(p protocol) bool { return p.class() == classHTTP || p.class() == classAuto }

// virtualHosts models the virtual host loop of
// BuildSidecarOutboundVirtualHosts: per wrapper, a virtual host for each
// plain VirtualService host, then each service, named HOST:PORT (the
// wrapper's port); a name already built is dropped, and so is each domain
// an earlier virtual host holds (pilot_vservice_dup_domain). A virtual
// host left without domains is dropped. On port 0 (every port) the
// services' domains carry their port too. The result holds each virtual
// host's port beside it. udpOnly names the hostnames whose port is UDP
// only, for the reasons of their plain hosts.
func (b *builder) virtualHosts(wrappers []hostWrapper, number int, udpOnly map[string]bool) *vhostBuild {
	vb := &vhostBuild{b: b, every: number == 0, udpOnly: udpOnly,
		known:   make(map[string]bool, 2*len(wrappers)),
		names:   make(map[string]string, len(wrappers)),
		domains: make(map[string]domainHolder, 6*len(wrappers)),
		out:     make([]rds.VirtualHost, 0, len(wrappers)),
	}
	for _, w := range wrappers {
		for _, s := range w.services {
			vb.known[s.Hostname] = true
			vb.known[net.JoinHostPort(s.Hostname, itoa(w.port))] = true
		}
	}
	for _, w := range wrappers {
		for _, h := range w.vsHosts {
			vb.build(w, h, nil)
		}
		for _, s := range w.services {
			vb.build(w, s.Hostname, s)
		}
	}
	return vb
}

// vhostBuild is the state of one virtualHosts run: the hostnames of the
// wrappers' services (knownFQDN), the names and domains built so far with
// the manifest that has each, and the result.
type vhostBuild struct {
	b     *builder
	every bool
	known map[string]bool
	// udpOnly holds the hostnames of services whose port is UDP only.
	udpOnly map[string]bool
	names   map[string]string
	// domains holds, for each domain built, who holds it.
	domains map[string]domainHolder
	out     []rds.VirtualHost
	ports   []int
	dups    []rds.Duplicate
	ties    []vhostTie
	lost    []lostHost
}

// domainHolder is the manifest and virtual host that hold a domain, its
// service (nil for a plain VirtualService host) and whether its wrapper
// is a service's default one, which istiod takes in a map's order.
type domainHolder struct {
	owner string
	vhost string
	svc   *service
	byMap bool
}

// build models buildVirtualHost: the virtual host of host h (service s,
// or a plain VirtualService host when s is nil) with the wrapper's routes.
func (vb *vhostBuild) build(w hostWrapper, h string, s *service) {
	name := net.JoinHostPort(h, itoa(w.port))
	host := h
	owner := w.source
	if owner == "" {
		owner = s.Source
	}
	if first, ok := vb.names[name]; ok {
		vb.dups = append(vb.dups, rds.Duplicate{VirtualHost: name, Kept: first, Dropped: owner,
			Reason: "an earlier virtual host has the name " + name + ": istiod drops this one whole (duplicate domain)"})
		vb.lost = append(vb.lost, lostHost{vhost: name, host: h, kept: first, keptVHost: name, dropped: owner, w: w, svc: s})
		return
	}
	vb.names[name] = owner
	var ds, expanded []string
	var why string
	if s == nil {
		ds = []string{ipv6Compliant(h)}
		why = "host " + h + " of " + w.source + ", no service of that name on port " + itoa(w.port)
		if vb.udpOnly[h] {
			why += " (its service's port " + itoa(w.port) + " is UDP, which istiod's port lookup skips: PortList.GetByPort)"
		}
	} else {
		suffix := 0
		if vb.every {
			suffix = w.port
		}
		ds, expanded = vb.b.serviceDomains(s, suffix)
		why = "service " + s.Hostname + " port " + itoa(w.port)
		if w.source != "" {
			why += ", routed by " + w.source
		}
	}
	if len(w.notes) > 0 {
		why += "; " + strings.Join(w.notes, "; ")
	}
	kept := make([]string, 0, len(ds))
	for _, d := range ds {
		lower := strings.ToLower(d)
		if h, ok := vb.domains[lower]; ok {
			vb.dups = append(vb.dups, rds.Duplicate{VirtualHost: name, Domain: d, Kept: h.owner, Dropped: owner,
				Reason: "an earlier virtual host already has the domain " + d + " (dedupeDomains)"})
			// Built first, this virtual host would keep d unless d is
			// one of its expanded names that a service declares as its
			// own (then the order changes nothing).
			ownedElsewhere := slices.Contains(expanded, d) && vb.known[d]
			tie := h.byMap && w.source == "" && h.svc != nil && s != nil && h.svc != s && !ownedElsewhere
			if tie {
				vb.ties = append(vb.ties, vhostTie{domain: d, vhosts: [2]string{h.vhost, name}, services: [2]*service{h.svc, s}, port: w.port})
			}
			vb.lost = append(vb.lost, lostHost{vhost: name, host: host, domain: d, kept: h.owner, keptVHost: h.vhost, dropped: owner, w: w, svc: s, tie: tie})
			continue
		}
		if slices.Contains(expanded, d) && vb.known[d] {
			vb.dups = append(vb.dups, rds.Duplicate{VirtualHost: name, Domain: d, Kept: d, Dropped: owner,
				Reason: d + " is a short form of " + h + " but also a service's own hostname, which keeps it (dedupeDomains)"})
			continue
		}
		kept = append(kept, d)
		vb.domains[lower] = domainHolder{owner: owner, vhost: name, svc: s, byMap: w.source == ""}
	}
	if len(kept) == 0 {
		return
	}
	vb.out = append(vb.out, rds.VirtualHost{Name: name, Domains: kept, Routes: slices.Clone(w.routes), Reason: why})
	vb.ports = append(vb.ports, w.port)
	vb.b.unreachableRoutes(w, host, s)
}

// ipv6Compliant models util.IPv6Compliant: a host with a colon in
// brackets.
func ipv6Compliant(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// serviceDomains models generateVirtualHostDomains for a sidecar: the
// hostname and its other names for this proxy, the same for each
// ExternalName alias, "*." before each of them for a headless Kubernetes
// Service, then the service's addresses for the proxy; each also with
// ":PORT" when port is not 0 (on a listener port the configuration
// ignores the Host's port, and port is 0). It also returns the other
// names alone.
func (b *builder) serviceDomains(s *service, port int) ([]string, []string) {
	// A Kubernetes service's names: its hostname and the short forms
	// (up to 3), each with and without the port, then its addresses.
	domains, expanded := make([]string, 0, 12), make([]string, 0, 6)
	all := []string{s.Hostname}
	for _, a := range s.Aliases {
		all = append(all, a.Hostname)
	}
	for _, h := range all {
		alt := b.altVirtualHosts(h, port)
		domains = append(withPort(domains, h, port), alt...)
		expanded = append(expanded, alt...)
	}
	if s.Resolution == resPassthrough && s.Registry == registryKube {
		for _, d := range slices.Clone(domains) {
			domains = append(domains, "*."+d)
		}
	}
	for _, a := range b.routeAddresses(s) {
		if a != wildcardV4 && a != "" {
			domains = withPort(domains, a, port)
		}
	}
	return domains, expanded
}

// withPort models appendDomainPort: the domain (IPv6 in brackets), then
// DOMAIN:PORT unless port is 0.
func withPort(domains []string, d string, port int) []string {
	domains = append(domains, ipv6Compliant(d))
	if port != 0 {
		domains = append(domains, net.JoinHostPort(d, itoa(port)))
	}
	return domains
}

// routeAddresses models Service.GetAllAddressesForProxy on the copy
// BuildSidecarOutboundVirtualHosts makes of a service: its ClusterIPs of
// the proxy's families, else the address the proxy uses for it (an
// auto-allocated VIP only where the proxy uses those).
func (b *builder) routeAddresses(s *service) []string {
	if ips := b.p.family(s.ClusterIPs, b.p.DualStackFeature); len(ips) > 0 {
		return ips
	}
	if a := s.address(b.p); a != "" {
		return []string{a}
	}
	return nil
}

// altVirtualHosts models GenerateAltVirtualHosts for a proxy whose DNS
// domain is NAMESPACE.svc.cluster.local: the hostname with a trailing dot
// (PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN, not for an IP), then for a
// Kubernetes hostname NAME.NS.svc.cluster.local of the proxy's namespace
// NAME, NAME.NS.svc and NAME.NS, of another namespace NAME.NS and
// NAME.NS.svc; nothing more for other hostnames. Each name is followed by
// NAME:PORT unless port is 0 (the trailing-dot name's port form comes
// even for an IP).
func (b *builder) altVirtualHosts(h string, port int) []string {
	var out []string
	if b.p.AbsoluteFQDN {
		if _, err := netip.ParseAddr(h); err != nil {
			out = append(out, h+".")
		}
		if port != 0 {
			out = append(out, net.JoinHostPort(h+".", itoa(port)))
		}
	}
	if !strings.HasSuffix(h, ".svc."+domainSuffix) {
		return out
	}
	ih := strings.Index(h, ".svc.")
	dot := strings.Index(h, ".")
	if dot+1 >= len(h) || dot+1 > ih {
		return out
	}
	name, ns := h[:dot], h[dot+1:ih]
	out = slices.Grow(out, 6)
	var namesArray [3]string
	names := append(namesArray[:0], name+"."+ns, name+"."+ns+".svc")
	if ns == b.p.Namespace {
		names = append(namesArray[:0], name, name+"."+ns+".svc", name+"."+ns)
	}
	for _, n := range names {
		out = append(out, n)
		if port != 0 {
			out = append(out, net.JoinHostPort(n, itoa(port)))
		}
	}
	return out
}

// dynamicDNSCatchAll says whether the sidecar scope's policy is
// ALLOW_ANY_DYNAMIC_DNS (IsAllowAnyDynamicDNSOutbound) in a version whose
// pilot knows the mode: only the mesh config can set it, and a Sidecar's
// own outboundTrafficPolicy replaces the mesh config's.
func dynamicDNSCatchAll(w *world.World, sc *networkingv1.Sidecar, v versions.Version) bool {
	mode, _ := meshMode(w)
	return (sc == nil || sc.Spec.OutboundTrafficPolicy == nil) && mode == modeAllowAnyDynamicDNS && v.AllowAnyDynamicDNS()
}

// catchAllVirtualHost models buildCatchAllVirtualHost: the last virtual
// host of a port's configuration, domain "*": allow_any to
// PassthroughCluster (or the Sidecar's egressProxy cluster), block_all
// answering 502 under REGISTRY_ONLY, allow_any_dynamic_dns to
// AllowAnyDynamicDNSCluster under ALLOW_ANY_DYNAMIC_DNS where pilot knows
// the mode; the policy as outboundCatchAll reads it.
func catchAllVirtualHost(w *world.World, sc *networkingv1.Sidecar, v versions.Version) rds.VirtualHost {
	dest, why := outboundCatchAll(w, sc, v)
	if why == "" {
		why = "outboundTrafficPolicy ALLOW_ANY (the default)"
	}
	vh := rds.VirtualHost{Name: "allow_any", Domains: []string{"*"}}
	r := rds.Route{Name: "allow_any", Match: rds.Match{PathKind: rds.Prefix, Path: "/"},
		Action: rds.Action{Kind: rds.Forward, Cluster: dest.Cluster}}
	switch {
	case dest.Cluster == listener.BlackHoleCluster:
		vh.Name, r.Name = "block_all", "block_all"
		r.Action = rds.Action{Kind: rds.DirectResponse, Status: 502}
	case dynamicDNSCatchAll(w, sc, v):
		vh.Name, r.Name = "allow_any_dynamic_dns", "allow_any_dynamic_dns"
		r.Action.Cluster = "AllowAnyDynamicDNSCluster"
	}
	vh.Reason = "catch-all for Hosts no service names: " + why + " (buildCatchAllVirtualHost)"
	r.Reason = vh.Reason
	vh.Routes = []rds.Route{r}
	return vh
}
