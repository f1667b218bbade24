package e2erun

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
)

// endpointsBehind lists what of the scenario's endpoints istiod does not
// hold yet (empty once it holds them all). A listener per endpoint (a
// headless Service's, a resolution-NONE ServiceEntry's sharing a
// Service's host) is built from istiod's endpoint index, so before the
// suite's push the EndpointSlice controller must have caught up with the
// pods and istiod with the EndpointSlices (found by e2e-local: the
// StatefulSet's second pod of
// dual-stack-serviceentry-shares-service-pod-addresses was missing from
// the client's listeners about every other run, for a second cause too:
// a push for the sync marker reuses a stale service index).
func (r *Run) endpointsBehind(ctx context.Context) ([]string, error) {
	shardz, err := r.istiod(ctx, istiod.EndpointShardzPath)
	if err != nil {
		return nil, kindcluster.Retryable{Err: err}
	}
	index, err := istiod.EndpointAddresses(shardz)
	if err != nil {
		return nil, kindcluster.Retryable{Err: err}
	}
	var behind []string
	for _, ns := range r.p.Iso.LiveNamespaces() {
		svcs, err := r.cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, kindcluster.Retryable{Err: fmt.Errorf("listing the Services of %s: %w", ns, err)}
		}
		pods, err := r.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, kindcluster.Retryable{Err: fmt.Errorf("listing the pods of %s: %w", ns, err)}
		}
		eps, err := r.cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, kindcluster.Retryable{Err: fmt.Errorf("listing the EndpointSlices of %s: %w", ns, err)}
		}
		behind = append(behind, endpointsNotHeld(ns, svcs.Items, pods.Items, eps.Items, index)...)
	}
	return behind, nil
}

// endpointsNotHeld is endpointsBehind for one namespace, its Services,
// pods and EndpointSlices, and istiod's endpoint addresses by hostname
// and namespace (istiod.EndpointAddresses). An endpoint istiod leaves
// out for good is not waited for: one not ready, or whose targetRef
// names a pod the namespace does not have, or of a slice without ports
// (istiod indexes an endpoint per slice port).
func endpointsNotHeld(ns string, svcs []corev1.Service, pods []corev1.Pod, eps []discoveryv1.EndpointSlice, index map[string]map[string]map[string]bool) []string {
	havePod := map[string]bool{}
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			havePod[p.Name] = true
		}
	}
	var out []string
	for _, svc := range svcs {
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		host := svc.Name + "." + ns + ".svc." + clusterdefaults.Domain
		held := index[host][ns]
		listed := map[string]bool{}
		for _, es := range eps {
			if es.Labels[discoveryv1.LabelServiceName] != svc.Name || es.AddressType == discoveryv1.AddressTypeFQDN {
				continue
			}
			for _, ep := range es.Endpoints {
				for _, a := range ep.Addresses {
					listed[a] = true
				}
				if len(es.Ports) == 0 || ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
					continue
				}
				if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" && (ref.Namespace != ns || !havePod[ref.Name]) {
					continue
				}
				for _, a := range ep.Addresses {
					if !held[a] {
						out = append(out, fmt.Sprintf("istiod's endpoint %s of %s", a, host))
					}
				}
			}
		}
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, p := range pods {
			if !kindcluster.PodReady(p) || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			for _, ip := range p.Status.PodIPs {
				if !slices.Contains(svc.Spec.IPFamilies, family(ip.IP)) || listed[ip.IP] {
					continue
				}
				out = append(out, fmt.Sprintf("an EndpointSlice of Service %s/%s with pod %s's %s", ns, svc.Name, p.Name, ip.IP))
			}
		}
	}
	slices.Sort(out)
	return out
}

// family is an address's IP family.
func family(ip string) corev1.IPFamily {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}
