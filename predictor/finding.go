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
	// NotModelled: an istiod setting changes a predicted listener in a way
	// the predictor does not model; the prediction is incomplete there.
	NotModelled Code = "NotModelled"
)

// Severity is how bad a finding is.
type Severity string

// The severities, most severe first.
const (
	// SeverityError: traffic goes somewhere its author did not intend.
	SeverityError Severity = "error"
	// SeverityWarning: traffic works today but depends on luck or order.
	SeverityWarning Severity = "warning"
	// SeverityInfo: worth knowing, nothing to fix in most meshes.
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
}

// findingTypes is the one table of finding codes.
var findingTypes = []FindingType{
	{Code: Shadowed, Severity: SeverityError,
		Summary: "Two services build the same filter chain match on one listener; istiod keeps the first and drops the other.",
		Fix:     "Give each colliding TCP service an address of its own (ServiceEntry addresses, DNS capture for the auto-allocated ones, a ClusterIP instead of headless) or a port of its own."},
	{Code: Hijack, Severity: SeverityWarning,
		Summary: "A match-all chain on a wildcard listener sends every connection on its port to one service, including traffic meant for other destinations.",
		Fix:     "Give the service an address of its own (ServiceEntry addresses, a ClusterIP) or a protocol matched by SNI or Host (TLS, HTTP), so it does not own 0.0.0.0 on its port."},
	{Code: CIDROverlap, Severity: SeverityWarning,
		Summary: "Two prefix-range chains on one listener overlap; Envoy picks the longest prefix, so the broader range loses the narrower one's addresses.",
		Fix:     "Make the ServiceEntries' CIDRs disjoint, or split the broader CIDR around the narrower one."},
	{Code: ClusterIPOverlap, Severity: SeverityError,
		Graded:  "error when connections to the ClusterIP do not reach its Service; warning when the ServiceEntry address equals the ClusterIP and the Service keeps the connections; info when a ServiceEntry CIDR contains the ClusterIP and the Service keeps the connections.",
		Summary: "A ServiceEntry address or CIDR contains the ClusterIP of a Service on the same port; only one of them gets those connections.",
		Fix:     "Remove the cluster's service range from the ServiceEntry's addresses, or put the ServiceEntry on a port the Service does not use."},
	{Code: ServerFirstConflict, Severity: SeverityError,
		Summary: "A server-first protocol (MySQL, MongoDB) shares a port with another protocol; istiod drops it from the listener.",
		Fix:     "Move the MySQL or MongoDB service to a port no HTTP, TCP or auto-detected service uses, or declare the same protocol for all of them."},
	{Code: ServerFirstSniffed, Severity: SeverityError,
		Summary: "A port that carries a server-first protocol lands on a listener with the http_inspector, which waits for the client to speak first.",
		Fix:     "Keep HTTP and auto-detected services off the server-first port, and declare its protocol (TCP, MySQL or Mongo) on every service that uses it."},
	{Code: SniffedListenerTaken, Severity: SeverityWarning,
		Summary: "An auto-detected port adds nothing to a listener that already sniffs for an earlier service; its non-HTTP traffic goes elsewhere.",
		Fix:     "Name the port's protocol (tcp-, http-) or give the service its own address."},
	{Code: PortSkipped, Severity: SeverityWarning,
		Summary: "A service or Sidecar egress port gets no listener: the port is reserved by the sidecar or cannot be bound.",
		Fix:     "Use a port other than the sidecar's 15001, 15006, 15021 and 15090 (and, for an unprivileged proxy, one above 1023)."},
	{Code: ManyEndpointListeners, Severity: SeverityWarning,
		Summary: "A headless service port makes one listener per endpoint, more than the configured limit; every sidecar carries them all.",
		Fix:     "Give the Service a ClusterIP, name the port for HTTP, or hide the service from most clients with a Sidecar or exportTo."},
	{Code: AutoAddressUnused, Severity: SeverityWarning,
		Summary: "A ServiceEntry has an auto-allocated address, but the client does not capture DNS, so its TCP ports land on the wildcard listener.",
		Fix:     "Enable DNS capture on the client (ISTIO_META_DNS_CAPTURE: \"true\") or give the ServiceEntry explicit addresses."},
	{Code: NoEndpoints, Severity: SeverityInfo,
		Summary: "A passthrough service without a VIP gets one listener per endpoint, and it has none.",
		Fix:     "Check the selector matches ready pods, or give the service a ClusterIP."},
	{Code: EndpointSkipped, Severity: SeverityInfo,
		Summary: "An endpoint is not an IP address, so it gets no per-endpoint listener.",
		Fix:     "Use IP endpoints for resolution NONE, or resolution DNS for hostnames."},
	{Code: AliasNoListener, Severity: SeverityInfo,
		Summary: "An ExternalName Service is an alias: it gets no listener of its own.",
		Fix:     "Nothing to do unless you expected a listener: traffic uses the target's listeners."},
	{Code: UDPNoListener, Severity: SeverityInfo,
		Summary: "UDP ports are not proxied by the sidecar.",
		Fix:     "Nothing to do: UDP traffic bypasses the sidecar."},
	{Code: EnvoyFilterNotModelled, Severity: SeverityWarning,
		Summary: "An EnvoyFilter patches an outbound listener of the client; the prediction does not include the patch.",
		Fix:     "Compare the patched listener with the sidecar's real config dump (listenerlab explain --dump), or express the change through the API (VirtualService, DestinationRule, Sidecar) instead."},
	{Code: NotModelled, Severity: SeverityWarning,
		Summary: "An istiod setting changes this listener in a way listenerlab does not model yet: the prediction is incomplete there.",
		Fix:     "Compare that listener with the sidecar's real config dump (listenerlab explain --dump, or listenerlab verify against real pilot)."},
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
