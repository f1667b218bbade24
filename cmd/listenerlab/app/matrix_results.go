package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// loadResults reads compare.Result lists (results.json of the kind suite,
// one file per Istio version) and the catalogued versions they name, in
// catalog order.
func loadResults(globs string) ([]compare.Result, []versions.Version, error) {
	var results []compare.Result
	seen := map[string]bool{}
	for _, g := range strings.Split(globs, ",") {
		files, err := filepath.Glob(strings.TrimSpace(g))
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("%s matches no file", g)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, err
			}
			var rs []compare.Result
			if err := json.Unmarshal(b, &rs); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f, err)
			}
			for _, r := range rs {
				seen[r.Version] = true
			}
			results = append(results, rs...)
		}
	}
	var vs []versions.Version
	for _, v := range versions.Catalog {
		if seen[v.Label] {
			vs = append(vs, v)
		}
	}
	return results, vs, nil
}
