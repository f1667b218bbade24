package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	redisv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/listenerlab/listenerlab/listener"
)

const rejectedDetails = "Error adding/updating listener(s) 10.96.0.40_8443: error adding listener '10.96.0.40:8443': " +
	"multiple filter chains with the same matching rules are defined"

// unknownConfig is a config of a type no binary here knows, as an Istio or
// contrib extension puts in a bootstrap.
var unknownConfig = json.RawMessage(`{"@type": "type.googleapis.com/acme.admin.v1.ExtensionDump", "things": [{"a": 1}]}`)

// sidecarListeners is a ListenersConfigDump of an Istio sidecar.
func sidecarListeners() *adminv3.ListenersConfigDump {
	return &adminv3.ListenersConfigDump{
		VersionInfo:     "2026-11-25T20:00:00Z/7",
		StaticListeners: []*adminv3.ListenersConfigDump_StaticListener{static(prometheusListener())},
		DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{
			active(virtualOutbound()), active(virtualInbound()),
			active(httpListener()), active(tcpListener()), active(sniffedListener()), active(prefixListener()),
			rejected("10.96.0.40_8443", rejectedDetails),
		},
	}
}

var (
	passthrough = listener.Destination{Kind: listener.TCP, Cluster: listener.PassthroughCluster}
	tcpTo       = func(c string) listener.Destination { return listener.Destination{Kind: listener.TCP, Cluster: c} }
	routeTo     = func(r string) listener.Destination { return listener.Destination{Kind: listener.HTTP, Route: r} }
)

// wantSidecarOutbound is what Outbound returns for sidecarListeners.
func wantSidecarOutbound() []listener.Listener {
	ls := []listener.Listener{
		{
			Name: "0.0.0.0_8080", Address: "0.0.0.0", Port: 8080, Direction: "OUTBOUND",
			FilterChains: []listener.FilterChain{{Destination: routeTo("8080")}},
		},
		{
			Name: "10.96.0.20_3306", Address: "10.96.0.20", Port: 3306, Direction: "OUTBOUND",
			FilterChains: []listener.FilterChain{{Destination: tcpTo("outbound|3306||db.ns.svc.cluster.local")}},
		},
		{
			Name: "10.96.0.30_9080", Address: "10.96.0.30", Port: 9080, Direction: "OUTBOUND",
			ListenerFilters: []string{"tls_inspector", "http_inspector"},
			FilterChains: []listener.FilterChain{
				{Match: listener.Match{ApplicationProtocols: []string{"http/1.1", "h2c"}}, Destination: routeTo("reviews.ns.svc.cluster.local:9080")},
				{Destination: tcpTo("outbound|9080||reviews.ns.svc.cluster.local")},
			},
			DefaultChain: &listener.FilterChain{Destination: passthrough},
		},
		{
			Name: "0.0.0.0_5432", Address: "0.0.0.0", Port: 5432, Direction: "OUTBOUND",
			FilterChains: []listener.FilterChain{
				{Match: listener.Match{PrefixRanges: []string{"10.96.0.42/32"}}, Destination: tcpTo("outbound|5432||pg-b.ns.svc.cluster.local")},
				{Match: listener.Match{PrefixRanges: []string{"10.96.0.41/32"}}, Destination: tcpTo("outbound|5432||pg-a.ns.svc.cluster.local")},
			},
			DefaultChain: &listener.FilterChain{Destination: passthrough},
		},
	}
	listener.Sort(ls)
	return ls
}

func parse(t *testing.T, data []byte) *Dump {
	t.Helper()
	d, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseOutbound(t *testing.T) {
	// The shapes a dump of the same sidecar comes in.
	camel := protojson.MarshalOptions{} // protojson's default: lowerCamelCase names
	lds := sidecarListeners()
	var resources []any // config_dump?resource=dynamic_listeners
	for _, dl := range lds.DynamicListeners {
		resources = append(resources, dl)
	}
	var array []json.RawMessage // istioctl proxy-config listeners -o json
	for _, l := range []*listenerv3.Listener{virtualOutbound(), httpListener(), tcpListener(), sniffedListener(), prefixListener()} {
		array = append(array, marshal(t, l))
	}
	arrayJSON, err := json.Marshal(array)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"config dump with other configs", configDump(t, clustersConfig(), unknownConfig, lds)},
		{"camelCase names", configDumpWith(t, camel, clustersConfig(), lds)},
		{"bare ListenersConfigDump", marshal(t, lds)},
		// The first listener without "@type" (the dump itself has none).
		{"bare ListenersConfigDump without @type", bytes.Replace(marshal(t, lds), []byte(`"@type"`), []byte(`"ignored"`), 1)},
		{"config_dump?resource=dynamic_listeners", configDump(t, resources...)},
		{"istioctl proxy-config listeners -o json", arrayJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := parse(t, tt.data)
			if diff := cmp.Diff(wantSidecarOutbound(), d.Outbound()); diff != "" {
				t.Errorf("Outbound() (-want +got):\n%s", diff)
			}
			if len(d.Unreadable) > 0 {
				t.Errorf("Unreadable = %v, want none", d.Unreadable)
			}
		})
	}
}

func TestParseSidecar(t *testing.T) {
	d := parse(t, configDump(t, clustersConfig(), unknownConfig, sidecarListeners()))

	var got []string
	for _, e := range d.Listeners {
		got = append(got, e.Listener.Name+" "+string(e.State))
	}
	want := []string{
		"10.96.0.20_3306 active", "0.0.0.0_5432 active", "0.0.0.0_8080 active", "10.96.0.30_9080 active",
		"virtualOutbound active", "virtualInbound active", "0.0.0.0_15090 static",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}
	wantRejected := []Failure{{Name: "10.96.0.40_8443", Message: rejectedDetails}}
	if diff := cmp.Diff(wantRejected, d.Rejected); diff != "" {
		t.Errorf("Rejected (-want +got):\n%s", diff)
	}

	byName := map[string]Entry{}
	for _, e := range d.Listeners {
		byName[e.Listener.Name] = e
	}
	vo := byName["virtualOutbound"]
	if !vo.UseOriginalDst || !vo.Listener.BindToPort || vo.Listener.Direction != "OUTBOUND" {
		t.Errorf("virtualOutbound = %+v, want use_original_dst, bound, OUTBOUND", vo)
	}
	vi := byName["virtualInbound"].Listener
	if diff := cmp.Diff([]string{"original_dst"}, vi.ListenerFilters); diff != "" {
		t.Errorf("virtualInbound listener filters (-want +got):\n%s", diff)
	}
	if vi.FilterChains[0].Match.DestinationPort != 15006 {
		t.Errorf("virtualInbound chain match = %v, want port=15006", vi.FilterChains[0].Match)
	}
	prom := byName["0.0.0.0_15090"].Listener
	if prom.Direction != "" || !prom.BindToPort || prom.FilterChains[0].Destination.String() != routeTo("inline:local_route").String() {
		t.Errorf("0.0.0.0_15090 = %+v, want no direction, bound, inline route", prom)
	}
	if diff := cmp.Diff([]string{"type.googleapis.com/xds.type.v3.TypedStruct"}, byName["10.96.0.20_3306"].Opaque); diff != "" {
		t.Errorf("opaque filters of 10.96.0.20_3306 (-want +got):\n%s", diff)
	}
}

func TestParseListener(t *testing.T) {
	// One listener at a time, each showing one rule of the normalization.
	tests := []struct {
		name     string
		listener func() *listenerv3.Listener
		check    func(t *testing.T, e Entry)
	}{
		{
			name: "bind_to_port absent means bound",
			listener: func() *listenerv3.Listener {
				l := httpListener()
				l.BindToPort = nil
				return l
			},
			check: func(t *testing.T, e Entry) { wantEqual(t, "BindToPort", true, e.Listener.BindToPort) },
		},
		{
			name: "deprecated_v1 bind_to_port false means not bound",
			listener: func() *listenerv3.Listener {
				l := httpListener()
				l.BindToPort = nil
				//lint:ignore SA1019 the parser must still honour deprecated_v1.bind_to_port, as Envoy does
				l.DeprecatedV1 = &listenerv3.Listener_DeprecatedV1{BindToPort: wrapperspb.Bool(false)}
				return l
			},
			check: func(t *testing.T, e Entry) { wantEqual(t, "BindToPort", false, e.Listener.BindToPort) },
		},
		{
			name: "unix socket",
			listener: func() *listenerv3.Listener {
				l := httpListener()
				l.Address = &corev3.Address{Address: &corev3.Address_Pipe{Pipe: &corev3.Pipe{Path: "/var/run/envoy.sock"}}}
				return l
			},
			check: func(t *testing.T, e Entry) {
				wantEqual(t, "address", "/var/run/envoy.sock:0", e.Listener.Address+":"+itoa(e.Listener.Port))
			},
		},
		{
			name: "additional addresses of a dual-stack listener",
			listener: func() *listenerv3.Listener {
				l := httpListener()
				l.AdditionalAddresses = []*listenerv3.AdditionalAddress{{Address: sockAddr("::", 8080)}}
				return l
			},
			check: func(t *testing.T, e Entry) {
				wantEqual(t, "AdditionalAddresses", []string{"::"}, e.Listener.AdditionalAddresses)
			},
		},
		{
			name: "prefix ranges as istiod sends them, lengths as Envoy reads them",
			listener: func() *listenerv3.Listener {
				l := prefixListener()
				l.FilterChains[0].FilterChainMatch.PrefixRanges = []*corev3.CidrRange{
					{AddressPrefix: "10.96.0.42"},                                     // no prefix_len: 0
					{AddressPrefix: "10.1.2.3", PrefixLen: wrapperspb.UInt32(24)},     // host bits kept
					{AddressPrefix: "192.0.2.1", PrefixLen: wrapperspb.UInt32(40)},    // cut to 32
					{AddressPrefix: "2001:db8::1", PrefixLen: wrapperspb.UInt32(128)}, // IPv6
					{AddressPrefix: "not-an-ip", PrefixLen: wrapperspb.UInt32(8)},     // kept as written
				}
				return l
			},
			check: func(t *testing.T, e Entry) {
				m := e.Listener.FilterChains[0].Match
				want := []string{"10.1.2.3/24", "10.96.0.42/0", "192.0.2.1/32", "2001:db8::1/128", "not-an-ip/8"}
				wantEqual(t, "PrefixRanges", want, m.PrefixRanges)
				masked := []string{"0.0.0.0/0", "10.1.2.0/24", "192.0.2.1/32", "2001:db8::1/128", "not-an-ip/8"}
				wantEqual(t, "Masked().PrefixRanges", masked, m.Masked().PrefixRanges)
			},
		},
		{
			name: "server names and transport protocol",
			listener: func() *listenerv3.Listener {
				l := tcpListener()
				l.FilterChains[0].FilterChainMatch = &listenerv3.FilterChainMatch{
					DestinationPort: wrapperspb.UInt32(443), TransportProtocol: "tls", ServerNames: []string{"b.example.com", "a.example.com"},
				}
				return l
			},
			check: func(t *testing.T, e Entry) {
				want := listener.Match{DestinationPort: 443, TransportProtocol: "tls", ServerNames: []string{"a.example.com", "b.example.com"}}
				wantEqual(t, "Match", want, e.Listener.FilterChains[0].Match)
			},
		},
		{
			name: "weighted clusters",
			listener: func() *listenerv3.Listener {
				l := tcpListener()
				l.FilterChains[0].Filters[1].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&tcpv3.TcpProxy{
					StatPrefix: "db",
					ClusterSpecifier: &tcpv3.TcpProxy_WeightedClusters{WeightedClusters: &tcpv3.TcpProxy_WeightedCluster{
						Clusters: []*tcpv3.TcpProxy_WeightedCluster_ClusterWeight{
							{Name: "outbound|3306|v2|db.ns.svc.cluster.local", Weight: 10},
							{Name: "outbound|3306|v1|db.ns.svc.cluster.local", Weight: 90},
						},
					}},
				})}
				return l
			},
			check: func(t *testing.T, e Entry) {
				// No Cluster: Envoy's TcpProxy has weighted_clusters instead.
				want := listener.Destination{Kind: listener.TCP,
					Weighted: []listener.WeightedCluster{
						{Name: "outbound|3306|v1|db.ns.svc.cluster.local", Weight: 90},
						{Name: "outbound|3306|v2|db.ns.svc.cluster.local", Weight: 10},
					}}
				wantEqual(t, "Destination", want, e.Listener.FilterChains[0].Destination)
				wantEqual(t, "String", "clusters outbound|3306|v1|db.ns.svc.cluster.local=90,outbound|3306|v2|db.ns.svc.cluster.local=10",
					e.Listener.FilterChains[0].Destination.String())
			},
		},
		{
			// As istiod writes it with PILOT_ENABLE_REDIS_FILTER
			// (networkfilter.go buildRedisFilter): redis_proxy alone, no
			// tcp_proxy after it, its cluster in the catch-all route.
			name: "redis_proxy",
			listener: func() *listenerv3.Listener {
				l := tcpListener()
				l.FilterChains[0].Filters[1].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&redisv3.RedisProxy{
					StatPrefix: "outbound|6379||cache.ns.svc.cluster.local", LatencyInMicros: true,
					Settings: &redisv3.RedisProxy_ConnPoolSettings{OpTimeout: durationpb.New(5 * time.Second)},
					PrefixRoutes: &redisv3.RedisProxy_PrefixRoutes{
						CatchAllRoute: &redisv3.RedisProxy_PrefixRoutes_Route{Cluster: "outbound|6379||cache.ns.svc.cluster.local"},
					},
				})}
				return l
			},
			check: func(t *testing.T, e Entry) {
				want := listener.Destination{Kind: listener.Redis, Cluster: "outbound|6379||cache.ns.svc.cluster.local"}
				wantEqual(t, "Destination", want, e.Listener.FilterChains[0].Destination)
				wantEqual(t, "String", "redis cluster outbound|6379||cache.ns.svc.cluster.local", e.Listener.FilterChains[0].Destination.String())
				wantEqual(t, "Opaque", []string{"type.googleapis.com/xds.type.v3.TypedStruct"}, e.Opaque)
			},
		},
		{
			name: "a redis_proxy without catch-all route names no cluster",
			listener: func() *listenerv3.Listener {
				l := tcpListener()
				l.FilterChains[0].Filters[1].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&redisv3.RedisProxy{StatPrefix: "r"})}
				return l
			},
			check: func(t *testing.T, e Entry) {
				wantEqual(t, "Destination", listener.Destination{Kind: listener.Redis}, e.Listener.FilterChains[0].Destination)
			},
		},
		{
			name: "the destination is the terminal filter after Istio's others",
			listener: func() *listenerv3.Listener {
				l := tcpListener()
				rbac := &listenerv3.Filter{Name: "envoy.filters.network.rbac", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&rbacv3.RBAC{StatPrefix: "tcp."})}}
				l.FilterChains[0].Filters = append([]*listenerv3.Filter{rbac}, l.FilterChains[0].Filters...)
				return l
			},
			check: func(t *testing.T, e Entry) {
				wantEqual(t, "Destination", tcpTo("outbound|3306||db.ns.svc.cluster.local"), e.Listener.FilterChains[0].Destination)
				wantEqual(t, "Opaque", []string{
					"type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC",
					"type.googleapis.com/xds.type.v3.TypedStruct",
				}, e.Opaque)
			},
		},
		{
			name: "a chain without terminal filter has no destination",
			listener: func() *listenerv3.Listener {
				l := tcpListener()
				l.FilterChains[0].Filters = l.FilterChains[0].Filters[:1]
				return l
			},
			check: func(t *testing.T, e Entry) {
				wantEqual(t, "Destination", listener.Destination{}, e.Listener.FilterChains[0].Destination)
			},
		},
		{
			name: "a listener filter without typed config is named by its name",
			listener: func() *listenerv3.Listener {
				l := sniffedListener()
				l.ListenerFilters = []*listenerv3.ListenerFilter{{Name: "envoy.filters.listener.tls_inspector"}, {Name: "acme.sniffer"}}
				return l
			},
			check: func(t *testing.T, e Entry) {
				wantEqual(t, "ListenerFilters", []string{"acme.sniffer", "tls_inspector"}, e.Listener.ListenerFilters)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := parse(t, configDump(t, &adminv3.ListenersConfigDump{
				DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{active(tt.listener())},
			}))
			if len(d.Listeners) != 1 {
				t.Fatalf("got %d listeners, want 1 (unreadable: %v)", len(d.Listeners), d.Unreadable)
			}
			tt.check(t, d.Listeners[0])
		})
	}
}

func wantEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func itoa(n uint32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestParseWarming(t *testing.T) {
	lds := &adminv3.ListenersConfigDump{DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{
		warming(httpListener()),
		// Both states: the active one is what Envoy serves.
		{
			Name:         "10.96.0.20_3306",
			ActiveState:  active(tcpListener()).ActiveState,
			WarmingState: warming(prefixListener()).WarmingState,
		},
	}}
	d := parse(t, configDump(t, lds))
	var got []string
	for _, e := range d.Listeners {
		got = append(got, e.Listener.Name+" "+string(e.State))
	}
	wantEqual(t, "listeners", []string{"10.96.0.20_3306 active", "0.0.0.0_8080 warming"}, got)
	if n := len(d.Outbound()); n != 2 {
		t.Errorf("Outbound() has %d listeners, want 2 (warming ones count)", n)
	}
}

func TestParseRejectedOnly(t *testing.T) {
	// A sidecar whose every listener was NACKed still has something to report.
	d := parse(t, configDump(t, &adminv3.ListenersConfigDump{DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{
		rejected("0.0.0.0_8080", ""), rejected("10.96.0.40_8443", rejectedDetails),
	}}))
	want := []Failure{{Name: "0.0.0.0_8080", Message: "rejected (the dump gives no details)"}, {Name: "10.96.0.40_8443", Message: rejectedDetails}}
	wantEqual(t, "Rejected", want, d.Rejected)
	if len(d.Listeners) != 0 || len(d.Outbound()) != 0 {
		t.Errorf("listeners = %v, want none", d.Listeners)
	}
}

func TestParseUnknownFilter(t *testing.T) {
	// A network filter whose config type no binary knows: the listener is read,
	// the filter kept opaque with its type URL.
	l := tcpListener()
	l.FilterChains[0].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: toAny(&rbacv3.RBAC{StatPrefix: "x"})}
	data := configDump(t, &adminv3.ListenersConfigDump{DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{active(l), active(httpListener())}})
	const unknown = "type.googleapis.com/acme.filters.network.quota.v1.Quota"
	data = bytes.ReplaceAll(data, []byte("type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"), []byte(unknown))
	if !bytes.Contains(data, []byte(unknown)) {
		t.Fatal("test dump lacks the unknown type")
	}

	d := parse(t, data)
	if len(d.Unreadable) > 0 {
		t.Fatalf("Unreadable = %v, want none", d.Unreadable)
	}
	e := d.Listeners[0]
	wantEqual(t, "name", "10.96.0.20_3306", e.Listener.Name)
	wantEqual(t, "Destination", tcpTo("outbound|3306||db.ns.svc.cluster.local"), e.Listener.FilterChains[0].Destination)
	wantEqual(t, "Opaque", []string{unknown}, e.Opaque)
}

func TestParseUnreadableListener(t *testing.T) {
	// One broken listener does not hide the others.
	data := configDump(t, twoListeners())
	data = bytes.Replace(data, []byte(`"port_value": 3306`), []byte(`"port_value": "not a port"`), 1)
	d := parse(t, data)
	wantEqual(t, "listeners", 1, len(d.Listeners))
	if len(d.Unreadable) != 1 || d.Unreadable[0].Name != "10.96.0.20_3306" ||
		!strings.Contains(d.Unreadable[0].Message, "dynamic_listeners[1].active_state") {
		t.Errorf("Unreadable = %v, want 10.96.0.20_3306 at dynamic_listeners[1].active_state", d.Unreadable)
	}
}

func TestParseOddEntry(t *testing.T) {
	// A dump entry of the wrong JSON type is reported; the rest is read.
	lds := twoListeners()
	lds.DynamicListeners = append(lds.DynamicListeners, rejected("10.96.0.40_8443", rejectedDetails))
	data := bytes.Replace(configDump(t, lds), []byte(`"name": "10.96.0.40_8443"`), []byte(`"name": ["10.96.0.40_8443"]`), 1)
	d := parse(t, data)
	wantEqual(t, "listeners", 2, len(d.Listeners))
	wantEqual(t, "Rejected", []Failure{{Message: rejectedDetails}}, d.Rejected)
	if len(d.Unreadable) != 1 || !strings.HasPrefix(d.Unreadable[0].Message, "config dump: json: cannot unmarshal array") {
		t.Errorf("Unreadable = %v, want the name that is an array", d.Unreadable)
	}
}

func TestParsePlainEnvoy(t *testing.T) {
	// An Envoy that is not Istio's: static listeners with plain names and no
	// direction. They are read, and none is outbound.
	l := prometheusListener()
	l.Name = "listener_0"
	l.Address = sockAddr("127.0.0.1", 10000)
	d := parse(t, configDump(t, &adminv3.ListenersConfigDump{StaticListeners: []*adminv3.ListenersConfigDump_StaticListener{static(l)}}))
	want := []Entry{{
		State: Static,
		Listener: listener.Listener{
			Name: "listener_0", Address: "127.0.0.1", Port: 10000, BindToPort: true,
			FilterChains: []listener.FilterChain{{Destination: routeTo("inline:local_route")}},
		},
	}}
	wantEqual(t, "Listeners", want, d.Listeners)
	wantEqual(t, "Outbound()", []listener.Listener(nil), d.Outbound())
}

func TestOutboundCopies(t *testing.T) {
	d := parse(t, configDump(t, sidecarListeners()))
	for _, l := range d.Outbound() {
		for i := range l.FilterChains {
			l.FilterChains[i].Destination.Cluster = "changed"
			if len(l.FilterChains[i].Match.PrefixRanges) > 0 {
				l.FilterChains[i].Match.PrefixRanges[0] = "changed"
			}
		}
		l.ListenerFilters = append(l.ListenerFilters[:0], "changed")
	}
	if diff := cmp.Diff(wantSidecarOutbound(), d.Outbound()); diff != "" {
		t.Errorf("changing Outbound()'s result changed the dump (-want +got):\n%s", diff)
	}
}

func twoListeners() *adminv3.ListenersConfigDump {
	return &adminv3.ListenersConfigDump{DynamicListeners: []*adminv3.ListenersConfigDump_DynamicListener{
		active(httpListener()), active(tcpListener()),
	}}
}

func TestParseErrors(t *testing.T) {
	valid := configDump(t, sidecarListeners())
	tests := []struct {
		name        string
		data        []byte
		want        string // in the message
		noListeners bool   // wraps ErrNoListeners
	}{
		{name: "empty", data: nil, want: "config dump: not JSON: empty input"},
		{name: "not JSON", data: []byte("upstream connect error or disconnect/reset before headers"), want: "config dump: not JSON: invalid character 'u' looking for beginning of value (at byte offset 0)"},
		{name: "truncated", data: valid[:len(valid)/2], want: "config dump: not JSON: unexpected end of JSON input (truncated at offset"},
		{name: "garbage after the dump", data: append(append([]byte{}, valid...), "\nEND"...), want: "config dump: not JSON: invalid character 'E' after top-level value"},
		{name: "a number", data: []byte("42"), want: "neither an object nor an array", noListeners: true},
		{name: "no listeners config", data: configDump(t, clustersConfig(), unknownConfig), want: "config dump: no listeners: none of its 2 configs is a envoy.admin.v3.ListenersConfigDump (it has [envoy.admin.v3.ClustersConfigDump acme.admin.v1.ExtensionDump])", noListeners: true},
		{name: "no configs", data: []byte(`{"configs": []}`), want: "none of its 0 configs", noListeners: true},
		{name: "an object of something else", data: []byte(`{"cluster_name": "x"}`), want: "the JSON object has no configs, dynamic_listeners or static_listeners", noListeners: true},
		{name: "empty listeners config", data: configDump(t, &adminv3.ListenersConfigDump{VersionInfo: "1"}), want: "its listeners part is empty", noListeners: true},
		{name: "wrong structure", data: []byte(`{"configs": 7}`), want: "config dump: unexpected structure: json: cannot unmarshal number"},
		{
			name:        "no listener readable",
			data:        bytes.ReplaceAll(configDump(t, twoListeners()), []byte(`"name": "`), []byte(`"name": 1, "x": "`)),
			want:        "config dump: no listeners: none of its 2 listeners could be read: configs[0] (envoy.admin.v3.ListenersConfigDump).dynamic_listeners[0].active_state: proto:",
			noListeners: true,
		},
		{
			name:        "listener of another type",
			data:        configDump(t, &adminv3.ListenersConfigDump{StaticListeners: []*adminv3.ListenersConfigDump_StaticListener{{Listener: toAny(clustersConfig())}}}),
			want:        "listener has type envoy.admin.v3.ClustersConfigDump, want envoy.config.listener.v3.Listener",
			noListeners: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("Parse = %+v, want error containing %q", d, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.want)
			}
			if got := errors.Is(err, ErrNoListeners); got != tt.noListeners {
				t.Errorf("errors.Is(%q, ErrNoListeners) = %v, want %v", err, got, tt.noListeners)
			}
		})
	}
}
