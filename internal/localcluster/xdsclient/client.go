package xdsclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Type URLs of the resources the client subscribes to.
var (
	ClusterType  = typeURL(&clusterv3.Cluster{})
	ListenerType = typeURL(&listenerv3.Listener{})
	RouteType    = typeURL(&routev3.RouteConfiguration{})
	hcmType      = typeURL(&hcmv3.HttpConnectionManager{})
)

func typeURL(m proto.Message) string {
	return "type.googleapis.com/" + string(m.ProtoReflect().Descriptor().FullName())
}

// Client is one ADS stream to istiod on behalf of one sidecar.
type Client struct {
	node   Node
	conn   *grpc.ClientConn
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	version   string                          // version_info of the last LDS response
	listeners map[string]*listenerv3.Listener // accepted, by name
	rejected  map[string]failure              // refused, by name
	routes    []string                        // route names the listeners use
	// routeConfigs are the route configurations RDS sent, by name, only
	// those of names in routes.
	routeConfigs map[string]*routev3.RouteConfiguration
	updates      int           // LDS responses handled
	changed      chan struct{} // closed at every LDS and RDS response
	err          error         // why the stream ended
}

// failure is a listener the client refused, kept for error_state.
type failure struct {
	listener *listenerv3.Listener
	details  string
	at       time.Time
}

// Dial opens the stream to istiod's plaintext xDS address (host:port,
// istiod's --grpcAddr) and subscribes to clusters and listeners. Close
// ends it.
func Dial(ctx context.Context, addr string, n Node) (*Client, error) {
	node, err := n.envoyNode()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return nil, fmt.Errorf("xds client for %s: connecting to istiod at %s: %w", n.ID(), addr, err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(sctx)
	if err != nil {
		cancel()
		conn.Close()
		return nil, fmt.Errorf("xds client for %s: opening the ADS stream to %s: %w", n.ID(), addr, err)
	}
	c := &Client{node: n, conn: conn, stream: stream, cancel: cancel, done: make(chan struct{}),
		listeners: map[string]*listenerv3.Listener{}, rejected: map[string]failure{}, changed: make(chan struct{}),
		routeConfigs: map[string]*routev3.RouteConfiguration{}}
	// Envoy asks for clusters first, then listeners (both wildcard).
	for i, t := range []string{ClusterType, ListenerType} {
		req := &discoveryv3.DiscoveryRequest{TypeUrl: t}
		if i == 0 {
			req.Node = node
		}
		if err := stream.Send(req); err != nil {
			c.Close()
			return nil, fmt.Errorf("xds client for %s: subscribing to %s: %w", n.ID(), t, err)
		}
	}
	go c.receive()
	return c, nil
}

// Close ends the stream and the connection.
func (c *Client) Close() {
	c.cancel()
	c.conn.Close()
	<-c.done
}

// receive handles responses until the stream ends.
func (c *Client) receive() {
	defer close(c.done)
	for {
		resp, err := c.stream.Recv()
		if err != nil {
			c.mu.Lock()
			c.err = err
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
			return
		}
		if err := c.handle(resp); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			c.cancel()
		}
	}
}

// handle acknowledges one response, or NACKs a listener update with
// listeners it refused, and follows the listeners' routes with RDS.
func (c *Client) handle(resp *discoveryv3.DiscoveryResponse) error {
	ack := &discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
	switch resp.TypeUrl {
	case ListenerType:
		routes, refused, err := c.takeListeners(resp)
		if err != nil {
			return err
		}
		if refused != "" {
			ack.ErrorDetail = &statuspb.Status{Code: 3, Message: refused} // INVALID_ARGUMENT
		}
		if err := c.stream.Send(ack); err != nil {
			return fmt.Errorf("acknowledging LDS: %w", err)
		}
		if routes != nil {
			return c.stream.Send(&discoveryv3.DiscoveryRequest{TypeUrl: RouteType, ResourceNames: routes})
		}
		return nil
	case RouteType:
		names, err := c.takeRoutes(resp)
		if err != nil {
			return err
		}
		ack.ResourceNames = names
	}
	return c.stream.Send(ack)
}

// takeRoutes keeps the route configurations of an RDS response (each
// replaces the one of its name, as Envoy takes RDS updates) and returns
// the route names to acknowledge with.
func (c *Client) takeRoutes(resp *discoveryv3.DiscoveryResponse) ([]string, error) {
	got := make([]*routev3.RouteConfiguration, 0, len(resp.Resources))
	for _, r := range resp.Resources {
		rc := &routev3.RouteConfiguration{}
		if err := anypb.UnmarshalTo(r, rc, proto.UnmarshalOptions{}); err != nil {
			return nil, fmt.Errorf("RDS response %s: decoding a resource of type %s: %w", resp.Nonce, r.TypeUrl, err)
		}
		got = append(got, rc)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rc := range got {
		if slices.Contains(c.routes, rc.GetName()) {
			c.routeConfigs[rc.GetName()] = rc
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return slices.Clone(c.routes), nil
}

// routesComplete says whether RDS sent a configuration for every route
// name the listeners use. Callers hold c.mu.
func (c *Client) routesComplete() bool {
	for _, n := range c.routes {
		if c.routeConfigs[n] == nil {
			return false
		}
	}
	return true
}

// takeListeners replaces the held listeners with a state-of-the-world LDS
// response. It returns the route names when they changed (nil otherwise)
// and, when it refused listeners, the message of the NACK.
func (c *Client) takeListeners(resp *discoveryv3.DiscoveryResponse) (routes []string, refused string, err error) {
	now := time.Now()
	accepted := map[string]*listenerv3.Listener{}
	rejected := map[string]failure{}
	for _, r := range resp.Resources {
		l := &listenerv3.Listener{}
		if err := anypb.UnmarshalTo(r, l, proto.UnmarshalOptions{}); err != nil {
			return nil, "", fmt.Errorf("LDS response %s: decoding a resource of type %s: %w", resp.Nonce, r.TypeUrl, err)
		}
		if why := check(l); why != "" {
			rejected[l.Name] = failure{listener: l, details: why, at: now}
			if refused == "" {
				refused = fmt.Sprintf("Error adding/updating listener(s) %s: %s", l.Name, why)
			}
			continue
		}
		accepted[l.Name] = l
	}
	names := routeNames(accepted)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners, c.rejected = accepted, rejected
	c.version = resp.VersionInfo
	c.updates++
	if !slices.Equal(names, c.routes) {
		c.routes = names
		routes = append([]string{}, names...)
		for n := range c.routeConfigs {
			if !slices.Contains(names, n) {
				delete(c.routeConfigs, n)
			}
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return routes, refused, nil
}

// check is the part of Envoy's listener validation the client makes: the
// protos' validation rules, and no two filter chains with the same match.
func check(l *listenerv3.Listener) string {
	if err := l.ValidateAll(); err != nil {
		return err.Error()
	}
	for i, a := range l.FilterChains {
		for _, b := range l.FilterChains[:i] {
			if proto.Equal(orEmpty(a.FilterChainMatch), orEmpty(b.FilterChainMatch)) {
				return fmt.Sprintf("multiple filter chains with the same matching rules are defined (chains %q and %q)", b.Name, a.Name)
			}
		}
	}
	return ""
}

func orEmpty(m *listenerv3.FilterChainMatch) *listenerv3.FilterChainMatch {
	if m == nil {
		return &listenerv3.FilterChainMatch{}
	}
	return m
}

// routeNames are the RDS route names of every HTTP connection manager, sorted.
func routeNames(ls map[string]*listenerv3.Listener) []string {
	seen := map[string]bool{}
	for _, l := range ls {
		chains := slices.Clone(l.FilterChains)
		if l.DefaultFilterChain != nil {
			chains = append(chains, l.DefaultFilterChain)
		}
		for _, fc := range chains {
			for _, f := range fc.Filters {
				tc := f.GetTypedConfig()
				if tc == nil || tc.TypeUrl != hcmType {
					continue
				}
				h := &hcmv3.HttpConnectionManager{}
				if err := anypb.UnmarshalTo(tc, h, proto.UnmarshalOptions{}); err == nil && h.GetRds().GetRouteConfigName() != "" {
					seen[h.GetRds().GetRouteConfigName()] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// WaitUpdates waits until the client handled at least n listener updates
// and holds a route configuration for every route name its listeners use
// (RDS answered), the stream ended, or ctx ended.
func (c *Client) WaitUpdates(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		got, err, changed, routed := c.updates, c.err, c.changed, c.routesComplete()
		c.mu.Unlock()
		if got >= n && routed {
			return nil
		}
		if err != nil {
			return fmt.Errorf("xds client for %s: the stream ended after %d listener updates: %w", c.node.ID(), got, err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if got >= n {
				return fmt.Errorf("xds client for %s: waiting for the route configurations of listener update %d: %w", c.node.ID(), got, ctx.Err())
			}
			return fmt.Errorf("xds client for %s: waiting for listener update %d (have %d): %w", c.node.ID(), n, got, ctx.Err())
		}
	}
}

// Err is why the stream ended, or nil while it runs.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil && !errors.Is(c.err, context.Canceled) {
		return c.err
	}
	return nil
}
