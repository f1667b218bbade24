package analyze

import "sort"

// Rule describes a finding code: what it means and the one-line fix.
type Rule struct {
	Code    string
	Summary string
	Fix     string
}

// rules are the codes the predictor raises. A code missing here still
// reaches the output, with a generic description.
var rules = []Rule{
	{"Shadowed", "Two services build the same filter chain match on one listener; istiod keeps the first and drops the other.",
		"Give each colliding TCP service an address of its own (ServiceEntry addresses, DNS capture for the auto-allocated ones, a ClusterIP instead of headless) or a port of its own."},
	{"Hijack", "A match-all chain on a wildcard listener sends every connection on its port to one service, including traffic meant for other destinations.",
		"Give the service an address of its own (ServiceEntry addresses, a ClusterIP) or a protocol matched by SNI or Host (TLS, HTTP), so it does not own 0.0.0.0 on its port."},
	{"CIDROverlap", "Two prefix-range chains on one listener overlap; Envoy picks the longest prefix, so the broader range loses the narrower one's addresses.",
		"Make the ServiceEntries' CIDRs disjoint, or split the broader CIDR around the narrower one."},
	{"ClusterIPOverlap", "A ServiceEntry address or CIDR contains the ClusterIP of a Service on the same port; only one of them gets those connections.",
		"Remove the cluster's service range from the ServiceEntry's addresses, or put the ServiceEntry on a port the Service does not use."},
	{"ServerFirstConflict", "A server-first protocol (MySQL, MongoDB) shares a port with another protocol; istiod drops it from the listener.",
		"Move the MySQL or MongoDB service to a port no HTTP, TCP or auto-detected service uses, or declare the same protocol for all of them."},
	{"ServerFirstSniffed", "A port that carries a server-first protocol lands on a listener with the http_inspector, which waits for the client to speak first.",
		"Keep HTTP and auto-detected services off the server-first port, and declare its protocol (TCP, MySQL or Mongo) on every service that uses it."},
	{"SniffedListenerTaken", "An auto-detected port adds nothing to a listener that already sniffs for an earlier service; its non-HTTP traffic goes elsewhere.",
		"Name the port's protocol (tcp-, http-) or give the service its own address."},
	{"PortSkipped", "A service or Sidecar egress port gets no listener: the port is reserved by the sidecar or cannot be bound.",
		"Use a port other than the sidecar's 15001, 15006, 15021 and 15090 (and, for an unprivileged proxy, one above 1023)."},
	{"ManyEndpointListeners", "A headless service port makes one listener per endpoint, more than the configured limit; every sidecar carries them all.",
		"Give the Service a ClusterIP, name the port for HTTP, or hide the service from most clients with a Sidecar or exportTo."},
	{"AutoAddressUnused", "A ServiceEntry has an auto-allocated address, but the client does not capture DNS, so its TCP ports land on the wildcard listener.",
		"Enable DNS capture on the client (ISTIO_META_DNS_CAPTURE: \"true\") or give the ServiceEntry explicit addresses."},
	{"NoEndpoints", "A passthrough service without a VIP gets one listener per endpoint, and it has none.",
		"Check the selector matches ready pods, or give the service a ClusterIP."},
	{"EndpointSkipped", "An endpoint is not an IP address, so it gets no per-endpoint listener.",
		"Use IP endpoints for resolution NONE, or resolution DNS for hostnames."},
	{"AliasNoListener", "An ExternalName Service is an alias: it gets no listener of its own.",
		"Nothing to do unless you expected a listener: traffic uses the target's listeners."},
	{"UDPNoListener", "UDP ports are not proxied by the sidecar.",
		"Nothing to do: UDP traffic bypasses the sidecar."},
}

func ruleFor(code string) Rule {
	for _, r := range rules {
		if r.Code == code {
			return r
		}
	}
	return Rule{Code: code, Summary: "A listener finding of the predictor (" + code + ").", Fix: "See the message."}
}

// Rules returns the known codes, sorted.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Severities from most to least severe; "none" is a --fail-on value only.
var severityRank = map[string]int{"error": 3, "warning": 2, "info": 1, "none": 4}

// ParseFailOn checks a --fail-on value.
func ParseFailOn(s string) (string, bool) {
	_, ok := severityRank[s]
	return s, ok
}

// Fails reports whether the report has a finding at or above the severity
// failOn ("none" never fails).
func (r *Report) Fails(failOn string) bool {
	limit := severityRank[failOn]
	for _, f := range r.Findings {
		if severityRank[f.Severity] >= limit {
			return true
		}
	}
	return false
}
