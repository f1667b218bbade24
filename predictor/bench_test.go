package predictor_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/testkit/worldgen"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

func BenchmarkPredict(b *testing.B) {
	for _, c := range []struct {
		name                      string
		services, endpoints, ents int
		opts                      []predictor.Option
	}{
		{"services=1k", 1000, 0, 0, nil},
		{"services=10k", 10000, 0, 0, nil},
		// The same without route configurations: what routes cost.
		{"services=10k/without-routes", 10000, 0, 0, []predictor.Option{predictor.WithoutRoutes()}},
		{"headless-endpoints=5k", 10, 5000, 0, nil},
		{"serviceentries=2k", 10, 0, 2000, nil},
	} {
		w := worldgen.Generate(c.services, c.endpoints, c.ents)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := predictor.Predict(w, versions.Newest(), c.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPredictorIsPure checks the package boundary: no Kubernetes client,
// no Istio module, no testing in the predictor's own dependencies.
func TestPredictorIsPure(t *testing.T) {
	// go test puts its own go first on PATH: this runs wherever the test
	// does, so a failure is an error, never a skip.
	out, err := exec.Command("go", "list", "-deps", "github.com/listenerlab/listenerlab/predictor").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps of the predictor: %v\n%s", err, stderr)
	}
	if !strings.Contains(string(out), "github.com/listenerlab/listenerlab/predictor\n") {
		t.Fatalf("go list -deps does not list the predictor itself:\n%s", out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"k8s.io/client-go", "istio.io/istio", "sigs.k8s.io/controller-runtime"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("predictor depends on %s", dep)
			}
		}
		if dep == "testing" || dep == "os/exec" {
			t.Errorf("predictor depends on %s", dep)
		}
	}
}
