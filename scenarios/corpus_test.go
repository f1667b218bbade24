// Package scenarios_test checks the scenario corpus: every scenario loads,
// meets its expectations under the predictor, and matches its golden
// prediction (rewrite with `go test ./scenarios -update`).
package scenarios_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

func TestCorpus(t *testing.T) {
	files, err := scenario.Expand([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Errorf("the corpus has %d scenarios, want at least 25", len(files))
	}
	v := versions.Newest()
	names := map[string]string{}
	for _, f := range files {
		t.Run(strings.TrimSuffix(f, ".yaml"), func(t *testing.T) {
			sc, err := scenario.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := names[sc.Header.Name]; dup {
				t.Errorf("scenario name %q is used by %s too", sc.Header.Name, other)
			}
			names[sc.Header.Name] = f
			_, p, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range compare.Expectations(sc.Header.Expect, v, p.Listeners, p.Conflicts) {
				t.Errorf("expectation not met (-expected +predicted):\n%s", d)
			}
			var buf bytes.Buffer
			if err := report.Table(&buf, p.Listeners); err != nil {
				t.Fatal(err)
			}
			buf.WriteString("\n")
			report.Explain(&buf, sc.Header.Name, p)
			golden.Assert(t, buf.String(), filepath.Join("predictions", strings.TrimSuffix(f, ".yaml")+".golden"))
		})
	}
}
