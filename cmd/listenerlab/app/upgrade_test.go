package app

import (
	"slices"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/scenario"
)

func TestPerNamespaceGivesPlainManifestsAClientPerNamespace(t *testing.T) {
	plain, err := scenario.ParseManifests("gitops.yaml", []byte(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: web}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: apps}
spec: {hosts: [db.example.com], ports: [{number: 5432, name: tcp, protocol: TCP}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	withHeader, err := scenario.Parse("s.yaml", []byte("kind: Scenario\nname: s\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := perNamespace([]*scenario.Scenario{plain, withHeader})
	var names []string
	for _, sc := range got {
		names = append(names, sc.Header.Name+"@"+sc.Header.ClientNamespace())
	}
	want := []string{"gitops.apps@apps", "gitops.web@web", "s@default"}
	if len(names) != len(want) {
		t.Fatalf("got %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("got %v, want %v", names, want)
		}
	}
}

func TestServicesOf(t *testing.T) {
	for _, tt := range []struct {
		d    listener.Destination
		want []string
	}{
		{listener.Destination{Kind: listener.TCP, Cluster: "outbound|3306||db.example.com"}, []string{"db.example.com"}},
		{listener.Destination{Kind: listener.TCP, Cluster: listener.PassthroughCluster}, nil},
		{listener.WeightedDestination([]listener.WeightedCluster{{Name: "outbound|80|v2|b.example.com", Weight: 20}, {Name: "outbound|80|v1|a.example.com", Weight: 80}}),
			[]string{"a.example.com", "b.example.com"}},
		{listener.Destination{Kind: listener.Redis, Cluster: "outbound|6379||cache.example.com"}, []string{"cache.example.com"}},
		{listener.Destination{Kind: listener.HTTP, Route: "api.default.svc.cluster.local:9000"}, []string{"api.default.svc.cluster.local"}},
		{listener.Destination{Kind: listener.HTTP, Route: "8080"}, nil},
	} {
		if got := servicesOf(tt.d); !slices.Equal(got, tt.want) {
			t.Errorf("servicesOf(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDescribeRouteChange(t *testing.T) {
	tests := []struct {
		d    compare.Difference
		want string
	}{
		{compare.Difference{Level: compare.LevelRoute, Listener: "9080 vhost reviews.bookinfo.svc.cluster.local:9080", Want: "domains a", Got: "domains a a."},
			"changes     9080 vhost reviews.bookinfo.svc.cluster.local:9080 [route] services: reviews.bookinfo.svc.cluster.local\n    -domains a\n    +domains a a."},
		{compare.Difference{Level: compare.LevelRoute, Listener: "9080", Got: "1 virtual hosts: allow_any"},
			"appears     9080                           [route] services: \n    +1 virtual hosts: allow_any"},
		{compare.Difference{Level: compare.LevelRoute, Listener: "9080 vhost allow_any", Want: "domains *, 1 routes"},
			"disappears  9080 vhost allow_any           [route] services: \n    -domains *, 1 routes"},
	}
	for _, tt := range tests {
		if got := describeChange(tt.d, [2][]listener.Listener{}); got != tt.want {
			t.Errorf("describeChange:\n%q\nwant:\n%q", got, tt.want)
		}
	}
}
