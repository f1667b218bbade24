package resolve

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

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
		s.w.WorkloadEntries = append(s.w.WorkloadEntries, stamped(s, m, o.DeepCopy(), "v1", "WorkloadEntry"))
	case *networkingv1.Sidecar:
		s.w.Sidecars = append(s.w.Sidecars, stamped(s, m, o.DeepCopy(), "v1", "Sidecar"))
	case *networkingv1.VirtualService:
		s.w.VirtualServices = append(s.w.VirtualServices, stamped(s, m, o.DeepCopy(), "v1", "VirtualService"))
	case *networkingv1.DestinationRule:
		s.w.DestinationRules = append(s.w.DestinationRules, stamped(s, m, o.DeepCopy(), "v1", "DestinationRule"))
	case *networkingv1alpha3.EnvoyFilter:
		s.w.EnvoyFilters = append(s.w.EnvoyFilters, stamped(s, m, o.DeepCopy(), "v1alpha3", "EnvoyFilter"))
	}
}

// stamped sets a copied Istio object's apiVersion (networking.istio.io/
// version), kind, namespace and creation time.
func stamped[T interface {
	runtime.Object
	metav1.Object
}](s *simulator, m scenario.Manifest, o T, version, kind string) T {
	o.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: version, Kind: kind})
	o.SetNamespace(m.Namespace)
	o.SetCreationTimestamp(s.created(m))
	return o
}
