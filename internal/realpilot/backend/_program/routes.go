package main

import (
	"fmt"

	admin "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
)

// hcmFilterName is the name Istio gives the HTTP connection manager filter
// (wellknown.HTTPConnectionManager).
const hcmFilterName = "envoy.filters.network.http_connection_manager"

// routeNames are the RDS route configuration names the HTTP connection
// managers of listeners name (filter chains and default chains), in the
// order they first appear, each once: what the client's Envoy subscribes
// to over RDS after it takes these listeners. An inline route_config (the
// inbound chains) is no RDS name and is left out.
func routeNames(listeners []*listenerv3.Listener) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	visit := func(l *listenerv3.Listener, fc *listenerv3.FilterChain) error {
		for _, f := range fc.GetFilters() {
			if f.GetName() != hcmFilterName || f.GetTypedConfig() == nil {
				continue
			}
			h := &hcm.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
				return fmt.Errorf("listener %s chain %q: http connection manager: %w", l.GetName(), fc.GetName(), err)
			}
			if name := h.GetRds().GetRouteConfigName(); name != "" && !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
		return nil
	}
	for _, l := range listeners {
		for _, fc := range l.GetFilterChains() {
			if err := visit(l, fc); err != nil {
				return nil, err
			}
		}
		if fc := l.GetDefaultFilterChain(); fc != nil {
			if err := visit(l, fc); err != nil {
				return nil, err
			}
		}
	}
	return names, nil
}

// buildRoutes is what istiod's RDS generator answers the client for the
// route names its listeners ask for: ConfigGen.BuildHTTPRoutes on the same
// push as the listeners, with a request that holds only that push, as
// Istio's own ConfigGenTest.RoutesFromListeners calls it (PushRequest.Full
// is gone in 1.31). A name pilot builds nothing for comes back as an
// empty configuration, as istiod sends it.
func buildRoutes(s *xds.FakeDiscoveryServer, proxy *model.Proxy, push *model.PushContext, names []string) ([]*routev3.RouteConfiguration, error) {
	if len(names) == 0 {
		return nil, nil
	}
	resources, _ := s.ConfigGen.BuildHTTPRoutes(proxy, &model.PushRequest{Push: push}, names)
	out := make([]*routev3.RouteConfiguration, 0, len(resources))
	for _, r := range resources {
		rc := &routev3.RouteConfiguration{}
		if err := r.GetResource().UnmarshalTo(rc); err != nil {
			return nil, fmt.Errorf("route configuration %s: %w", r.GetName(), err)
		}
		out = append(out, rc)
	}
	return out, nil
}

// routesDump renders route configurations as an Envoy admin /config_dump
// does: one RoutesConfigDump whose dynamic_route_configs hold each one.
func routesDump(routes []*routev3.RouteConfiguration) (*anypb.Any, error) {
	rd := &admin.RoutesConfigDump{}
	for _, rc := range routes {
		a, err := anypb.New(rc)
		if err != nil {
			return nil, fmt.Errorf("config dump: route configuration %s: %w", rc.GetName(), err)
		}
		rd.DynamicRouteConfigs = append(rd.DynamicRouteConfigs, &admin.RoutesConfigDump_DynamicRouteConfig{
			VersionInfo: "listenerlab",
			RouteConfig: a,
		})
	}
	a, err := anypb.New(rd)
	if err != nil {
		return nil, fmt.Errorf("config dump: routes: %w", err)
	}
	return a, nil
}
