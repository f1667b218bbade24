package predictor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	rds "github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/world"
)

// Prediction is what the predictor says istiod sends the client sidecar.
type Prediction struct {
	// Version is the Istio version whose rules were applied.
	Version string `json:"version"`
	// Listeners are the outbound service listeners (not the virtual
	// 15001/15006 ones), sorted, each chain and listener with its reason.
	Listeners []listener.Listener `json:"listeners"`
	// Conflicts are the conflicts istiod records (pilot_conflict_* metrics).
	Conflicts []listener.Conflict `json:"conflicts,omitempty"`
	// Findings are service ports that did not get what a user would expect.
	Findings []Finding `json:"findings,omitempty"`
	// Routes are the route configurations (RDS) the HTTP chains of the
	// listeners name, sorted by name, each virtual host and route with its
	// reason.
	Routes []rds.Config `json:"routes,omitempty"`
	// NotModelled lists, sorted, what of the World's mesh config and
	// istiod env the prediction does not model although it can change
	// outbound listeners or routes ("meshConfig.FIELD (why)", "istiod env
	// NAME=VALUE (why)"), and a version newer than every one checked
	// against real pilot. Every command prints it ("not modelled: ...").
	NotModelled []string `json:"notModelled,omitempty"`
}

// Finding is a service port that does not get what its author likely
// expects, or a listener that behaves surprisingly.
type Finding struct {
	// Code is one of the Code constants (Shadowed, Hijack, ...);
	// f.Code.Type() describes it.
	Code Code `json:"code"`
	// Severity is one of the Severity constants: error, warning or info.
	Severity Severity `json:"severity"`
	Service  string   `json:"service,omitempty"`
	Port     int      `json:"port,omitempty"`
	// Source names the manifest of the service.
	Source   string `json:"source,omitempty"`
	Listener string `json:"listener,omitempty"`
	// Message says what happens to which connections, in one line.
	Message string `json:"message"`
	// Why is the rule and Istio's behaviour behind it, in plain words.
	Why string `json:"why,omitempty"`
	// Related names the manifests of the other services involved, in
	// Source's form (set by the overlap and sniffing findings).
	Related []string `json:"related,omitempty"`
	// Witness is a connection that shows the finding, traced through the
	// predicted listeners; every error and warning has one, but a
	// PortSkipped of a proxy that captures nothing or on the sidecar's own
	// ports (witnessable).
	Witness *Witness `json:"witness,omitempty"`
	// spec is the witness connection a rule chose, traced once the
	// listeners are final (fillWitnesses).
	spec *witnessSpec
}

// Predict applies Istio's listener rules of version v to the World; options
// tune the findings, never the listeners.
func Predict(w *world.World, v versions.Version, opts ...Option) (*Prediction, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if w.Format != world.Format {
		return nil, fmt.Errorf("world format %q, predictor reads %q", w.Format, world.Format)
	}
	if len(w.Client.IPs) == 0 {
		return nil, fmt.Errorf("scenario %s: the client has no IP", w.Scenario)
	}
	alloc := allocFeature(w, v)
	p := newProxy(w.Client, alloc)
	p.version = v
	p.DualStackFeature = envTrue(w, "ISTIO_DUAL_STACK") || envTrue(w, "PILOT_ENABLE_AMBIENT")
	p.AbsoluteFQDN = absoluteFQDNFeature(w, v)
	all := registry(w, v, alloc)
	egresses, sidecar := egressListeners(w, p, all)
	return build(w, v, o, p, egresses, sidecar), nil
}

// allocFeature is PILOT_ENABLE_IP_AUTOALLOCATE as istiod of version v sees
// it: the version's default unless the World's istiod environment says
// otherwise.
func allocFeature(w *world.World, v versions.Version) bool {
	alloc := v.IPAutoallocateByDefault()
	if val, ok := w.Env["PILOT_ENABLE_IP_AUTOALLOCATE"]; ok {
		alloc = val == "true" || val == "1"
	}
	return alloc
}

// absoluteFQDNFeature is PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN as istiod
// of version v sees it: off in versions without the flag; else the
// version's default (true), unless the World's istiod environment holds a
// value strconv.ParseBool reads (Istio's env package falls back to the
// default on any other).
func absoluteFQDNFeature(w *world.World, v versions.Version) bool {
	if !v.AbsoluteFQDNAltHosts() {
		return false
	}
	if b, err := strconv.ParseBool(w.Env["PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN"]); err == nil {
		return b
	}
	return true
}

// headlessFilterChainEnv is the istiod setting that gives a headless
// service's TCP port a chain per endpoint on the wildcard listener
// instead of a listener per endpoint.
const headlessFilterChainEnv = "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER"

// headlessFilterChainFeature is PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER
// as istiod of version v sees it: off in versions without the flag; else
// its default (false), unless the World's istiod environment holds a value
// strconv.ParseBool reads (Istio's env package keeps the default on any
// other).
func headlessFilterChainFeature(w *world.World, v versions.Version) bool {
	if !v.HeadlessFilterChainFlag() {
		return false
	}
	b, err := strconv.ParseBool(w.Env[headlessFilterChainEnv])
	return err == nil && b
}

// registry is every service of the World as PushContext holds it: the
// Kubernetes Services and ServiceEntry services with their addresses, in
// creation order. It does not depend on the client.
func registry(w *world.World, v versions.Version, alloc bool) []*service {
	all := append(kubeServices(w), serviceEntryServices(w, alloc, v)...)
	applyExportDefaults(all, readMesh(w, v), w.Namespaces)
	if !alloc {
		hashAllocate(all)
	}
	sortByCreation(all)
	shareEndpoints(all)
	resolveAliases(all)
	return all
}

// build runs the listener rules for proxy p over its sidecar scope's
// egress listeners, then the route rules. It reads the services and
// egresses and changes neither, so they may be shared between calls.
func build(w *world.World, v versions.Version, o options, p *proxy, egresses []egress, sidecar *networkingv1.Sidecar) *Prediction {
	return o.forCaller(buildListeners(w, v, o, p, egresses, sidecar).predict(p))
}

func envTrue(w *world.World, name string) bool {
	v := strings.ToLower(w.Env[name])
	return v == "true" || v == "1"
}

// outboundCatchAll models the sidecar scope's OutboundTrafficPolicy
// (convertToSidecarScope: the Sidecar's own policy, else the mesh config's
// mode) as buildOutboundCatchAllNetworkFiltersOnly turns it into the
// destination of unmatched connections: BlackHoleCluster under
// REGISTRY_ONLY; else PassthroughCluster, or the cluster of the Sidecar's
// egressProxy (GetDestinationCluster with no service and listener port 0:
// outbound|PORT|SUBSET|HOST, PORT its port number or 0).
// ALLOW_ANY_DYNAMIC_DNS (1.31) is ALLOW_ANY for every per-port listener:
// its dynamic forward proxy takes only plaintext HTTP, on virtualOutbound
// and in HTTP routes; a version whose pilot does not know the mode treats
// it as not ALLOW_ANY (versions.AllowAnyDynamicDNS). The string says why,
// empty for Istio's default.
func outboundCatchAll(w *world.World, sc *networkingv1.Sidecar, v versions.Version) (listener.Destination, string) {
	d := listener.Destination{Kind: listener.TCP, Cluster: listener.PassthroughCluster}
	if sc != nil && sc.Spec.OutboundTrafficPolicy != nil {
		otp := sc.Spec.OutboundTrafficPolicy
		src := "Sidecar " + sc.Namespace + "/" + sc.Name + " outboundTrafficPolicy"
		if otp.Mode == apiv1alpha3.OutboundTrafficPolicy_REGISTRY_ONLY {
			d.Cluster = listener.BlackHoleCluster
			return d, src + " mode REGISTRY_ONLY"
		}
		if ep := otp.EgressProxy; ep != nil {
			number := 0
			if ep.Port != nil {
				number = int(ep.Port.Number)
			}
			d.Cluster = listener.ServiceCluster{Port: number, Subset: ep.Subset, Host: ep.Host}.Name()
			return d, src + " egressProxy " + ep.Host
		}
		return d, src + " mode " + otp.Mode.String()
	}
	mode, unset := meshMode(w)
	switch mode {
	case modeRegistryOnly:
		d.Cluster = listener.BlackHoleCluster
		if unset {
			return d, "meshConfig outboundTrafficPolicy without a mode: the mesh config replaces the default's policy whole, and an unset mode is REGISTRY_ONLY, the proto's zero value"
		}
		return d, "meshConfig outboundTrafficPolicy mode REGISTRY_ONLY"
	case modeAllowAnyDynamicDNS:
		if !v.AllowAnyDynamicDNS() {
			d.Cluster = listener.BlackHoleCluster
			return d, "meshConfig outboundTrafficPolicy mode ALLOW_ANY_DYNAMIC_DNS, which this version's pilot does not know: its sidecar scope is not ALLOW_ANY (util.go IsAllowAnyOutbound), so unmatched connections are dropped as under REGISTRY_ONLY"
		}
		return d, "meshConfig outboundTrafficPolicy mode ALLOW_ANY_DYNAMIC_DNS: TCP and TLS still pass through, the dynamic forward proxy takes plaintext HTTP on virtualOutbound only"
	}
	return d, ""
}

// finalize models buildListenerFromEntry: a match-all chain becomes the
// default chain (or the only chain, when it is alone); without one, the
// default chain is the catch-all (passthrough or blackhole).
func (b *builder) finalize(e *entry, catchAll listener.Destination) listener.Listener {
	l := listener.Listener{
		Name: e.name(), Address: e.binds[0], Port: uint32(e.port.Number),
		AdditionalAddresses: e.binds[1:], BindToPort: e.bindToPort, Direction: "OUTBOUND", Reason: e.reason,
	}
	if len(l.AdditionalAddresses) == 0 {
		l.AdditionalAddresses = nil
	}
	var tlsInspector, httpInspector bool
	var def listener.FilterChain
	var defSvc *chain
	l.FilterChains = make([]listener.FilterChain, 0, len(e.chains))
	for _, c := range e.chains {
		tlsInspector = tlsInspector || len(c.sni) > 0 || sniDynamicForwardProxy(c)
		httpInspector = httpInspector || len(c.alpn) > 0
		fc := listener.FilterChain{Match: chainMatch(c), Destination: c.dest, Reason: c.reason}
		if c.matchAll() {
			fc.Match = listener.Match{}
			def, defSvc = fc, c
			continue
		}
		l.FilterChains = append(l.FilterChains, fc)
	}
	alone := len(l.FilterChains) == 0
	if tlsInspector {
		l.ListenerFilters = append(l.ListenerFilters, "tls_inspector")
	}
	if httpInspector {
		l.ListenerFilters = append(l.ListenerFilters, "http_inspector")
	}
	// buildListenerFromEntry: up to 1.24 a listener that sniffs HTTP also
	// gets the tls_inspector.
	if httpInspector && !tlsInspector && b.p.version.HTTPInspectorAddsTLSInspector() {
		l.ListenerFilters = append(l.ListenerFilters, "tls_inspector")
	}
	switch {
	case defSvc != nil && len(l.FilterChains) == 0:
		l.FilterChains = append(l.FilterChains, def)
	case defSvc != nil:
		d := def
		l.DefaultChain = &d
	default:
		why := "no chain matches everything: unmatched connections go to " + catchAll.Cluster
		if b.catchAllWhy != "" {
			why += " (" + b.catchAllWhy + ")"
		}
		l.DefaultChain = &listener.FilterChain{Destination: catchAll, Reason: why}
	}
	// An HTTP_PROXY egress port is a proxy the user declared for every
	// destination: that it takes every connection on its port is its job.
	if defSvc != nil && (e.binds[0] == wildcardV4 || e.binds[0] == wildcardV6) && e.port.Protocol != pHTTPProxy {
		b.hijack(l.Name, e, defSvc, catchAll, alone)
	}
	return l
}

// sniDynamicForwardProxy reports whether istiod puts the SNI dynamic
// forward proxy filter on chain c (buildCompleteNetworkFilters): a TCP
// chain of a DYNAMIC_DNS ServiceEntry with a wildcard host, which resolves
// the ClientHello's server name; the listener then needs the tls_inspector
// (buildListenerFromEntry), whatever the chain matches.
func sniDynamicForwardProxy(c *chain) bool {
	return c.dest.Kind == listener.TCP && c.svc != nil && c.svc.Resolution == resDynamicDNS && strings.HasPrefix(c.svc.Hostname, "*")
}

// hijack raises Hijack: the match-all chain c is the only or the default
// chain of a wildcard listener, so Envoy hands it every connection on the
// port that no address listener and no other chain takes. Those
// connections would otherwise go to catchAll. A resolution NONE service's
// own cluster is ORIGINAL_DST (passthrough): such connections keep their
// destination, and only lose the refusal REGISTRY_ONLY would give them.
func (b *builder) hijack(name string, e *entry, c *chain, catchAll listener.Destination, alone bool) {
	number := e.port.Number
	defer b.witness(hijackConn(e, catchAll))
	what := "connections on port " + itoa(number) + " to other destinations"
	instead := "passing through"
	switch {
	case catchAll.Cluster == listener.BlackHoleCluster:
		instead = "being refused (REGISTRY_ONLY)"
	case catchAll.Cluster != listener.PassthroughCluster:
		instead = "going to the egress proxy " + catchAll.Cluster
	}
	why := fmt.Sprintf("%s's chain on %s matches everything (no address of its own, and a protocol matched by neither SNI nor Host), so it is the listener's %s; Envoy hands %s every connection on port %d that no listener bound to its address takes",
		c.svc.Hostname, name, pick(alone, "only chain", "default chain"), name, number)
	if !alone {
		why += " and no other chain matches"
	}
	own := listener.ServiceCluster{Port: c.port.Number, Host: c.svc.Hostname}
	if len(c.svc.Ports) == 1 {
		own.Port = c.svc.Ports[0].Number
	}
	if c.svc.Resolution == resPassthrough && c.dest.Kind == listener.TCP && c.dest.Cluster == own.Name() {
		if catchAll.Cluster == listener.BlackHoleCluster {
			b.findingAt(Hijack, SeverityWarning, c.svc, c.port, name,
				"%s pass through as %s instead of being refused (REGISTRY_ONLY)", what, c.svc.Hostname)
			b.why("%s; its cluster %s is ORIGINAL_DST (resolution NONE), so they keep their destination", why, c.dest.Cluster)
			return
		}
		b.findingAt(Hijack, SeverityInfo, c.svc, c.port, name,
			"%s keep their destination but are counted as %s", what, c.svc.Hostname)
		b.why("%s; its cluster %s is ORIGINAL_DST (resolution NONE), so they keep their destination, and take its DestinationRule", why, c.dest.Cluster)
		return
	}
	target := clusterHost(c.dest) // a VirtualService may route elsewhere
	if target == "" {
		target = c.dest.String()
	}
	b.findingAt(Hijack, SeverityError, c.svc, c.port, name,
		"%s go to %s instead of %s", what, target, instead)
	b.why("%s", why)
}

// hijackConn is Hijack's witness: a connection on the port to a free
// address, meant for no service; a TLS ClientHello with a name no SNI chain
// of the listener holds when some chain matches by SNI, or on 443.
func hijackConn(e *entry, catchAll listener.Destination) witnessSpec {
	spec := witnessSpec{port: e.port.Number, v6: e.binds[0] == wildcardV6, meant: "its own destination (passthrough)"}
	switch {
	case catchAll.Cluster == listener.BlackHoleCluster:
		spec.meant = "refused (REGISTRY_ONLY)"
	case catchAll.Cluster != listener.PassthroughCluster:
		spec.meant = "the egress proxy (" + catchAll.Cluster + ")"
	}
	var names []string
	for _, c := range e.chains {
		if c.matchAll() {
			continue // an SNI of "*" takes every name: the catch-all itself
		}
		names = append(names, c.sni...)
	}
	if len(names) > 0 || e.port.Number == 443 {
		spec.tls, spec.sni = true, ""
		for _, name := range freeNames {
			if !sniTaken(names, name) {
				spec.sni = name
				break
			}
		}
		if spec.sni == "" {
			// Some chain takes every name (an SNI of "*" beside a CIDR):
			// a connection without TLS reaches the catch-all.
			spec.tls = false
		}
	}
	return spec
}

// freeNames are server names a Hijack witness tries in turn, in domains
// no wildcard of another domain covers.
var freeNames = []string{"www.example.com", "www.example.org", "www.example.net", "other.example", "other.test", "other.invalid"}

// moot returns a test for the AutoAddressUnused findings that say nothing
// more: one whose witness reaches another service (the entry's own
// connections do not arrive, and the error that says so, Shadowed, names
// the same fix), and one of an entry whose chain istiod dropped (Shadowed,
// SniffedListenerTaken, ServerFirstConflict say that declaration has no
// effect).
func moot(fs []Finding) func(Finding) bool {
	dropped := map[string]bool{}
	for _, f := range fs {
		if f.Code == Shadowed || f.Code == SniffedListenerTaken || f.Code == ServerFirstConflict {
			dropped[f.Source] = true
		}
	}
	return func(f Finding) bool {
		if f.Code != AutoAddressUnused || f.Witness == nil {
			return false
		}
		name, isCluster := strings.CutPrefix(f.Witness.Destination, "cluster ")
		c, isService := listener.ParseServiceCluster(name)
		return dropped[f.Source] || isCluster && isService && c.Host != f.Witness.Meant
	}
}

// sniTaken reports whether a server name matches one of names, exactly or
// by a wildcard "*.suffix".
func sniTaken(names []string, sni string) bool {
	for _, n := range names {
		if n == sni || n == "*" || strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:]) {
			return true
		}
	}
	return false
}

// uniqueFindings keeps one finding per code, service, port, listener and
// message: rules run per service port (and per egress listener), so the
// same finding can be raised more than once. Related manifests are merged.
func uniqueFindings(fs []Finding) []Finding {
	index := map[string]int{}
	var out []Finding
	for _, f := range fs {
		key := strings.Join([]string{string(f.Code), f.Service, itoa(f.Port), f.Listener, f.Message, f.Why}, "\x00")
		i, seen := index[key]
		if !seen {
			index[key] = len(out)
			out = append(out, f)
			continue
		}
		for _, r := range f.Related {
			if !slices.Contains(out[i].Related, r) {
				out[i].Related = append(out[i].Related, r)
			}
		}
	}
	return out
}

// lastConflicts keeps, of the conflicts recorded on one listener with one
// kind, the last: istiod keeps its records in a map by metric and listener
// name, so a later conflict on the same listener overwrites an earlier one
// (three services on one port record only the last rejected). The
// Shadowed findings still name every rejected service.
func lastConflicts(cs []listener.Conflict) []listener.Conflict {
	type key struct {
		name string
		kind listener.ConflictKind
	}
	last := map[key]int{}
	for i, c := range cs {
		last[key{c.Listener, c.Kind}] = i
	}
	var out []listener.Conflict
	for i, c := range cs {
		if last[key{c.Listener, c.Kind}] == i {
			out = append(out, c)
		}
	}
	return out
}
