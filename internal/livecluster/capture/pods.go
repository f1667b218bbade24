package capture

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/world"
)

// podSet holds the live pods and the ones capture writes as Pod
// manifests. The predictor reads a pod itself, not only the addresses an
// EndpointSlice lists, in two places: where a ServiceEntry's
// workloadSelector picks it (the entry's endpoint, with every address of
// a dual-stack pod under ISTIO_DUAL_STACK: podAddresses), and where an
// EndpointSlice endpoint's targetRef names it (an endpoint of a pod
// istiod does not know is left out, and for a Service with several
// ClusterIPs under ISTIO_DUAL_STACK a dual-stack pod is one endpoint with
// all of its addresses: sliceEndpointAddresses). Such a pod is written
// with its name, labels and every address of status.podIPs, so the
// resolver keeps them as they are live. The client's own pods are not:
// the resolver makes them from the client's workload.
type podSet struct {
	clientNS string
	// client are the names of the client's pods in clientNS.
	client map[string]bool
	// live are the cluster's pods by namespace/name.
	live map[string]*corev1.Pod
	// written are the keys of the pods to write.
	written map[string]bool
}

func newPodSet(w *world.World, clientNS string, clientLbls map[string]string) *podSet {
	ps := &podSet{clientNS: clientNS, client: map[string]bool{}, live: map[string]*corev1.Pod{}, written: map[string]bool{}}
	clientSel := labels.SelectorFromSet(clientLbls)
	for i := range w.Pods {
		p := &w.Pods[i]
		ps.live[p.Namespace+"/"+p.Name] = p
		if p.Namespace == clientNS && clientSel.Matches(labels.Set(p.Labels)) {
			ps.client[p.Name] = true
		}
	}
	return ps
}

// isClient says whether a targetRef of an endpoint in namespace ns names
// one of the client's pods.
func (ps *podSet) isClient(ns string, ref *corev1.ObjectReference) bool {
	refNS := ref.Namespace
	if refNS == "" {
		refNS = ns
	}
	return refNS == ps.clientNS && ps.client[ref.Name]
}

// want marks the live pod namespace/name, unless it is a client's, to be
// written, and reports whether it is.
func (ps *podSet) want(ns, name string) bool {
	key := ns + "/" + name
	if _, ok := ps.live[key]; !ok || ns == ps.clientNS && ps.client[name] {
		return false
	}
	ps.written[key] = true
	return true
}

// selectedBy marks the pods a ServiceEntry's workloadSelector picks in its
// namespace, those with an address as the predictor takes them.
func (ps *podSet) selectedBy(ns string, sel map[string]string) {
	s := labels.SelectorFromSet(sel)
	for _, key := range slices.Sorted(maps.Keys(ps.live)) {
		p := ps.live[key]
		if p.Namespace == ns && p.Status.PodIP != "" && s.Matches(labels.Set(p.Labels)) {
			ps.want(p.Namespace, p.Name)
		}
	}
}

// endpoint is how an endpoint of s's EndpointSlice is written, and
// whether it is. An endpoint of one of the client's pods, or of a pod
// written as a Pod manifest, is left to the resolver when s has a
// selector (it makes those endpoints from the pods, as the EndpointSlice
// controller does); without a selector nothing makes them, and the
// endpoint keeps its targetRef to a written pod. Any other targetRef is
// left out, as it was always: a pod the cluster no longer lists was only
// deleted between capture's reads.
func (ps *podSet) endpoint(s *corev1.Service, ep discoveryv1.Endpoint) (discoveryv1.Endpoint, bool) {
	out := discoveryv1.Endpoint{Addresses: ep.Addresses, Conditions: ep.Conditions, Hostname: ep.Hostname}
	ref := ep.TargetRef
	if ref == nil || ref.Kind != "Pod" {
		return out, true
	}
	selector := len(s.Spec.Selector) > 0
	if ps.isClient(s.Namespace, ref) {
		return out, !selector
	}
	if ref.Namespace != "" && ps.want(ref.Namespace, ref.Name) {
		if selector {
			return out, false
		}
		out.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ref.Namespace, Name: ref.Name}
	}
	return out, true
}

// objects are the pods to write, in namespace and name order.
func (ps *podSet) objects() ([]object, error) {
	var objs []object
	for _, key := range slices.Sorted(maps.Keys(ps.written)) {
		p := ps.live[key]
		doc, err := podDoc(p)
		o, err := newObject("Pod", p.ObjectMeta, p.Name, doc, err)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// podDoc is a pod as the resolver takes it: its name, every label (the
// selectors of Services and ServiceEntries match them), its containers
// as a workload's (a Service's named targetPort resolves against them)
// and its addresses, every one of status.podIPs.
func podDoc(p *corev1.Pod) (map[string]any, error) {
	out := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels},
		Spec:       corev1.PodSpec{Containers: reduceContainers(p.Spec.Containers)},
		Status:     corev1.PodStatus{PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs},
	}
	return kubeDoc(&out)
}
