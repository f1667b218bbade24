package capture

import (
	"encoding/json"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/internal/offline/istiod"
)

// Every manifest is rebuilt from an allowlist of the fields listeners
// depend on, never copied and trimmed: whatever a live object carries
// beyond them (managedFields, resourceVersion, uid, generation,
// ownerReferences, status, last-applied-configuration, other labels and
// annotations, probes, volumes, environment) cannot reach the file.

// istioKeyPrefix marks the labels and annotations kept: the
// networking.istio.io/exportTo annotation and the
// networking.istio.io/enable-autoallocate-ip label are the ones Istio reads
// for listeners.
const istioKeyPrefix = "networking.istio.io/"

func istioKeys(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if strings.HasPrefix(k, istioKeyPrefix) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func meta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: istioKeys(m.Labels), Annotations: istioKeys(m.Annotations)}
}

func serviceDoc(s *corev1.Service) (map[string]any, error) {
	out := corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(s.ObjectMeta),
		Spec: corev1.ServiceSpec{
			Type: s.Spec.Type, ClusterIP: s.Spec.ClusterIP, ClusterIPs: s.Spec.ClusterIPs,
			Selector: s.Spec.Selector, ExternalName: s.Spec.ExternalName,
			IPFamilies: s.Spec.IPFamilies, IPFamilyPolicy: s.Spec.IPFamilyPolicy,
		},
	}
	for _, p := range s.Spec.Ports {
		// nodePort is left out: it is the cluster's choice, and a fixed
		// one can collide where the scenario is applied.
		out.Spec.Ports = append(out.Spec.Ports, corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, AppProtocol: p.AppProtocol, Port: p.Port, TargetPort: p.TargetPort})
	}
	return kubeDoc(&out)
}

// sliceDoc keeps a slice's ports and the endpoints endpoint keeps, as it
// writes them (addresses, readiness, hostname, a targetRef where the pod
// is written too). It reports false when none stays.
func sliceDoc(es *discoveryv1.EndpointSlice, endpoint func(discoveryv1.Endpoint) (discoveryv1.Endpoint, bool)) (map[string]any, bool, error) {
	out := discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{Name: es.Name, Namespace: es.Namespace,
			// Only the Service it belongs to: without the managed-by label
			// the EndpointSlice controller leaves an applied copy alone.
			Labels: map[string]string{discoveryv1.LabelServiceName: es.Labels[discoveryv1.LabelServiceName]}},
		AddressType: es.AddressType,
	}
	for _, ep := range es.Endpoints {
		if kept, ok := endpoint(ep); ok {
			out.Endpoints = append(out.Endpoints, kept)
		}
	}
	if len(out.Endpoints) == 0 && len(es.Endpoints) > 0 {
		return nil, false, nil
	}
	for _, p := range es.Ports {
		out.Ports = append(out.Ports, discoveryv1.EndpointPort{Name: p.Name, Protocol: p.Protocol, Port: p.Port, AppProtocol: p.AppProtocol})
	}
	doc, err := kubeDoc(&out)
	return doc, true, err
}

func serviceEntryDoc(se *networkingv1.ServiceEntry) (map[string]any, error) {
	doc, err := istioDoc("ServiceEntry", se.ObjectMeta, &se.Spec)
	if err != nil {
		return nil, err
	}
	// Status keeps only the addresses Istio's allocation controller wrote:
	// they are what the client's DNS proxy and listeners use.
	if addrs := se.Status.GetAddresses(); len(addrs) > 0 {
		st, err := protoMap(&apiv1alpha3.ServiceEntryStatus{Addresses: addrs})
		if err != nil {
			return nil, err
		}
		doc["status"] = st
	}
	return doc, nil
}

func workloadEntryDoc(we *networkingv1.WorkloadEntry) (map[string]any, error) {
	return istioDoc("WorkloadEntry", we.ObjectMeta, &we.Spec)
}

func virtualServiceDoc(vs *networkingv1.VirtualService) (map[string]any, error) {
	return istioDoc("VirtualService", vs.ObjectMeta, &vs.Spec)
}

func sidecarDoc(sc *networkingv1.Sidecar) (map[string]any, error) {
	return istioDoc("Sidecar", sc.ObjectMeta, &sc.Spec)
}

func istioDoc(kind string, m metav1.ObjectMeta, spec proto.Message) (map[string]any, error) {
	md, err := kubeDoc(meta(m))
	if err != nil {
		return nil, err
	}
	doc := map[string]any{"apiVersion": "networking.istio.io/v1", "kind": kind, "metadata": md}
	s, err := protoMap(spec)
	if err != nil {
		return nil, err
	}
	if len(s) > 0 {
		doc["spec"] = s
	}
	return doc, nil
}

// protoMap is a message in its CRD (protojson) form. It is not pruned: an
// empty message can mean something (workloadSelector: {}).
func protoMap(m proto.Message) (map[string]any, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// workload is the client's own workload, reduced to what the resolver
// makes its pods from: labels, replicas, and each container's name, image
// and ports (a Service's named targetPort resolves against them). The
// injected istio-proxy and init containers are left out: the header holds
// the proxy's settings. The service account is left out too: a scenario's
// namespaces do not have it.
type workload struct {
	kind       string
	name       string
	namespace  string
	replicas   *int32
	selector   *metav1.LabelSelector
	service    string // a StatefulSet's serviceName
	labels     map[string]string
	containers []corev1.Container
}

func (w workload) doc() (map[string]any, error) {
	om := metav1.ObjectMeta{Name: w.name, Namespace: w.namespace}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: w.labels}, Spec: corev1.PodSpec{Containers: reduceContainers(w.containers)}}
	switch w.kind {
	case "Deployment":
		return kubeDoc(&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: om,
			Spec: appsv1.DeploymentSpec{Replicas: w.replicas, Selector: w.selector, Template: tmpl}})
	case "StatefulSet":
		return kubeDoc(&appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: om,
			Spec: appsv1.StatefulSetSpec{Replicas: w.replicas, Selector: w.selector, ServiceName: w.service, Template: tmpl}})
	}
	om.Labels = w.labels
	return kubeDoc(&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: om, Spec: tmpl.Spec})
}

func reduceContainers(cs []corev1.Container) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		if c.Name == istiod.ProxyContainer {
			continue
		}
		r := corev1.Container{Name: c.Name, Image: c.Image}
		for _, p := range c.Ports {
			r.Ports = append(r.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
		}
		out = append(out, r)
	}
	return out
}

// kubeDoc is a Kubernetes object as a map, without the empty values Go's
// encoding adds (creationTimestamp: null, status: {}, resources: {}).
func kubeDoc(obj any) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	prune(out)
	return out, nil
}

// prune drops nulls, empty maps and empty lists, depth first.
func prune(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, x := range t {
			if prune(x) {
				delete(t, k)
			}
		}
		return len(t) == 0
	case []any:
		for _, x := range t {
			prune(x)
		}
		return len(t) == 0
	}
	return false
}
