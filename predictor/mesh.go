package predictor

import (
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// DefaultRootNamespace is the mesh config's rootNamespace when it is not
// set: a default install's istio-system.
const DefaultRootNamespace = "istio-system"

// outboundMode is the mesh config's outboundTrafficPolicy.mode.
type outboundMode string

// The outbound traffic policy modes a sidecar scope can have.
const (
	modeAllowAny           outboundMode = "ALLOW_ANY"
	modeRegistryOnly       outboundMode = "REGISTRY_ONLY"
	modeAllowAnyDynamicDNS outboundMode = "ALLOW_ANY_DYNAMIC_DNS"
)

// mesh is what the service registry reads of the World's mesh config (the
// MeshConfig JSON shape), each field as istiod of the version reads it;
// Istio's defaults (mesh.DefaultMeshConfig in pkg/config/mesh/mesh.go:
// exportTo "*", no serviceEntryVisibility) where not set. The other fields
// are read where they apply: RootNamespace, meshMode,
// defaultVirtualServiceExportTo in newRouting.
type mesh struct {
	// serviceExportTo is the exportTo of a service that declares none
	// (nil: "*").
	serviceExportTo []string
	// seVisibility, when not nil, caps ServiceEntry services' exportTo.
	seVisibility *seVisibility
}

// readMesh reads the mesh config fields of the service registry.
func readMesh(w *world.World, v versions.Version) mesh {
	m := mesh{serviceExportTo: defaultExportTo(stringList(w.MeshConfig["defaultServiceExportTo"]), v)}
	if v.ServiceEntryVisibility() {
		m.seVisibility = readSEVisibility(w.MeshConfig["serviceEntryVisibility"])
	}
	return m
}

// meshMode is the mesh config's outboundTrafficPolicy.mode: ALLOW_ANY
// (Istio's default mesh config) when the mesh config has no
// outboundTrafficPolicy, and REGISTRY_ONLY when it has one without a mode
// (unset reports that case). ApplyMeshConfig unmarshals the user's mesh
// config over the default one with jsonpb, which replaces a message field
// whole: a policy without a mode is the proto's zero value, REGISTRY_ONLY
// (found by listenerlab fuzz on 1.31-dev, seed 20922: BlackHoleCluster
// default chains).
func meshMode(w *world.World) (mode outboundMode, unset bool) {
	raw, set := w.MeshConfig["outboundTrafficPolicy"]
	if !set || raw == nil {
		return modeAllowAny, false
	}
	otp, _ := raw.(map[string]any)
	if m, _ := otp["mode"].(string); m != "" {
		return outboundMode(m), false
	}
	return modeRegistryOnly, true
}

// RootNamespace is the World's mesh root namespace: the mesh config's
// rootNamespace, else istio-system. Its Sidecar without selector is every
// namespace's default, and its EnvoyFilters apply to every proxy.
func RootNamespace(w *world.World) string {
	if r, _ := w.MeshConfig["rootNamespace"].(string); r != "" {
		return r
	}
	return DefaultRootNamespace
}

// defaultExportTo models initDefaultExportMaps and how initServiceRegistry
// and initVirtualServices read the default (pilot/pkg/model/push_context.go):
// with DefaultExportToNamespaces the list is an exportTo like any other;
// before, "." wins (private), else "*" (public), else the objects are
// exported nowhere ("~"). Empty is Istio's default, "*".
func defaultExportTo(list []string, v versions.Version) []string {
	switch {
	case len(list) == 0:
		return nil
	case v.DefaultExportToNamespaces():
		return list
	case slices.Contains(list, "."):
		return []string{"."}
	case slices.Contains(list, "*"):
		return nil
	}
	return []string{"~"}
}

// stringList reads a JSON list of strings ([]any once decoded).
func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// seVisibility is serviceEntryVisibility with applyToSidecars set
// (ServiceEntryVisibilityMatcher, pilot/pkg/model/serviceentry_visibility.go).
type seVisibility struct {
	defaultVisibility string
	policies          []sePolicy
}

type sePolicy struct {
	visibility string
	// selectors are the namespaceSelector rules, all of which must
	// match; a rule of another matcher never matches (nil).
	selectors []labels.Selector
}

// The visibilities of serviceEntryVisibility; anything else is PUBLIC.
const (
	seVisibilityNamespace = "NAMESPACE"
	seVisibilityNone      = "NONE"
)

// readSEVisibility models CompileServiceEntryVisibility: nil unless
// applyToSidecars is true (serviceExportTo reads it only then).
func readSEVisibility(raw any) *seVisibility {
	var cfg struct {
		DefaultVisibility string `json:"defaultVisibility"`
		ApplyToSidecars   bool   `json:"applyToSidecars"`
		Policies          []struct {
			Visibility    string `json:"visibility"`
			MatchingRules []struct {
				NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
			} `json:"matchingRules"`
		} `json:"policies"`
	}
	b, err := json.Marshal(raw)
	if err != nil || raw == nil || json.Unmarshal(b, &cfg) != nil || !cfg.ApplyToSidecars {
		return nil
	}
	out := &seVisibility{defaultVisibility: cfg.DefaultVisibility}
	for _, p := range cfg.Policies {
		sp := sePolicy{visibility: p.Visibility}
		for _, r := range p.MatchingRules {
			var sel labels.Selector
			if r.NamespaceSelector != nil {
				sel, _ = metav1.LabelSelectorAsSelector(r.NamespaceSelector)
			}
			sp.selectors = append(sp.selectors, sel)
		}
		out.policies = append(out.policies, sp)
	}
	return out
}

// visibilityFor models VisibilityFor: the first policy whose rules all
// match the namespace's labels, else the default.
func (sv *seVisibility) visibilityFor(nsLabels map[string]string) string {
	for _, p := range sv.policies {
		if !slices.ContainsFunc(p.selectors, func(s labels.Selector) bool { return s == nil || !s.Matches(labels.Set(nsLabels)) }) {
			return p.visibility
		}
	}
	return sv.defaultVisibility
}

// capExportTo models serviceExportTo's cap: exportTo exactly "~" stays;
// NAMESPACE keeps the service private if its exportTo includes its own
// namespace ("*", "." or its name), else hides it; NONE hides it.
func (sv *seVisibility) capExportTo(exportTo []string, ns string, nsLabels map[string]string) []string {
	if len(exportTo) == 1 && exportTo[0] == "~" {
		return exportTo
	}
	eff := exportTo
	if len(eff) == 0 {
		eff = []string{"*"}
	}
	switch sv.visibilityFor(nsLabels) {
	case seVisibilityNamespace:
		if slices.Contains(eff, "*") || slices.Contains(eff, ".") || slices.Contains(eff, ns) {
			return []string{"."}
		}
		return []string{"~"}
	case seVisibilityNone:
		return []string{"~"}
	}
	return exportTo
}

// applyExportDefaults gives every service without exportTo the mesh
// default, then caps ServiceEntry services by serviceEntryVisibility.
func applyExportDefaults(all []*service, m mesh, namespaces []corev1.Namespace) {
	nsLabels := map[string]map[string]string{}
	for _, ns := range namespaces {
		nsLabels[ns.Name] = ns.Labels
	}
	for _, s := range all {
		if len(s.ExportTo) == 0 && len(m.serviceExportTo) > 0 {
			s.ExportTo = m.serviceExportTo
		}
		if m.seVisibility == nil || s.Registry != registryExternal {
			continue
		}
		s.ExportTo = m.seVisibility.capExportTo(s.ExportTo, s.Namespace, nsLabels[s.Namespace])
	}
}
