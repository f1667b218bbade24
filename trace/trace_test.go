package trace

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
)

func tcp(cluster string) listener.Destination {
	return listener.Destination{Kind: listener.TCP, Cluster: cluster}
}

func rds(name string) listener.Destination {
	return listener.Destination{Kind: listener.HTTP, Route: name}
}

var passthrough = tcp(listener.PassthroughCluster)

// sidecar is a listener set with one listener per behaviour under test.
var sidecar = []listener.Listener{
	// A TCP service's VIP listener and a TCP ServiceEntry without
	// addresses on the same port.
	{Name: "10.96.1.1_3306", Address: "10.96.1.1", Port: 3306,
		FilterChains: []listener.FilterChain{{Destination: tcp("outbound|3306||mysql.default.svc.cluster.local")}}},
	{Name: "0.0.0.0_3306", Address: "0.0.0.0", Port: 3306,
		FilterChains: []listener.FilterChain{{Destination: tcp("outbound|3306||sql-a.example.com")}}},
	// Two CIDR ServiceEntries on one wildcard listener.
	{Name: "0.0.0.0_5432", Address: "0.0.0.0", Port: 5432,
		FilterChains: []listener.FilterChain{
			{Match: listener.Match{PrefixRanges: []string{"10.0.0.0/8"}}, Destination: tcp("outbound|5432||wide.example.com")},
			{Match: listener.Match{PrefixRanges: []string{"10.1.0.0/16", "192.0.2.7/32"}}, Destination: tcp("outbound|5432||narrow.example.com")},
		},
		DefaultChain: &listener.FilterChain{Destination: passthrough}},
	// TLS ServiceEntries told apart by SNI.
	{Name: "0.0.0.0_443", Address: "0.0.0.0", Port: 443, ListenerFilters: []string{"tls_inspector"},
		FilterChains: []listener.FilterChain{
			{Match: listener.Match{ServerNames: []string{"api.example.com"}}, Destination: tcp("outbound|443||api.example.com")},
			{Match: listener.Match{ServerNames: []string{"*.example.com"}}, Destination: tcp("outbound|443||*.example.com")},
			{Match: listener.Match{ServerNames: []string{"*.eu.example.com"}}, Destination: tcp("outbound|443||*.eu.example.com")},
		},
		DefaultChain: &listener.FilterChain{Destination: passthrough}},
	// A sniffed (auto-detect) port: HTTP by ALPN, TCP otherwise.
	{Name: "10.96.1.2_8080", Address: "10.96.1.2", Port: 8080, AdditionalAddresses: []string{"fd00:10:96::2"}, ListenerFilters: []string{"http_inspector"},
		FilterChains: []listener.FilterChain{
			{Match: listener.Match{TransportProtocol: RawBuffer, ApplicationProtocols: []string{"h2c", "http/1.1"}}, Destination: rds("web.default.svc.cluster.local:8080")},
		},
		DefaultChain: &listener.FilterChain{Destination: tcp("outbound|8080||web.default.svc.cluster.local")}},
	// A prefix-range chain that wins the IP step and then fails ALPN: Envoy
	// does not fall back to the less specific chain.
	{Name: "0.0.0.0_9000", Address: "0.0.0.0", Port: 9000,
		FilterChains: []listener.FilterChain{
			{Match: listener.Match{PrefixRanges: []string{"10.0.0.0/8"}, ApplicationProtocols: []string{"http/1.1"}}, Destination: rds("9000")},
			{Match: listener.Match{TransportProtocol: RawBuffer}, Destination: tcp("outbound|9000||any.example.com")},
		},
		DefaultChain: &listener.FilterChain{Destination: passthrough}},
	// IPv6 wildcard.
	{Name: "::_9100", Address: "::", Port: 9100,
		FilterChains: []listener.FilterChain{{Destination: tcp("outbound|9100||v6.example.com")}}},
	// A Redis port with PILOT_ENABLE_REDIS_FILTER: redis_proxy, no tcp_proxy.
	{Name: "10.96.1.3_6379", Address: "10.96.1.3", Port: 6379,
		FilterChains: []listener.FilterChain{{Destination: listener.Destination{Kind: listener.Redis, Cluster: "outbound|6379||cache.default.svc.cluster.local"}}}},
	// Chains only, no default, none matching plaintext.
	{Name: "0.0.0.0_9200", Address: "0.0.0.0", Port: 9200,
		FilterChains: []listener.FilterChain{{Match: listener.Match{TransportProtocol: TLS}, Destination: tcp("outbound|9200||tls-only.example.com")}}},
}

func to(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestTrace(t *testing.T) {
	tests := []struct {
		name string
		call Call
		opts Options
		// Sparse expectations: only the fields set are checked.
		listener, chain, dest, summary string
		virtual                        bool
	}{
		{name: "exact VIP listener beats the wildcard", call: Call{To: to("10.96.1.1:3306")},
			listener: "10.96.1.1_3306", chain: "all", dest: "cluster outbound|3306||mysql.default.svc.cluster.local"},
		{name: "wildcard fallback", call: Call{To: to("192.0.2.50:3306")},
			listener: "0.0.0.0_3306", chain: "all", dest: "cluster outbound|3306||sql-a.example.com"},
		{name: "CIDR longest prefix", call: Call{To: to("10.1.2.3:5432")},
			listener: "0.0.0.0_5432", chain: "ip=10.1.0.0/16,192.0.2.7/32", dest: "cluster outbound|5432||narrow.example.com"},
		{name: "CIDR shorter prefix", call: Call{To: to("10.200.0.1:5432")},
			chain: "ip=10.0.0.0/8", dest: "cluster outbound|5432||wide.example.com"},
		{name: "CIDR /32 of a multi-range chain", call: Call{To: to("192.0.2.7:5432")},
			dest: "cluster outbound|5432||narrow.example.com"},
		{name: "CIDR no range: default chain", call: Call{To: to("172.16.0.1:5432")},
			chain: "default", dest: "passthrough"},
		{name: "SNI exact beats wildcard", call: Call{To: to("203.0.113.1:443"), SNI: "api.example.com"},
			listener: "0.0.0.0_443", chain: "sni=api.example.com", dest: "cluster outbound|443||api.example.com"},
		{name: "SNI wildcard", call: Call{To: to("203.0.113.1:443"), SNI: "www.example.com"},
			chain: "sni=*.example.com", dest: "cluster outbound|443||*.example.com"},
		{name: "SNI longest wildcard", call: Call{To: to("203.0.113.1:443"), SNI: "x.eu.example.com"},
			chain: "sni=*.eu.example.com"},
		{name: "SNI case and trailing dot", call: Call{To: to("203.0.113.1:443"), SNI: "API.example.com."},
			chain: "sni=api.example.com"},
		{name: "wildcard needs a label", call: Call{To: to("203.0.113.1:443"), SNI: "example.com"},
			chain: "default", dest: "passthrough"},
		{name: "TLS without SNI: default chain", call: Call{To: to("203.0.113.1:443"), TLS: true},
			chain: "default", dest: "passthrough"},
		{name: "sniffed port, HTTP by Host", call: Call{To: to("10.96.1.2:8080"), Host: "web"},
			listener: "10.96.1.2_8080", chain: "transport=raw_buffer alpn=h2c,http/1.1", dest: "route web.default.svc.cluster.local:8080",
			summary: `by Host "web"`},
		{name: "sniffed port, h2 in plaintext is h2c", call: Call{To: to("10.96.1.2:8080"), ALPN: []string{"h2"}},
			dest: "route web.default.svc.cluster.local:8080", summary: `by Host "10.96.1.2:8080"`},
		{name: "sniffed port, raw TCP: default chain", call: Call{To: to("10.96.1.2:8080")},
			chain: "default", dest: "cluster outbound|8080||web.default.svc.cluster.local"},
		{name: "sniffed port, TLS: default chain", call: Call{To: to("10.96.1.2:8080"), SNI: "web", ALPN: []string{"h2"}},
			chain: "default", dest: "cluster outbound|8080||web.default.svc.cluster.local"},
		{name: "additional address", call: Call{To: to("[fd00:10:96::2]:8080"), Host: "web"},
			listener: "10.96.1.2_8080", dest: "route web.default.svc.cluster.local:8080", summary: `by Host "web"`},
		{name: "no backtracking after the IP step", call: Call{To: to("10.0.0.5:9000")},
			listener: "0.0.0.0_9000", chain: "default", dest: "passthrough"},
		{name: "outside the range the other chain matches", call: Call{To: to("192.168.0.5:9000")},
			chain: "transport=raw_buffer", dest: "cluster outbound|9000||any.example.com"},
		{name: "redis_proxy", call: Call{To: to("10.96.1.3:6379")},
			listener: "10.96.1.3_6379", chain: "all", dest: "redis cluster outbound|6379||cache.default.svc.cluster.local",
			summary: "redis cluster outbound|6379||cache.default.svc.cluster.local"},
		{name: "IPv6 wildcard", call: Call{To: to("[fd00::5]:9100")},
			listener: "::_9100", dest: "cluster outbound|9100||v6.example.com"},
		{name: "IPv4 does not fall to the IPv6 wildcard", call: Call{To: to("10.0.0.5:9100")},
			virtual: true, dest: "passthrough", summary: "no listener for this address and port: passthrough (virtualOutbound)"},
		{name: "no chain and no default: closed", call: Call{To: to("10.0.0.5:9200")},
			listener: "0.0.0.0_9200", summary: "Envoy closes the connection"},
		{name: "no listener: passthrough", call: Call{To: to("198.51.100.1:8443")},
			virtual: true, dest: "passthrough", summary: "no listener on this port: passthrough (virtualOutbound)"},
		{name: "no listener under REGISTRY_ONLY: blackhole", call: Call{To: to("198.51.100.1:8443")},
			opts:    Options{Unmatched: tcp(listener.BlackHoleCluster)},
			virtual: true, dest: "cluster BlackHoleCluster", summary: "no listener on this port: blackhole (virtualOutbound)"},
		{name: "VIP of another port: virtual", call: Call{To: to("10.96.1.1:3307")}, virtual: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Trace(sidecar, tt.call, tt.opts)
			dest := ""
			if r.Destination != nil {
				dest = r.Destination.String()
			}
			check := func(field, got, want string) {
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("listener", r.Listener, tt.listener)
			check("chain", r.Chain, tt.chain)
			check("destination", dest, tt.dest)
			if tt.summary != "" && !strings.Contains(r.Summary, tt.summary) {
				t.Errorf("summary %q lacks %q", r.Summary, tt.summary)
			}
			if r.Virtual != tt.virtual {
				t.Errorf("virtual = %t, want %t", r.Virtual, tt.virtual)
			}
			if t.Failed() {
				for _, s := range r.Steps {
					t.Logf("%s %s: %v (%s)", s.Step, s.Value, s.Kept, s.Why)
				}
			}
		})
	}
}

// TestVirtualOutboundListener traces on a dump's virtualOutbound: its
// destination_port 15001 chain blackholes connections to the capture port
// itself, everything else passes through.
func TestVirtualOutboundListener(t *testing.T) {
	vo := &listener.Listener{Name: VirtualOutboundName, Address: "0.0.0.0", Port: 15001,
		FilterChains: []listener.FilterChain{
			{Destination: passthrough},
			{Match: listener.Match{DestinationPort: 15001}, Destination: tcp(listener.BlackHoleCluster)},
		}}
	r := Trace(sidecar, Call{To: to("198.51.100.1:8443")}, Options{VirtualOutbound: vo})
	if !r.Virtual || r.Chain != "all" || r.Summary != "no listener on this port: stays on virtualOutbound, passthrough" {
		t.Errorf("8443: %+v", r)
	}
	// The virtual listener is not among the candidates, so a connection to
	// its port stays on it and its port chain wins.
	r = Trace(sidecar, Call{To: to("198.51.100.1:15001")}, Options{VirtualOutbound: vo})
	if r.Chain != "port=15001" || r.Destination.Cluster != listener.BlackHoleCluster {
		t.Errorf("15001: chain %q, destination %v", r.Chain, r.Destination)
	}
}

func TestStepsExplainEachPrune(t *testing.T) {
	r := Trace(sidecar, Call{To: to("203.0.113.1:443"), SNI: "www.example.com"}, Options{})
	var got []string
	for _, s := range r.Steps {
		got = append(got, s.Step+"="+s.Value+" kept "+strings.Join(s.Kept, "|"))
	}
	want := []string{
		"original destination=203.0.113.1:443 kept 0.0.0.0_443",
		"destination port=443 kept sni=api.example.com -> cluster outbound|443||api.example.com|sni=*.example.com -> cluster outbound|443||*.example.com|sni=*.eu.example.com -> cluster outbound|443||*.eu.example.com",
		"destination IP=203.0.113.1 kept sni=api.example.com -> cluster outbound|443||api.example.com|sni=*.example.com -> cluster outbound|443||*.example.com|sni=*.eu.example.com -> cluster outbound|443||*.eu.example.com",
		"server name=www.example.com kept sni=*.example.com -> cluster outbound|443||*.example.com",
		"transport protocol=tls kept sni=*.example.com -> cluster outbound|443||*.example.com",
		"application protocols=(none) kept sni=*.example.com -> cluster outbound|443||*.example.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
