package controlplane

import (
	"strings"
	"testing"
)

// TestFamilyRanges checks the flags each family gives the API server and
// the controller manager: kind's ranges, the primary family first, and an
// advertise address of the primary family (kube-apiserver refuses another).
func TestFamilyRanges(t *testing.T) {
	for _, tc := range []struct {
		in                        string
		services, pods, advertise string
	}{
		{"", "10.96.0.0/16", "10.244.0.0/16", "127.0.0.1"},
		{"IPv4", "10.96.0.0/16", "10.244.0.0/16", "127.0.0.1"},
		{"IPv6", "fd00:10:96::/112", "fd00:10:244::/56", "::1"},
		{"DualStack", "10.96.0.0/16,fd00:10:96::/112", "10.244.0.0/16,fd00:10:244::/56", "127.0.0.1"},
	} {
		f, err := ParseIPFamily(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		r := f.Ranges()
		if got := flag(r.Services); got != tc.services {
			t.Errorf("%q: services %s, want %s", tc.in, got, tc.services)
		}
		if got := flag(r.Pods); got != tc.pods {
			t.Errorf("%q: pods %s, want %s", tc.in, got, tc.pods)
		}
		if got := f.advertiseAddress(); got != tc.advertise {
			t.Errorf("%q: advertise address %s, want %s", tc.in, got, tc.advertise)
		}
	}
	if _, err := ParseIPFamily("ipv6"); err == nil || !strings.Contains(err.Error(), `"ipv6"`) {
		t.Errorf("ParseIPFamily(ipv6) = %v, want an error naming it", err)
	}
}
