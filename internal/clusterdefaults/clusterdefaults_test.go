package clusterdefaults

import (
	"net/netip"
	"testing"
)

// kind's documented defaults: the kubernetes Service takes the first
// address of the service range, kubeadm puts CoreDNS's kube-dns on the
// tenth; the resolver puts istiod on the eleventh.
func TestBuiltinServiceAddresses(t *testing.T) {
	want := map[string][2]string{
		"default/kubernetes":   {"10.96.0.1", "fd00:10:96::1"},
		"kube-system/kube-dns": {"10.96.0.10", "fd00:10:96::a"},
		"istio-system/istiod":  {"10.96.0.11", "fd00:10:96::b"},
	}
	if len(BuiltinServices) != len(want) {
		t.Fatalf("%d built-in Services, want %d", len(BuiltinServices), len(want))
	}
	for _, b := range BuiltinServices {
		key := b.Namespace + "/" + b.Name
		w, ok := want[key]
		switch {
		case !ok:
			t.Errorf("unexpected built-in %s", key)
		case b.ClusterIPv4().String() != w[0] || b.ClusterIPv6().String() != w[1]:
			t.Errorf("%s: ClusterIPs %s %s, want %s %s", key, b.ClusterIPv4(), b.ClusterIPv6(), w[0], w[1])
		case !ServiceCIDRv4.Contains(b.ClusterIPv4()) || !ServiceCIDRv6.Contains(b.ClusterIPv6()):
			t.Errorf("%s: outside the service ranges", key)
		}
		if len(b.Ports) == 0 {
			t.Errorf("%s has no ports", key)
		}
	}
}

func TestRanges(t *testing.T) {
	for _, tc := range []struct {
		name         string
		outer, inner netip.Prefix
	}{
		{"node pod range in the pod range", PodCIDRv4, NodePodCIDRv4},
	} {
		if !tc.outer.Contains(tc.inner.Addr()) || tc.inner.Bits() < tc.outer.Bits() {
			t.Errorf("%s: %s is not inside %s", tc.name, tc.inner, tc.outer)
		}
	}
	for _, p := range []netip.Prefix{ServiceCIDRv4, ServiceCIDRv6, PodCIDRv4, PodCIDRv6, AutoAllocateV4, AutoAllocateV6} {
		for _, q := range []netip.Prefix{ServiceCIDRv4, ServiceCIDRv6, PodCIDRv4, PodCIDRv6, AutoAllocateV4, AutoAllocateV6} {
			if p != q && p.Overlaps(q) {
				t.Errorf("%s overlaps %s", p, q)
			}
		}
	}
}
