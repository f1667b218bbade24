package listener

import (
	"fmt"
	"net/netip"
	"strings"
)

// Transport protocols as Envoy's listener filters set them
// (FilterChainMatch.transport_protocol).
const (
	// RawBuffer is Envoy's transport protocol when no TLS is detected.
	RawBuffer = "raw_buffer"
	// TLS is set by the tls_inspector when it reads a ClientHello.
	TLS = "tls"
)

// Connection is what Envoy knows of a connection when it selects a filter
// chain: the original destination, and what the listener filters detected.
type Connection struct {
	Address netip.Addr
	Port    uint32
	// ServerName is the SNI the tls_inspector read, lower case; "" without.
	ServerName string
	// Transport is TLS when the tls_inspector saw a ClientHello, else
	// RawBuffer.
	Transport string
	// ALPN are the application protocols the tls_inspector read (TLS) or the
	// http_inspector set (plaintext HTTP), most preferred first.
	ALPN []string
}

// Criterion names one FilterChainMatch field Envoy prunes filter chains by.
type Criterion string

// The criteria Istio's outbound filter chains use, in the order Envoy
// applies them.
const (
	ByDestinationPort      Criterion = "destination port"
	ByDestinationIP        Criterion = "destination IP"
	ByServerName           Criterion = "server name"
	ByTransportProtocol    Criterion = "transport protocol"
	ByApplicationProtocols Criterion = "application protocols"
)

// ChainStep is one criterion applied to the chains still in the running.
type ChainStep struct {
	Criterion Criterion
	// Kept are the indexes (into SelectChain's matches) of the chains that
	// survived the step, in their order.
	Kept []int
	// How says what the survivors matched, e.g. "server name a.example.com
	// exactly" or "no server_names (any server name)"; "" when none did.
	How string
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
// Istio's own model of the same sieve is matchFilterChain in
// pilot/pkg/simulation/traffic.go.
var criteria = []struct {
	name Criterion
	rank func(m Match, k Connection) (rank int, how string)
}{
	{ByDestinationPort, rankPort},
	{ByDestinationIP, rankIP},
	{ByServerName, rankServerName},
	{ByTransportProtocol, rankTransport},
	{ByApplicationProtocols, rankALPN},
}

// SelectChain runs Envoy's filter chain match
// (FilterChainManagerImpl::findFilterChain) over the matches of a
// listener's filter chains, in order: at each criterion only the chains
// with the most specific value that accepts the connection survive (a chain
// that leaves the field empty accepts any value, and is the least
// specific). It returns the index of the chosen chain, -1 when none is left
// (the default chain, if any, takes the connection), and every step. Envoy
// does not back track: a chain that wins a step and fails a later one sends
// the connection to the default chain, even if a less specific chain would
// have matched everything. When several chains survive every step (Envoy
// refuses such a listener), the first is chosen.
func SelectChain(matches []Match, k Connection) (int, []ChainStep) {
	alive := make([]int, len(matches))
	for i := range matches {
		alive[i] = i
	}
	steps := make([]ChainStep, 0, len(criteria))
	for _, c := range criteria {
		best, how := -1, ""
		ranks := make([]int, len(alive))
		for j, i := range alive {
			r, h := c.rank(matches[i], k)
			ranks[j] = r
			if r > best {
				best, how = r, h
			}
		}
		kept := []int{}
		for j, i := range alive {
			if ranks[j] == best && best >= 0 {
				kept = append(kept, i)
			}
		}
		if len(kept) == 0 {
			how = ""
		}
		steps = append(steps, ChainStep{Criterion: c.name, Kept: kept, How: how})
		alive = kept
	}
	if len(alive) == 0 {
		return -1, steps
	}
	return alive[0], steps
}

// rankPort: destination_port "Optional destination port to consider when
// use_original_dst is set on the listener in determining a filter chain
// match." An exact port beats a chain without one.
func rankPort(m Match, k Connection) (int, string) {
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
// use_original_dst is specified." The longest matching prefix wins. Envoy
// puts a chain without ranges in its destination IP trie as 0.0.0.0/0 and
// ::/0 (FilterChainManagerImpl::convertIPsToTries), so such a chain ranks
// as a /0: below every longer prefix that contains the address, level
// with an explicit /0.
func rankIP(m Match, k Connection) (int, string) {
	if len(m.PrefixRanges) == 0 {
		return 1, "no prefix_ranges (any address)"
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
func rankServerName(m Match, k Connection) (int, string) {
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
func rankTransport(m Match, k Connection) (int, string) {
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
func rankALPN(m Match, k Connection) (int, string) {
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
