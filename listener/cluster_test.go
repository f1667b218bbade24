package listener

import "testing"

// TestServiceCluster checks that cluster names build and parse back, and
// that names of other clusters or malformed ones are refused.
func TestServiceCluster(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster string
		want    ServiceCluster
		ok      bool
	}{
		{"whole service", "outbound|3306||db.example.com", ServiceCluster{Port: 3306, Host: "db.example.com"}, true},
		{"subset", "outbound|80|v1|web.default.svc.cluster.local", ServiceCluster{Port: 80, Subset: "v1", Host: "web.default.svc.cluster.local"}, true},
		{"wildcard host", "outbound|443||*.example.com", ServiceCluster{Port: 443, Host: "*.example.com"}, true},
		{"port 0 (unix socket egress)", "outbound|0||uds.example.com", ServiceCluster{Port: 0, Host: "uds.example.com"}, true},
		{"no host", "outbound|80||", ServiceCluster{}, false},
		{"too few parts", "outbound|80|web", ServiceCluster{}, false},
		{"too many parts", "outbound|80||web|x", ServiceCluster{}, false},
		{"port not a number", "outbound|http||web", ServiceCluster{}, false},
		{"signed port", "outbound|+80||web", ServiceCluster{}, false},
		{"no port", "outbound|||web", ServiceCluster{}, false},
		{"inbound", "inbound|80||web", ServiceCluster{}, false},
		{"passthrough", PassthroughCluster, ServiceCluster{}, false},
		{"weighted names", "outbound|1||a,outbound|1||b", ServiceCluster{}, false},
		{"empty", "", ServiceCluster{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseServiceCluster(tc.cluster)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("ParseServiceCluster(%q) = %+v, %v; want %+v, %v", tc.cluster, got, ok, tc.want, tc.ok)
			}
			if ok && got.Name() != tc.cluster {
				t.Errorf("Name() = %q, want %q", got.Name(), tc.cluster)
			}
		})
	}
}
