package trace

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// A chain criterion ranks how specifically a chain's match accepts the
// connection: -1 it does not, 0 the field is empty (any value), higher is
// more specific. how says why, for the step's explanation.
type criterion struct {
	name  string
	value func(k Connection) string
	rank  func(m listener.Match, k Connection) (rank int, how string)
}

// criteria are the FilterChainMatch fields Istio sets on outbound
// listeners, in the order Envoy applies them: "The following order applies:
// Destination port. Destination IP address. Server name (e.g. SNI for TLS
// protocol), Transport protocol. Application protocols (e.g. ALPN for TLS
// protocol). [...] For criteria that allow ranges or wildcards, the most
// specific value in any of the configured filter chains that matches the
// incoming connection is going to be used [...]. Prune the filter chain set
// using the first attribute [...] If no filter chain remains, the default
// filter chain is used".
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener_components.proto#config-listener-v3-filterchainmatch
// The source criteria (direct source IP, source type, source IP and port)
// come last; Istio's outbound chains leave them empty, so they never prune.
var criteria = []criterion{
	{"destination port", func(k Connection) string { return fmt.Sprint(k.Port) }, rankPort},
	{"destination IP", func(k Connection) string { return k.Address.String() }, rankIP},
	{"server name", func(k Connection) string { return orNone(k.ServerName) }, rankServerName},
	{"transport protocol", func(k Connection) string { return k.Transport }, rankTransport},
	{"application protocols", func(k Connection) string { return orNone(strings.Join(k.ALPN, ",")) }, rankALPN},
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// rankPort: destination_port "Optional destination port to consider when
// use_original_dst is set on the listener in determining a filter chain
// match." An exact port beats a chain without one.
func rankPort(m listener.Match, k Connection) (int, string) {
	switch m.DestinationPort {
	case 0:
		return 0, "no destination_port (any port)"
	case k.Port:
		return 1, fmt.Sprintf("destination_port %d", k.Port)
	}
	return -1, ""
}

// rankIP: prefix_ranges "If non-empty, an IP address and prefix length to
// match addresses when the listener is bound to 0.0.0.0/:: or when
// use_original_dst is specified." The longest matching prefix wins; any
// range that matches (even /0) beats a chain without ranges.
func rankIP(m listener.Match, k Connection) (int, string) {
	if len(m.PrefixRanges) == 0 {
		return 0, "no prefix_ranges (any address)"
	}
	best, how := -1, ""
	for _, s := range m.PrefixRanges {
		p, ok := prefix(s)
		if ok && p.Contains(k.Address) && p.Bits()+1 > best {
			best, how = p.Bits()+1, fmt.Sprintf("prefix_ranges %s (/%d)", p, p.Bits())
		}
	}
	return best, how
}

// prefix reads a prefix range, a bare address being a full-length prefix.
func prefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// exactName outranks every wildcard: a wildcard ranks by the length of its
// suffix, so *.b.example.com beats *.example.com.
const exactName = 1 << 20

// rankServerName: server_names "If non-empty, a list of server names (e.g.
// SNI for TLS protocol) to consider when determining a filter chain match.
// [...] for SNI www.example.com the most specific match would be
// www.example.com, then *.example.com, then *.com, then any filter chain
// without server_names requirements." A wildcard stands for one or more
// whole labels, and a chain that names server names needs the connection to
// have one.
func rankServerName(m listener.Match, k Connection) (int, string) {
	if len(m.ServerNames) == 0 {
		return 0, "no server_names (any server name)"
	}
	if k.ServerName == "" {
		return -1, ""
	}
	best, how := -1, ""
	for _, n := range m.ServerNames {
		n = strings.ToLower(n)
		switch {
		case n == k.ServerName:
			return exactName, "server name " + n + " exactly"
		case strings.HasPrefix(n, "*.") && len(k.ServerName) > len(n)-1 && strings.HasSuffix(k.ServerName, n[1:]) && len(n) > best:
			best, how = len(n), "wildcard server name "+n
		}
	}
	return best, how
}

// rankTransport: transport_protocol "If non-empty, a transport protocol to
// consider when determining a filter chain match. [...] raw_buffer -
// default, used when no transport protocol is detected, tls - set by
// envoy.filters.listener.tls_inspector when TLS protocol is detected."
func rankTransport(m listener.Match, k Connection) (int, string) {
	switch m.TransportProtocol {
	case "":
		return 0, "no transport_protocol (any transport)"
	case k.Transport:
		return 1, "transport_protocol " + k.Transport
	}
	return -1, ""
}

// rankALPN: application_protocols "If non-empty, a list of application
// protocols (e.g. ALPN for TLS protocol) to consider when determining a
// filter chain match." Envoy takes the connection's protocols in order and
// uses the first one that some chain lists; chains without the field come
// after every listed protocol.
func rankALPN(m listener.Match, k Connection) (int, string) {
	if len(m.ApplicationProtocols) == 0 {
		return 0, "no application_protocols (any protocol)"
	}
	for i, p := range k.ALPN {
		for _, q := range m.ApplicationProtocols {
			if p == q {
				return len(k.ALPN) - i, "application protocol " + p
			}
		}
	}
	return -1, ""
}

// selectChain runs the criteria over l's filter chains: at each step only
// the most specific matching chains survive; when none is left the default
// chain takes the connection (nil when there is none). Envoy does not back
// track: a chain that wins a step and fails a later one sends the
// connection to the default chain, even if a less specific chain would
// have matched everything.
func selectChain(l *listener.Listener, k Connection) (*listener.FilterChain, []Step, []string) {
	alive := make([]*listener.FilterChain, len(l.FilterChains))
	for i := range l.FilterChains {
		alive[i] = &l.FilterChains[i]
	}
	var steps []Step
	var notes []string
	for _, c := range criteria {
		step := Step{Step: c.name, Value: c.value(k), Kept: []string{}}
		best, how := -1, ""
		ranks := make([]int, len(alive))
		for i, fc := range alive {
			r, h := c.rank(fc.Match, k)
			ranks[i] = r
			if r > best {
				best, how = r, h
			}
		}
		var kept []*listener.FilterChain
		for i, fc := range alive {
			if ranks[i] == best && best >= 0 {
				kept = append(kept, fc)
				step.Kept = append(step.Kept, chainString(fc))
			}
		}
		switch {
		case len(alive) == 0:
			step.Why = "no filter chain left"
		case len(kept) == 0:
			step.Why = fmt.Sprintf("none of the %d chains accepts %s %s", len(alive), c.name, step.Value)
		case len(alive) == 1 && len(kept) == 1:
			step.Why = how + ": the only chain"
		case len(kept) == len(alive):
			step.Why = fmt.Sprintf("%s: all %d chains", how, len(alive))
		default:
			step.Why = fmt.Sprintf("%s: %d of %d chains (the most specific)", how, len(kept), len(alive))
		}
		steps = append(steps, step)
		alive = kept
	}
	def := Step{Step: "default chain", Value: "-", Kept: []string{}}
	switch {
	case len(alive) > 0:
		if len(alive) > 1 {
			notes = append(notes, fmt.Sprintf("%d chains match identically, which Envoy refuses in one listener: the first is shown", len(alive)))
		}
		return alive[0], steps, notes
	case l.DefaultChain != nil:
		def.Kept = []string{chainString(l.DefaultChain)}
		def.Why = "no filter chain matched: the default_filter_chain takes the connection"
		steps = append(steps, def)
		return l.DefaultChain, steps, notes
	}
	def.Why = "no filter chain matched and the listener has no default_filter_chain"
	steps = append(steps, def)
	return nil, steps, notes
}

func chainString(fc *listener.FilterChain) string {
	return fc.Match.String() + " -> " + fc.Destination.String()
}
