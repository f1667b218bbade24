package dump

import (
	"encoding/json"
	"testing"

	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	httpinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	originaldstv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// This file builds listeners the way istiod builds a sidecar's outbound
// listeners (pilot/pkg/networking/core), and wraps them in the admin
// ConfigDump that Envoy prints.

func toAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

func sockAddr(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

// istioStats is the TypedStruct Istio's telemetry puts before the terminal
// filter; it is kept opaque.
func istioStats() *listenerv3.Filter {
	return &listenerv3.Filter{Name: "istio.stats", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&xdstypev3.TypedStruct{
		TypeUrl: "type.googleapis.com/stats.PluginConfig",
		Value:   &structpb.Struct{Fields: map[string]*structpb.Value{"disable_host_header_fallback": structpb.NewBoolValue(true)}},
	})}}
}

func hcmFilter(h *hcmv3.HttpConnectionManager) *listenerv3.Filter {
	h.StatPrefix = "outbound_0.0.0.0_8080"
	h.HttpFilters = []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: toAny(&routerv3.Router{})}}}
	return &listenerv3.Filter{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: toAny(h)}}
}

func rdsFilter(route string) *listenerv3.Filter {
	return hcmFilter(&hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
		RouteConfigName: route,
		ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
	}}})
}

func tcpFilter(cluster string) *listenerv3.Filter {
	return &listenerv3.Filter{Name: "envoy.filters.network.tcp_proxy", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&tcpv3.TcpProxy{
		StatPrefix: cluster, ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster},
	})}}
}

func listenerFilter(name string, m proto.Message) *listenerv3.ListenerFilter {
	return &listenerv3.ListenerFilter{Name: name, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: toAny(m)}}
}

func outbound(name, host string, port uint32, chains ...*listenerv3.FilterChain) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:             name,
		Address:          sockAddr(host, port),
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		BindToPort:       wrapperspb.Bool(false),
		FilterChains:     chains,
	}
}

// passthroughChain is Istio's PassthroughFilterChain.
func passthroughChain() *listenerv3.FilterChain {
	return &listenerv3.FilterChain{Name: "PassthroughFilterChain", Filters: []*listenerv3.Filter{istioStats(), tcpFilter("PassthroughCluster")}}
}

// Listeners of an Istio sidecar.

func httpListener() *listenerv3.Listener {
	return outbound("0.0.0.0_8080", "0.0.0.0", 8080, &listenerv3.FilterChain{Filters: []*listenerv3.Filter{rdsFilter("8080")}})
}

func tcpListener() *listenerv3.Listener {
	return outbound("10.96.0.20_3306", "10.96.0.20", 3306, &listenerv3.FilterChain{
		Filters: []*listenerv3.Filter{istioStats(), tcpFilter("outbound|3306||db.ns.svc.cluster.local")},
	})
}

// sniffedListener is a port with protocol sniffing: plaintext HTTP goes to
// the HCM, everything else to tcp_proxy, and unmatched traffic passes through.
func sniffedListener() *listenerv3.Listener {
	l := outbound("10.96.0.30_9080", "10.96.0.30", 9080,
		&listenerv3.FilterChain{
			FilterChainMatch: &listenerv3.FilterChainMatch{ApplicationProtocols: []string{"http/1.1", "h2c"}},
			Filters:          []*listenerv3.Filter{rdsFilter("reviews.ns.svc.cluster.local:9080")},
		},
		&listenerv3.FilterChain{
			FilterChainMatch: &listenerv3.FilterChainMatch{},
			Filters:          []*listenerv3.Filter{istioStats(), tcpFilter("outbound|9080||reviews.ns.svc.cluster.local")},
		})
	l.ListenerFilters = []*listenerv3.ListenerFilter{
		listenerFilter("envoy.filters.listener.tls_inspector", &tlsinspectorv3.TlsInspector{}),
		listenerFilter("envoy.filters.listener.http_inspector", &httpinspectorv3.HttpInspector{}),
	}
	l.DefaultFilterChain = passthroughChain()
	return l
}

// prefixListener is a wildcard TCP port shared by two services, told apart by
// their cluster IPs.
func prefixListener() *listenerv3.Listener {
	chain := func(ip, cluster string) *listenerv3.FilterChain {
		return &listenerv3.FilterChain{
			FilterChainMatch: &listenerv3.FilterChainMatch{PrefixRanges: []*corev3.CidrRange{{AddressPrefix: ip, PrefixLen: wrapperspb.UInt32(32)}}},
			Filters:          []*listenerv3.Filter{istioStats(), tcpFilter(cluster)},
		}
	}
	l := outbound("0.0.0.0_5432", "0.0.0.0", 5432,
		chain("10.96.0.42", "outbound|5432||pg-b.ns.svc.cluster.local"),
		chain("10.96.0.41", "outbound|5432||pg-a.ns.svc.cluster.local"))
	l.DefaultFilterChain = passthroughChain()
	return l
}

func virtualOutbound() *listenerv3.Listener {
	l := outbound("virtualOutbound", "0.0.0.0", 15001, &listenerv3.FilterChain{
		Name: "virtualOutbound-catchall-tcp", Filters: []*listenerv3.Filter{istioStats(), tcpFilter("PassthroughCluster")},
	})
	l.BindToPort = nil
	l.UseOriginalDst = wrapperspb.Bool(true)
	return l
}

func virtualInbound() *listenerv3.Listener {
	l := outbound("virtualInbound", "0.0.0.0", 15006, &listenerv3.FilterChain{
		Name:             "virtualInbound-blackhole",
		FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(15006)},
		Filters:          []*listenerv3.Filter{tcpFilter("BlackHoleCluster")},
	})
	l.BindToPort = nil
	l.TrafficDirection = corev3.TrafficDirection_INBOUND
	l.ListenerFilters = []*listenerv3.ListenerFilter{listenerFilter("envoy.filters.listener.original_dst", &originaldstv3.OriginalDst{})}
	return l
}

// prometheusListener is the static listener of Istio's bootstrap.
func prometheusListener() *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:    "0.0.0.0_15090",
		Address: sockAddr("0.0.0.0", 15090),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcmFilter(&hcmv3.HttpConnectionManager{
			RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{Name: "local_route"}},
		})}}},
	}
}

// Admin dump parts.

func static(l *listenerv3.Listener) *adminv3.ListenersConfigDump_StaticListener {
	return &adminv3.ListenersConfigDump_StaticListener{Listener: toAny(l)}
}

func active(l *listenerv3.Listener) *adminv3.ListenersConfigDump_DynamicListener {
	return &adminv3.ListenersConfigDump_DynamicListener{
		Name:        l.GetName(),
		ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: "2026-11-25T20:00:00Z/7", Listener: toAny(l)},
	}
}

func warming(l *listenerv3.Listener) *adminv3.ListenersConfigDump_DynamicListener {
	return &adminv3.ListenersConfigDump_DynamicListener{
		Name:         l.GetName(),
		WarmingState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: "2026-11-25T20:00:00Z/7", Listener: toAny(l)},
	}
}

func rejected(name, details string) *adminv3.ListenersConfigDump_DynamicListener {
	return &adminv3.ListenersConfigDump_DynamicListener{
		Name:         name,
		ErrorState:   &adminv3.UpdateFailureState{Details: details},
		ClientStatus: adminv3.ClientResourceStatus_NACKED,
	}
}

func clustersConfig() *adminv3.ClustersConfigDump {
	return &adminv3.ClustersConfigDump{DynamicActiveClusters: []*adminv3.ClustersConfigDump_DynamicCluster{{
		Cluster: toAny(&clusterv3.Cluster{Name: "outbound|3306||db.ns.svc.cluster.local"}),
	}}}
}

// marshaler writes JSON the way Envoy does: proto field names.
var marshaler = protojson.MarshalOptions{UseProtoNames: true, Indent: "  "}

// configDump wraps configs into an admin ConfigDump. A json.RawMessage is
// taken as is (to put in configs that no Go type describes); anything else
// is a proto message, wrapped in an Any.
func configDump(t testing.TB, configs ...any) []byte {
	t.Helper()
	return configDumpWith(t, marshaler, configs...)
}

func configDumpWith(t testing.TB, m protojson.MarshalOptions, configs ...any) []byte {
	t.Helper()
	var raw []json.RawMessage
	for _, c := range configs {
		switch c := c.(type) {
		case json.RawMessage:
			raw = append(raw, c)
		case proto.Message:
			b, err := m.Marshal(toAny(c))
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, b)
		default:
			t.Fatalf("configDump: %T is neither JSON nor a proto", c)
		}
	}
	b, err := json.MarshalIndent(map[string]any{"configs": raw}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := marshaler.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
