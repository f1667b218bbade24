package listener

import "testing"

// TestDestination checks how each terminal filter prints and which single
// cluster it sends to: a redis_proxy must print apart from a tcp_proxy to
// the same cluster, so that comparing Strings tells them apart.
func TestDestination(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      Destination
		str    string
		single string
	}{
		{"tcp_proxy", Destination{Kind: TCP, Cluster: "outbound|6379||cache.default.svc.cluster.local"},
			"cluster outbound|6379||cache.default.svc.cluster.local", "outbound|6379||cache.default.svc.cluster.local"},
		{"redis_proxy", Destination{Kind: Redis, Cluster: "outbound|6379||cache.default.svc.cluster.local"},
			"redis cluster outbound|6379||cache.default.svc.cluster.local", "outbound|6379||cache.default.svc.cluster.local"},
		{"passthrough", Destination{Kind: TCP, Cluster: PassthroughCluster}, "passthrough", PassthroughCluster},
		{"weighted", WeightedDestination([]WeightedCluster{{Name: "outbound|1||b", Weight: 20}, {Name: "outbound|1||a", Weight: 80}}),
			"clusters outbound|1||a=80,outbound|1||b=20", ""},
		{"http", Destination{Kind: HTTP, Route: "80"}, "route 80", ""},
		{"none", Destination{}, "-", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			if got := tc.d.SingleCluster(); got != tc.single {
				t.Errorf("SingleCluster() = %q, want %q", got, tc.single)
			}
		})
	}
}

// A weighted tcp_proxy has no cluster, as Envoy's TcpProxy: its clusters
// are in Weighted, sorted; Normalize also clears the joined names that
// files written by earlier versions hold.
func TestWeightedDestinationHasNoCluster(t *testing.T) {
	ws := []WeightedCluster{{Name: "outbound|1||b", Weight: 20}, {Name: "outbound|1||a", Weight: 80}}
	old := Listener{FilterChains: []FilterChain{{Destination: Destination{Kind: TCP, Cluster: "outbound|1||a,outbound|1||b", Weighted: ws}}}}
	old.Normalize()
	for name, d := range map[string]Destination{"WeightedDestination": WeightedDestination(ws), "Normalize": old.FilterChains[0].Destination} {
		if d.Cluster != "" || d.Weighted[0].Name != "outbound|1||a" || d.String() != "clusters outbound|1||a=80,outbound|1||b=20" {
			t.Errorf("%s: got %+v", name, d)
		}
	}
}

// TestPermute checks the in-place rearrangement behind Sort on every
// permutation of four listeners: ls[i] becomes the old ls[order[i]].
func TestPermute(t *testing.T) {
	var perms [][]int
	var gen func(prefix []int, rest []int)
	gen = func(prefix, rest []int) {
		if len(rest) == 0 {
			perms = append(perms, append([]int(nil), prefix...))
			return
		}
		for i := range rest {
			next := append(append([]int(nil), rest[:i]...), rest[i+1:]...)
			gen(append(prefix, rest[i]), next)
		}
	}
	gen(nil, []int{0, 1, 2, 3})
	for _, order := range perms {
		ls := []Listener{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}}
		want := make([]string, len(order))
		for i, j := range order {
			want[i] = ls[j].Name
		}
		permute(ls, append([]int(nil), order...))
		for i := range ls {
			if ls[i].Name != want[i] {
				t.Errorf("permute by %v: %v, want %v", order, ls, want)
				break
			}
		}
	}
}
