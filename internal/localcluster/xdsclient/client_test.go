package xdsclient

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/world"
)

// fakeIstiod is an ADS server that answers the first CDS, LDS and RDS
// requests with fixed resources (RDS: those of routes the request names)
// and records every request.
type fakeIstiod struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	listeners []*listenerv3.Listener
	routes    []*routev3.RouteConfiguration
	requests  chan *discoveryv3.DiscoveryRequest
}

func (f *fakeIstiod) StreamAggregatedResources(s discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	sent := map[string]bool{}
	for {
		req, err := s.Recv()
		if err != nil {
			return err
		}
		f.requests <- req
		if sent[req.TypeUrl] || req.ResponseNonce != "" {
			continue
		}
		sent[req.TypeUrl] = true
		resp := &discoveryv3.DiscoveryResponse{TypeUrl: req.TypeUrl, VersionInfo: "v1", Nonce: "n-" + req.TypeUrl}
		if req.TypeUrl == ListenerType {
			for _, l := range f.listeners {
				a, err := anypb.New(l)
				if err != nil {
					return err
				}
				resp.Resources = append(resp.Resources, a)
			}
		}
		for _, rc := range f.routes {
			if req.TypeUrl == RouteType && slices.Contains(req.ResourceNames, rc.Name) {
				a, err := anypb.New(rc)
				if err != nil {
					return err
				}
				resp.Resources = append(resp.Resources, a)
			}
		}
		if err := s.Send(resp); err != nil {
			return err
		}
	}
}

func serve(t *testing.T, f *fakeIstiod) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func tcpListener(t *testing.T, name, ip string, port uint32, chains ...*listenerv3.FilterChain) *listenerv3.Listener {
	t.Helper()
	return &listenerv3.Listener{Name: name, TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}},
		FilterChains: chains}
}

func tcpChain(t *testing.T, name, cluster string, m *listenerv3.FilterChainMatch) *listenerv3.FilterChain {
	t.Helper()
	a, err := anypb.New(&tcpv3.TcpProxy{StatPrefix: cluster, ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster}})
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.FilterChain{Name: name, FilterChainMatch: m,
		Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.tcp_proxy", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a}}}}
}

func httpChain(t *testing.T, route string) *listenerv3.FilterChain {
	t.Helper()
	a, err := anypb.New(&hcmv3.HttpConnectionManager{StatPrefix: "outbound_0.0.0.0_80",
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: route}}})
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.FilterChain{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a}}}}
}

func next(t *testing.T, f *fakeIstiod) *discoveryv3.DiscoveryRequest {
	t.Helper()
	select {
	case r := <-f.requests:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no request from the client")
		return nil
	}
}

func TestClientAcksListenersFollowsRoutesAndDumps(t *testing.T) {
	f := &fakeIstiod{requests: make(chan *discoveryv3.DiscoveryRequest, 20), listeners: []*listenerv3.Listener{
		tcpListener(t, "10.96.1.1_3306", "10.96.1.1", 3306, tcpChain(t, "", "outbound|3306||db.default.svc.cluster.local", nil)),
		tcpListener(t, "0.0.0.0_80", "0.0.0.0", 80, httpChain(t, "80")),
	}, routes: []*routev3.RouteConfiguration{
		{Name: "80", IgnorePortInHostMatching: true, VirtualHosts: []*routev3.VirtualHost{{Name: "allow_any", Domains: []string{"*"},
			Routes: []*routev3.Route{{Name: "allow_any", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "PassthroughCluster"}}}}}}}},
		{Name: "unasked"},
	}}
	addr := serve(t, f)
	n := Node{Client: world.Client{Name: "client", Namespace: "default", IPs: []string{"10.244.0.10"}, Labels: map[string]string{"app": "client"}}, IstioVersion: "1.26.0"}
	c, err := Dial(context.Background(), addr, n)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	first := next(t, f)
	if first.TypeUrl != ClusterType || first.Node.GetId() != "sidecar~10.244.0.10~client.default~default.svc.cluster.local" {
		t.Fatalf("first request: type %s node %q; want CDS with the sidecar node ID", first.TypeUrl, first.Node.GetId())
	}
	md := first.Node.GetMetadata().AsMap()
	if md["INTERCEPTION_MODE"] != "REDIRECT" || md["NAMESPACE"] != "default" || md["INSTANCE_IPS"] != "10.244.0.10" || md["ISTIO_VERSION"] != "1.26.0" {
		t.Errorf("node metadata %v lacks the sidecar's fields", md)
	}
	seen := map[string]*discoveryv3.DiscoveryRequest{}
	for len(seen) < 4 {
		r := next(t, f)
		key := r.TypeUrl
		if r.ResponseNonce != "" {
			key += " ack"
		}
		seen[key] = r
	}
	if ack := seen[ListenerType+" ack"]; ack == nil || ack.ErrorDetail != nil || ack.ResponseNonce != "n-"+ListenerType {
		t.Errorf("LDS was not acknowledged: %v", ack)
	}
	if rds := seen[RouteType]; rds == nil || strings.Join(rds.ResourceNames, ",") != "80" {
		t.Errorf("RDS request %v, want the route 80 of the HTTP listener", rds)
	}
	if err := c.WaitUpdates(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	b, err := c.ConfigDump()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.ConfigDump(); err != nil || string(again) != string(b) {
		t.Errorf("two dumps of the same listeners differ (%v)", err)
	}
	d, err := dump.Parse(b)
	if err != nil {
		t.Fatalf("package dump cannot read the client's config dump: %v\n%s", err, b)
	}
	var names []string
	for _, l := range d.Outbound() {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, " "); got != "0.0.0.0_80 10.96.1.1_3306" {
		t.Errorf("listeners in the dump: %s", got)
	}
	if len(d.Routes) != 1 || d.Routes[0].Name != "80" || !d.Routes[0].IgnorePortInHostMatching || len(d.Routes[0].VirtualHosts) != 1 {
		t.Errorf("routes in the dump: %+v, want 80 with its allow_any virtual host", d.Routes)
	}
}

func TestClientRefusesChainsWithTheSameMatch(t *testing.T) {
	m := func() *listenerv3.FilterChainMatch {
		return &listenerv3.FilterChainMatch{PrefixRanges: []*corev3.CidrRange{{AddressPrefix: "10.0.0.0", PrefixLen: wrapperspb.UInt32(8)}}}
	}
	f := &fakeIstiod{requests: make(chan *discoveryv3.DiscoveryRequest, 20), listeners: []*listenerv3.Listener{
		tcpListener(t, "0.0.0.0_9000", "0.0.0.0", 9000, tcpChain(t, "a", "outbound|9000||a.example.com", m()), tcpChain(t, "b", "outbound|9000||b.example.com", m())),
		tcpListener(t, "10.96.1.2_9000", "10.96.1.2", 9000, tcpChain(t, "", "outbound|9000||c.default.svc.cluster.local", nil)),
	}}
	addr := serve(t, f)
	c, err := Dial(context.Background(), addr, Node{Client: world.Client{Name: "client", Namespace: "default", IPs: []string{"10.244.0.10"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var nack *discoveryv3.DiscoveryRequest
	for nack == nil {
		if r := next(t, f); r.TypeUrl == ListenerType && r.ResponseNonce != "" {
			nack = r
		}
	}
	if nack.ErrorDetail == nil || !strings.Contains(nack.ErrorDetail.Message, "0.0.0.0_9000") || !strings.Contains(nack.ErrorDetail.Message, "same matching rules") {
		t.Fatalf("want a NACK naming 0.0.0.0_9000 and the duplicate match, got %v", nack.ErrorDetail)
	}
	b, err := c.ConfigDump()
	if err != nil {
		t.Fatal(err)
	}
	d, err := dump.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rejected) != 1 || d.Rejected[0].Name != "0.0.0.0_9000" || !strings.Contains(d.Rejected[0].Message, "same matching rules") {
		t.Errorf("rejected listeners in the dump: %+v", d.Rejected)
	}
	if out := d.Outbound(); len(out) != 1 || out[0].Name != "10.96.1.2_9000" {
		t.Errorf("accepted listeners in the dump: %+v", out)
	}
}

func TestMetadataFlags(t *testing.T) {
	md, err := Node{Client: world.Client{Name: "c", Namespace: "n", IPs: []string{"10.0.0.1", "fd00::1"}, InterceptionMode: "TPROXY",
		DNSCapture: true, DNSAutoAllocate: true, Unprivileged: true}}.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	m := md.AsMap()
	for k, want := range map[string]any{"INTERCEPTION_MODE": "TPROXY", "DNS_CAPTURE": "true", "DNS_AUTO_ALLOCATE": "true",
		"UNPRIVILEGED_POD": "true", "INSTANCE_IPS": "10.0.0.1,fd00::1", "CLUSTER_ID": "Kubernetes", "ENVOY_STATUS_PORT": float64(StatusPort)} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
}
