package route

import "testing"

func TestSelect(t *testing.T) {
	c := &Config{Name: "9080", VirtualHosts: []VirtualHost{
		{Name: "reviews.bookinfo.svc.cluster.local:9080", Domains: []string{"reviews.bookinfo.svc.cluster.local", "reviews", "reviews:9080"}, Routes: []Route{
			{Name: "jason", Match: Match{PathKind: Prefix, Path: "/", Headers: []HeaderMatch{{Name: "end-user", Kind: ValueExact, Value: "jason"}}},
				Action: Action{Kind: Forward, Cluster: "outbound|9080|v2|reviews.bookinfo.svc.cluster.local"}},
			{Name: "default", Match: Match{PathKind: Prefix, Path: "/"}, Action: Action{Kind: Forward, Cluster: "outbound|9080|v1|reviews.bookinfo.svc.cluster.local"}},
		}},
		{Name: "wild", Domains: []string{"*.example.com"}, Routes: []Route{{Match: Match{PathKind: Exact, Path: "/a"}, Action: Action{Kind: DirectResponse, Status: 418}}}},
		{Name: "allow_any", Domains: []string{"*"}, Routes: []Route{{Match: Match{PathKind: Prefix, Path: "/"}, Action: Action{Kind: Forward, Cluster: "PassthroughCluster"}}}},
	}}
	tests := []struct {
		name      string
		req       Request
		wantVH    string
		wantRoute int
		wantTo    string
	}{
		{"header match", Request{Host: "reviews:9080", Path: "/reviews/1", Headers: map[string]string{"end-user": "jason"}}, "reviews.bookinfo.svc.cluster.local:9080", 0, "cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local"},
		{"no header falls to default", Request{Host: "reviews:9080", Path: "/"}, "reviews.bookinfo.svc.cluster.local:9080", 1, "cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"},
		{"host is case-insensitive", Request{Host: "REVIEWS", Path: "/"}, "reviews.bookinfo.svc.cluster.local:9080", 1, "cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"},
		{"suffix wildcard", Request{Host: "a.example.com", Path: "/a"}, "wild", 0, "direct response 418"},
		{"suffix wildcard needs a label", Request{Host: ".example.com", Path: "/a"}, "allow_any", 0, "cluster PassthroughCluster"},
		{"no route matches", Request{Host: "a.example.com", Path: "/b"}, "wild", -1, ""},
		{"catch-all", Request{Host: "other:80", Path: "/"}, "allow_any", 0, "cluster PassthroughCluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Select(c, tt.req)
			if s.VirtualHost == nil || s.VirtualHost.Name != tt.wantVH {
				t.Fatalf("virtual host %+v (%s), want %s", s.VirtualHost, s.HostWhy, tt.wantVH)
			}
			if s.RouteIndex != tt.wantRoute {
				t.Fatalf("route %d, want %d (skipped %+v)", s.RouteIndex, tt.wantRoute, s.Skipped)
			}
			if s.Route != nil && s.Route.Action.String() != tt.wantTo {
				t.Errorf("action %s, want %s", s.Route.Action, tt.wantTo)
			}
		})
	}
}

func TestMatchConditions(t *testing.T) {
	tests := []struct {
		name string
		m    Match
		req  Request
		want bool
	}{
		{"exact path", Match{PathKind: Exact, Path: "/login"}, Request{Path: "/login?x=1"}, true},
		{"exact path differs", Match{PathKind: Exact, Path: "/login"}, Request{Path: "/login/"}, false},
		{"regex is whole", Match{PathKind: Regex, Path: "/api/v[0-9]"}, Request{Path: "/api/v1/x"}, false},
		{"regex", Match{PathKind: Regex, Path: "/api/v[0-9].*"}, Request{Path: "/api/v1/x"}, true},
		{"ignore case", Match{PathKind: Prefix, Path: "/API", CaseInsensitive: true}, Request{Path: "/api/x"}, true},
		{"separated prefix", Match{PathKind: SeparatedPrefix, Path: "/api"}, Request{Path: "/apix"}, false},
		{"method", Match{PathKind: Prefix, Path: "/", Headers: []HeaderMatch{{Name: ":method", Kind: ValueExact, Value: "POST"}}}, Request{Path: "/"}, false},
		{"without header", Match{PathKind: Prefix, Path: "/", Headers: []HeaderMatch{{Name: "x", Kind: ValuePresent, Invert: true}}}, Request{Path: "/"}, true},
		{"query", Match{PathKind: Prefix, Path: "/", QueryParams: []HeaderMatch{{Name: "v", Kind: ValueExact, Value: "2"}}}, Request{Path: "/?a=1&v=2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := tt.m.Matches(tt.req); got != tt.want {
				t.Errorf("Matches = %v (%s), want %v", got, why, tt.want)
			}
		})
	}
}

// TestIgnorePortInHostMatching: istiod writes a sidecar's domains without
// ports and sets ignore_port_in_host_matching; Envoy drops the Host's port
// as HeaderUtility::getPortStart finds it (its RemovePortsFromHost cases).
func TestIgnorePortInHostMatching(t *testing.T) {
	c := &Config{Name: "9080", IgnorePortInHostMatching: true, VirtualHosts: []VirtualHost{
		{Name: "reviews", Domains: []string{"reviews", "10.96.0.20", "[fd00::20]"}, Routes: []Route{{Match: Match{PathKind: Prefix, Path: "/"}, Action: Action{Kind: Forward, Cluster: "r"}}}},
	}}
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"reviews:9080", true}, {"reviews", true}, {"REVIEWS:80", true}, {"reviews:", true},
		{"10.96.0.20:9080", true}, {"[fd00::20]:9080", true}, {"[fd00::20]", true}, {"fd00::20", false}, {"details:9080", false},
	} {
		got := Select(c, Request{Host: tt.host}).VirtualHost != nil
		if got != tt.want {
			t.Errorf("Host %q: matched %t, want %t", tt.host, got, tt.want)
		}
	}
	c.IgnorePortInHostMatching = false
	if Select(c, Request{Host: "reviews:9080"}).VirtualHost != nil {
		t.Error("without ignore_port_in_host_matching reviews:9080 matched domain reviews")
	}
}

func TestMissingHeaderAsEmpty(t *testing.T) {
	// withoutHeaders {x: {regex: ".*"}}: invert_match with
	// treat_missing_header_as_empty; a missing header is "", which ".*"
	// matches, so the inverted condition fails. Without the flag a missing
	// header fails the match and the inverted condition holds.
	h := HeaderMatch{Name: "x", Kind: ValueRegex, Value: ".*", Invert: true}
	m := Match{PathKind: Prefix, Path: "/", Headers: []HeaderMatch{h}}
	if ok, _ := m.Matches(Request{Path: "/"}); !ok {
		t.Errorf("without treat_missing_header_as_empty: a missing header should meet !x~.*")
	}
	m.Headers[0].MissingAsEmpty = true
	if ok, _ := m.Matches(Request{Path: "/"}); ok {
		t.Errorf("with treat_missing_header_as_empty: a missing header is \"\" and should fail !x~.*")
	}
}
