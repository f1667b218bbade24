package resolve

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/scenario"
)

// istioConfig copies a WorkloadEntry, Sidecar, VirtualService,
// DestinationRule or EnvoyFilter into the World as the API server holds
// it: namespace set, creation time stamped (Istio orders Sidecars and
// VirtualServices by creation time), apiVersion and kind set.
// ServiceEntries are copied by Simulate itself, which also allocates
// their addresses.
func (s *simulator) istioConfig(m scenario.Manifest) {
	switch o := m.Object.(type) {
	case *networkingv1.WorkloadEntry:
		we := o.DeepCopy()
		we.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "WorkloadEntry"}
		we.Namespace, we.CreationTimestamp = m.Namespace, s.created(m)
		s.w.WorkloadEntries = append(s.w.WorkloadEntries, we)
	case *networkingv1.Sidecar:
		sc := o.DeepCopy()
		sc.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Sidecar"}
		sc.Namespace, sc.CreationTimestamp = m.Namespace, s.created(m)
		s.w.Sidecars = append(s.w.Sidecars, sc)
	case *networkingv1.VirtualService:
		vs := o.DeepCopy()
		vs.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}
		vs.Namespace, vs.CreationTimestamp = m.Namespace, s.created(m)
		s.w.VirtualServices = append(s.w.VirtualServices, vs)
	case *networkingv1.DestinationRule:
		dr := o.DeepCopy()
		dr.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"}
		dr.Namespace, dr.CreationTimestamp = m.Namespace, s.created(m)
		s.w.DestinationRules = append(s.w.DestinationRules, dr)
	case *networkingv1alpha3.EnvoyFilter:
		ef := o.DeepCopy()
		ef.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1alpha3", Kind: "EnvoyFilter"}
		ef.Namespace, ef.CreationTimestamp = m.Namespace, s.created(m)
		s.w.EnvoyFilters = append(s.w.EnvoyFilters, ef)
	}
}
