package analyze

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// ControlPlaneUse is one control plane revision and the clients it
// serves.
type ControlPlaneUse struct {
	Revision string `json:"revision"`
	Version  string `json:"version"`
	// MeshConfigFrom and EnvFrom name the sources ("" for Istio's
	// defaults); Env lists the istiod env names the install sets.
	MeshConfigFrom string   `json:"meshConfigFrom,omitempty"`
	EnvFrom        string   `json:"envFrom,omitempty"`
	Env            []string `json:"env,omitempty"`
	Clients        []string `json:"clients"`
}

// readInstall reads the plain folder's install (its install objects,
// istiod Deployments, --values and --mesh-config) and gives each client
// the control plane of the revision that injects it, with the revision's
// Istio version. It returns the install objects the input refuses, and an
// error for an --istio REV=VERSION naming a revision nothing uses.
func (f *folder) readInstall(objects []scenario.InstallObject, o options) ([]error, error) {
	in := install.Read(install.Input{
		Objects: objects, Manifests: f.sc.Manifests, Values: o.values,
		MeshConfig: o.meshConfig, MeshConfigFrom: o.meshFrom,
		Locate: func(m *scenario.Manifest) string {
			return f.objects[(Object{Kind: m.Kind, Namespace: m.Namespace, Name: m.Name}).ref()].Location()
		},
	})
	namespaces := map[string]*corev1.Namespace{}
	for _, m := range f.sc.Manifests {
		if ns, ok := m.Object.(*corev1.Namespace); ok {
			namespaces[ns.Name] = ns
		}
	}
	var used []string
	for i := range f.clients {
		c := &f.clients[i]
		podLabels := c.Labels
		if c.workload != nil {
			if t, ok := scenario.PodTemplate(c.workload.Object); ok {
				podLabels = t.Labels
			}
		}
		rev, why := in.Serving(namespaces[c.Namespace], podLabels)
		c.plane, c.revisionWhy = in.Plane(rev), why
		used = append(used, rev)
	}
	if err := in.Choose(o.version, o.byRevision, used); err != nil {
		return nil, err
	}
	f.install = in
	return in.Errors, nil
}

// versionOf is the Istio version whose rules apply to client c.
func versionOf(c Client, o options) versions.Version {
	if c.plane != nil {
		return c.plane.Version
	}
	return o.version
}

// controlPlanes lists the revisions f's clients use, when the install
// says more than the istio ConfigMap does (or --istio names revisions).
func controlPlanes(f *folder, o options) []ControlPlaneUse {
	by := map[string]*ControlPlaneUse{}
	for _, c := range f.clients {
		p := c.plane
		if p == nil {
			continue
		}
		u, ok := by[p.Revision]
		if !ok {
			u = &ControlPlaneUse{Revision: p.Revision, Version: p.Version.Label, MeshConfigFrom: p.MeshFrom, EnvFrom: p.EnvFrom, Clients: []string{}}
			for k := range p.Env {
				u.Env = append(u.Env, k)
			}
			sort.Strings(u.Env)
			by[p.Revision] = u
		}
		u.Clients = append(u.Clients, c.Name)
	}
	plain := len(o.byRevision) == 0 && len(o.values) == 0 && len(f.install.Tags) == 0
	for rev, u := range by {
		if rev != install.DefaultRevision || u.EnvFrom != "" || u.MeshConfigFrom != "" && !isMeshFlagOrConfigMap(u.MeshConfigFrom, o) {
			plain = false
		}
	}
	if plain {
		return nil
	}
	out := make([]ControlPlaneUse, 0, len(by))
	for _, u := range by {
		sort.Strings(u.Clients)
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out
}

// isMeshFlagOrConfigMap reports whether a mesh config source is
// --mesh-config or the istio ConfigMap, which analyze has always read.
func isMeshFlagOrConfigMap(from string, o options) bool {
	return from == o.meshFrom || strings.HasSuffix(from, fmt.Sprintf("(ConfigMap %s/%s)", scenario.MeshNamespace, scenario.MeshConfigMap))
}

// Text says the control plane in one line: revision, version, sources
// and clients.
func (u ControlPlaneUse) Text() string {
	mesh, env := u.MeshConfigFrom, u.EnvFrom
	if mesh == "" {
		mesh = "Istio's defaults"
	}
	if env == "" {
		env = "none set"
	}
	if len(u.Env) > 0 {
		env += " (" + strings.Join(u.Env, ", ") + ")"
	}
	clients := strings.Join(u.Clients, ", ")
	if len(u.Clients) > 3 {
		clients = fmt.Sprintf("%s and %d more", strings.Join(u.Clients[:3], ", "), len(u.Clients)-3)
	}
	return fmt.Sprintf("control plane %s: Istio %s, mesh config from %s, istiod env from %s; %d sidecars: %s", u.Revision, u.Version, mesh, env, len(u.Clients), clients)
}
