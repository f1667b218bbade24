package compare

import (
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
)

func TestRoutes(t *testing.T) {
	fwd := func(name, cluster string, hs ...route.HeaderMatch) route.Route {
		return route.Route{Name: name, Match: route.Match{PathKind: route.Prefix, Path: "/", Headers: hs},
			Action: route.Action{Kind: route.Forward, Cluster: cluster}}
	}
	jason := route.HeaderMatch{Name: "end-user", Kind: route.ValueExact, Value: "jason"}
	reviews := func(domains []string, rs ...route.Route) route.Config {
		return route.Config{Name: "9080", IgnorePortInHostMatching: true, VirtualHosts: []route.VirtualHost{
			{Name: "reviews:9080", Domains: domains, Routes: rs},
			{Name: "allow_any", Domains: []string{"*"}, Routes: []route.Route{fwd("allow_any", "PassthroughCluster")}},
		}}
	}
	base := reviews([]string{"reviews.b", "reviews.b.svc"}, fwd("jason", "v2", jason), fwd("default", "v1"))
	tests := []struct {
		name      string
		want, got []route.Config
		diffs     []string
	}{
		{"equal", []route.Config{base}, []route.Config{base}, nil},
		{"domain order and weights order do not matter",
			[]route.Config{reviews([]string{"reviews.b.svc", "reviews.b"}, fwd("jason", "v2", jason), route.Route{Name: "split", Match: route.Match{PathKind: route.Prefix, Path: "/"},
				Action: route.Action{Kind: route.Forward, Weighted: []listener.WeightedCluster{{Name: "b", Weight: 10}, {Name: "a", Weight: 90}}}})},
			[]route.Config{reviews([]string{"reviews.b", "reviews.b.svc"}, fwd("jason", "v2", jason), route.Route{Name: "split", Match: route.Match{PathKind: route.Prefix, Path: "/"},
				Action: route.Action{Kind: route.Forward, Weighted: []listener.WeightedCluster{{Name: "a", Weight: 90}, {Name: "b", Weight: 10}}}})},
			nil},
		{"configuration on one side", []route.Config{base}, nil,
			[]string{"route 9080:\n  -2 virtual hosts: allow_any, reviews:9080"}},
		{"port ignored", []route.Config{base}, []route.Config{func() route.Config { c := base; c.IgnorePortInHostMatching = false; return c }()},
			[]string{"route 9080:\n  -ignore_port_in_host_matching=true\n  +ignore_port_in_host_matching=false"}},
		{"domains", []route.Config{base}, []route.Config{reviews([]string{"reviews.b", "reviews.b.svc", "reviews"}, fwd("jason", "v2", jason), fwd("default", "v1"))},
			[]string{"route 9080 vhost reviews:9080:\n  -domains reviews.b reviews.b.svc\n  +domains reviews reviews.b reviews.b.svc"}},
		{"route order", []route.Config{base}, []route.Config{reviews([]string{"reviews.b", "reviews.b.svc"}, fwd("default", "v1"), fwd("jason", "v2", jason))},
			[]string{"route 9080 vhost reviews:9080:\n  -#1 jason: prefix / header end-user=jason -> cluster v2",
				"route 9080 vhost reviews:9080:\n  +#2 jason: prefix / header end-user=jason -> cluster v2"}},
		{"other destination", []route.Config{base}, []route.Config{reviews([]string{"reviews.b", "reviews.b.svc"}, fwd("jason", "v3", jason), fwd("default", "v1"))},
			[]string{"route 9080 vhost reviews:9080:\n  -#1 jason: prefix / header end-user=jason -> cluster v2\n  +#1 jason: prefix / header end-user=jason -> cluster v3"}},
		{"missing header as empty", []route.Config{base},
			[]route.Config{reviews([]string{"reviews.b", "reviews.b.svc"}, fwd("jason", "v2", route.HeaderMatch{Name: "end-user", Kind: route.ValueExact, Value: "jason", MissingAsEmpty: true}), fwd("default", "v1"))},
			[]string{"route 9080 vhost reviews:9080:\n  -#1 jason: prefix / header end-user=jason -> cluster v2\n  +#1 jason: prefix / header end-user=jason -> cluster v2 [end-user missing as empty]"}},
		{"virtual host on one side", []route.Config{base}, []route.Config{{Name: "9080", IgnorePortInHostMatching: true, VirtualHosts: base.VirtualHosts[1:]}},
			[]string{"route 9080 vhost reviews:9080:\n  -domains reviews.b reviews.b.svc, 2 routes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range Routes(tt.want, tt.got) {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n\n") != strings.Join(tt.diffs, "\n\n") {
				t.Errorf("Routes:\n%s\nwant:\n%s", strings.Join(got, "\n\n"), strings.Join(tt.diffs, "\n\n"))
			}
		})
	}
	if base.VirtualHosts[0].Name != "reviews:9080" {
		t.Errorf("Routes changed its input: virtual hosts %v", base.VirtualHosts)
	}
}
