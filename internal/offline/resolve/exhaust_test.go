package resolve

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestAddressExhaustion checks that running out of any simulated address
// range is an error naming the object and the range, not a panic. Each case
// shrinks its range so that a scenario of a few hundred objects exhausts it
// (the real ranges hold 65,000 and more: a test that fills them takes
// seconds and says nothing more).
func TestAddressExhaustion(t *testing.T) {
	header := func(family string) string {
		return "kind: Scenario\nname: exhaust\nclient: {ipFamily: " + family + "}\n"
	}
	statefulSet := func(replicas int) string {
		return fmt.Sprintf(`---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka}
spec:
  replicas: %d
  serviceName: kafka
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec: {containers: [{name: kafka, image: kafka}]}
`, replicas)
	}
	services := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%d}\nspec: {ports: [{name: tcp, port: 80}]}\n", i)
		}
		return b.String()
	}
	serviceEntry := func(hosts int) string {
		var b strings.Builder
		b.WriteString("---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: many}\nspec:\n  resolution: DNS\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  hosts:\n")
		for i := 0; i < hosts; i++ {
			fmt.Fprintf(&b, "  - h%d.example.com\n", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name   string
		shrink *netip.Prefix
		to     string
		doc    string
		want   []string
	}{
		{name: "pods beyond the IPv4 pod range", shrink: &clusterdefaults.PodCIDRv4, to: "10.244.0.0/24", doc: header("IPv4") + statefulSet(300),
			want: []string{"document 2 (StatefulSet kafka)", "spec.replicas", "pod kafka-245 (246 of 300)", "address range 10.244.0.0/24 exhausted (the IPv4 pod range)"}},
		{name: "pods beyond the IPv6 pod range", shrink: &clusterdefaults.PodCIDRv6, to: "fd00:10:244::/120", doc: header("IPv6") + statefulSet(300),
			want: []string{"document 2 (StatefulSet kafka)", "spec.replicas", "pod kafka-246 (247 of 300)", "fd00:10:244::/120 exhausted (the IPv6 pod range)"}},
		{name: "Services beyond the IPv4 service range", shrink: &clusterdefaults.ServiceCIDRv4, to: "10.96.0.0/23", doc: header("IPv4") + services(300),
			want: []string{"document 256 (Service svc-254)", "spec.clusterIP", "10.96.0.0/23 exhausted (the IPv4 service range)"}},
		{name: "Services beyond the IPv6 service range", shrink: &clusterdefaults.ServiceCIDRv6, to: "fd00:10:96::/119", doc: header("IPv6") + services(300),
			want: []string{"document 257 (Service svc-255)", "spec.clusterIP", "fd00:10:96::/119 exhausted (the IPv6 service range)"}},
		{name: "ServiceEntry auto-allocation beyond 240.240.0.0/16", shrink: &clusterdefaults.AutoAllocateV4, to: "240.240.0.0/24", doc: header("IPv4") + serviceEntry(300),
			want: []string{"document 2 (ServiceEntry many)", "spec.hosts", "240.240.0.0/24 exhausted (Istio's IPv4 ServiceEntry auto-allocation range)"}},
		{name: "ServiceEntry auto-allocation beyond the IPv6 range", shrink: &clusterdefaults.AutoAllocateV6, to: "2001:2::/120", doc: header("IPv4") + serviceEntry(300),
			want: []string{"document 2 (ServiceEntry many)", "spec.hosts", "2001:2::/120 exhausted (Istio's IPv6 ServiceEntry auto-allocation range)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.shrink != nil {
				old := *tc.shrink
				*tc.shrink = netip.MustParsePrefix(tc.to)
				defer func() { *tc.shrink = old }()
			}
			sc, err := scenario.Parse("exhaust.yaml", []byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Simulate(sc, versions.Version{Label: "1.31-dev", Minor: 31})
			if err == nil {
				t.Fatal("Simulate succeeded; want an exhaustion error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// FuzzSimulate feeds arbitrary scenario files through the loader and the
// resolver: whatever loads must resolve to a World or an error, never
// panic. Seeds are the corpus scenarios.
func FuzzSimulate(f *testing.F) {
	files, _ := filepath.Glob("../../../scenarios/*/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		// Thousands of replicas only make an input slow: exhaustion has its
		// own test above.
		for _, m := range sc.Manifests {
			switch o := m.Object.(type) {
			case *appsv1.Deployment:
				if replicas(o.Spec.Replicas) > 512 {
					return
				}
			case *appsv1.StatefulSet:
				if replicas(o.Spec.Replicas) > 512 {
					return
				}
			}
		}
		for _, v := range []versions.Version{{Label: "1.24", Minor: 24}, {Label: "1.31-dev", Minor: 31}} {
			w, err := Simulate(sc, v)
			if err == nil && w == nil {
				t.Fatalf("Istio %s: nil World without error", v.Label)
			}
		}
	})
}
