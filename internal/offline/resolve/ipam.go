package resolve

import (
	"fmt"
	"net/netip"
)

// pool hands out addresses of a prefix in order, starting at an offset and
// skipping addresses already taken.
type pool struct {
	prefix netip.Prefix
	// what names the range in errors, e.g. "the pod range".
	what  string
	next  netip.Addr
	taken map[netip.Addr]bool
}

func newPool(prefix netip.Prefix, offset int, what string) *pool {
	a := prefix.Addr()
	for i := 0; i < offset; i++ {
		a = a.Next()
	}
	return &pool{prefix: prefix, what: what, next: a, taken: map[netip.Addr]bool{}}
}

// take reserves an address the manifests chose themselves.
func (p *pool) take(a netip.Addr) { p.taken[a] = true }

// allocate returns the next free address.
func (p *pool) allocate() (netip.Addr, error) {
	for p.prefix.Contains(p.next) {
		a := p.next
		p.next = p.next.Next()
		// Skip addresses ending in .0 or .255 (IPv4) so they read well.
		if a.Is4() && (a.As4()[3] == 0 || a.As4()[3] == 255) {
			continue
		}
		if !p.taken[a] {
			p.taken[a] = true
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("address range %s exhausted (%s)", p.prefix, p.what)
}
