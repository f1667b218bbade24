package trace

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
)

// bigSidecar is a 10,000-listener set shaped like a large mesh: VIP
// listeners spread over 100 ports, and one wildcard TLS listener on 443
// with 1,000 SNI chains (100 of them wildcards).
func bigSidecar() []listener.Listener {
	var ls []listener.Listener
	for i := 0; len(ls) < 9999; i++ {
		addr := netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)}).String()
		port := uint32(8000 + i%100)
		ls = append(ls, listener.Listener{
			Name: fmt.Sprintf("%s_%d", addr, port), Address: addr, Port: port,
			FilterChains: []listener.FilterChain{
				{Match: listener.Match{TransportProtocol: RawBuffer, ApplicationProtocols: []string{"h2c", "http/1.1"}},
					Destination: rds(fmt.Sprintf("svc-%d.ns.svc.cluster.local:%d", i, port))},
			},
			DefaultChain: &listener.FilterChain{Destination: tcp(fmt.Sprintf("outbound|%d||svc-%d.ns.svc.cluster.local", port, i))},
		})
	}
	tls := listener.Listener{Name: "0.0.0.0_443", Address: "0.0.0.0", Port: 443, DefaultChain: &listener.FilterChain{Destination: passthrough}}
	for i := 0; i < 1000; i++ {
		name := fmt.Sprintf("api-%d.example.com", i)
		if i%10 == 0 {
			name = fmt.Sprintf("*.zone-%d.example.com", i)
		}
		tls.FilterChains = append(tls.FilterChains, listener.FilterChain{
			Match: listener.Match{ServerNames: []string{name}}, Destination: tcp("outbound|443||" + name)})
	}
	return append(ls, tls)
}

func BenchmarkTrace10k(b *testing.B) {
	ls := bigSidecar()
	if len(ls) != 10000 {
		b.Fatalf("%d listeners", len(ls))
	}
	calls := map[string]Call{
		"vip-http":     {To: netip.MustParseAddrPort("10.96.19.99:8099"), Host: "svc"},
		"sni-wildcard": {To: netip.MustParseAddrPort("203.0.113.9:443"), SNI: "db.zone-990.example.com"},
		"no-listener":  {To: netip.MustParseAddrPort("203.0.113.9:9999")},
	}
	for _, name := range []string{"vip-http", "sni-wildcard", "no-listener"} {
		c := calls[name]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if r := Trace(ls, c, Options{}); r.Listener == "" {
					b.Fatal("no answer")
				}
			}
		})
	}
}
