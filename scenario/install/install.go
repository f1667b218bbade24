package install

import (
	"fmt"
	"github.com/listenerlab/listenerlab/meshconfig"
	"maps"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// DefaultRevision names the control plane installed without a revision.
const DefaultRevision = "default"

// ControlPlane is one istiod revision: its Istio version, mesh config and
// environment, as a client served by it sees them.
type ControlPlane struct {
	// Revision is "default" for the install without a revision.
	Revision string
	// Version is the Istio version whose rules apply (set by Choose).
	Version versions.Version
	// MeshConfig is the mesh config istiod reads (MeshConfig's JSON
	// shape); nil: Istio's defaults.
	MeshConfig map[string]any
	// Env is istiod's environment as the install sets it.
	Env map[string]string
	// MeshFrom and EnvFrom name where they came from (FILE#DOC (Kind
	// ns/name) or a flag); empty: nothing in the input.
	MeshFrom, EnvFrom string
}

// Install is what the input says about the control planes.
type Install struct {
	// Planes are the revisions the input installs or a namespace or pod
	// names, by revision.
	Planes map[string]*ControlPlane
	// Tags map a revision tag to its revision.
	Tags map[string]string
	// Notes say what was ambiguous, and what of the install objects was
	// not read although it can change outbound listeners.
	Notes []string
	// Errors are install objects that do not parse, each naming file,
	// document and field.
	Errors []error
}

// ValuesFile is istiod Helm values named on the command line (--values).
type ValuesFile struct {
	Path string
	Data []byte
}

// Input is what Read reads.
type Input struct {
	// Objects are the input's install objects in input order.
	Objects []scenario.InstallObject
	// Manifests are the input's loaded objects (istiod Deployments);
	// Locate names one as FILE#DOC (nil: by kind and name only).
	Manifests []scenario.Manifest
	Locate    func(*scenario.Manifest) string
	// Values are --values files, in order; the later wins.
	Values []ValuesFile
	// MeshConfig replaces every revision's mesh config (--mesh-config);
	// MeshConfigFrom names it.
	MeshConfig     map[string]any
	MeshConfigFrom string
}

// ParseMeshConfig parses a mesh config named on the command line
// (--mesh-config) strictly: an unknown field is an error.
func ParseMeshConfig(data []byte) (map[string]any, error) {
	return scenario.ParseMeshConfig(data)
}

// parseMeshMap parses a mesh config given as a map (Helm values'
// meshConfig, which the chart writes into the istio ConfigMap as it is)
// as istiod reads it (meshconfig.AsIstiod): the config returned is what
// istiod uses, even beside an error.
func parseMeshMap(m map[string]any) (map[string]any, error) {
	data, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	return meshconfig.AsIstiod(data)
}

// layer is what one source says about one revision.
type layer struct {
	revision string
	from     string
	// mesh and env, when the source sets them (nil: it says nothing).
	mesh map[string]any
	env  map[string]string
	// chart marks a chart install (IstioOperator, Helm values): its mesh
	// and env are rendered, not read.
	chart bool
	// tags are the revision tags the chart install makes (revisionTags).
	tags []string
}

// reader collects layers and problems.
type reader struct {
	objects map[string]scenario.InstallObject
	notes   []string
	errs    []error
	// configMaps, deployments, charts are the layers by source kind.
	configMaps, deployments, charts []layer
	tags                            map[string]string
	tagFrom                         map[string]string
}

func (r *reader) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// fail records an error about object o at field.
func (r *reader) fail(o scenario.InstallObject, field string, err error) {
	r.errs = append(r.errs, &scenario.Error{File: o.File, Index: o.Index, Item: o.Item, Kind: o.Kind, Name: o.Name, Field: field, Err: err})
}

// where names an object as findings name manifests.
func where(o scenario.InstallObject) string {
	return fmt.Sprintf("%s#%d (%s %s/%s)", o.File, o.Index, o.Kind, o.Namespace, o.Name)
}

// Read reads the install from in.
func Read(in Input) *Install {
	r := &reader{objects: map[string]scenario.InstallObject{}, tags: map[string]string{}, tagFrom: map[string]string{}}
	var order []string
	for _, o := range in.Objects {
		// kubectl apply -f: a later definition replaces the earlier.
		key := o.APIVersion + "|" + o.Kind + "|" + o.Namespace + "|" + o.Name
		if _, seen := r.objects[key]; !seen {
			order = append(order, key)
		}
		r.objects[key] = o
	}
	for _, key := range order {
		r.object(r.objects[key])
	}
	for i := range in.Manifests {
		r.deployment(&in.Manifests[i], in.Locate)
	}
	for _, v := range in.Values {
		r.valuesFile(v)
	}
	inst := r.planes(in)
	inst.Notes = append(inst.Notes, r.notes...)
	sort.Strings(inst.Notes)
	inst.Notes = slices.Compact(inst.Notes)
	inst.Errors = r.errs
	return inst
}

// object reads one install object.
func (r *reader) object(o scenario.InstallObject) {
	group, _, _ := strings.Cut(o.APIVersion, "/")
	switch {
	case o.Kind == "IstioOperator":
		r.istioOperator(o)
	case group == "helm.toolkit.fluxcd.io":
		r.helmRelease(o)
	case group == "argoproj.io":
		r.application(o)
	case o.Kind == "ConfigMap" && o.Namespace == scenario.MeshNamespace:
		r.meshConfigMap(o)
	case o.Kind == "MutatingWebhookConfiguration":
		r.tagWebhook(o)
	}
}

// planes makes the control planes from the layers, in precedence order.
func (r *reader) planes(in Input) *Install {
	inst := &Install{Planes: map[string]*ControlPlane{}, Tags: r.tags}
	plane := func(rev string) *ControlPlane {
		if p, ok := inst.Planes[rev]; ok {
			return p
		}
		p := &ControlPlane{Revision: rev}
		inst.Planes[rev] = p
		return p
	}
	chartFrom := map[string]string{}
	for _, l := range r.charts {
		p := plane(l.revision)
		if prev := chartFrom[l.revision]; prev != "" && !strings.HasPrefix(l.from, "--values") {
			r.note("revision %s is installed twice, by %s and %s: taking the later; in a cluster the two controllers overwrite each other's istiod objects", l.revision, prev, l.from)
		}
		chartFrom[l.revision] = l.from
		p.MeshConfig, p.MeshFrom = l.mesh, l.from
		p.Env, p.EnvFrom = l.env, l.from
		for _, t := range l.tags {
			r.addTag(t, l.revision, l.from)
		}
	}
	for _, l := range r.configMaps {
		p := plane(l.revision)
		if p.MeshFrom != "" && p.MeshFrom != l.from {
			r.note("revision %s: mesh config from %s, the ConfigMap istiod reads, over the one %s renders; the chart's controller rewrites the ConfigMap on its next reconcile", l.revision, l.from, p.MeshFrom)
		}
		p.MeshConfig, p.MeshFrom = l.mesh, l.from
	}
	for _, l := range r.deployments {
		p := plane(l.revision)
		if p.EnvFrom != "" && !maps.Equal(p.Env, l.env) {
			r.note("revision %s: istiod env from %s, the Deployment that runs, over the env %s renders; the chart's controller rewrites the Deployment on its next reconcile", l.revision, l.from, p.EnvFrom)
		}
		p.Env, p.EnvFrom = l.env, l.from
	}
	for rev, to := range r.tags {
		if _, ok := inst.Planes[to]; !ok && rev != "" {
			plane(to)
		}
	}
	if in.MeshConfig != nil {
		plane(DefaultRevision)
		for _, p := range inst.Planes {
			p.MeshConfig, p.MeshFrom = in.MeshConfig, in.MeshConfigFrom
		}
	}
	for _, p := range inst.Planes {
		if v := p.Env["SHARED_MESH_CONFIG"]; v != "" {
			r.note("not modelled: revision %s: istiod env SHARED_MESH_CONFIG=%s (a ConfigMap's mesh config laid under the revision's) is not read", p.Revision, v)
		}
	}
	return inst
}

// addTag records tag -> revision; a tag pointing at two revisions is a
// note, the later taken.
func (r *reader) addTag(tag, rev, from string) {
	if prev, ok := r.tags[tag]; ok && prev != rev {
		r.note("revision tag %s points at revision %s (%s) and %s (%s): taking %s", tag, prev, r.tagFrom[tag], rev, from, rev)
	}
	r.tags[tag], r.tagFrom[tag] = rev, from
}
