package predictor

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// Reserved proxy ports: the virtual outbound and inbound listeners (mesh
// config proxyListenPort and proxyInboundListenPort) and the sidecar's
// status and Prometheus ports.
var reservedPorts = map[int]string{15001: "virtual outbound listener", 15006: "virtual inbound listener", 15021: "status port", 15090: "Prometheus port"}

// plaintextHTTPALPNs are the application protocols an HTTP chain matches
// behind the http_inspector (listener.go plaintextHTTPALPNs).
var plaintextHTTPALPNs = []string{"http/1.1", "h2c"}

// chain is a filter chain under construction (filterChainOpts).
type chain struct {
	sni       []string
	cidrs     []string
	alpn      []string
	transport string
	dest      listener.Destination
	svc       *service
	port      port
	reason    string
}

func (c *chain) matchAll() bool {
	return (len(c.sni) == 0 || slices.Contains(c.sni, "*")) && len(c.alpn) == 0 && c.transport == "" && len(c.cidrs) == 0
}

// conflictsWith models filterChainOpts.conflictsWith: same transport,
// application protocols, SNI set and masked CIDR set.
func (c *chain) conflictsWith(o *chain) bool {
	if c.transport != o.transport || strings.Join(c.alpn, ",") != strings.Join(o.alpn, ",") {
		return false
	}
	set := func(xs []string, norm func(string) (string, bool)) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			if n, ok := norm(x); ok {
				m[n] = true
			}
		}
		return m
	}
	sni := func(s string) (string, bool) { return s, s != "*" }
	cidr := func(s string) (string, bool) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return "", false
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().String() == wildcardV4 {
			return "", false
		}
		return p.Masked().String(), true
	}
	return equalSets(set(c.sni, sni), set(o.sni, sni)) && equalSets(set(c.cidrs, cidr), set(o.cidrs, cidr))
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// entry is one listener under construction (outboundListenerEntry).
type entry struct {
	binds      []string
	bindToPort bool
	port       port
	protocol   protocol
	locked     bool
	chains     []*chain
	reason     string
	// listenerName caches name(): binds and port are set when the entry
	// is made and never change.
	listenerName string
}

// name is the listener's name, ADDRESS_PORT.
func (e *entry) name() string {
	if e.listenerName == "" {
		e.listenerName = listenerName(e.binds[0], e.port.Number)
	}
	return e.listenerName
}

// listenerName is ADDRESS_PORT, in one allocation (a prediction names
// tens of thousands of listeners and entry keys).
func listenerName(addr string, port int) string {
	b := make([]byte, 0, len(addr)+6)
	b = append(b, addr...)
	b = append(b, '_')
	return string(strconv.AppendInt(b, int64(port), 10))
}

type opts struct {
	svc        *service
	port       port
	binds      []string
	bindToPort bool
	cidrs      []string
	eg         *egress
	// headlessPodCIDR marks an endpoint's chain on the wildcard listener
	// (PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER): its cidrs are the
	// endpoint's addresses, and a TLS chain matches no SNI.
	headlessPodCIDR bool
}

// builder models ListenerBuilder.buildSidecarOutboundListeners.
type builder struct {
	p         *proxy
	entries   map[string]*entry
	order     []string
	conflicts []listener.Conflict
	findings  []Finding
	opts      options
	// routing holds the VirtualServices of the sidecar scope (vsroutes.go).
	routing *routing
	// catchAllWhy says why unmatched connections go where they go, when
	// not Istio's default (outboundCatchAll).
	catchAllWhy string
	// redis is PILOT_ENABLE_REDIS_FILTER: Redis chains end with redis_proxy
	// (redis.go).
	redis bool
	// arrived lists, per listener name, the service ports that reached it
	// so far, kept or not (proxyOrderUndetermined).
	arrived map[string]*arrivals
	// headlessChains is PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER as
	// istiod sees it (headlessFilterChainFeature).
	headlessChains bool
	// unreachable holds the VirtualService routes UnreachableRoute has
	// reported, by VirtualService, port and route.
	unreachable map[string]bool
	// proxyScoped holds the reasons of routes from matches scoped to a
	// port or client (scoped).
	proxyScoped map[string]bool
	// portIndex holds each egress listener's services by port number
	// (servicesWithPort).
	portIndex map[*egress]map[int][]*service
}

// finding raises a finding at its code's severity (findingTypes).
func (b *builder) finding(code Code, s *service, p port, listenerName, format string, args ...any) {
	t, _ := code.Type()
	b.findingAt(code, t.Severity, s, p, listenerName, format, args...)
}

// why says why the last finding raised happens: the rule and Istio's
// behaviour, in plain words.
func (b *builder) why(format string, args ...any) {
	b.findings[len(b.findings)-1].Why = fmt.Sprintf(format, args...)
}

// findingAt raises a finding of a graded code at the given severity.
func (b *builder) findingAt(code Code, severity Severity, s *service, p port, listenerName, format string, args ...any) {
	f := Finding{Code: code, Severity: severity, Listener: listenerName, Message: fmt.Sprintf(format, args...)}
	if s != nil {
		f.Service, f.Source, f.Port = s.Hostname, s.Source, p.Number
	}
	b.findings = append(b.findings, f)
}

// canBind models Proxy.CanBindToPort: unprivileged proxies cannot bind
// ports below 1024, and nothing on the wildcard (or HTTP without a bind)
// may take a reserved proxy port.
func (b *builder) canBind(bindToPort bool, bind string, number int, proto protocol) (bool, string) {
	if bindToPort && b.p.Unprivileged && number > 0 && number < 1024 {
		return false, "the proxy is unprivileged and cannot bind ports below 1024"
	}
	if bind != "" && bind != b.p.wildcards()[0] || bind == "" && !proto.isHTTP() {
		return true, ""
	}
	if what, ok := reservedPorts[number]; ok {
		return false, "port " + itoa(number) + " is the sidecar's " + what
	}
	return true, ""
}

func (b *builder) run(egresses []egress) {
	for i := range egresses {
		eg := &egresses[i]
		o := opts{eg: eg}
		switch {
		case b.p.CaptureNone:
			o.bindToPort = true
		case eg.Capture == "NONE":
			o.bindToPort = true
		case strings.HasPrefix(eg.Bind, "unix://"):
			o.bindToPort = true
		}
		if eg.Bind != "" {
			o.binds = []string{eg.Bind}
		} else if o.bindToPort {
			o.binds = b.p.localhosts()
		}
		if eg.Port != nil {
			if ok, why := b.canBind(o.bindToPort, first(o.binds), eg.Port.Number, eg.Port.Protocol); !ok {
				b.finding(PortSkipped, nil, *eg.Port, "", "connections on port %d bypass %s: the port gets no listener", eg.Port.Number, eg.Source)
				b.why("%s; a connection on a port without a listener passes through the sidecar unrouted", why)
				if witnessable(o.bindToPort, eg.Port.Number) {
					b.witness(witnessSpec{port: eg.Port.Number, v6: b.p.V6 && !b.p.V4, meant: eg.Source + " port " + itoa(eg.Port.Number)})
				}
				continue
			}
			for _, s := range eg.Services {
				so := o
				so.svc, so.port = s, *eg.Port
				b.add(so, eg.Source+" port "+itoa(eg.Port.Number))
			}
			continue
		}
		// A catch-all egress listener: lock what explicit ports built.
		for _, e := range b.entries {
			e.locked = true
		}
		for _, s := range eg.Services {
			for _, sp := range s.Ports {
				if ok, why := b.canBind(o.bindToPort, first(o.binds), sp.Number, sp.Protocol); !ok {
					if !witnessable(o.bindToPort, sp.Number) {
						b.finding(PortSkipped, s, sp, "", "connections to %s:%d get no listener of the service", s.Hostname, sp.Number)
						if o.bindToPort {
							b.why("%s; the proxy captures nothing, so an application that connects to the sidecar on this port (the way to use it without capture) finds nothing listening", why)
						} else {
							b.why("%s; the connections are not routed to the service (a real sidecar hands a connection on its own port to its own listener there)", why)
						}
						continue
					}
					b.finding(PortSkipped, s, sp, "", "connections to %s:%d bypass the sidecar's routing: the port gets no listener", s.Hostname, sp.Number)
					b.why("%s; a connection on a port without a listener passes through the sidecar unrouted (no mesh TLS, retries or telemetry for it)", why)
					b.witness(b.connFor(s, sp, first(o.binds), nil))
					continue
				}
				so := o
				so.svc, so.port = s, sp
				addr := s.address(b.p)
				if first(so.binds) == "" && s.Resolution == resPassthrough && addr == wildcardV4 && (sp.Protocol.isTCP() || sp.Protocol.class() == classAuto) {
					b.perEndpoint(so)
					continue
				}
				b.add(so, "")
			}
		}
	}
}

// perEndpoint models the headless branch: a passthrough service with no
// VIP gets one listener per endpoint for TCP and auto-detect ports.
func (b *builder) perEndpoint(o opts) {
	s, sp := o.svc, o.port
	eps := s.Endpoints[sp.Number]
	if s.Registry != registryKube && len(eps) == 0 && !s.HasSelector {
		b.add(o, "resolution NONE with no endpoints and no selector: Istio falls back to the wildcard listener")
		return
	}
	if len(eps) == 0 {
		why := "a headless Service with no endpoints"
		if s.Registry != registryKube {
			why = "a resolution-NONE ServiceEntry with a workloadSelector but no endpoints"
		}
		b.finding(NoEndpoints, s, sp, "", "%s:%d gets no listener: it has no endpoints", s.Hostname, sp.Number)
		b.why("%s gets one listener per endpoint (it has no VIP to listen on), and it has none", why)
		return
	}
	built := 0
	for _, addrs := range eps {
		valid := len(addrs) > 0
		for _, a := range addrs {
			if _, err := netip.ParseAddr(a); err != nil {
				valid = false
			}
		}
		if !valid {
			b.finding(EndpointSkipped, s, sp, "", "%s:%d: endpoint %s gets no listener", s.Hostname, sp.Number, strings.Join(addrs, ","))
			b.why("a passthrough service without a VIP gets one listener per endpoint address, and %s is not an IP address", strings.Join(addrs, ","))
			continue
		}
		if len(b.p.IPs) > 0 && addrs[0] == b.p.IPs[0] {
			continue
		}
		eo := o
		if b.headlessChains && sp.Protocol.isTCP() {
			eo.binds, eo.cidrs, eo.headlessPodCIDR = b.p.wildcards(), addrs, true
			b.add(eo, "passthrough service without a VIP, PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER on: a chain per endpoint ("+addrs[0]+") on the wildcard listener")
			continue
		}
		eo.binds = addrs
		b.add(eo, "passthrough service without a VIP: one listener per endpoint ("+endpointWhy(addrs)+")")
		built++
	}
	if built > b.opts.maxEndpointListeners {
		b.finding(ManyEndpointListeners, s, sp, "", "%s:%d makes %d listeners, one per endpoint", s.Hostname, sp.Number, built)
		b.why("a headless service's TCP or auto-detected port has no VIP, so istiod gives every sidecar that sees it a listener per pod; more than %d", b.opts.maxEndpointListeners)
	}
}

// endpointWhy names a per-endpoint listener's endpoint: its address, and
// the endpoint's other addresses, which the listener carries as additional
// addresses (a dual-stack pod's under ISTIO_DUAL_STACK: podAddresses).
func endpointWhy(addrs []string) string {
	if len(addrs) < 2 {
		return addrs[0]
	}
	return addrs[0] + ", with the endpoint's other addresses " + strings.Join(addrs[1:], ",") + " as additional addresses"
}

// witnessable reports whether a skipped port's connections can be traced:
// not for a proxy or egress listener that captures nothing (the
// application connects to a bound port, and nothing is bound), nor on the
// sidecar's own ports 15006, 15021 and 15090, whose listeners (virtual
// inbound, and the bootstrap's status and Prometheus listeners a real
// sidecar hands such connections to) the prediction leaves out. 15001 is
// the virtual outbound listener itself: the connection stays on it.
func witnessable(bindToPort bool, number int) bool {
	_, reserved := reservedPorts[number]
	return !bindToPort && (!reserved || number == 15001)
}

// chainConn is the witness connection for chain c's service: connFor, to
// the chain's first destination prefix when it has prefix ranges.
func (b *builder) chainConn(c *chain, bind string) witnessSpec {
	spec := b.connFor(c.svc, c.port, bind, c.sni)
	if ps := prefixes(c); len(ps) > 0 {
		spec.addr = ps[0].Addr().String()
	}
	return spec
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// add models buildSidecarOutboundListener (pilot/pkg/networking/core/listener.go)
// in four steps: choose the binds, classify the conflict with the listener
// already on that name, build the chains, apply them.
func (b *builder) add(o opts, why string) {
	s, sp := o.svc, o.port
	if s.Resolution == resAlias {
		b.finding(AliasNoListener, s, sp, "", "%s:%d gets no listener of its own", s.Hostname, sp.Number)
		b.why("an ExternalName Service is a DNS alias: connections go to the target's address and take the target's listeners")
		return
	}
	class := sp.Protocol.class()
	if class == classNone {
		b.finding(UDPNoListener, s, sp, "", "%s:%d gets no listener: UDP bypasses the sidecar", s.Hostname, sp.Number)
		b.why("Istio's sidecar proxies TCP only; UDP (DNS aside, with DNS capture) is not redirected")
		return
	}
	o, addrWhy := b.chooseBinds(o, class)
	key := listenerName(first(o.binds), sp.Number)
	cur := b.entries[key]
	if cur != nil && cur.locked {
		return
	}
	conflict := classify(sp.Protocol, cur)
	b.proxyOrderUndetermined(o, key)
	switch conflict {
	case listener.HTTPOverHTTP:
		return // another HTTP (or sniffed) service already built this listener; RDS adds a virtual host
	case listener.AutoOverAuto:
		if b.p.version.AutoOverAutoMergesTCP() {
			b.autoOverAutoMerge(o, key, cur)
			return
		}
		b.sniffedListenerTaken(o, key, cur, false)
		return
	}
	chains, proto := b.buildChains(o, class)
	if cur != nil && conflict != listener.NoConflict && (sp.Protocol.serverFirst() || cur.protocol.serverFirst()) && sp.Protocol != cur.protocol {
		sev, goes := SeverityError, "the default chain of "+key
		for _, c := range cur.chains {
			if c.matchAll() || len(c.alpn) == 0 && c.conflictsWith(&chain{cidrs: o.cidrs}) {
				goes = c.dest.String() + " (" + c.svc.Hostname + ")"
				if sameHost(c.dest, listener.Destination{Kind: listener.TCP, Cluster: listener.ServiceCluster{Port: sp.Number, Host: s.Hostname}.Name()}) {
					sev = SeverityWarning
				}
				break
			}
		}
		sniffs := false
		for _, c := range cur.chains {
			sniffs = sniffs || len(c.alpn) > 0
		}
		if sniffs && sp.Protocol.serverFirst() {
			goes = "stall on " + key + ", which sniffs and waits for the client to speak first, then go to " + goes
		} else {
			goes = "go to " + goes
		}
		b.findingAt(ServerFirstConflict, sev, s, sp, key,
			"connections to %s:%d (%s) %s", s.Hostname, sp.Number, sp.Protocol, goes)
		b.why("%s is already built for port %s (%s); %s is a server-first protocol, which istiod never merges with another protocol on one listener, so it drops %s:%d and its connections take the listener's chains",
			key, cur.port.Name, cur.protocol, pick(sp.Protocol.serverFirst(), string(sp.Protocol), string(cur.protocol)), s.Hostname, sp.Number)
		b.witness(b.chainConn(&chain{svc: s, port: sp, cidrs: o.cidrs}, first(o.binds)))
		b.undetermined(cur, o, key)
		return
	}
	reason := why
	if reason == "" {
		reason = addrWhy
	}
	b.apply(o, key, cur, conflict, chains, proto, reason)
}

// sniffedListenerTaken raises SniffedListenerTaken: an auto-detected port
// meets a listener that already sniffs, and istiod adds nothing for it
// (buildSidecarOutboundListener returns on auto over auto). Its HTTP is
// still routed by virtual host (RDS); its other connections take the TCP
// chain of the earlier service that matches the same destinations, else the
// listener's default.
//
// merged says istiod merged the port's TCP chains (AutoOverAutoMergesTCP)
// and dropped the one that matches what an earlier chain matches.
func (b *builder) sniffedListenerTaken(o opts, key string, cur *entry, merged bool) {
	s, sp := o.svc, o.port
	own := listener.Destination{Kind: listener.TCP, Cluster: listener.ServiceCluster{Port: sp.Number, Host: s.Hostname}.Name()}
	mine := &chain{cidrs: o.cidrs}
	var taker *chain
	for _, c := range cur.chains {
		if len(c.alpn) == 0 && len(c.sni) == 0 && c.conflictsWith(mine) {
			taker = c
			break
		}
	}
	goes := "the listener's default chain"
	if taker != nil {
		goes = taker.dest.String() + " (" + taker.svc.Hostname + ")"
	}
	if taker != nil && sameHost(taker.dest, own) {
		b.findingAt(SniffedListenerTaken, SeverityWarning, s, sp, key,
			"%s:%d is declared twice; connections reach %s either way", s.Hostname, sp.Number, s.Hostname)
		b.why("%s already sniffs the protocol (auto-detect) for %s (%s), so istiod adds no chain for this declaration: it has no effect",
			key, taker.svc.Hostname, taker.svc.Source)
		b.witness(b.chainConn(&chain{svc: s, port: sp, cidrs: o.cidrs}, first(o.binds)))
		return
	}
	b.findingAt(SniffedListenerTaken, SeverityError, s, sp, key,
		"non-HTTP connections to %s:%d go to %s", s.Hostname, sp.Number, goes)
	if merged {
		b.why("both ports are auto-detected (no protocol declared) and land on %s, which already sniffs for an earlier service: istiod merges %s's TCP chain into it (auto over auto, merged as TCP over auto), but that chain matches what the earlier one matches, so istiod keeps the earlier and records a conflict; its HTTP is still routed by Host, its other bytes take the earlier service's chain",
			key, s.Hostname)
	} else {
		b.why("both ports are auto-detected (no protocol declared) and land on %s, which already sniffs for an earlier service: istiod adds no chain for %s (auto over auto); its HTTP is still routed by Host, its other bytes take the earlier service's chain",
			key, s.Hostname)
	}
	b.witness(b.chainConn(&chain{svc: s, port: sp, cidrs: o.cidrs}, first(o.binds)))
	if taker != nil {
		b.related(taker.svc)
	}
	b.undetermined(cur, o, key)
}

// autoOverAutoMerge models auto over auto where istiod merges (1.32 on,
// istio/istio#60642): the later auto-detected port's TCP chains join the
// sniffing listener as TCP over auto (its HTTP chain, the same route of
// the port, is already there). A chain with a match of its own is added;
// one whose match an earlier chain has is dropped and recorded as a
// conflict (mergeTCPFilterChains), and its connections go as before
// (SniffedListenerTaken).
func (b *builder) autoOverAutoMerge(o opts, key string, cur *entry) {
	taken := false
	for _, in := range b.tcpChains(o) {
		winner := firstConflicting(cur.chains, in)
		if winner == nil {
			cur.chains = append(cur.chains, in)
			continue
		}
		b.conflicts = append(b.conflicts, listener.Conflict{Listener: key, Kind: listener.TCPOverCurrentTCP, Accepted: winner.svc.Hostname, Rejected: in.svc.Hostname})
		taken = true
	}
	if taken {
		b.sniffedListenerTaken(o, key, cur, true)
	}
}

// chooseBinds models the first part of buildSidecarOutboundListener: with
// no bind of its own, a TCP or auto-detected port listens on the service's
// address for this proxy (a CIDR: the wildcard, with a prefix match), an
// HTTP port on the wildcard. It returns the options and why that address.
func (b *builder) chooseBinds(o opts, class listenerClass) (opts, string) {
	if first(o.binds) != "" {
		return o, ""
	}
	s := o.svc
	wild := b.p.wildcards()
	switch class {
	case classTCP, classAuto:
		addr := s.address(b.p)
		extra := s.extraAddresses(b.p)
		if s.Registry == registryExternal && addr == wildcardV4 && b.p.V6 && !b.p.V4 {
			addr = wildcardV6
		}
		if s.Registry == registryExternal && addr == wildcardV4 && b.p.V4 && b.p.V6 {
			extra = append(extra, wildcardV6)
		}
		if !strings.Contains(addr, "/") {
			o.binds = append([]string{addr}, extra...)
			return o, b.addressReason(s, o.port, addr)
		}
		o.binds = wild
		o.cidrs = append([]string{addr}, extra...)
		return o, "CIDR " + addr + ": wildcard listener with a destination prefix match"
	case classHTTP:
		o.binds = wild
		return o, "HTTP port: all HTTP services on this port share the wildcard listener, told apart by virtual host"
	}
	return o, ""
}

// classify models the conflict types of buildSidecarOutboundListener: the
// incoming port's listener protocol over the existing entry's. HTTP_PROXY
// never conflicts.
func classify(incoming protocol, cur *entry) listener.ConflictKind {
	if cur == nil || incoming == pHTTPProxy {
		return listener.NoConflict
	}
	existing := cur.protocol
	switch incoming.class() {
	case classHTTP:
		if existing.isTCP() {
			return listener.HTTPOverTCP
		}
		return listener.HTTPOverHTTP
	case classTCP:
		switch {
		case existing.isHTTP():
			return listener.TCPOverHTTP
		case existing.isTCP():
			return listener.TCPOverTCP
		}
		return listener.TCPOverAuto
	case classAuto:
		switch {
		case existing.isHTTP():
			return listener.AutoOverHTTP
		case existing.isTCP():
			return listener.AutoOverTCP
		}
		return listener.AutoOverAuto
	}
	return listener.NoConflict
}

// buildChains models the filter chain options buildSidecarOutboundListener
// builds per listener protocol, and the protocol the entry gets: an HTTP
// port on the wildcard matches plaintext HTTP ALPNs behind the
// http_inspector and makes the listener sniffed (UnsupportedProtocol); an
// auto-detected port gets its TCP chain and an HTTP chain matched the same
// way.
func (b *builder) buildChains(o opts, class listenerClass) ([]*chain, protocol) {
	proto := o.port.Protocol
	switch {
	case proto == pHTTPProxy:
		return b.httpChains(o, class), proto
	case class == classHTTP:
		chains := b.httpChains(o, class)
		if first(o.binds) == b.p.wildcards()[0] {
			for _, c := range chains {
				c.alpn, c.transport = plaintextHTTPALPNs, "raw_buffer"
			}
			proto = pUnsupported
		}
		return chains, proto
	case class == classTCP:
		return b.tcpChains(o), proto
	}
	tcp := b.tcpChains(o)
	http := b.httpChains(o, class)
	for _, c := range http {
		c.alpn, c.transport = plaintextHTTPALPNs, "raw_buffer"
	}
	return append(tcp, http...), proto
}

// apply models the end of buildSidecarOutboundListener: a new entry (or
// auto over HTTP, which replaces the HTTP-only entry), a merge that turns
// the listener sniffed (HTTP and TCP mixed), or a merge of TCP chains.
func (b *builder) apply(o opts, key string, cur *entry, conflict listener.ConflictKind, chains []*chain, proto protocol, reason string) {
	s, sp := o.svc, o.port
	switch conflict {
	case listener.NoConflict, listener.AutoOverHTTP:
		e := &entry{binds: o.binds, bindToPort: o.bindToPort, port: sp, protocol: proto, chains: chains,
			reason: s.Hostname + " port " + itoa(sp.Number) + " (" + string(sp.Protocol) + ", " + sp.Why + "): " + reason}
		if first(o.binds) != "" {
			e.listenerName = key // the same ADDRESS_PORT
		}
		if conflict == listener.AutoOverHTTP {
			e.reason += "; replaced the HTTP-only listener of an earlier service (" + string(conflict) + ")"
		}
		if cur == nil {
			b.order = append(b.order, key)
		}
		b.entries[key] = e
	case listener.HTTPOverTCP, listener.TCPOverHTTP, listener.AutoOverTCP:
		b.merge(cur, chains, o, key)
		cur.protocol = pUnsupported
		cur.reason += fmt.Sprintf("; merged with %s port %d (%s) into a sniffed listener (%s)", s.Hostname, sp.Number, sp.Protocol, conflict)
	case listener.TCPOverTCP, listener.TCPOverAuto:
		b.merge(cur, chains, o, key)
	}
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

func (b *builder) addressReason(s *service, p port, addr string) string {
	switch {
	case addr == wildcardV4 || addr == wildcardV6:
		if s.Registry == registryExternal {
			// A TLS port is matched by SNI on the wildcard listener (tcpChains):
			// its traffic is routed without the address, so nothing is lost.
			if s.AutoV4 != "" && !b.p.usesAutoIPs() && !p.Protocol.isTLS() {
				b.finding(AutoAddressUnused, s, port{}, "", "%s's TCP ports listen on the wildcard address, not on its address %s", s.Hostname, s.AutoV4)
				b.why("Istio allocated %s to the ServiceEntry, but a sidecar uses allocated addresses only when it captures DNS (ISTIO_META_DNS_CAPTURE): this one resolves the host's real addresses, so its TCP and auto-detected ports listen on the wildcard and take the port's other traffic too", s.AutoV4)
				b.witness(witnessSpec{port: p.Number, v6: addr == wildcardV6, meant: s.Hostname})
			}
			return "TCP ServiceEntry without addresses: listens on the wildcard address"
		}
		return "no VIP: listens on the wildcard address"
	case addr == s.AutoV4 || addr == s.AutoV6:
		return "auto-allocated VIP " + addr + " (the proxy captures DNS)"
	case s.Registry == registryKube:
		return "TCP port: listens on the ClusterIP"
	}
	return "TCP port: listens on the ServiceEntry address"
}

// httpChains models buildSidecarOutboundHTTPListenerOpts: the route is
// named after the port, or "host:port" for a sniffed service with its own
// (non-wildcard) listener, or the socket path for a unix socket.
func (b *builder) httpChains(o opts, class listenerClass) []*chain {
	var rds string
	switch {
	case o.port.Number == 0:
		rds = first(o.binds)
	case class == classAuto && first(o.binds) != b.p.wildcards()[0]:
		rds = o.svc.Hostname + ":" + itoa(o.port.Number)
	default:
		rds = itoa(o.port.Number)
	}
	return []*chain{{dest: listener.Destination{Kind: listener.HTTP, Route: rds}, svc: o.svc, port: o.port,
		reason: "HTTP for " + o.svc.Hostname + " through route " + rds}}
}

// tcpChains models buildSidecarOutboundTCPListenerOpts: the chains of the
// service's VirtualServices (routedChains), then, unless one of them
// matches everything, one chain to the service's cluster, matched by SNI
// for a TLS port without a VIP of its own.
func (b *builder) tcpChains(o opts) []*chain {
	routed, addDefault := b.routedChains(o)
	if !addDefault {
		return routed
	}
	s := o.svc
	clusterPort := o.port.Number
	if len(s.Ports) == 1 {
		clusterPort = s.Ports[0].Number
	}
	c := &chain{cidrs: o.cidrs, svc: s, port: o.port,
		dest: listener.Destination{Kind: listener.TCP, Cluster: listener.ServiceCluster{Port: clusterPort, Host: s.Hostname}.Name()}}
	c.reason = "TCP to " + s.Hostname
	if d, ok := b.redisProxy(o.port, c.dest, nil); ok {
		c.dest = d
		c.reason = "Redis to " + s.Hostname + ": redis_proxy sends every command to the service's cluster (PILOT_ENABLE_REDIS_FILTER)"
	}
	if len(o.cidrs) > 0 {
		c.reason += " for destinations in " + strings.Join(o.cidrs, ",")
	}
	if o.port.Protocol.isTLS() {
		addr := s.address(b.p)
		if strings.Contains(addr, "/") {
			addr = ""
		}
		if s.Registry == registryExternal && b.p.V6 && !b.p.V4 && addr == wildcardV4 {
			addr = wildcardV6
		}
		wild := b.p.wildcards()[0]
		if !o.headlessPodCIDR && (len(o.cidrs) > 0 || addr == "" || addr == wild && first(o.binds) == wild || strings.HasPrefix(s.Hostname, "*") && s.Resolution == resDynamicDNS) {
			c.sni = []string{s.Hostname}
			c.reason = "TLS to " + s.Hostname + ", matched by SNI (no VIP of its own)"
			for _, a := range s.Aliases {
				names := append([]string{a.Hostname}, b.altNames(a)...)
				c.sni = append(c.sni, names...)
				c.reason += fmt.Sprintf("; %s, an ExternalName alias of it%s, adds the names %s", a.Source, aliasPath(a, s), strings.Join(names, ", "))
			}
			for _, a := range s.UnimportedAliases {
				c.reason += fmt.Sprintf("; %s, an ExternalName alias of it%s, adds no names: the egress hosts that import %s do not match %s", a.Source, aliasPath(a, s), s.Hostname, a.Hostname)
			}
		}
	}
	return append(routed, c)
}

// aliasPath says how alias a leads to s: "" when it names s's hostname,
// else the host it names, itself an alias.
func aliasPath(a, s *service) string {
	if a.ExternalName == s.Hostname {
		return ""
	}
	return " through " + a.ExternalName
}

// altNames models GenerateAltVirtualHosts (without a port) for the
// hostname of a Kubernetes Service seen from this proxy, whose DNS domain
// is NAMESPACE.svc.cluster.local: the hostname with a trailing dot (where
// PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN is on), then, for a Service of
// the proxy's namespace, NAME, NAME.NS.svc and NAME.NS; for another
// namespace's, NAME.NS and NAME.NS.svc.
func (b *builder) altNames(s *service) []string {
	var out []string
	if b.p.AbsoluteFQDN {
		out = append(out, s.Hostname+".")
	}
	nameNS := s.Name + "." + s.Namespace
	if s.Namespace == b.p.Namespace {
		return append(out, s.Name, nameNS+".svc", nameNS)
	}
	return append(out, nameNS, nameNS+".svc")
}

// firstConflicting is the first of chains whose match equals in's, or nil.
func firstConflicting(chains []*chain, in *chain) *chain {
	for _, ex := range chains {
		if ex.conflictsWith(in) {
			return ex
		}
	}
	return nil
}

// merge models mergeTCPFilterChains: an incoming chain whose match equals
// an existing chain's is dropped, and istiod records a conflict.
func (b *builder) merge(cur *entry, incoming []*chain, o opts, key string) {
	for _, in := range incoming {
		winner := firstConflicting(cur.chains, in)
		if winner == nil {
			cur.chains = append(cur.chains, in)
			continue
		}
		name := first(o.binds) + "_" + itoa(o.port.Number)
		b.conflicts = append(b.conflicts, listener.Conflict{Listener: name, Kind: listener.TCPOverCurrentTCP, Accepted: winner.svc.Hostname, Rejected: in.svc.Hostname})
		same := chainMatch(in).String()
		if masked := chainMatch(in).Masked().String(); masked != same {
			// istiod compares prefix ranges masked (util.CidrRangeSliceEqual).
			same += ", masked " + masked + " as istiod compares them"
		}
		if sameHost(winner.dest, in.dest) {
			b.findingAt(Shadowed, SeverityWarning, in.svc, o.port, name,
				"%s:%d is declared twice; connections reach %s either way", in.svc.Hostname, o.port.Number, in.svc.Hostname)
			b.why("%s's chain on %s (match %s) equals the one %s built first (%s); istiod keeps the first and drops the copy, so the second declaration has no effect",
				in.svc.Source, name, same, winner.svc.Source, whyFirst(winner.svc, in.svc))
			b.witness(b.chainConn(in, first(o.binds)))
			b.related(winner.svc)
			continue
		}
		b.findingAt(Shadowed, SeverityError, in.svc, o.port, name,
			"connections to %s:%d go to %s", in.svc.Hostname, o.port.Number, winner.dest.String())
		b.why("its chain on %s (match %s) equals the one %s (%s) built first (%s); istiod keeps the first chain of a match and drops the later one",
			name, same, winner.svc.Hostname, winner.svc.Source, whyFirst(winner.svc, in.svc))
		b.witness(b.chainConn(in, first(o.binds)))
		b.related(winner.svc)
	}
}

// sameHost reports whether two destinations are the clusters of one host
// (outbound|PORT|SUBSET|HOST): a connection reaches that host either way.
func sameHost(a, b listener.Destination) bool {
	ha, hb := clusterHost(a), clusterHost(b)
	return ha != "" && ha == hb
}

// clusterHost is the host of a single-cluster destination (tcp_proxy or
// redis_proxy), "" for anything else (HTTP routes, weighted clusters,
// passthrough).
func clusterHost(d listener.Destination) string {
	c, _ := listener.ParseServiceCluster(d.SingleCluster())
	return c.Host
}

func chainMatch(c *chain) listener.Match {
	m := listener.Match{TransportProtocol: c.transport, ApplicationProtocols: c.alpn}
	if !slices.Contains(c.sni, "*") {
		// A copy: the listener's match is sorted later, the chain's
		// names keep istiod's order (the hostname first).
		m.ServerNames = slices.Clone(c.sni)
	}
	for _, cidr := range c.cidrs {
		// istiod sends the address as written with its prefix length
		// (util.ConvertAddressToCidr: netip.ParsePrefix, then
		// PrefixToCidrRange's prefix.Addr().String()), host bits kept:
		// "10.1.2.3/24" stays so; Envoy matches it masked, and so does
		// the comparison (listener.Match.Masked).
		if p, err := netip.ParsePrefix(cidr); err == nil {
			if p.Addr().String() != wildcardV4 {
				m.PrefixRanges = append(m.PrefixRanges, p.String())
			}
		} else if a, err := netip.ParseAddr(cidr); err == nil && a.String() != wildcardV4 {
			m.PrefixRanges = append(m.PrefixRanges, netip.PrefixFrom(a, a.BitLen()).String())
		}
	}
	return m
}
