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
