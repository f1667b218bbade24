package isolate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/fixtures"
	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/scenario"
)

// Labels and names the isolation adds. Every namespace it creates carries
// LabelRun, so a later run can find and delete what an interrupted one left.
const (
	LabelRun      = "listenerlab.io/run"
	LabelScenario = "listenerlab.io/scenario"
	LabelRole     = "listenerlab.io/role"
	// LabelClient marks the pod template of the workload client.pod names
	// when a cluster names its pods otherwise than the resolver
	// (scenario.StableNames): the live client is then its first pod.
	LabelClient = "listenerlab.io/client"
	// AnnotationScenario holds the full scenario name (label values are
	// limited to 63 characters).
	AnnotationScenario = "listenerlab.io/scenario"
	// IsolationSidecar is the name of the namespace-wide Sidecar added to
	// each scenario namespace that has none of its own.
	IsolationSidecar = "listenerlab-isolation"
	// SyncMarker is the EnvoyFilter whose spec the suite changes to make
	// istiod push to the client (see SyncMarker in this package).
	SyncMarker = "listenerlab-sync"
)

// BuiltinNamespaces are the namespaces every cluster has and the simulated
// World models: they are shared by all scenarios and never renamed.
var BuiltinNamespaces = clusterdefaults.Namespaces

// Options tune the isolation.
type Options struct {
	// Run distinguishes runs that share a kept cluster; it is part of every
	// namespace prefix. Lower-case letters and digits.
	Run string
	// Image replaces the image of every container of the scenario's
	// workloads (see README: a workload's image never changes a listener);
	// empty keeps the scenario's images.
	Image string
}

// Isolated is a scenario rewritten for a shared cluster.
type Isolated struct {
	// Original is the scenario as written.
	Original *scenario.Scenario
	// Live is the rewritten scenario, parsed back by the scenario loader: its
	// manifests are what the suite applies (support objects aside), so the
	// simulated resolver and the predictor can run on exactly that.
	Live *scenario.Scenario
	// Prefix is prepended to every namespace of the scenario.
	Prefix string
	// Namespaces maps each original namespace to its live name.
	Namespaces map[string]string
	// Manifests are every object to apply, namespaces first, then the
	// scenario's documents in file order, then what isolation adds.
	Manifests []Manifest
	// Exclusive, when not empty, says why the scenario cannot share the
	// cluster with others: it runs alone.
	Exclusive string
	// Warnings are what a cluster cannot reproduce of the scenario.
	Warnings []string
}

// Manifest is one object to apply.
type Manifest struct {
	Kind, Namespace, Name string
	// Origin says where the object comes from: "document N" of the scenario
	// file, or what isolation added and why.
	Origin string
	// Support marks objects that are not part of the scenario's World (the
	// sync marker): the read-back ignores them.
	Support bool
	// YAML is the object as applied.
	YAML []byte
}

// Ref is Kind/namespace/name, as creationOrder names objects.
func (m Manifest) Ref() string { return m.Kind + "/" + m.Namespace + "/" + m.Name }

// UnsupportedError is a scenario that cannot be isolated at all.
type UnsupportedError struct {
	Scenario string
	Reason   string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("scenario %s cannot run in a shared cluster: %s", e.Scenario, e.Reason)
}

// Prefix is the namespace prefix of a scenario in a run: "ll" and a digest
// of both, so that names stay short and a prefix never depends on the
// order scenarios are loaded in. A common prefix keeps the namespaces'
// sort order, which Istio uses to break ties.
func Prefix(run, name string) string {
	sum := sha256.Sum256([]byte(run + "/" + name))
	return "ll" + hex.EncodeToString(sum[:])[:6] + "-"
}

// Isolate rewrites sc for a shared cluster. The rules, also in README.md:
//   - every namespace the scenario uses, "default" included, gets the
//     prefix; istio-system and kube-system cannot be used;
//   - every reference to a renamed namespace follows: metadata.namespace,
//     Namespace names, Sidecar egress hosts "ns/host", exportTo lists and
//     the exportTo annotation, EndpointSlice targetRefs, and hostnames
//     NAME.NS.svc.cluster.local;
//   - the real "default" namespace keeps the built-in kubernetes Service, so
//     an import of the scenario's default namespace ("./" in it, or
//     "default/") also imports the real one;
//   - each scenario namespace without a namespace-wide Sidecar of its own
//     gets one importing "ns/*" for every scenario namespace and the
//     built-in namespaces: the same services as no Sidecar ("*/*") in a
//     cluster holding only this scenario;
//   - a scenario whose own Sidecar imports "*/" would see other scenarios:
//     it runs alone (Exclusive); so does one with an ExternalName Service
//     naming a host isolation does not rename (not NAME.NS.svc.cluster.local
//     of its own namespaces), whose names istiod would add to other
//     scenarios' SNI chains for that host;
//   - namespaces get sidecar injection, but only the client's pods get a
//     proxy (the others are annotated sidecar.istio.io/inject=false);
//     workloads get Options.Image with their container names and ports
//     kept.
func Isolate(sc *scenario.Scenario, o Options) (*Isolated, error) {
	iso := &Isolated{Original: sc, Prefix: Prefix(o.Run, sc.Header.Name), Namespaces: map[string]string{}}
	if err := iso.renameNamespaces(sc); err != nil {
		return nil, err
	}
	r := newRewriter(iso, o)
	manifests, err := r.rewriteAll(sc)
	if err != nil {
		return nil, err
	}
	support, err := r.supportManifests()
	if err != nil {
		return nil, err
	}
	iso.Manifests = append(manifests, support...)
	switch {
	case r.wildcardImport != "":
		iso.Exclusive = r.wildcardImport
	case r.sharedAlias != "":
		iso.Exclusive = r.sharedAlias
	}
	live, err := iso.parseLive()
	if err != nil {
		return nil, err
	}
	iso.Live = live
	return iso, nil
}

// renameNamespaces gives every namespace sc uses, the client's included,
// its live name: the prefix and the name. istio-system and kube-system
// cannot be used, and a live name has 63 characters at most.
func (iso *Isolated) renameNamespaces(sc *scenario.Scenario) error {
	name := sc.Header.Name
	used := map[string]bool{sc.Header.ClientNamespace(): true}
	for _, m := range sc.Manifests {
		if m.Kind == "Namespace" {
			used[m.Name] = true
		} else {
			used[m.Namespace] = true
		}
	}
	for ns := range used {
		if ns == clusterdefaults.IstioNamespace || ns == clusterdefaults.KubeSystem {
			return &UnsupportedError{Scenario: name, Reason: "it places objects in " + ns + ", which every scenario shares"}
		}
		live := iso.Prefix + ns
		if len(live) > 63 {
			return &UnsupportedError{Scenario: name, Reason: fmt.Sprintf("namespace %q is too long for the prefix %q (63 characters at most)", ns, iso.Prefix)}
		}
		iso.Namespaces[ns] = live
	}
	return nil
}

// newRewriter prepares the rewrite of iso.Original's manifests: the client
// and its workload, with a warning when client.pod is a simulated name or
// the header pins client addresses a cluster cannot.
func newRewriter(iso *Isolated, o Options) *rewriter {
	sc := iso.Original
	r := &rewriter{iso: iso, opts: o, clientNS: sc.Header.ClientNamespace(), clientSel: labels.SelectorFromSet(sc.Header.ClientLabels()), client: sc.Header.Client}
	if m, _, ok := sc.ClientPod(); ok {
		r.clientRef, r.clientMarked = m.Ref(), !scenario.StableNames(m.Kind)
		if r.clientMarked {
			iso.Warnings = append(iso.Warnings, fmt.Sprintf("client.pod %s is a simulated name of %s %s: in a cluster the client is that workload's first pod", sc.Header.Client.Pod, m.Kind, m.Name))
		}
	}
	if pinned := sc.Header.PinnedIPs(); len(pinned) > 0 {
		ips := strings.Join(pinned, ", ")
		iso.Warnings = append(iso.Warnings, fmt.Sprintf("client addresses %s cannot be pinned in a cluster: the client gets the addresses the cluster assigns, and expectations naming %s are checked against them", ips, ips))
	}
	return r
}

// rewriteAll rewrites sc's manifests, Namespaces first: the scenario's own
// Namespace documents and one for every other namespace it uses, by name,
// then the other manifests in their order.
func (r *rewriter) rewriteAll(sc *scenario.Scenario) ([]Manifest, error) {
	haveNS := map[string]bool{}
	var nsManifests, docs []Manifest
	for _, m := range sc.Manifests {
		out, err := r.rewrite(m)
		if err != nil {
			return nil, &scenario.Error{File: sc.Path, Index: m.Index, Kind: m.Kind, Name: m.Name, Err: err}
		}
		if m.Kind == "Namespace" {
			haveNS[m.Name] = true
			nsManifests = append(nsManifests, out)
			continue
		}
		docs = append(docs, out)
	}
	for _, ns := range slices.Sorted(maps.Keys(r.iso.Namespaces)) {
		if haveNS[ns] {
			continue
		}
		y, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": r.iso.Namespaces[ns]}})
		if err != nil {
			return nil, err
		}
		out, err := r.rewrite(scenario.Manifest{Kind: "Namespace", Name: ns, YAML: y})
		if err != nil {
			return nil, err
		}
		out.Origin = "namespace " + ns + " of the scenario, renamed"
		nsManifests = append(nsManifests, out)
	}
	sort.SliceStable(nsManifests, func(i, j int) bool { return nsManifests[i].Name < nsManifests[j].Name })
	return append(nsManifests, docs...), nil
}

// supportManifests are what isolation adds after the rewritten manifests:
// the standard client when the scenario has none, the isolation Sidecars
// and the sync marker.
func (r *rewriter) supportManifests() ([]Manifest, error) {
	var out []Manifest
	if !r.haveClient {
		c, err := r.standardClient()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sidecars, err := r.isolationSidecars()
	if err != nil {
		return nil, err
	}
	out = append(out, sidecars...)
	clientNS := r.iso.Namespaces[r.clientNS]
	marker, err := MarkerYAML(clientNS, 0)
	if err != nil {
		return nil, err
	}
	return append(out, Manifest{Kind: "EnvoyFilter", Namespace: clientNS, Name: SyncMarker,
		Origin: "sync marker: an EnvoyFilter that selects no workload; changing it makes istiod push to the client", Support: true, YAML: marker}), nil
}

// LiveNamespaces lists the live namespace names, sorted.
func (iso *Isolated) LiveNamespaces() []string {
	var out []string
	for _, v := range iso.Namespaces {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// ClientNamespace is the client's live namespace.
func (iso *Isolated) ClientNamespace() string {
	return iso.Namespaces[iso.Original.Header.ClientNamespace()]
}

// Original maps a live namespace back to the scenario's; other names are
// returned unchanged.
func (iso *Isolated) OriginalNamespace(live string) string {
	for o, l := range iso.Namespaces {
		if l == live {
			return o
		}
	}
	return live
}

// parseLive builds the live scenario: the header with the client's
// namespace and creationOrder renamed, and the rewritten documents.
func (iso *Isolated) parseLive() (*scenario.Scenario, error) {
	h := iso.Original.Header
	h.Client.Namespace = iso.ClientNamespace()
	h.MeshConfig = iso.liveMeshConfig(h.MeshConfig)
	if m, _, ok := iso.Original.ClientPod(); ok && !scenario.StableNames(m.Kind) {
		// The cluster names the pod otherwise: the live client is the
		// first pod of the workload LabelClient marks.
		h.Client.Pod = ""
		h.Client.Labels = maps.Clone(h.ClientLabels())
		h.Client.Labels[LabelClient] = "true"
	}
	h.CreationOrder = nil
	for _, ref := range iso.Original.Header.CreationOrder {
		m, ok := iso.Original.Find(ref)
		if !ok {
			return nil, fmt.Errorf("creationOrder %s: no such manifest", ref)
		}
		h.CreationOrder = append(h.CreationOrder, m.Kind+"/"+iso.Namespaces[m.Namespace]+"/"+m.Name)
	}
	// Expectations name the original scenario's objects: the suite checks
	// them after translating the live listeners back (livestate.Translator).
	h.Expect = nil
	header, err := yaml.Marshal(h)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Write(header)
	for _, m := range iso.Manifests {
		if m.Support {
			continue
		}
		b.WriteString("---\n")
		b.Write(m.YAML)
	}
	live, err := scenario.Parse(iso.Original.Path+" (isolated)", []byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("isolating %s: the rewritten manifests do not load: %w", iso.Original.Header.Name, err)
	}
	return live, nil
}

// meshNamespaceFields are the mesh config fields that name namespaces:
// exportTo lists and the root namespace.
var meshNamespaceFields = []string{"defaultServiceExportTo", "defaultVirtualServiceExportTo", "defaultDestinationRuleExportTo"}

// liveMeshConfig renames the scenario namespaces the mesh config names (its
// default exportTo lists and rootNamespace), so istiod and the predictor
// read the live scenario as the original; ".", "*", "~" and namespaces
// the scenario does not use keep their names.
func (iso *Isolated) liveMeshConfig(mc map[string]any) map[string]any {
	if len(mc) == 0 {
		return mc
	}
	out := maps.Clone(mc)
	for _, f := range meshNamespaceFields {
		list, ok := mc[f].([]any)
		if !ok {
			continue
		}
		renamed := make([]any, len(list))
		for i, e := range list {
			renamed[i] = e
			if live, ok := iso.Namespaces[fmt.Sprint(e)]; ok {
				renamed[i] = live
			}
		}
		out[f] = renamed
	}
	if root, ok := mc["rootNamespace"].(string); ok {
		if live, ok := iso.Namespaces[root]; ok {
			out["rootNamespace"] = live
		}
	}
	return out
}

// MarkerYAML renders the sync marker of a namespace at a generation. The
// EnvoyFilter selects no workload and patches nothing, so it changes no
// proxy's configuration; istiod still pushes to every proxy of its
// namespace when its spec changes (EnvoyFilter is a namespace-scoped
// dependency of every SidecarScope). The generation is in the selector
// because istiod ignores changes outside spec.
func MarkerYAML(namespace string, generation int) ([]byte, error) {
	return yaml.Marshal(map[string]any{
		"apiVersion": "networking.istio.io/v1alpha3",
		"kind":       "EnvoyFilter",
		"metadata": map[string]any{
			"name": SyncMarker, "namespace": namespace,
			"labels": map[string]any{LabelRole: "sync"},
		},
		"spec": map[string]any{
			"workloadSelector": map[string]any{"labels": map[string]any{"listenerlab.io/sync": fmt.Sprintf("generation-%d", generation)}},
			"configPatches":    []any{},
		},
	})
}

// isolationSidecars adds the visibility Sidecar to each scenario namespace
// that has no namespace-wide Sidecar of its own; none when the scenario
// puts a namespace-wide Sidecar in the mesh's root namespace (its
// meshConfig rootNamespace): that Sidecar is every namespace's default, as
// the scenario means, and the scenario runs with an istiod of its own (the
// root namespace's live name is in its mesh config).
func (r *rewriter) isolationSidecars() ([]Manifest, error) {
	if root, ok := r.iso.Original.Header.MeshConfig["rootNamespace"].(string); ok && r.namespaceWideSidecar[r.ns(root)] {
		return nil, nil
	}
	hosts := []string{}
	for _, ns := range r.iso.LiveNamespaces() {
		hosts = append(hosts, ns+"/*")
	}
	hosts = append(hosts, "default/*", "istio-system/*", "kube-system/*")
	var out []Manifest
	for _, orig := range slices.Sorted(maps.Keys(r.iso.Namespaces)) {
		live := r.iso.Namespaces[orig]
		if r.namespaceWideSidecar[live] {
			continue
		}
		y, err := yaml.Marshal(map[string]any{
			"apiVersion": "networking.istio.io/v1",
			"kind":       "Sidecar",
			"metadata": map[string]any{
				"name": IsolationSidecar, "namespace": live,
				"labels": map[string]any{LabelRole: "isolation"},
			},
			"spec": map[string]any{"egress": []any{map[string]any{"hosts": hosts}}},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, Manifest{Kind: "Sidecar", Namespace: live, Name: IsolationSidecar,
			Origin: "isolation: namespace " + orig + " sees only the scenario's namespaces and the built-in ones", YAML: y})
	}
	return out, nil
}

// standardClient is fixtures/client.yaml in the client's live namespace.
func (r *rewriter) standardClient() (Manifest, error) {
	d, err := fixtures.Client(r.clientNS, r.iso.Original.Header.ClientLabels())
	if err != nil {
		return Manifest{}, err
	}
	d.APIVersion, d.Kind = "apps/v1", "Deployment"
	y, err := yaml.Marshal(d)
	if err != nil {
		return Manifest{}, err
	}
	m, err := r.rewrite(scenario.Manifest{APIVersion: "apps/v1", Kind: "Deployment", Namespace: r.clientNS, Name: d.Name, Object: d, YAML: y})
	if err != nil {
		return Manifest{}, err
	}
	m.Origin = "the standard client (fixtures/client.yaml): no manifest matches the client labels"
	return m, nil
}

// errNotMap is returned for a document whose shape is not an object.
var errNotMap = errors.New("not a YAML object")

// Unrename replaces every live namespace in cluster-local hostnames within
// s by the scenario's own: listener, route and cluster names read from a
// live proxy become comparable with the scenario's expectations. A whole
// string that is a Service's short form, NAME.NS or NAME.NS.svc (the
// server names an ExternalName alias adds to an SNI chain), is renamed
// too.
func (iso *Isolated) Unrename(s string) string {
	if !strings.Contains(s, iso.Prefix) {
		return s
	}
	for orig, live := range iso.Namespaces {
		s = strings.ReplaceAll(s, "."+live+"."+clusterdefaults.ServiceDomain, "."+orig+"."+clusterdefaults.ServiceDomain)
		for _, suffix := range []string{"", ".svc"} {
			if name, ok := strings.CutSuffix(s, "."+live+suffix); ok && name != "" && !strings.ContainsAny(name, ". ") {
				return name + "." + orig + suffix
			}
		}
	}
	return s
}
