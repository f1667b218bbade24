package trace_test

import (
	"net/netip"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/trace"
)

// bookinfo is Istio's request routing task (reviews: end-user jason to v2,
// everyone else to v1) as one HTTP listener and its route configuration,
// with the other outcomes a route configuration has beside it.
var (
	bookinfoListeners = []listener.Listener{{Name: "0.0.0.0_9080", Address: "0.0.0.0", Port: 9080,
		FilterChains: []listener.FilterChain{{Destination: listener.Destination{Kind: listener.HTTP, Route: "9080"}}}}}
	bookinfoRoutes = []route.Config{{Name: "9080", VirtualHosts: []route.VirtualHost{
		{Name: "reviews.bookinfo.svc.cluster.local:9080", Domains: []string{"reviews.bookinfo.svc.cluster.local", "reviews.bookinfo", "reviews.bookinfo:9080", "10.96.90.80", "10.96.90.80:9080"}, Routes: []route.Route{
			{Name: "jason", Match: route.Match{PathKind: route.Prefix, Path: "/", Headers: []route.HeaderMatch{{Name: "end-user", Kind: route.ValueExact, Value: "jason"}}},
				Action: route.Action{Kind: route.Forward, Cluster: "outbound|9080|v2|reviews.bookinfo.svc.cluster.local"}},
			{Name: "shift", Match: route.Match{PathKind: route.Exact, Path: "/shift"},
				Action: route.Action{Kind: route.Forward, Weighted: []listener.WeightedCluster{{Name: "outbound|9080|v3|reviews.bookinfo.svc.cluster.local", Weight: 50}, {Name: "outbound|9080|v1|reviews.bookinfo.svc.cluster.local", Weight: 50}}}},
			{Name: "default", Match: route.Match{PathKind: route.Prefix, Path: "/"},
				Action: route.Action{Kind: route.Forward, Cluster: "outbound|9080|v1|reviews.bookinfo.svc.cluster.local"}},
		}},
		{Name: "ratings.bookinfo.svc.cluster.local:9080", Domains: []string{"ratings.bookinfo", "ratings.bookinfo:9080"}, Routes: []route.Route{
			{Match: route.Match{PathKind: route.Exact, Path: "/old"}, Action: route.Action{Kind: route.Redirect, Status: 301, Redirect: "http://ratings.bookinfo:9080/new"}},
			{Match: route.Match{PathKind: route.Prefix, Path: "/api"}, Action: route.Action{Kind: route.DirectResponse, Status: 503}},
		}},
	}}}
)

func TestTraceFollowsRequest(t *testing.T) {
	to := netip.MustParseAddrPort("10.96.90.80:9080")
	tests := []struct {
		name        string
		call        trace.Call
		routes      []route.Config
		wantVH      string
		wantSkipped int
		want        string
	}{
		{"header to v2", trace.Call{To: to, Host: "reviews.bookinfo:9080", Headers: map[string]string{"End-User": "jason"}}, bookinfoRoutes,
			"reviews.bookinfo.svc.cluster.local:9080", 0, "cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local"},
		{"no header to v1", trace.Call{To: to, Host: "reviews.bookinfo:9080"}, bookinfoRoutes,
			"reviews.bookinfo.svc.cluster.local:9080", 2, "cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"},
		{"another user to v1", trace.Call{To: to, Host: "reviews.bookinfo:9080", Headers: map[string]string{"end-user": "alice"}}, bookinfoRoutes,
			"reviews.bookinfo.svc.cluster.local:9080", 2, "cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"},
		{"weights sorted by cluster", trace.Call{To: to, Host: "reviews.bookinfo", Path: "/shift?x=1"}, bookinfoRoutes,
			"reviews.bookinfo.svc.cluster.local:9080", 1, "clusters outbound|9080|v1|reviews.bookinfo.svc.cluster.local=50,outbound|9080|v3|reviews.bookinfo.svc.cluster.local=50"},
		{"no host: the address", trace.Call{To: to, ALPN: []string{"http/1.1"}}, bookinfoRoutes,
			"reviews.bookinfo.svc.cluster.local:9080", 2, "cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"},
		{"redirect", trace.Call{To: to, Host: "ratings.bookinfo", Path: "/old"}, bookinfoRoutes,
			"ratings.bookinfo.svc.cluster.local:9080", 0, "redirect 301 http://ratings.bookinfo:9080/new"},
		{"direct response", trace.Call{To: to, Host: "ratings.bookinfo", Path: "/api/x", Method: "POST"}, bookinfoRoutes,
			"ratings.bookinfo.svc.cluster.local:9080", 1, "direct response 503"},
		{"no route", trace.Call{To: to, Host: "ratings.bookinfo", Path: "/"}, bookinfoRoutes,
			"ratings.bookinfo.svc.cluster.local:9080", 2, trace.NoRoute},
		{"no virtual host", trace.Call{To: to, Host: "details.bookinfo:9080"}, bookinfoRoutes, "", 0, trace.NoVirtualHost},
		{"configuration never received", trace.Call{To: to, Host: "reviews.bookinfo"}, []route.Config{}, "", 0, trace.NoConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := trace.Trace(bookinfoListeners, tt.call, trace.Options{Routes: tt.routes})
			if r.HTTP == nil || r.HTTP.Routed == nil {
				t.Fatalf("the request was not followed: %+v", r)
			}
			rt := r.HTTP.Routed
			if rt.VirtualHost != tt.wantVH || len(rt.Skipped) != tt.wantSkipped || rt.Outcome != tt.want {
				t.Errorf("virtual host %q, %d skipped, outcome %q; want %q, %d, %q\n%+v", rt.VirtualHost, len(rt.Skipped), rt.Outcome, tt.wantVH, tt.wantSkipped, tt.want, rt)
			}
			if r.Summary != "route 9080: "+tt.want {
				t.Errorf("summary %q", r.Summary)
			}
		})
	}
}

// TestTraceRoutesUnknown: without route configurations the trace stops at
// the route's name, as it did before routes were modelled.
func TestTraceRoutesUnknown(t *testing.T) {
	r := trace.Trace(bookinfoListeners, trace.Call{To: netip.MustParseAddrPort("10.96.90.80:9080"), Host: "reviews.bookinfo"}, trace.Options{})
	if r.HTTP == nil || r.HTTP.Routed != nil || r.Summary != `route 9080: the virtual host is chosen by RDS (routes not known here) by Host "reviews.bookinfo"` {
		t.Errorf("%+v", r)
	}
}

func TestSkippedSaysWhy(t *testing.T) {
	rt := trace.Follow(bookinfoRoutes, "9080", route.Request{Host: "reviews.bookinfo:9080", Path: "/x"})
	want := []trace.SkippedRoute{
		{Index: 0, Name: "jason", Match: "prefix / header end-user=jason", Why: "header end-user=jason does not hold"},
		{Index: 1, Name: "shift", Match: "exact /shift", Why: "path /x is not exact /shift"},
	}
	if len(rt.Skipped) != len(want) {
		t.Fatalf("skipped %+v", rt.Skipped)
	}
	for i := range want {
		if rt.Skipped[i] != want[i] {
			t.Errorf("skipped[%d] = %+v, want %+v", i, rt.Skipped[i], want[i])
		}
	}
	if rt.Request.String() != "GET reviews.bookinfo:9080/x" || rt.Route.Index != 2 || rt.Route.Name != "default" {
		t.Errorf("request %q, route %+v", rt.Request, rt.Route)
	}
}
