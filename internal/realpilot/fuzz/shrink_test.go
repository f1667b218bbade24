package fuzz

import (
	"fmt"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
)

// hasPort3306 holds when some Service of the case has a port 3306.
func hasPort3306(c *scenariogen.Case) bool {
	for _, o := range c.Objects {
		if o["kind"] != "Service" {
			continue
		}
		spec, _ := o["spec"].(map[string]any)
		ports, _ := spec["ports"].([]any)
		for _, p := range ports {
			if m, ok := p.(map[string]any); ok && m["port"] == 3306 {
				return true
			}
		}
	}
	return false
}

func TestShrinkKeepsOnlyWhatTheDivergenceNeeds(t *testing.T) {
	tests := []struct {
		name  string
		still func(*scenariogen.Case) bool
		check func(t *testing.T, c *scenariogen.Case)
	}{
		{"one port of one service", hasPort3306, func(t *testing.T, c *scenariogen.Case) {
			if len(c.Objects) != 1 || len(c.Header) != 0 {
				t.Fatalf("kept %d objects and header %v, want one Service and no header", len(c.Objects), c.Header)
			}
			o := c.Objects[0]
			want := fmt.Sprint(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": o["metadata"].(map[string]any)["name"]},
				"spec": map[string]any{"ports": []any{map[string]any{"port": 3306}}}})
			if got := fmt.Sprint(o); got != want {
				t.Errorf("shrunk to %s, want %s", got, want)
			}
		}},
		{"nothing holds", func(*scenariogen.Case) bool { return false }, func(t *testing.T, c *scenariogen.Case) {
			if len(c.Objects) == 0 {
				t.Error("a case whose divergence never holds again lost its objects")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seed uint64
			for !hasPort3306(scenariogen.Scenario(seed)) || len(scenariogen.Scenario(seed).Objects) < 4 {
				seed++
			}
			orig := scenariogen.Scenario(seed)
			before, _ := orig.YAML("x")
			got := Shrink(orig, tt.still, 10000)
			after, _ := orig.YAML("x")
			if string(before) != string(after) {
				t.Error("Shrink changed its input")
			}
			tt.check(t, got)
		})
	}
}

func TestShrinkStopsAtItsBudget(t *testing.T) {
	// A case of at least 8 objects, each drop kept: more checks than 7.
	seed := uint64(0)
	for len(scenariogen.Scenario(seed).Objects) < 8 {
		seed++
	}
	calls := 0
	Shrink(scenariogen.Scenario(seed), func(*scenariogen.Case) bool { calls++; return true }, 7)
	if calls != 7 {
		t.Errorf("%d checks, want the budget of 7", calls)
	}
}
