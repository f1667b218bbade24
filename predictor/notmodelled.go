package predictor

import (
	"sort"

	"github.com/listenerlab/listenerlab/meshconfig"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// notModelled is what the prediction for version v does not take from w
// into account, sorted: the set mesh config fields and istiod flags that
// can change outbound listeners or routes and are not modelled, fields
// the version's MeshConfig lacks (meshconfig.Unmodelled), and a version
// newer than every one checked against real pilot.
func notModelled(w *world.World, v versions.Version) []string {
	out := meshconfig.Unmodelled(w.MeshConfig, w.Env, v.Minor)
	if n := versions.Unverified(v); n != "" {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
