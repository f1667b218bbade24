package route

import (
	"strings"
	"testing"
)

// TestSortIsStable checks that Sort orders by name and keeps the order of
// configurations of the same name, already sorted or not.
func TestSortIsStable(t *testing.T) {
	for _, in := range [][]string{{"b", "a#1", "c", "a#2"}, {"a#1", "a#2", "b"}, {"c", "b", "a#1", "a#2"}, {}} {
		cs := make([]Config, len(in))
		for i, n := range in {
			name, tag, _ := strings.Cut(n, "#")
			cs[i] = Config{Name: name, VirtualHosts: []VirtualHost{{Name: tag}}}
		}
		Sort(cs)
		var got []string
		for _, c := range cs {
			got = append(got, c.Name+"#"+c.VirtualHosts[0].Name)
		}
		for i := 1; i < len(got); i++ {
			if got[i-1] > got[i] {
				t.Errorf("Sort(%v) = %v, not by name with equal names in their order", in, got)
				break
			}
		}
	}
}
