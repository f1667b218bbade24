package install

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// Serving is the revision whose injector injects a pod of namespace ns
// (nil when the input does not hold it) with these pod labels, by the
// webhooks of the istiod chart's mutatingwebhook.yaml and
// revision-tags.yaml (1.26), and why. The caller has decided the pod gets
// a sidecar (scenario.SidecarInjected):
//   - namespace istio-injection=enabled: the default revision (its
//     "namespace." webhook; a revision label is then ignored);
//   - namespace istio.io/rev=X: revision X ("rev.namespace.");
//   - neither label on the namespace, pod label istio.io/rev=X: revision
//     X ("rev.object.");
//   - otherwise the default revision.
//
// X is a revision tag when a tag webhook or revisionTags names it (then
// its revision); "default" is the default revision, or the revision the
// tag default points at.
func (in *Install) Serving(ns *corev1.Namespace, podLabels map[string]string) (revision, why string) {
	var nsLabels map[string]string
	if ns != nil {
		nsLabels = ns.Labels
	}
	if nsLabels[scenario.LabelInjection] == "enabled" {
		return in.resolve(DefaultRevision), "namespace label " + scenario.LabelInjection + "=enabled"
	}
	if v, ok := nsLabels[scenario.LabelRevision]; ok {
		return in.resolve(v), fmt.Sprintf("namespace label %s=%s%s", scenario.LabelRevision, v, in.tagNote(v))
	}
	if v, ok := podLabels[scenario.LabelRevision]; ok {
		return in.resolve(v), fmt.Sprintf("pod label %s=%s%s", scenario.LabelRevision, v, in.tagNote(v))
	}
	return in.resolve(DefaultRevision), "no revision label"
}

// resolve maps a revision label value to the revision: through a tag,
// "default" to the default revision.
func (in *Install) resolve(v string) string {
	if in != nil {
		if rev, ok := in.Tags[v]; ok {
			return revisionName(rev)
		}
	}
	return revisionName(v)
}

func (in *Install) tagNote(v string) string {
	if in == nil {
		return ""
	}
	if rev, ok := in.Tags[v]; ok {
		return " (tag of revision " + revisionName(rev) + ")"
	}
	return ""
}

// Plane is the control plane of revision rev: the install's, or Istio's
// defaults when the input installs no such revision.
func (in *Install) Plane(rev string) *ControlPlane {
	if in.Planes == nil {
		in.Planes = map[string]*ControlPlane{}
	}
	p, ok := in.Planes[rev]
	if !ok {
		p = &ControlPlane{Revision: rev}
		in.Planes[rev] = p
	}
	return p
}

// Choose sets each control plane's Istio version: byRevision's for the
// revisions it names, def for the rest. A revision it names that no plane
// has is an error listing those there are.
func (in *Install) Choose(def versions.Version, byRevision map[string]versions.Version, used []string) error {
	for _, rev := range used {
		in.Plane(rev)
	}
	for _, p := range in.Planes {
		p.Version = def
		if v, ok := byRevision[p.Revision]; ok {
			p.Version = v
		}
	}
	for _, rev := range sortedKeys(byRevision) {
		if _, ok := in.Planes[rev]; !ok {
			return fmt.Errorf("--istio %s=...: no revision %s in the input (revisions: %v)", rev, rev, sortedKeys(in.Planes))
		}
	}
	return nil
}
