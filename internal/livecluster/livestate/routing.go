package livestate

import (
	"context"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/world"
)

// readRouting reads the VirtualServices, DestinationRules and EnvoyFilters
// of one scenario namespace into the World (the sync marker, an
// EnvoyFilter selecting no workload, among them).
func readRouting(ctx context.Context, c Clients, ns string, w *world.World) error {
	vss, err := c.Istio.NetworkingV1().VirtualServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing VirtualServices in %s: %w", ns, err)
	}
	for _, vs := range vss.Items {
		vs := vs.DeepCopy()
		vs.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"}
		clean(&vs.ObjectMeta)
		w.VirtualServices = append(w.VirtualServices, vs)
	}
	drs, err := c.Istio.NetworkingV1().DestinationRules(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing DestinationRules in %s: %w", ns, err)
	}
	for _, dr := range drs.Items {
		dr := dr.DeepCopy()
		dr.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"}
		clean(&dr.ObjectMeta)
		w.DestinationRules = append(w.DestinationRules, dr)
	}
	efs, err := c.Istio.NetworkingV1alpha3().EnvoyFilters(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing EnvoyFilters in %s: %w", ns, err)
	}
	for _, ef := range efs.Items {
		ef := ef.DeepCopy()
		ef.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1alpha3", Kind: "EnvoyFilter"}
		clean(&ef.ObjectMeta)
		w.EnvoyFilters = append(w.EnvoyFilters, ef)
	}
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
