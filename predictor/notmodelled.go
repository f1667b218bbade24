package predictor

import (
	"sort"

	"github.com/listenerlab/listenerlab/meshconfig"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// notModelled is NotModelled of the World's mesh config and istiod env.
func notModelled(w *world.World, v versions.Version) []string {
	return NotModelled(w.MeshConfig, w.Env, v)
}

// NotModelled is what a prediction for version v does not take from mesh
// (MeshConfig's JSON shape) and env (istiod's environment) into account,
// sorted: the set mesh config fields and istiod flags that can change
// outbound listeners or routes and are not modelled, fields the version's
// MeshConfig lacks (meshconfig.Unmodelled), and a version newer than every
// one checked against real pilot (versions.Unverified).
func NotModelled(mesh map[string]any, env map[string]string, v versions.Version) []string {
	out := meshconfig.Unmodelled(mesh, env, v.Minor)
	if n := versions.Unverified(v); n != "" {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
