package scenariogen_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestScenarioDeterministicAndLoadable: the same seed gives the same file,
// and every generated case loads and resolves for every version (the
// generator makes only what a cluster accepts).
func TestScenarioDeterministicAndLoadable(t *testing.T) {
	kinds := map[string]int{}
	for seed := uint64(0); seed < 500; seed++ {
		c := scenariogen.Scenario(seed)
		y, err := c.YAML(fmt.Sprintf("fuzz-%d", seed))
		if err != nil {
			t.Fatal(err)
		}
		y2, _ := scenariogen.Scenario(seed).YAML(fmt.Sprintf("fuzz-%d", seed))
		if !bytes.Equal(y, y2) {
			t.Fatalf("seed %d: two runs differ", seed)
		}
		if n := len(c.Objects); n < 1 || n > 20 {
			t.Errorf("seed %d: %d objects", seed, n)
		}
		sc, err := scenario.Parse(fmt.Sprintf("seed-%d.yaml", seed), y)
		if err != nil {
			t.Errorf("seed %d: %v\n%s", seed, err, y)
			continue
		}
		for _, v := range versions.Catalog {
			if _, _, err := resolve.Predict(sc, v); err != nil {
				t.Errorf("seed %d on %s: %v\n%s", seed, v.Label, err, y)
			}
		}
		for _, o := range c.Objects {
			kinds[o["kind"].(string)]++
		}
	}
	for _, k := range []string{"Service", "Pod", "Deployment", "StatefulSet", "EndpointSlice", "ServiceEntry", "WorkloadEntry", "Sidecar", "VirtualService", "DestinationRule"} {
		if kinds[k] == 0 {
			t.Errorf("500 cases hold no %s", k)
		}
	}
	t.Logf("kinds over 500 cases: %v", kinds)
}
