package livestate

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// object is an API object as the World holds it.
type object interface {
	runtime.Object
	metav1.Object
}

// listed calls one kind's List in namespace ns and returns its items as
// the World holds them: each with the apiVersion and kind a List leaves
// out, cleaned. T is the item's pointer type (*corev1.Service for a
// ServiceList's []Service items, *networkingv1.Sidecar for Istio's
// []*Sidecar); plural names the kind in errors.
func listed[T object, L runtime.Object](ctx context.Context, ns, plural string, gvk schema.GroupVersionKind,
	list func(context.Context, metav1.ListOptions) (L, error)) ([]T, error) {
	l, err := list(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing %s in %s: %w", plural, ns, err)
	}
	items, err := meta.ExtractList(l)
	if err != nil {
		return nil, fmt.Errorf("listing %s in %s: %w", plural, ns, err)
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		o, ok := it.(T)
		if !ok {
			return nil, fmt.Errorf("listing %s in %s: an item of type %T", plural, ns, it)
		}
		out = append(out, typed(o, gvk))
	}
	return out, nil
}

// typed sets the apiVersion and kind of an object read from the API
// server (a Get or List leaves them empty) and cleans it.
func typed[T object](o T, gvk schema.GroupVersionKind) T {
	o.GetObjectKind().SetGroupVersionKind(gvk)
	clean(o)
	return o
}

// istioKind is a networking.istio.io kind of one version.
func istioKind(version, kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "networking.istio.io", Version: version, Kind: kind}
}

// values are the objects ps point to, for the World's value slices.
func values[T any](ps []*T) []T {
	out := make([]T, 0, len(ps))
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}
