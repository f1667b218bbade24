package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
)

// Options say what the listeners alone do not.
type Options struct {
	// VirtualOutbound is Istio's virtualOutbound listener (0.0.0.0:15001,
	// use_original_dst), read from a config dump: a connection that no other
	// listener takes stays on it and goes through its filter chains. Nil for
	// a prediction, which leaves the virtual listeners out; Unmatched then
	// says where it sends such connections.
	VirtualOutbound *listener.Listener
	// Unmatched is virtualOutbound's destination when VirtualOutbound is
	// nil: PassthroughCluster (the zero value means that too), or
	// BlackHoleCluster under REGISTRY_ONLY.
	Unmatched listener.Destination
	// UnmatchedHTTP, when set, replaces Unmatched for a plaintext HTTP
	// connection (one the http_inspector gives an ALPN of PlaintextHTTPALPNs):
	// the HTTP chain of Istio's virtualOutbound under ALLOW_ANY_DYNAMIC_DNS,
	// whose connection manager carries its route configuration inline.
	UnmatchedHTTP *listener.Destination
	// Inline are the route configurations that connection managers carry
	// inline (a Destination's Route listener.InlineRoutePrefix+NAME, each
	// named so): part of the listeners, so known whether Routes is or not.
	Inline []route.Config
	// Routes are the route configurations the sidecar has (RDS): an HTTP
	// chain's request is followed through the one its connection manager
	// names. Nil when they are not known (a dump without
	// dynamic_route_configs): the trace then stops at the route's name.
	Routes []route.Config
}

// Step is one step of the pipeline: what the connection offered and which
// listeners or filter chains survived.
type Step struct {
	// Step names the criterion, e.g. "original destination", "server name".
	Step string `json:"step"`
	// Value is the connection's value for it, e.g. "api.github.com".
	Value string `json:"value"`
	// Kept are the survivors: listener names, or chains as "MATCH -> DESTINATION".
	Kept []string `json:"kept"`
	// Why says why they, and only they, survived.
	Why string `json:"why"`
}

// Result is where the connection goes.
type Result struct {
	Call       Call       `json:"call"`
	Connection Connection `json:"connection"`
	Steps      []Step     `json:"steps"`
	// Listener is the listener that took the connection, "virtualOutbound"
	// when it stayed on the virtual listener.
	Listener string `json:"listener"`
	// Virtual is true when no listener took it: it stayed on virtualOutbound.
	Virtual bool `json:"virtual,omitempty"`
	// Chain is the chain that matched: its match (e.g. "sni=a.example.com",
	// "all"), "default" for the default chain, "" when none did.
	Chain string `json:"chain,omitempty"`
	// Destination is where the chain sends the connection; nil when Envoy
	// closes it.
	Destination *listener.Destination `json:"destination,omitempty"`
	// Reason is the predictor's reason for the listener and chain
	// (predictions only).
	Reason string `json:"reason,omitempty"`
	// HTTP says how an HTTP route goes on; nil for TCP.
	HTTP *HTTPNext `json:"http,omitempty"`
	// Summary is the answer in one line.
	Summary string `json:"summary"`
	// Notes are caveats: ambiguous configuration, hints that were ignored.
	Notes []string `json:"notes,omitempty"`
}

// HTTPNext is what happens after an HTTP connection manager takes the
// connection: the route configuration it names picks a virtual host by the
// Host header, then a route by path, headers and query.
type HTTPNext struct {
	Route string `json:"route"`
	// Host is the Host header RDS matches against the virtual hosts'
	// domains: the call's, or the one a client connecting by address sends.
	Host string `json:"host"`
	// HostGiven is false when Host was derived from the address.
	HostGiven bool `json:"hostGiven"`
	// Routed is the request followed through the route configuration;
	// nil when Options.Routes is nil.
	Routed *Routed `json:"routed,omitempty"`
}

// VirtualOutboundName is Istio's name for the capturing listener.
const VirtualOutboundName = "virtualOutbound"

// Trace follows one call through the listeners ls, the way Envoy does in an
// Istio sidecar: virtualOutbound captures it, hands it to the listener of
// its original destination, and that listener selects a filter chain.
func Trace(ls []listener.Listener, c Call, o Options) Result {
	k := c.Connection()
	r := Result{Call: c, Connection: k}
	l, step, others := originalDestination(ls, k)
	r.Steps = append(r.Steps, step)
	prefix := ""
	if l == nil {
		r.Virtual, r.Listener = true, VirtualOutboundName
		prefix = "no listener on this port: "
		if others {
			prefix = "no listener for this address and port: "
		}
		if o.VirtualOutbound == nil {
			d := o.Unmatched
			if d.Kind == "" {
				d = listener.Destination{Kind: listener.TCP, Cluster: listener.PassthroughCluster}
			}
			if o.UnmatchedHTTP != nil && plaintextHTTP(k) {
				d = *o.UnmatchedHTTP
				r.Chain = "alpn=" + strings.Join(PlaintextHTTPALPNs, ",")
			}
			r.Destination = &d
			r.Summary = prefix + short(d) + " (virtualOutbound)"
			if d.Kind == listener.HTTP {
				followHTTP(&r, c, d, o)
			}
			return r
		}
		l = o.VirtualOutbound
		prefix += "stays on virtualOutbound, "
	}
	r.Listener = l.Name
	chain, steps, notes := selectChain(l, k)
	r.Steps = append(r.Steps, steps...)
	r.Notes = append(r.Notes, notes...)
	switch {
	case chain == nil:
		r.Summary = prefix + "no filter chain matches and there is no default chain: Envoy closes the connection"
		return r
	case chain == l.DefaultChain:
		r.Chain = "default"
	default:
		r.Chain = chain.Match.String()
	}
	d := chain.Destination
	r.Destination = &d
	r.Reason = joinReasons(l.Reason, chain.Reason)
	r.Summary = prefix + short(d)
	if d.Kind == listener.HTTP {
		followHTTP(&r, c, d, o)
	}
	return r
}

// followHTTP takes a call that reached an HTTP connection manager with
// destination d on through the route configuration it names.
func followHTTP(r *Result, c Call, d listener.Destination, o Options) {
	r.HTTP = &HTTPNext{Route: d.Route, Host: c.Host, HostGiven: c.Host != ""}
	if c.Host == "" {
		r.HTTP.Host = hostFor(c.To)
	}
	routes := o.Routes
	if strings.HasPrefix(d.Route, listener.InlineRoutePrefix) {
		routes = o.Inline
		if routes == nil {
			routes = []route.Config{}
		}
	}
	if routes == nil {
		r.Summary += fmt.Sprintf(": the virtual host is chosen by RDS (routes not known here) by Host %q", r.HTTP.Host)
		return
	}
	rt := Follow(routes, d.Route, c.request(r.HTTP.Host))
	r.HTTP.Routed = &rt
	r.Summary += ": " + rt.Outcome
}

// PlaintextHTTPALPNs are the protocols of plaintext HTTP that Istio's HTTP
// chains match (plaintextHTTPALPNs in pilot/pkg/networking/core/listener.go;
// istiod's PILOT_HTTP10, which adds http/1.0, is not modelled and named so
// by meshconfig).
var PlaintextHTTPALPNs = []string{"http/1.1", "h2c"}

// plaintextHTTP says whether the http_inspector took k for plaintext HTTP.
func plaintextHTTP(k Connection) bool {
	if k.Transport != RawBuffer {
		return false
	}
	for _, p := range k.ALPN {
		if slices.Contains(PlaintextHTTPALPNs, p) {
			return true
		}
	}
	return false
}

func joinReasons(l, c string) string {
	switch {
	case l == "":
		return c
	case c == "":
		return l
	}
	return l + "; " + c
}

// short is a destination as an answer.
func short(d listener.Destination) string {
	switch {
	case d.Kind == listener.TCP && d.Cluster == listener.PassthroughCluster:
		return "passthrough"
	case d.Kind == listener.TCP && d.Cluster == listener.BlackHoleCluster:
		return "blackhole"
	case d.Kind == listener.TCP && len(d.Weighted) == 0:
		return "cluster " + d.Cluster
	case d.Kind == listener.HTTP:
		return "route " + d.Route
	}
	return d.String()
}

// hostFor is the Host header a client that connects by address sends: the
// address, with the port unless it is 80.
func hostFor(to netip.AddrPort) string {
	host := to.Addr().String()
	if to.Addr().Is6() {
		host = "[" + host + "]"
	}
	if to.Port() == 80 {
		return host
	}
	return host + ":" + strconv.Itoa(int(to.Port()))
}

// originalDestination models the hand-off of virtualOutbound, which sets
// use_original_dst: "the listener hands off redirected connections to the
// listener associated with the original destination address. If there is
// no listener associated with the original destination address, the
// connection is handled by the listener that receives it."
// (https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener.proto#envoy-v3-api-field-config-listener-v3-listener-use-original-dst,
// and the original_dst listener filter that restores the address:
// https://www.envoyproxy.io/docs/envoy/latest/configuration/listeners/listener_filters/original_dst_filter).
// Envoy looks the listener up by the exact address:port first (a
// listener's address or one of its additional_addresses), then the wildcard
// of the address family on that port: 0.0.0.0 for IPv4, :: for IPv6
// (ConnectionHandlerImpl::getBalancedHandlerByAddress).
//
// It returns the listener (nil: none), the step, and whether listeners
// exist on the port for other addresses.
func originalDestination(ls []listener.Listener, k Connection) (*listener.Listener, Step, bool) {
	to := netip.AddrPortFrom(k.Address, uint16(k.Port))
	step := Step{Step: "original destination", Value: to.String()}
	wildcard := netip.IPv4Unspecified()
	if k.Address.Is6() {
		wildcard = netip.IPv6Unspecified()
	}
	var exact, wild []int
	others := 0
	for i := range ls {
		switch bound(&ls[i], to, wildcard) {
		case boundExact:
			exact = append(exact, i)
		case boundWildcard:
			wild = append(wild, i)
		case boundOther:
			others++
		}
	}
	pick := func(idx []int, why string) (*listener.Listener, Step, bool) {
		for _, i := range idx {
			step.Kept = append(step.Kept, ls[i].Name)
		}
		step.Why = why
		if len(idx) > 1 {
			step.Why += fmt.Sprintf("; %d listeners share it, which Envoy refuses: the first is used", len(idx))
		}
		return &ls[idx[0]], step, false
	}
	switch {
	case len(exact) > 0:
		return pick(exact, "a listener is bound to "+to.String()+" exactly")
	case len(wild) > 0:
		return pick(wild, fmt.Sprintf("no listener is bound to %s: the wildcard listener on port %d takes it", to, k.Port))
	}
	step.Kept = []string{}
	if others > 0 {
		step.Why = fmt.Sprintf("no listener for %s and no wildcard (%s) on port %d (%d listeners on the port are bound to other addresses): the connection stays on virtualOutbound", to, wildcard, k.Port, others)
		return nil, step, true
	}
	step.Why = fmt.Sprintf("no listener on port %d: the connection stays on virtualOutbound", k.Port)
	return nil, step, false
}

type binding int

const (
	boundNot binding = iota
	boundOther
	boundWildcard
	boundExact
)

// bound says how listener l is bound with respect to the destination to.
func bound(l *listener.Listener, to netip.AddrPort, wildcard netip.Addr) binding {
	best := boundNot
	consider := func(a netip.AddrPort, ok bool) {
		if !ok || a.Port() != to.Port() {
			return
		}
		switch {
		case a.Addr() == to.Addr():
			best = boundExact
		case a.Addr() == wildcard && best < boundWildcard:
			best = boundWildcard
		case best < boundOther:
			best = boundOther
		}
	}
	if l.Port == uint32(to.Port()) {
		a, err := netip.ParseAddr(l.Address)
		consider(netip.AddrPortFrom(a.Unmap(), uint16(l.Port)), err == nil)
	}
	for _, s := range l.AdditionalAddresses {
		consider(additional(s, l.Port))
	}
	return best
}

// additional reads an additional address: bare on the listener's own port,
// or ADDRESS:PORT on another one (package dump writes both).
func additional(s string, port uint32) (netip.AddrPort, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), true
}
