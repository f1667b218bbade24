package isolate_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestIsolationKeepsWhatScenariosTest is the isolation rule's proof on the
// whole corpus: for every scenario and every catalogued version, the
// predictor gives the isolated scenario (renamed namespaces, isolation
// Sidecars, the client as a manifest) exactly the listeners and conflicts
// of the original, once namespaces are renamed back.
func TestIsolationKeepsWhatScenariosTest(t *testing.T) {
	scs, errs := scenario.LoadAll([]string{filepath.Join("..", "..", "..", "scenarios")})
	for _, err := range errs {
		t.Fatal(err)
	}
	if len(scs) < 10 {
		t.Fatalf("only %d scenarios found", len(scs))
	}
	for _, sc := range scs {
		iso, err := isolate.Isolate(sc, isolate.Options{Run: "t1", Image: "busybox"})
		if err != nil {
			t.Errorf("%s: %v", sc.Path, err)
			continue
		}
		for _, v := range versions.Catalog {
			if !sc.Header.AppliesTo(v) {
				continue
			}
			_, p0, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatalf("%s: %v", sc.Path, err)
			}
			w1, p1, err := resolve.Predict(iso.Live, v)
			if err != nil {
				t.Fatalf("%s isolated: %v", sc.Path, err)
			}
			tr := livestate.NewTranslator(iso, w1, w1)
			tr.PairAutoAddresses(p0.Listeners, p1.Listeners)
			diffs := append(compare.Listeners(p0.Listeners, tr.Listeners(p1.Listeners)),
				compare.Conflicts(p0.Conflicts, tr.Conflicts(p1.Conflicts))...)
			if len(diffs) > 0 {
				var b strings.Builder
				for _, d := range diffs {
					b.WriteString("\n" + d.String())
				}
				t.Errorf("%s on Istio %s: isolation changes the prediction (-original +isolated):%s", sc.Path, v.Label, b.String())
			}
		}
	}
}
