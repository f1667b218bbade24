package predictor

import (
	"fmt"
	"hash/fnv"
)

// hashAllocate models autoAllocateIPs
// (pilot/pkg/serviceregistry/serviceentry/auto_allocation.go), the
// allocation pilot itself does when the IP allocation controller is off
// (PILOT_ENABLE_IP_AUTOALLOCATE=false, the default before 1.25): every
// address-less ServiceEntry service with a non-wildcard host and a
// resolution other than NONE gets 240.240.X.Y from an FNV-32a hash of
// "namespace/host", with double hashing on collisions.
func hashAllocate(services []*service) {
	const prime = 65011
	const maxIPs = 256 * 254
	slots := make([]*service, maxIPs)
	for _, s := range services {
		if s.Registry != registryExternal || s.DefaultAddress != wildcardV4 || s.Hostname[0] == '*' || s.Resolution == resPassthrough {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(s.Namespace + "/" + s.Hostname))
		sum := h.Sum32()
		slot := sum % maxIPs
		if slots[slot] != nil {
			second := uint32(prime) - (sum % prime)
			for i := uint32(1); ; i++ {
				slot = (sum + i*second) % (maxIPs - 1)
				if slots[slot] == nil {
					break
				}
			}
		}
		slots[slot] = s
	}
	x := 0
	byKey := map[string][2]int{}
	for _, s := range slots {
		x++
		if s == nil {
			continue
		}
		if x%255 == 0 {
			x++
		}
		key := s.Namespace + "/" + s.Hostname
		pair, ok := byKey[key]
		if !ok {
			pair = [2]int{x / 255, x % 255}
			byKey[key] = pair
		}
		s.AutoV4 = fmt.Sprintf("240.240.%d.%d", pair[0], pair[1])
		if pair[0] == 0 {
			s.AutoV6 = fmt.Sprintf("2001:2::f0f0:%x", pair[1])
		} else {
			s.AutoV6 = fmt.Sprintf("2001:2::f0f0:%x%x", pair[0], pair[1])
		}
	}
}
