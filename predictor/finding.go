package predictor

// Code names a kind of finding. Codes are stable: they appear in JSON,
// SARIF rule ids, CI logs and scenario expectations. Each has one entry in
// findingTypes, the only place that says what it means (the model is
// istioctl analyze's messages.yaml: one declaration per message type).
type Code string

// The finding codes, in the order of findingTypes.
const (
	Shadowed              Code = "Shadowed"
	Hijack                Code = "Hijack"
	CIDROverlap           Code = "CIDROverlap"
	ClusterIPOverlap      Code = "ClusterIPOverlap"
	ServerFirstConflict   Code = "ServerFirstConflict"
	ServerFirstSniffed    Code = "ServerFirstSniffed"
	SniffedListenerTaken  Code = "SniffedListenerTaken"
	PortSkipped           Code = "PortSkipped"
	ManyEndpointListeners Code = "ManyEndpointListeners"
	AutoAddressUnused     Code = "AutoAddressUnused"
	NoEndpoints           Code = "NoEndpoints"
	EndpointSkipped       Code = "EndpointSkipped"
	AliasNoListener       Code = "AliasNoListener"
	UDPNoListener         Code = "UDPNoListener"
	// EnvoyFilterNotModelled: an EnvoyFilter patch the prediction does not
	// include touches an outbound listener of the client.
	EnvoyFilterNotModelled Code = "EnvoyFilterNotModelled"
	// OrderUndetermined: two services istiod cannot order decide a
	// listener by their order, which comes from a map.
	OrderUndetermined Code = "OrderUndetermined"
	// VirtualServiceShadowed: a VirtualService's routes never apply to a
	// host and port, because an earlier VirtualService of that host wins.
	VirtualServiceShadowed Code = "VirtualServiceShadowed"
	// DuplicateDomain: a domain of a virtual host is dropped because an
	// earlier virtual host of the route configuration has it.
	DuplicateDomain Code = "DuplicateDomain"
	// UnreachableRoute: a route no request reaches, because an earlier
	// route of its virtual host matches every request it would take.
	UnreachableRoute Code = "UnreachableRoute"
	// UndefinedSubset: a route sends requests to a subset that no
	// DestinationRule defines, a cluster istiod never builds.
	UndefinedSubset Code = "UndefinedSubset"
	// VirtualServiceNoService: a VirtualService host that no service of
	// the client has gets no virtual host on any port.
	VirtualServiceNoService Code = "VirtualServiceNoService"
)

// Severity is how bad a finding is.
type Severity string

// The severities, most severe first, by what happens to traffic (the
// README's definition; every code in findingTypes is judged by it).
const (
	// SeverityError: a connection a workload would make to one service
	// reaches something else: another service's cluster, a blackhole, or
	// it is refused or stalls.
	SeverityError Severity = "error"
	// SeverityWarning: configuration that has no effect (the same host
	// declared twice, an address this proxy does not use while its
	// traffic still arrives), or that breaks on a likely change.
	SeverityWarning Severity = "warning"
	// SeverityInfo: facts worth knowing; no connection goes elsewhere.
	SeverityInfo Severity = "info"
)

// Severities lists the severities, most severe first.
func Severities() []Severity { return []Severity{SeverityError, SeverityWarning, SeverityInfo} }

// FindingType describes one finding code: its severity, what it means and
// the usual fix. The predictor's rules, analyze's descriptions, SARIF's rule
// texts and the README's findings table all read it from findingTypes.
type FindingType struct {
	Code Code
	// Severity is the severity the code is raised at; for a graded code,
	// the highest one.
	Severity Severity
	// Graded, when set, says when a graded code is raised at a lower
	// severity.
	Graded string
	// Summary is what the finding means, in one sentence.
	Summary string
	// Fix is the one-line fix.
	Fix string
	// Witness says which connection a finding of the code is shown by, and
	// where it goes; "none" for info codes, which have no witness.
	Witness string
	// Istioctl names the istioctl analyze messages (Istio's
	// pkg/config/analysis/msg/messages.yaml) that look at the same
	// configuration, and how they differ; "" when none does.
	Istioctl string
	// Uncertain is set for codes that say the prediction of their
	// listener may differ from real Istio's: a patch it leaves out, or an
	// order Istio takes from a map. A difference from the real pilot on
	// that listener is explained by such a finding, not a divergence.
	Uncertain bool
}

// findingTypes is the one table of finding codes.
var findingTypes = []FindingType{
	{Code: Shadowed, Severity: SeverityError,
		Graded:   "error when the dropped chain's connections reach another service; warning when the winner is the same host (a duplicate declaration: every connection reaches that host's cluster either way).",
		Summary:  "Two services build the same filter chain match on one listener; istiod keeps the first and drops the other, so the second one's connections go to the first.",
		Fix:      "Give each colliding TCP service an address of its own (ServiceEntry addresses, DNS capture for the auto-allocated ones, a ClusterIP instead of headless) or a port of its own; for the same host declared twice, delete one declaration.",
		Witness:  "A connection to the dropped service (its address, or a free one on the wildcard listener; TLS with its name when matched by SNI): it reaches the first service's cluster.",
		Istioctl: "IST0177 ConflictingServiceEntryProtocol flags two ServiceEntries of one host and port with different protocols (a same-host duplicate); nothing in istioctl analyze flags two hosts on one listener."},
	{Code: Hijack, Severity: SeverityError,
		Graded:   "error when the chain's cluster is another host's; warning for a resolution NONE entry (its cluster is ORIGINAL_DST, connections keep their destination) under REGISTRY_ONLY, where it lets through connections that would be refused; info for such an entry under ALLOW_ANY.",
		Summary:  "A match-all chain on a wildcard listener takes every connection on its port that has no listener of its own: connections to other destinations go to one service instead of passing through.",
		Fix:      "Give the service an address of its own (ServiceEntry addresses, a ClusterIP) or a protocol matched by SNI or Host (TLS, HTTP), so it does not own 0.0.0.0 on its port.",
		Witness:  "A connection on the port to an address no listener holds (TLS with an unrelated name on 443 or beside SNI chains): it reaches the service's cluster instead of passing through.",
		Istioctl: "IST0134 ServiceEntryAddressesRequired flags the cause (a ServiceEntry without addresses whose port is TCP or has no protocol), not which connections go where."},
	{Code: CIDROverlap, Severity: SeverityWarning,
		Summary: "Two prefix-range chains on one listener overlap; Envoy picks the longest prefix, so the broader range's claim has no effect on the narrower one's addresses.",
		Fix:     "Make the ServiceEntries' CIDRs disjoint, or split the broader CIDR around the narrower one.",
		Witness: "A connection to the narrower range's address: it reaches the narrower service, not the broader one."},
	{Code: ClusterIPOverlap, Severity: SeverityError,
		Graded:  "error when connections to the ClusterIP do not reach its Service; warning when the ServiceEntry address equals the ClusterIP and the Service keeps the connections; info when a ServiceEntry CIDR contains the ClusterIP and the Service keeps the connections.",
		Summary: "A ServiceEntry address or CIDR contains the ClusterIP of a Service on the same port; only one of them gets those connections.",
		Fix:     "Remove the cluster's service range from the ServiceEntry's addresses, or put the ServiceEntry on a port the Service does not use.",
		Witness: "A connection to the ClusterIP on the port (HTTP with the Service's Host for an HTTP port): the cluster it reaches."},
	{Code: ServerFirstConflict, Severity: SeverityError,
		Graded:  "error when the dropped service's connections reach another service; warning when the listener's service is the same host.",
		Summary: "A server-first protocol (MySQL, MongoDB) shares a listener with another protocol; istiod drops the later one, whose connections take the listener's chains.",
		Fix:     "Move the MySQL or MongoDB service to a port no HTTP, TCP or auto-detected service uses, or declare the same protocol for all of them.",
		Witness: "A connection to the dropped service: the chain of the listener's other service that takes it."},
	{Code: ServerFirstSniffed, Severity: SeverityError,
		Summary:  "A port that carries a server-first protocol lands on a listener with the http_inspector, which waits for the client to speak first: connections stall.",
		Fix:      "Keep HTTP and auto-detected services off the server-first port, and declare its protocol (TCP, MySQL or Mongo) on every service that uses it.",
		Witness:  "A connection to the port: its listener holds the http_inspector (sniffed), where a server-first client stalls.",
		Istioctl: "IST0118 PortNameIsNotUnderNamingConvention flags a Service port without a protocol, one cause of the sniffing listener."},
	{Code: SniffedListenerTaken, Severity: SeverityError,
		Graded:   "error when the listener's chains send the port's non-HTTP connections to another service; warning when they reach the same host.",
		Summary:  "An auto-detected port adds nothing to a listener that already sniffs for an earlier service; its non-HTTP connections take the earlier service's chains.",
		Fix:      "Name the port's protocol (tcp-, http-) or give the service its own address.",
		Witness:  "A plain TCP connection to the service: it reaches the earlier service's chain.",
		Istioctl: "IST0118 PortNameIsNotUnderNamingConvention flags a Service port without a protocol (auto-detected); IST0177 ConflictingServiceEntryProtocol two ServiceEntries of one host with different protocols."},
	{Code: PortSkipped, Severity: SeverityWarning,
		Summary: "A service or Sidecar egress port gets no listener (the port is reserved by the sidecar or cannot be bound): its connections bypass the service's routing.",
		Fix:     "Use a port other than the sidecar's 15001, 15006, 15021 and 15090 (and, for an unprivileged proxy, one above 1023).",
		Witness: "A connection to the port: no listener takes it and it passes through (none when the proxy captures nothing, or on the sidecar's own ports 15006, 15021 and 15090, whose listeners the prediction leaves out)."},
	{Code: ManyEndpointListeners, Severity: SeverityInfo,
		Summary: "A headless service port makes one listener per endpoint, more than the configured limit; every sidecar carries them all, and the count grows with the replicas.",
		Fix:     "Give the Service a ClusterIP, name the port for HTTP, or hide the service from most clients with a Sidecar or exportTo.",
		Witness: "none"},
	{Code: AutoAddressUnused, Severity: SeverityWarning,
		Summary:  "A ServiceEntry has an auto-allocated address, but the client does not capture DNS, so its TCP ports listen on the wildcard: the address has no effect, and the port's other traffic is taken too (Hijack).",
		Fix:      "Enable DNS capture on the client (ISTIO_META_DNS_CAPTURE: \"true\"), give the ServiceEntry explicit addresses, or declare the port's protocol TLS or HTTP.",
		Witness:  "A connection to the host's real address (any address no listener holds): it reaches the host's cluster through the wildcard listener.",
		Istioctl: "IST0134 ServiceEntryAddressesRequired flags the same entries, judged by the mesh-wide ISTIO_META_DNS_AUTO_ALLOCATE and the status addresses, not by each client's DNS capture."},
	{Code: NoEndpoints, Severity: SeverityInfo,
		Summary: "A passthrough service without a VIP gets one listener per endpoint, and it has none.",
		Fix:     "Check the selector matches ready pods, or give the service a ClusterIP.",
		Witness: "none"},
	{Code: EndpointSkipped, Severity: SeverityInfo,
		Summary: "An endpoint is not an IP address, so it gets no per-endpoint listener.",
		Fix:     "Use IP endpoints for resolution NONE, or resolution DNS for hostnames.",
		Witness: "none"},
	{Code: AliasNoListener, Severity: SeverityInfo,
		Summary:  "An ExternalName Service is an alias: it gets no listener of its own.",
		Fix:      "Nothing to do unless you expected a listener: traffic uses the target's listeners.",
		Witness:  "none",
		Istioctl: "IST0150 ExternalNameServiceTypeInvalidPortName looks at the port names of the same ExternalName Services."},
	{Code: UDPNoListener, Severity: SeverityInfo,
		Summary: "UDP ports are not proxied by the sidecar.",
		Fix:     "Nothing to do: UDP traffic bypasses the sidecar.",
		Witness: "none"},
	{Code: EnvoyFilterNotModelled, Severity: SeverityInfo,
		Summary:   "An EnvoyFilter patches an outbound listener of the client; the prediction does not include the patch, so what it does to traffic is not checked.",
		Fix:       "Compare the patched listener with the sidecar's real config dump (listenerlab explain --dump), or express the change through the API (VirtualService, DestinationRule, Sidecar) instead.",
		Witness:   "none",
		Istioctl:  "IST0151 to IST0155 check the same EnvoyFilters' patch operations, not what they do to listeners.",
		Uncertain: true},
	{Code: OrderUndetermined, Severity: SeverityWarning,
		Summary:   "Two services of ServiceEntries with the same host and namespace, created in the same second, compete for one listener, or (from 1.31) for the one service per host that a Sidecar egress listener importing only exact hosts takes, and istiod has no order between them: the one it keeps comes from a map's order and can change on any push or restart; in a route configuration, two services without a VirtualService that share a domain (an address) are taken in a map's order too, and the first keeps the domain. The prediction shows one outcome; real Istio may show the other.",
		Fix:       "Give the entries distinct creation times (create one first), merge them into one ServiceEntry, or declare the port's protocol so that both keep their chains; for a Sidecar egress listener of exact hosts, give the host one address per namespace or import it by a wildcard (ns/*), which imports all of its services; for a shared domain, give each service its own address, or route the domain with a VirtualService.",
		Witness:   "The same connection as the finding it accompanies (SniffedListenerTaken, ServerFirstConflict), or, for an HTTP_PROXY port beside another port of the host, a connection to the host on that port, or, for an egress listener of exact hosts, a connection to the host on a listener the other service would build otherwise: it goes where the prediction says, or, after another push, where the other order sends it.",
		Graded:    "info when the order decides a route configuration's virtual hosts (which of two services without a VirtualService keeps a domain both have, e.g. a shared address, or which of two tied services of one hostname is built): its Listener is \"ROUTE vhost VIRTUALHOST\".",
		Uncertain: true},
	{Code: VirtualServiceShadowed, Severity: SeverityError,
		Graded:   "error when the witness request, one the shadowed VirtualService routes, takes another action on the winner's routes; warning when the winner sends it where the shadowed one would (the declaration changes nothing for it).",
		Summary:  "Two VirtualServices for one host reach a sidecar: istiod builds one virtual host per host and port, from the first VirtualService (private to the client's namespace first, then exported to it by name, then public; each group oldest first, then by name) and drops the other's whole; it merges VirtualServices of one host only for gateways. Its routes never apply to that host.",
		Fix:      "Merge the http routes into one VirtualService per host (or make the second a delegate of the first); on a gateway they are merged, on a sidecar they are not.",
		Witness:  "A request the shadowed VirtualService routes (its first route whose request the winner routes otherwise), sent to the host: it takes the winner's route. Its Meant is the shadowed route's action.",
		Istioctl: "IST0109 ConflictingMeshGatewayVirtualServiceHosts flags the same VirtualServices (mesh-bound, one host), without saying which wins or where requests go."},
	{Code: DuplicateDomain, Severity: SeverityError,
		Graded:  "error when the witness request, sent to the service with the lost domain as its Host, takes another action than the service's own virtual host would give it; warning when it reaches the same action.",
		Summary: "A domain (a short name, an address) is in the virtual hosts of two services or VirtualServices of one route configuration; istiod keeps it in the first virtual host built (a VirtualService's before services' without one; between those services, the one that declares the domain as its hostname, whatever the order: ties of a map's order are OrderUndetermined's) and drops it from the later one, so requests with that Host go to the first.",
		Fix:     "Give each service its own names and addresses (a ServiceEntry host that is not another service's short name, distinct addresses), or route the shared name with one VirtualService.",
		Witness: "A request to the service that lost the domain, with that domain as its Host: it takes the route of the virtual host that kept it. Its Meant is what the service's own virtual host would answer."},
	{Code: UnreachableRoute, Severity: SeverityError,
		Graded:   "error when the earlier route sends the witness request elsewhere than the unreachable route would; warning when both send it to the same place.",
		Summary:  "A route of a virtual host is never taken: an earlier route matches every request it matches (a route without conditions and prefix /, one with the same match, or a prefix of its path with a subset of its conditions), and Envoy takes the first route that matches; istiod does not even write the routes after one that matches every request. Only such provable cases are decided: regular expressions, other prefixes or partly overlapping conditions are not.",
		Fix:      "Order the http routes from the most specific to the least: put the catch-all route last.",
		Witness:  "A request the unreachable route matches, to the virtual host's service: it takes the earlier route. Its Meant is the unreachable route's action.",
		Istioctl: "IST0131 VirtualServiceIneffectiveMatch (info) flags a match that duplicates or overlaps an earlier rule's in one VirtualService, from the VirtualService alone rather than from the routes a sidecar gets."},
	{Code: UndefinedSubset, Severity: SeverityError,
		Summary:  "A route sends requests to a subset that no DestinationRule of the host defines: istiod still names the subset's cluster in the route, but builds subset clusters only from DestinationRule subsets, so the cluster does not exist and Envoy answers 503 (NC, cluster not found) to every request the route takes (its share of them for a weighted destination).",
		Fix:      "Apply a DestinationRule for the host that defines the subset (before, or together with, the VirtualService that uses it), or remove the subset from the destination.",
		Witness:  "A request the route takes, to the host: it reaches the missing cluster (Meant and Destination are that action), where Envoy answers 503 NC.",
		Istioctl: "IST0101 ReferencedResourceNotFound flags a VirtualService destination (or mirror) host and subset no DestinationRule defines, from the VirtualService alone."},
	{Code: VirtualServiceNoService, Severity: SeverityError,
		Graded:   "error when the witness request, with the host as its Host, does not take the VirtualService's first route's action (it takes the catch-all, or another virtual host); warning when it ends where that route would send it anyway.",
		Summary:  "A VirtualService host names no service of the client (no Kubernetes Service or ServiceEntry it imports, often a short name resolved in the VirtualService's own namespace), and no route configuration of the client has a virtual host for it: istiod keeps VirtualServices for a port only when a host names a service of that port (port 80 aside), so its routes apply nowhere. Wildcard hosts are not judged.",
		Fix:      "Write the host as the service's full name (NAME.NAMESPACE.svc.cluster.local), or declare the host with a ServiceEntry.",
		Witness:  "A request with the host as its Host, on the port of the VirtualService's first destination (its own, else its service's first HTTP port, else 80), to an address no listener holds: it takes the catch-all virtual host. Its Meant is the first route's action.",
		Istioctl: "IST0101 ReferencedResourceNotFound flags a destination host that is not found; no message looks at a VirtualService host without a service."},
}

// findingTypeOf indexes findingTypes by code.
var findingTypeOf = func() map[Code]FindingType {
	m := make(map[Code]FindingType, len(findingTypes))
	for _, t := range findingTypes {
		m[t.Code] = t
	}
	return m
}()

// FindingTypes returns every finding code with its description, in the
// table's order (most consequential first).
func FindingTypes() []FindingType { return append([]FindingType(nil), findingTypes...) }

// Type returns the description of a code; false for a code the predictor
// does not raise.
func (c Code) Type() (FindingType, bool) {
	t, ok := findingTypeOf[c]
	return t, ok
}

// Uncertain reports whether the finding says the prediction of its
// listener may differ from real Istio's (its code's FindingType.Uncertain:
// EnvoyFilterNotModelled, OrderUndetermined): a difference from the real
// pilot on f.Listener is explained by it.
func (f Finding) Uncertain() bool {
	t, _ := f.Code.Type()
	return t.Uncertain
}
