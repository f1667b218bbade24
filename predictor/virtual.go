package predictor

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	rds "github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/trace"
	"github.com/listenerlab/listenerlab/world"
)

// virtualOutbound is what a trace needs of Istio's virtualOutbound
// listener (15001), which a Prediction leaves out: where it sends a
// connection that no outbound listener takes.
type virtualOutbound struct {
	// unmatched is its TCP destination, as buildVirtualOutboundListener
	// (pilot/pkg/networking/core/listener.go) decides from the sidecar
	// scope's OutboundTrafficPolicy (outboundCatchAll): PassthroughCluster,
	// BlackHoleCluster under REGISTRY_ONLY, or the Sidecar's egressProxy.
	// Without interception istiod builds no virtualOutbound: a connection
	// no listener is bound to is never captured and goes straight to its
	// destination, even under REGISTRY_ONLY.
	unmatched listener.Destination
	// http and inline are its plaintext HTTP chain and that chain's inline
	// route configuration, when it has one (dynamicDNSHTTPChain); nil
	// otherwise.
	http   *listener.Destination
	inline []rds.Config
}

// newVirtualOutbound models virtualOutbound for a proxy under Sidecar sc
// (nil: none) whose catch-all destination is catchAll.
func newVirtualOutbound(w *world.World, sc *networkingv1.Sidecar, v versions.Version, captureNone bool, catchAll listener.Destination) virtualOutbound {
	if captureNone {
		return virtualOutbound{unmatched: listener.Destination{Kind: listener.TCP, Cluster: listener.PassthroughCluster}}
	}
	vo := virtualOutbound{unmatched: catchAll}
	if dynamicDNSCatchAll(w, sc, v) {
		http, inline := dynamicDNSHTTPChain(w, sc, v)
		vo.http, vo.inline = http, []rds.Config{*inline}
	}
	return vo
}

// dynamicDNSHTTPChain models buildAllowAnyDynamicDNSHTTPFilterChain
// (pilot/pkg/networking/core/listener_builder.go): under
// ALLOW_ANY_DYNAMIC_DNS, virtualOutbound's http_inspector sends plaintext
// HTTP (ALPN http/1.1 or h2c) to a connection manager whose inline route
// configuration allow_any_dynamic_dns holds only the catch-all virtual
// host, every request to AllowAnyDynamicDNSCluster, ports ignored in Host
// matching. TCP and TLS still pass through.
func dynamicDNSHTTPChain(w *world.World, sc *networkingv1.Sidecar, v versions.Version) (*listener.Destination, *rds.Config) {
	const name = "allow_any_dynamic_dns"
	c := &rds.Config{Name: listener.InlineRoutePrefix + name, VirtualHosts: []rds.VirtualHost{catchAllVirtualHost(w, sc, v)}, IgnorePortInHostMatching: true}
	return &listener.Destination{Kind: listener.HTTP, Route: c.Name}, c
}

// options are trace.Options with virtualOutbound's destinations, its
// inline route configuration and the route configurations routes (nil:
// not known).
func (vo virtualOutbound) options(routes []rds.Config) trace.Options {
	return trace.Options{Unmatched: vo.unmatched, UnmatchedHTTP: vo.http, Inline: vo.inline, Routes: routes}
}

// TraceOptions are what trace.Trace needs beside p's listeners to follow
// a call as the client sidecar of w would under version v: where
// virtualOutbound sends a connection that no listener takes, and the
// route configurations (virtualOutbound's inline one, and p's: none when
// p has no routes).
func TraceOptions(w *world.World, v versions.Version, p *Prediction) trace.Options {
	px := newProxy(w.Client, false)
	sc := selectSidecar(w, px)
	catchAll, _ := outboundCatchAll(w, sc, v)
	return newVirtualOutbound(w, sc, v, px.CaptureNone, catchAll).options(p.Routes)
}
