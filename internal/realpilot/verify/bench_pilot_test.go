//go:build pilot

package verify

import (
	"context"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/internal/testkit/worldgen"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// BenchmarkPredictorVsPilot runs the predictor and the real pilot backend
// of the newest version on the same generated Worlds; the ratio of their
// ns/op is the predictor's speedup. Run with
// `go test -tags pilot -run '^$' -bench PredictorVsPilot -benchtime 3x ./internal/realpilot/verify`.
func BenchmarkPredictorVsPilot(b *testing.B) {
	v := versions.Newest()
	bin, err := backend.Build(context.Background(), v, backend.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 10000} {
		w := worldgen.Generate(n, 0, 0)
		name := map[int]string{1000: "services=1k", 10000: "services=10k"}[n]
		b.Run("predictor/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := predictor.Predict(w, v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("pilot/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				if _, err := backend.Run(ctx, bin, w, nil); err != nil {
					cancel()
					b.Fatal(err)
				}
				cancel()
			}
		})
	}
}
