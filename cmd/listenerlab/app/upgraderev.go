package app

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// revisionMove is one namespace's client before and after its namespace
// moves from one control plane revision to another: the same manifests,
// each side with its revision's mesh config and istiod env.
type revisionMove struct {
	sides [2]*scenario.Scenario
}

// revisionMoves pairs, for every plain-manifest client scenario (one per
// namespace, see perNamespace) whose namespace revision from serves, the
// scenario under from's control plane and under to's. Scenario files and
// namespaces another revision serves are left out; skipped says which.
// The install and the Namespaces are read across all plain files, as
// analyze reads them.
func revisionMoves(scs []*scenario.Scenario, from, to string) (moves []revisionMove, skipped []string) {
	var objects []scenario.InstallObject
	var manifests []scenario.Manifest
	namespaces := map[string]*corev1.Namespace{}
	seen := map[string]bool{}
	for _, sc := range scs {
		if !sc.Headerless || seen[sc.Path] {
			continue
		}
		seen[sc.Path] = true // perNamespace repeats a file per namespace
		objects = append(objects, sc.Install...)
		manifests = append(manifests, sc.Manifests...)
		for _, m := range sc.Manifests {
			if o, ok := m.Object.(*corev1.Namespace); ok {
				namespaces[o.Name] = o
			}
		}
	}
	in := install.Read(install.Input{Objects: objects, Manifests: manifests})
	for _, sc := range scs {
		if !sc.Headerless {
			skipped = append(skipped, sc.Header.Name+": a scenario file names its own mesh")
			continue
		}
		if len(sc.Manifests) == 0 {
			continue // a file of install objects only: no client of its own
		}
		ns := sc.Header.ClientNamespace()
		if rev, _ := in.Serving(namespaces[ns], nil); rev != from {
			skipped = append(skipped, fmt.Sprintf("%s: namespace %s is served by revision %s", sc.Header.Name, ns, rev))
			continue
		}
		var mv revisionMove
		for i, rev := range []string{from, to} {
			p := in.Plane(rev)
			c := *sc
			c.Header.MeshConfig, c.Header.Istiod.Env = p.MeshConfig, p.Env
			mv.sides[i] = &c
		}
		moves = append(moves, mv)
	}
	return moves, skipped
}
