package compare

import (
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/route"
)

// TestPredictionComparesRoutes: routes are compared only when the
// prediction carries them and the dump has a route part; a route
// difference gets the predicted virtual host's reason.
func TestPredictionComparesRoutes(t *testing.T) {
	rc := func(cluster string) route.Config {
		return route.Config{Name: "9080", IgnorePortInHostMatching: true, VirtualHosts: []route.VirtualHost{{
			Name: "reviews:9080", Domains: []string{"reviews.b"}, Reason: "the service reviews on 9080",
			Routes: []route.Route{{Name: "default", Match: route.Match{PathKind: route.Prefix, Path: "/"},
				Action: route.Action{Kind: route.Forward, Cluster: cluster}}},
		}}}
	}
	real := &dump.Dump{Routes: []route.Config{rc("v1")}, RoutesRead: true,
		UnreadableRoutes: []dump.Failure{{Name: "8080", Message: "not modelled"}}}
	tests := []struct {
		name     string
		routes   []route.Config
		dumpOnly bool
		dump     *dump.Dump
		want     []string
	}{
		{"no routes predicted", nil, false, real, nil},
		{"same routes", []route.Config{rc("v1")}, false, real, []string{"route 8080:\n  +unreadable: not modelled"}},
		{"other cluster", []route.Config{rc("v2")}, false, real, []string{
			"route 9080 vhost reviews:9080:\n  -#1 default: prefix / -> cluster v2\n  +#1 default: prefix / -> cluster v1",
			"route 8080:\n  +unreadable: not modelled"}},
		{"dump without a route part", []route.Config{rc("v2")}, false, &dump.Dump{}, nil},
		{"dump-only without a route part", []route.Config{rc("v2")}, true, &dump.Dump{}, nil},
		{"empty route part", []route.Config{rc("v2")}, false, &dump.Dump{RoutesRead: true}, []string{"route 9080:\n  -1 virtual hosts: reviews:9080"}},
		{"dump with routes", []route.Config{rc("v2")}, true, real, []string{
			"route 9080 vhost reviews:9080:\n  -#1 default: prefix / -> cluster v2\n  +#1 default: prefix / -> cluster v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := &predictor.Prediction{Routes: tt.routes}
			r := Result{Prediction: pred, Differences: Prediction(pred, Real{Dump: tt.dump, DumpOnly: tt.dumpOnly})}
			var got []string
			for _, d := range r.Differences {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			r.Judge()
			if tt.name == "other cluster" && r.Reasons["route 9080 vhost reviews:9080"] != "the service reviews on 9080" {
				t.Errorf("reasons %v, want the virtual host's", r.Reasons)
			}
		})
	}
}

// TestPredictionsComparesRoutesOfBoth: two predictions' routes are
// compared only when both carry them.
func TestPredictionsComparesRoutesOfBoth(t *testing.T) {
	rc := []route.Config{{Name: "80", VirtualHosts: []route.VirtualHost{{Name: "allow_any", Domains: []string{"*"}}}}}
	if d := Predictions(&predictor.Prediction{}, &predictor.Prediction{Routes: rc}); len(d) != 0 {
		t.Errorf("one side without routes: %v, want no difference", d)
	}
	if d := Predictions(&predictor.Prediction{Routes: []route.Config{}}, &predictor.Prediction{Routes: rc}); len(d) != 1 || d[0].Level != LevelRoute {
		t.Errorf("both with routes: %v, want one route difference", d)
	}
}
