package dump

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	redisv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
)

// convert normalizes a decoded listener (not yet sorted).
func convert(l *listenerv3.Listener) (Entry, error) {
	addr, port := address(l.GetAddress())
	out := listener.Listener{
		Name:       l.GetName(),
		Address:    addr,
		Port:       port,
		BindToPort: bindToPort(l),
		Direction:  direction(l.GetTrafficDirection()),
	}
	// An additional address on the listener's own port (all Istio builds)
	// is written as the bare address, like the predictor writes it.
	for _, a := range l.GetAdditionalAddresses() {
		if host, p := address(a.GetAddress()); p == port && a.GetAddress().GetSocketAddress() != nil {
			out.AdditionalAddresses = append(out.AdditionalAddresses, host)
			continue
		}
		out.AdditionalAddresses = append(out.AdditionalAddresses, hostPort(a.GetAddress()))
	}
	for _, f := range l.GetListenerFilters() {
		out.ListenerFilters = append(out.ListenerFilters, listenerFilterName(f))
	}
	opaque := map[string]bool{}
	for i, fc := range l.GetFilterChains() {
		c, err := chain(fc, opaque)
		if err != nil {
			return Entry{}, fmt.Errorf("filter_chains[%d] %q: %w", i, fc.GetName(), err)
		}
		out.FilterChains = append(out.FilterChains, c)
	}
	if fc := l.GetDefaultFilterChain(); fc != nil {
		c, err := chain(fc, opaque)
		if err != nil {
			return Entry{}, fmt.Errorf("default_filter_chain %q: %w", fc.GetName(), err)
		}
		out.DefaultChain = &c
	}
	e := Entry{
		Listener:           out,
		UseOriginalDst:     l.GetUseOriginalDst().GetValue(),
		FilterChainMatcher: l.GetFilterChainMatcher() != nil,
	}
	for t := range opaque {
		e.Opaque = append(e.Opaque, t)
	}
	sort.Strings(e.Opaque)
	if e.UseOriginalDst {
		e.InlineRoutes = inlineRoutes(l)
	}
	return e, nil
}

// inlineRoutes reads the route configurations that l's connection managers
// carry inline (Entry.InlineRoutes), sorted by name.
func inlineRoutes(l *listenerv3.Listener) []route.Config {
	var out []route.Config
	for _, fc := range append(slices.Clip(l.GetFilterChains()), l.GetDefaultFilterChain()) {
		for _, f := range fc.GetFilters() {
			tc := f.GetTypedConfig()
			if messageName(tc.GetTypeUrl()) != messageName(hcmType) {
				continue
			}
			var h hcmv3.HttpConnectionManager
			if proto.Unmarshal(tc.GetValue(), &h) != nil || h.GetRouteConfig() == nil {
				continue
			}
			c, err := convertRouteConfig(h.GetRouteConfig())
			if err != nil {
				continue
			}
			c.Name = listener.InlineRoutePrefix + c.Name
			c.Normalize()
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// address is a listener address as host and port: a socket address's address
// and port_value (a named_port is not resolved), a unix socket's path with
// port 0, an internal address as "envoy_internal:<server listener name>".
// A listener without address (an internal listener) has "" and 0.
func address(a *corev3.Address) (string, uint32) {
	switch {
	case a.GetSocketAddress() != nil:
		return a.GetSocketAddress().GetAddress(), a.GetSocketAddress().GetPortValue()
	case a.GetPipe() != nil:
		return a.GetPipe().GetPath(), 0
	case a.GetEnvoyInternalAddress() != nil:
		return "envoy_internal:" + a.GetEnvoyInternalAddress().GetServerListenerName(), 0
	}
	return "", 0
}

// hostPort is an additional address as one string: "host:port" (IPv6 in
// brackets) for a socket address, like address otherwise.
func hostPort(a *corev3.Address) string {
	host, port := address(a)
	if a.GetSocketAddress() == nil {
		return host
	}
	return net.JoinHostPort(host, strconv.FormatUint(uint64(port), 10))
}

// bindToPort follows Envoy's shouldBindToPort: true unless bind_to_port, or
// the deprecated_v1 one, is set to false.
func bindToPort(l *listenerv3.Listener) bool {
	bind := func(v interface{ GetValue() bool }, set bool) bool { return !set || v.GetValue() }
	return bind(l.GetBindToPort(), l.GetBindToPort() != nil) &&
		//lint:ignore SA1019 Envoy's shouldBindToPort still reads deprecated_v1.bind_to_port
		bind(l.GetDeprecatedV1().GetBindToPort(), l.GetDeprecatedV1().GetBindToPort() != nil)
}

func direction(d corev3.TrafficDirection) string {
	switch d {
	case corev3.TrafficDirection_OUTBOUND, corev3.TrafficDirection_INBOUND:
		return d.String()
	}
	return ""
}

// listenerFilterPrefix is the package prefix of Envoy's listener filter
// configs: envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.
const listenerFilterPrefix = "envoy.extensions.filters.listener."

// listenerFilterName names a listener filter by its typed config's type URL:
// the short name of an Envoy listener filter ("tls_inspector",
// "http_inspector", "original_dst", ...), or the full message name of any
// other. A filter without typed config falls back to its ECDS type URL, then
// to its name without the "envoy.filters.listener." prefix.
func listenerFilterName(f *listenerv3.ListenerFilter) string {
	url := f.GetTypedConfig().GetTypeUrl()
	if url == "" && len(f.GetConfigDiscovery().GetTypeUrls()) > 0 {
		url = f.GetConfigDiscovery().GetTypeUrls()[0]
	}
	if url == "" {
		name := f.GetName()
		for _, p := range []string{"envoy.filters.listener.", "envoy.listener."} {
			name = strings.TrimPrefix(name, p)
		}
		return name
	}
	name := string(messageName(url))
	if rest, ok := strings.CutPrefix(name, listenerFilterPrefix); ok {
		if short, _, ok := strings.Cut(rest, "."); ok && short != "" {
			return short
		}
	}
	return name
}

// chain normalizes a filter chain and adds the type URLs of its opaque
// network filters to opaque.
func chain(fc *listenerv3.FilterChain, opaque map[string]bool) (listener.FilterChain, error) {
	c := listener.FilterChain{Match: match(fc.GetFilterChainMatch())}
	for i, f := range fc.GetFilters() {
		d, terminal, err := destination(f)
		if err != nil {
			return listener.FilterChain{}, fmt.Errorf("filters[%d] %q: %w", i, f.GetName(), err)
		}
		if terminal {
			c.Destination = d
			continue
		}
		switch {
		case f.GetTypedConfig() != nil:
			opaque[f.GetTypedConfig().GetTypeUrl()] = true
		case f.GetConfigDiscovery() != nil:
			for _, t := range f.GetConfigDiscovery().GetTypeUrls() {
				opaque[t] = true
			}
		}
	}
	return c, nil
}

// destination interprets a terminal network filter, identified by its typed
// config's type URL: http_connection_manager (its RDS route name,
// "inline:<name>" for an inline route config, "scoped:<name>" for scoped
// routes), tcp_proxy (its cluster; for weighted clusters, each with its
// weight, sorted by name, and their names joined with "," as the cluster)
// or redis_proxy (the cluster of its catch-all prefix route, the only route
// istiod writes: buildRedisFilter; "" without one). Other filters are not
// terminal.
func destination(f *listenerv3.Filter) (listener.Destination, bool, error) {
	tc := f.GetTypedConfig()
	switch messageName(tc.GetTypeUrl()) {
	case messageName(hcmType):
		var h hcmv3.HttpConnectionManager
		if err := proto.Unmarshal(tc.GetValue(), &h); err != nil {
			return listener.Destination{}, false, fmt.Errorf("http_connection_manager: %w", err)
		}
		d := listener.Destination{Kind: listener.HTTP}
		switch {
		case h.GetRds() != nil:
			d.Route = h.GetRds().GetRouteConfigName()
		case h.GetRouteConfig() != nil:
			d.Route = listener.InlineRoutePrefix + h.GetRouteConfig().GetName()
		case h.GetScopedRoutes() != nil:
			d.Route = "scoped:" + h.GetScopedRoutes().GetName()
		}
		return d, true, nil
	case messageName(tcpProxyType):
		var t tcpv3.TcpProxy
		if err := proto.Unmarshal(tc.GetValue(), &t); err != nil {
			return listener.Destination{}, false, fmt.Errorf("tcp_proxy: %w", err)
		}
		d := listener.Destination{Kind: listener.TCP, Cluster: t.GetCluster()}
		if wc := t.GetWeightedClusters(); wc != nil {
			var ws []listener.WeightedCluster
			for _, c := range wc.GetClusters() {
				ws = append(ws, listener.WeightedCluster{Name: c.GetName(), Weight: c.GetWeight()})
			}
			d = listener.WeightedDestination(ws)
		}
		return d, true, nil
	case messageName(redisType):
		var r redisv3.RedisProxy
		if err := proto.Unmarshal(tc.GetValue(), &r); err != nil {
			return listener.Destination{}, false, fmt.Errorf("redis_proxy: %w", err)
		}
		return listener.Destination{Kind: listener.Redis, Cluster: r.GetPrefixRoutes().GetCatchAllRoute().GetCluster()}, true, nil
	}
	return listener.Destination{}, false, nil
}

// match normalizes a filter chain match, keeping the fields that Istio sets
// on outbound listeners (source matches are dropped).
func match(m *listenerv3.FilterChainMatch) listener.Match {
	out := listener.Match{
		DestinationPort:      m.GetDestinationPort().GetValue(),
		ServerNames:          cloneStrings(m.GetServerNames()),
		TransportProtocol:    m.GetTransportProtocol(),
		ApplicationProtocols: cloneStrings(m.GetApplicationProtocols()),
	}
	for _, r := range m.GetPrefixRanges() {
		out.PrefixRanges = append(out.PrefixRanges, cidr(r))
	}
	return out
}

// cidr renders a CIDR range as istiod sends it, the address as written
// with its prefix length ("10.1.2.3" with 24 is "10.1.2.3/24"; Envoy
// matches it masked, listener.Match.Masked), with the prefix length as
// Envoy reads it (CidrRange::create): an absent prefix_len is 0, so a bare
// address matches every address of its family; a prefix_len longer than
// the address is cut to its length. An address Envoy would reject is kept
// as written.
func cidr(r *corev3.CidrRange) string {
	n := r.GetPrefixLen().GetValue()
	addr, err := netip.ParseAddr(r.GetAddressPrefix())
	if err != nil {
		return r.GetAddressPrefix() + "/" + strconv.FormatUint(uint64(n), 10)
	}
	addr = addr.WithZone("")
	if n > uint32(addr.BitLen()) {
		n = uint32(addr.BitLen())
	}
	return netip.PrefixFrom(addr, int(n)).String()
}
