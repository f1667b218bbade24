package predictor

import (
	"sort"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/world"
)

// listenerPatches are the applyTo values whose patches change a listener
// the predictor describes (its address, listener filters, filter chains or
// their network filters); HTTP_FILTER, ROUTE_CONFIGURATION and the like
// change what RDS and the HTTP connection manager do inside a chain.
var listenerPatches = map[apiv1alpha3.EnvoyFilter_ApplyTo]bool{
	apiv1alpha3.EnvoyFilter_LISTENER:        true,
	apiv1alpha3.EnvoyFilter_FILTER_CHAIN:    true,
	apiv1alpha3.EnvoyFilter_NETWORK_FILTER:  true,
	apiv1alpha3.EnvoyFilter_LISTENER_FILTER: true,
}

// envoyFilterFindings models which EnvoyFilter patches reach the client's
// outbound listeners, and reports every EnvoyFilter patch that can touch one of
// the predicted outbound listeners, one finding per patch and listener:
// the prediction does not apply EnvoyFilters. It models which filters a
// proxy gets (PushContext.EnvoyFilters: the root namespace's (the mesh
// config's rootNamespace) and the
// proxy's namespace's, by workloadSelector; those with targetRefs attach to
// gateways and waypoints, not sidecars) and which listeners a patch
// matches (envoyfilter/listener_patch.go listenerMatch: context
// SIDECAR_OUTBOUND or ANY, listener name, port number).
func (b *builder) envoyFilterFindings(w *world.World, ls []listener.Listener) {
	p := b.p
	efs := make([]*networkingv1alpha3.EnvoyFilter, 0, len(w.EnvoyFilters))
	rootNamespace := RootNamespace(w)
	for _, ef := range w.EnvoyFilters {
		if ef.Namespace != rootNamespace && ef.Namespace != p.Namespace {
			continue
		}
		if len(ef.Spec.TargetRefs) > 0 {
			continue
		}
		if sel := ef.Spec.WorkloadSelector; sel != nil && !labels.SelectorFromSet(sel.Labels).Matches(labels.Set(p.Labels)) {
			continue
		}
		efs = append(efs, ef)
	}
	sort.SliceStable(efs, func(i, j int) bool {
		if efs[i].Namespace != efs[j].Namespace {
			return efs[i].Namespace < efs[j].Namespace
		}
		return efs[i].Name < efs[j].Name
	})
	for _, ef := range efs {
		for i, cp := range ef.Spec.ConfigPatches {
			if !listenerPatches[cp.ApplyTo] {
				continue
			}
			ctx := cp.GetMatch().GetContext()
			if ctx != apiv1alpha3.EnvoyFilter_SIDECAR_OUTBOUND && ctx != apiv1alpha3.EnvoyFilter_ANY {
				continue
			}
			lm := cp.GetMatch().GetListener()
			for _, l := range ls {
				if lm.GetName() != "" && lm.GetName() != l.Name {
					continue
				}
				if lm.GetPortNumber() != 0 && lm.GetPortNumber() != l.Port {
					continue
				}
				b.finding(EnvoyFilterNotModelled, nil, port{}, l.Name,
					"not modelled: EnvoyFilter %s/%s configPatches[%d] (%s %s, context %s) patches %s",
					ef.Namespace, ef.Name, i, cp.ApplyTo, cp.GetPatch().GetOperation(), ctx, l.Name)
				b.why("listenerlab does not apply EnvoyFilter patches: the predicted %s, and what its connections do, are without this patch", l.Name)
				f := &b.findings[len(b.findings)-1]
				f.Source, f.Port = "EnvoyFilter "+ef.Namespace+"/"+ef.Name, int(l.Port)
			}
		}
	}
}
