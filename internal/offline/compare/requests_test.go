package compare

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/trace"
)

func TestRequests(t *testing.T) {
	const v1, v2 = "outbound|9080|v1|reviews.bookinfo.svc.cluster.local", "outbound|9080|v2|reviews.bookinfo.svc.cluster.local"
	ls := []listener.Listener{
		{Name: "0.0.0.0_9080", Address: "0.0.0.0", Port: 9080, FilterChains: []listener.FilterChain{{Destination: listener.Destination{Kind: listener.HTTP, Route: "9080"}}}},
		{Name: "10.96.0.9_3306", Address: "10.96.0.9", Port: 3306, FilterChains: []listener.FilterChain{{Destination: tcp("outbound|3306||db")}}},
	}
	rs := []route.Config{{Name: "9080", VirtualHosts: []route.VirtualHost{{Name: "reviews.bookinfo.svc.cluster.local:9080", Domains: []string{"reviews.bookinfo:9080"}, Routes: []route.Route{
		{Match: route.Match{PathKind: route.Prefix, Path: "/", Headers: []route.HeaderMatch{{Name: "end-user", Kind: route.ValueExact, Value: "jason"}}}, Action: route.Action{Kind: route.Forward, Cluster: v2}},
		{Name: "default", Match: route.Match{PathKind: route.Prefix, Path: "/"}, Action: route.Action{Kind: route.Forward, Cluster: v1}},
	}}}}}
	jason := scenario.RequestExpectation{To: "10.96.90.80:9080", Host: "reviews.bookinfo:9080", Headers: map[string]string{"End-User": "jason"}, Want: "cluster " + v2}
	anyone := scenario.RequestExpectation{RouteConfig: "9080", Host: "reviews.bookinfo:9080", Want: "cluster " + v1}
	wrong := scenario.RequestExpectation{To: "10.96.90.80:9080", Host: "reviews.bookinfo:9080", Want: "cluster " + v2}
	tcpReq := scenario.RequestExpectation{To: "10.96.0.9:3306", Host: "db", Want: "cluster outbound|3306||db"}
	noVH := scenario.RequestExpectation{RouteConfig: "9080", Host: "details:9080", Want: "404 no virtual host"}
	tests := []struct {
		name string
		exps []scenario.Expectation
		rs   []route.Config
		want []Difference
	}{
		{"met", []scenario.Expectation{{Requests: []scenario.RequestExpectation{jason, anyone, noVH}}}, rs, nil},
		{"another route", []scenario.Expectation{{Requests: []scenario.RequestExpectation{wrong}}}, rs, []Difference{{Level: LevelRequest,
			Listener: "10.96.90.80:9080 GET reviews.bookinfo:9080/", Want: "cluster " + v2,
			Got: "cluster " + v1 + ` (listener 0.0.0.0_9080, virtual host reviews.bookinfo.svc.cluster.local:9080, route 2 "default")`}}},
		{"other versions only", []scenario.Expectation{{Versions: "<1.0", Requests: []scenario.RequestExpectation{wrong}}}, rs, nil},
		{"not HTTP", []scenario.Expectation{{Requests: []scenario.RequestExpectation{tcpReq}}}, rs, []Difference{{Level: LevelRequest,
			Listener: "10.96.0.9:3306 GET db/", Want: "cluster outbound|3306||db", Got: "not an HTTP route: cluster outbound|3306||db"}}},
		{"configuration missing", []scenario.Expectation{{Requests: []scenario.RequestExpectation{anyone}}}, []route.Config{}, []Difference{{Level: LevelRequest,
			Listener: "route 9080 GET reviews.bookinfo:9080/", Want: "cluster " + v1, Got: trace.NoConfig + " (route configuration 9080 is not known)"}}},
		{"routes not known", []scenario.Expectation{{Requests: []scenario.RequestExpectation{jason}}}, nil, []Difference{{Level: LevelRequest,
			Listener: "10.96.90.80:9080 GET reviews.bookinfo:9080/ end-user=jason", Want: "cluster " + v2, Got: "route configurations not known"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Requests(tt.exps, versions.Newest(), ls, tt.rs, trace.Options{})
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
