package predictor

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
	rds "github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/trace"
)

// Witness is one connection that shows what a finding says: the client
// opens it (to an address and port, with TLS and a server name, or a Host
// header, where they matter), it is meant for a service, and tracing it
// through the predicted listeners (trace.Trace, Envoy's listener hand-off
// and filter chain match) says where it goes. verify replays it on the
// real pilot's listeners.
type Witness struct {
	// To is the original destination, ADDRESS:PORT (IPv6 in brackets).
	To string `json:"to"`
	// TLS marks a connection that starts with a ClientHello; SNI is its
	// server name.
	TLS bool   `json:"tls,omitempty"`
	SNI string `json:"sni,omitempty"`
	// Host is the Host header of a plaintext HTTP request.
	Host string `json:"host,omitempty"`
	// Meant is the service the connection is meant for (a hostname), or,
	// for a destination without a service, what it should get:
	// "its own destination (passthrough)" or "refused (REGISTRY_ONLY)".
	Meant string `json:"meant"`
	// Listener is the listener that takes it; "virtualOutbound" when none
	// does.
	Listener string `json:"listener"`
	// Destination is where it goes: "cluster outbound|443||istio.io",
	// "route 8080", "cluster PassthroughCluster"; "closed" when no chain
	// takes it.
	Destination string `json:"destination"`
	// Sniffed is set when the listener holds the http_inspector, which
	// waits for the client's first bytes (ServerFirstSniffed: a
	// server-first connection stalls there).
	Sniffed bool `json:"sniffed,omitempty"`
	// Path, Method and Headers make the witness a request (Path is then
	// never empty): the HTTP request the client sends on the connection,
	// which the route configuration of the listener's HTTP chain routes.
	// For a request witness Meant is the route action the request was
	// meant to take ("cluster outbound|9080|v2|reviews..."), Destination
	// the action of the route it takes (route.Action.String) or Envoy's
	// answer without one ("404 no route"), and Route says which route that
	// is (RouteTaken).
	Path    string            `json:"path,omitempty"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Route   string            `json:"route,omitempty"`
}

// IsRequest says whether the witness is an HTTP request, replayed through
// the route configurations as well as the listeners.
func (w Witness) IsRequest() bool { return w.Path != "" }

// Flags are the witness as listenerlab trace's flags: --to, --sni or
// --tls, --host, and for a request --path, --method and each --header
// (sorted by name).
func (w Witness) Flags() []string {
	f := []string{"--to", w.To}
	switch {
	case w.SNI != "":
		f = append(f, "--sni", w.SNI)
	case w.TLS:
		f = append(f, "--tls")
	}
	if w.Host != "" {
		f = append(f, "--host", w.Host)
	}
	if !w.IsRequest() {
		return f
	}
	f = append(f, "--path", w.Path)
	if w.Method != "" {
		f = append(f, "--method", w.Method)
	}
	for _, k := range slices.Sorted(maps.Keys(w.Headers)) {
		f = append(f, "--header", k+"="+w.Headers[k])
	}
	return f
}

// Call is the witness as the connection trace follows.
func (w Witness) Call() (trace.Call, error) {
	to, err := trace.ParseAddress(w.To)
	if err != nil {
		return trace.Call{}, err
	}
	return trace.Call{To: to, TLS: w.TLS, SNI: w.SNI, Host: w.Host, Path: w.Path, Method: w.Method, Headers: w.Headers}, nil
}

// RouteTaken is where a traced request witness ends in the route
// configurations: the route it follows ("9080 vhost HOST:PORT route 2"),
// or why there is none ("9080 no virtual host", "9080 vhost HOST:PORT no
// route", "9080 not received"), and the outcome (trace.Routed.Outcome).
// ok is false when the trace did not reach a route configuration (a TCP
// chain, or routes not known): then the listener's destination stands.
func RouteTaken(r trace.Result) (routeName, destination string, ok bool) {
	if r.HTTP == nil || r.HTTP.Routed == nil {
		return "", "", false
	}
	rt := r.HTTP.Routed
	switch {
	case rt.Missing:
		routeName = rt.Config + " not received"
	case rt.VirtualHost == "":
		routeName = rt.Config + " no virtual host"
	case rt.Route == nil:
		routeName = rt.Config + " vhost " + rt.VirtualHost + " no route"
	default:
		routeName = fmt.Sprintf("%s vhost %s route %d", rt.Config, rt.VirtualHost, rt.Route.Index+1)
	}
	return routeName, rt.Outcome, true
}

// Outcome is where a traced connection goes, as a witness records it:
// the listener, the destination, and whether the listener sniffs.
func Outcome(ls []listener.Listener, r trace.Result) (listenerName, destination string, sniffed bool) {
	destination = "closed"
	if r.Destination != nil {
		destination = r.Destination.String()
	}
	for _, l := range ls {
		if l.Name == r.Listener {
			sniffed = slices.Contains(l.ListenerFilters, "http_inspector")
			break
		}
	}
	return r.Listener, destination, sniffed
}

// witnessSpec is a witness connection as a rule chooses it, before the
// listeners are final: addr "" means any address that no listener on the
// port is bound to and no prefix range of its wildcard listener holds.
type witnessSpec struct {
	addr  string
	v6    bool
	port  int
	tls   bool
	sni   string
	host  string
	meant string
	// req, when set, makes the witness an HTTP request (its Host is host);
	// meant is then the route action it was meant to take.
	req *rds.Request
	// graded: the finding's severity follows from the traced request, a
	// warning when it takes the action it was meant to take (the
	// configuration changes nothing), else an error.
	graded bool
}

// witness attaches a witness connection to the last finding raised.
func (b *builder) witness(spec witnessSpec) {
	f := &b.findings[len(b.findings)-1]
	f.spec = &spec
}

// connFor is the witness connection to service s on port p: to its own
// address for this proxy when it has one, else to the listener's bind
// address unless it is a wildcard, else to a free address; plaintext HTTP
// with the service's Host for an HTTP port, a TLS ClientHello with its
// hostname for a TLS port matched by SNI.
func (b *builder) connFor(s *service, p port, bind string, sni []string) witnessSpec {
	spec := witnessSpec{port: p.Number, meant: s.Hostname}
	addr := s.address(b.p)
	switch {
	case bind != "" && bind != wildcardV4 && bind != wildcardV6 && !strings.HasPrefix(bind, "unix://"):
		// A listener bound to an address of its own (a Sidecar egress
		// bind, 127.0.0.1 without interception) takes only connections
		// opened to that address, whatever the service's VIP.
		spec.addr = bind
	case addr != "" && !strings.Contains(addr, "/") && addr != wildcardV4 && addr != wildcardV6:
		spec.addr = addr
	}
	spec.v6 = bind == wildcardV6 || b.p.V6 && !b.p.V4
	if len(sni) > 0 && !slices.Contains(sni, "*") {
		spec.tls, spec.sni = true, strings.TrimPrefix(sni[0], "*.")
	} else if p.Protocol.isHTTP() {
		spec.host = s.Hostname
	}
	return spec
}

// fillWitnesses traces every finding's witness connection through the
// final listeners ls, and a request witness on through the route
// configurations routes, the way `listenerlab trace` does.
func fillWitnesses(fs []Finding, ls []listener.Listener, vo virtualOutbound, routes []rds.Config) {
	for i := range fs {
		spec := fs[i].spec
		if spec == nil {
			continue
		}
		fs[i].spec = nil
		addr := spec.addr
		if addr == "" {
			addr = freeAddress(ls, spec.port, spec.v6)
		}
		a, err := netip.ParseAddr(addr)
		if err != nil {
			continue
		}
		c := trace.Call{To: netip.AddrPortFrom(a, uint16(spec.port)), TLS: spec.tls, SNI: spec.sni, Host: spec.host}
		var known []rds.Config // a connection witness stops at its route's name
		if spec.req != nil {
			c.Path, c.Method, c.Headers = spec.req.Path, spec.req.Method, spec.req.Headers
			known = routes
		}
		r := trace.Trace(ls, c, vo.options(known))
		w := &Witness{To: c.To.String(), TLS: spec.tls, SNI: spec.sni, Host: spec.host, Meant: spec.meant,
			Path: c.Path, Method: c.Method, Headers: c.Headers}
		w.Listener, w.Destination, w.Sniffed = Outcome(ls, r)
		if spec.req != nil {
			if rt, dest, ok := RouteTaken(r); ok {
				w.Route, w.Destination = rt, dest
			}
		}
		if spec.graded {
			fs[i].Severity = SeverityError
			if w.Destination == w.Meant {
				fs[i].Severity = SeverityWarning
			}
		}
		fs[i].Witness = w
	}
}

// freeAddress picks a documentation address (RFC 5737, RFC 3849) that no
// listener on port is bound to and no prefix range of a chain on the port
// holds: a destination with no listener or chain of its own, like an
// external host's real address.
func freeAddress(ls []listener.Listener, port int, v6 bool) string {
	base := netip.MustParseAddr("203.0.113.10")
	if v6 {
		base = netip.MustParseAddr("2001:db8::10")
	}
	taken := func(a netip.Addr) bool {
		for _, l := range ls {
			if int(l.Port) != port {
				continue
			}
			if l.Address == a.String() || slices.Contains(l.AdditionalAddresses, a.String()) {
				return true
			}
			for _, fc := range l.FilterChains {
				for _, r := range fc.Match.PrefixRanges {
					if p, err := netip.ParsePrefix(r); err == nil && p.Contains(a) {
						return true
					}
				}
			}
		}
		return false
	}
	a := base
	for i := 0; i < 200 && taken(a); i++ {
		a = a.Next()
	}
	return a.String()
}
