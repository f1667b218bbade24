package livestate

import (
	"context"
	"sort"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/world"
)

// readRouting reads the VirtualServices, DestinationRules and EnvoyFilters
// of one scenario namespace into the World (the sync marker, an
// EnvoyFilter selecting no workload, among them).
func readRouting(ctx context.Context, c Clients, ns string, w *world.World) error {
	istio := c.Istio.NetworkingV1()
	vss, err := listed[*networkingv1.VirtualService](ctx, ns, "VirtualServices", istioKind("v1", "VirtualService"), istio.VirtualServices(ns).List)
	if err != nil {
		return err
	}
	w.VirtualServices = append(w.VirtualServices, vss...)
	drs, err := listed[*networkingv1.DestinationRule](ctx, ns, "DestinationRules", istioKind("v1", "DestinationRule"), istio.DestinationRules(ns).List)
	if err != nil {
		return err
	}
	w.DestinationRules = append(w.DestinationRules, drs...)
	efs, err := listed[*networkingv1alpha3.EnvoyFilter](ctx, ns, "EnvoyFilters", istioKind("v1alpha3", "EnvoyFilter"), c.Istio.NetworkingV1alpha3().EnvoyFilters(ns).List)
	if err != nil {
		return err
	}
	w.EnvoyFilters = append(w.EnvoyFilters, efs...)
	return nil
}

// sortRouting orders the routing objects by namespace and name, as
// sortWorld does the others.
func sortRouting(w *world.World) {
	key := func(m metav1.Object) string { return m.GetNamespace() + "/" + m.GetName() }
	sort.Slice(w.VirtualServices, func(i, j int) bool { return key(w.VirtualServices[i]) < key(w.VirtualServices[j]) })
	sort.Slice(w.DestinationRules, func(i, j int) bool { return key(w.DestinationRules[i]) < key(w.DestinationRules[j]) })
	sort.Slice(w.EnvoyFilters, func(i, j int) bool { return key(w.EnvoyFilters[i]) < key(w.EnvoyFilters[j]) })
}
