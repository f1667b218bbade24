package dump

import (
	"fmt"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// BenchmarkParseOutbound reads a dump of 10,000 Istio outbound listeners
// (half HTTP, half TCP) with its other configs, and takes the outbound ones.
func BenchmarkParseOutbound(b *testing.B) {
	const n = 10000
	lds := &adminv3.ListenersConfigDump{StaticListeners: []*adminv3.ListenersConfigDump_StaticListener{static(prometheusListener())}}
	for i := range n {
		var l *listenerv3.Listener
		ip := fmt.Sprintf("10.%d.%d.%d", 96+i/65536, i/256%256, i%256)
		if i%2 == 0 {
			l = httpListener()
			l.Name = fmt.Sprintf("%s_%d", ip, 8080)
		} else {
			l = tcpListener()
			l.Name = fmt.Sprintf("%s_%d", ip, 3306)
		}
		l.Address = sockAddr(ip, l.Address.GetSocketAddress().GetPortValue())
		lds.DynamicListeners = append(lds.DynamicListeners, active(l))
	}
	lds.DynamicListeners = append(lds.DynamicListeners, active(virtualOutbound()), active(virtualInbound()))
	data := configDump(b, clustersConfig(), unknownConfig, lds)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if got := len(d.Outbound()); got != n {
			b.Fatalf("Outbound() has %d listeners, want %d", got, n)
		}
	}
}
