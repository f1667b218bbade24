package listener

import (
	"net/netip"
	"testing"
)

// The expectations follow Envoy's FilterChainMatch documentation (order
// port, IP, server name, transport, application protocols; most specific
// value at each step; no back tracking) and Istio's model of it,
// matchFilterChain in pilot/pkg/simulation/traffic.go.
func TestSelectChain(t *testing.T) {
	tls := func(sni string, alpn ...string) Connection {
		return Connection{Address: netip.MustParseAddr("10.96.1.1"), Port: 443, Transport: TLS, ServerName: sni, ALPN: alpn}
	}
	plain := func(addr string, alpn ...string) Connection {
		return Connection{Address: netip.MustParseAddr(addr), Port: 80, Transport: RawBuffer, ALPN: alpn}
	}
	for _, tc := range []struct {
		name    string
		matches []Match
		conn    Connection
		want    int
	}{
		{"no chains: the default", nil, plain("10.0.0.1"), -1},
		{"an empty match takes anything", []Match{{}}, plain("10.0.0.1"), 0},
		{"exact port beats no port",
			[]Match{{}, {DestinationPort: 80}}, plain("10.0.0.1"), 1},
		{"another port is pruned, the empty one stays",
			[]Match{{DestinationPort: 81}, {}}, plain("10.0.0.1"), 1},
		{"longest prefix wins",
			[]Match{{PrefixRanges: []string{"10.0.0.0/8"}}, {PrefixRanges: []string{"10.1.0.0/16"}}, {}}, plain("10.1.2.3"), 1},
		{"a bare address is a full-length prefix",
			[]Match{{PrefixRanges: []string{"10.1.0.0/16"}}, {PrefixRanges: []string{"10.1.2.3"}}}, plain("10.1.2.3"), 1},
		{"no prefix contains the address: chains without ranges",
			[]Match{{PrefixRanges: []string{"192.168.0.0/16"}}, {TransportProtocol: RawBuffer}}, plain("10.1.2.3"), 1},
		// Envoy stores a chain without ranges as 0.0.0.0/0 and ::/0: level
		// with an explicit /0, so transport decides.
		{"a /0 range is level with no ranges",
			[]Match{{PrefixRanges: []string{"0.0.0.0/0"}, TransportProtocol: TLS}, {}}, plain("10.1.2.3"), 1},
		{"exact server name before wildcard",
			[]Match{{ServerNames: []string{"*.example.com"}}, {ServerNames: []string{"www.example.com"}}}, tls("www.example.com"), 1},
		{"longer wildcard before shorter",
			[]Match{{ServerNames: []string{"*.com"}}, {ServerNames: []string{"*.example.com"}}}, tls("a.b.example.com"), 1},
		{"a wildcard does not match its own suffix",
			[]Match{{ServerNames: []string{"*.example.com"}}, {}}, tls("example.com"), 1},
		{"server names need an SNI",
			[]Match{{ServerNames: []string{"a.example.com"}}, {}}, plain("10.0.0.1"), 1},
		{"server names compare in lower case",
			[]Match{{ServerNames: []string{"A.Example.com"}}}, tls("a.example.com"), 0},
		{"transport tls",
			[]Match{{TransportProtocol: RawBuffer}, {TransportProtocol: TLS}}, tls(""), 1},
		{"first offered protocol some chain lists wins",
			[]Match{{ApplicationProtocols: []string{"http/1.1"}}, {ApplicationProtocols: []string{"h2"}}}, tls("", "h2", "http/1.1"), 1},
		{"listed protocol before a chain without the field",
			[]Match{{}, {ApplicationProtocols: []string{"http/1.1", "http/1.0"}}}, plain("10.0.0.1", "http/1.1"), 1},
		{"raw TCP skips chains that list protocols",
			[]Match{{ApplicationProtocols: []string{"http/1.1"}}, {TransportProtocol: RawBuffer}}, plain("10.0.0.1"), 1},
		// Envoy does not back track: the /32 chain wins the IP step, then
		// fails on transport; the /16 chain that would match is gone.
		{"no back tracking",
			[]Match{{PrefixRanges: []string{"10.1.0.0/16"}}, {PrefixRanges: []string{"10.1.2.3/32"}, TransportProtocol: TLS}}, plain("10.1.2.3"), -1},
		{"IP decides before server name",
			[]Match{{ServerNames: []string{"www.example.com"}}, {PrefixRanges: []string{"10.96.1.1/32"}}}, tls("www.example.com"), 1},
		{"identical chains: the first",
			[]Match{{PrefixRanges: []string{"10.0.0.0/8"}}, {PrefixRanges: []string{"10.0.0.0/8"}}}, plain("10.0.0.1"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, steps := SelectChain(tc.matches, tc.conn)
			if got != tc.want {
				t.Errorf("SelectChain = %d, want %d (steps %+v)", got, tc.want, steps)
			}
			if len(steps) != 5 || steps[0].Criterion != ByDestinationPort || steps[4].Criterion != ByApplicationProtocols {
				t.Errorf("steps = %+v, want the five criteria in Envoy's order", steps)
			}
			if last := steps[len(steps)-1]; (got >= 0) != (len(last.Kept) > 0) || (got >= 0 && last.Kept[0] != got) {
				t.Errorf("last step kept %v, chosen %d", last.Kept, got)
			}
		})
	}
}
