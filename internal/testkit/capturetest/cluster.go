// Package capturetest is a fake cluster for capture's tests: client-go and
// Istio fake clientsets holding one sidecar's situation.
package capturetest

import (
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
)

// The client pod and the secret value that must never be written.
const (
	Namespace = "shop"
	Pod       = "client-7c9f6-abcde"
	Secret    = "hunter2-s3cr3t"
)

// T0 is when most objects were created.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// noise is what the API server and kubectl add to every object.
func noise(ns, name string, created time.Time) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name), ResourceVersion: "4711", Generation: 3,
		CreationTimestamp: metav1.NewTime(created),
		Labels:            map[string]string{"team.example.com/owner": "payments"},
		Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"secret":"` + Secret + `"}`,
			"team.example.com/pager":                           "+1-555-0100",
		},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}},
	}
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func service(ns, name, ip string, created time.Time, exportTo string, selector map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	s := &corev1.Service{ObjectMeta: noise(ns, name, created), Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeClusterIP, ClusterIP: ip, ClusterIPs: []string{ip}, Selector: selector, Ports: ports,
		IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, SessionAffinity: corev1.ServiceAffinityNone,
	}}
	if exportTo != "" {
		s.Annotations["networking.istio.io/exportTo"] = exportTo
	}
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.9"}}
	return s
}

func port(name string, p int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: p, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(p), NodePort: 30000 + p%1000}
}

func sqlEntry(name, vip string, created time.Time) *networkingv1.ServiceEntry {
	se := &networkingv1.ServiceEntry{ObjectMeta: noise(Namespace, name, created)}
	se.Spec.Hosts = []string{name + ".example.com"}
	se.Spec.Ports = []*apiv1alpha3.ServicePort{{Number: 3306, Name: "tcp", Protocol: "TCP"}}
	se.Spec.Resolution = apiv1alpha3.ServiceEntry_DNS
	se.Spec.Location = apiv1alpha3.ServiceEntry_MESH_EXTERNAL
	se.Status.Addresses = []*apiv1alpha3.ServiceEntryAddress{{Value: vip, Host: name + ".example.com"}}
	se.Status.ObservedGeneration = 3
	return se
}

// Cluster is a cluster with Istio where the client pod shop/client-7c9f6-abcde
// (Deployment shop/client, no DNS capture) sees:
//
//   - Services shop/web (selector), shop/legacy-db (no selector, with an
//     EndpointSlice), the headless shop/cache (its EndpointSlice names
//     pod cache-0) and shop/client-peers (selecting the client only),
//     team-b/api, team-b/shared (exported to shop by name, created ten
//     seconds after the rest);
//   - ServiceEntries shop/sql-a and shop/sql-b, TCP 3306 without
//     addresses, with status addresses, sql-b thirty seconds younger;
//   - its namespace's Sidecar shop/default importing ./*, team-b/* and
//     istio-system/*.
//
// It cannot see team-b/internal (exportTo "."), team-b/private-db (a
// ServiceEntry exported to team-b only) or far/remote (exported, but not
// imported by the Sidecar); shop/only-batch is a Sidecar for other
// workloads. istiod's Deployment sets PILOT_ENABLE_IP_AUTOALLOCATE,
// PILOT_ENABLE_AMBIENT and PILOT_ENABLE_REDIS_FILTER (and an unrelated
// flag), the istio ConfigMap sets
// REGISTRY_ONLY and a mesh-wide ISTIO_META_DNS_AUTO_ALLOCATE, and the pod's
// proxy.istio.io/config turns DNS capture on while its istio-proxy
// environment turns it off (the environment wins). A Secret and a
// ConfigMap in shop hold Secret.
func Cluster() livestate.Clients {
	older := T0.Add(-time.Hour)
	dep, rs, pod := clientWorkload()
	web := &corev1.Pod{ObjectMeta: noise(Namespace, "web-5d8c7-qwert", T0), Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.1.6", PodIPs: []corev1.PodIP{{IP: "10.244.1.6"}}}}
	web.Labels = map[string]string{"app": "web"}
	slice, webSlice := endpointSlices()
	cache, cacheSlice, peers, peersSlice := headlessServices()
	istiod, mesh := istioInstall(older)
	kube := kubefake.NewClientset([]runtime.Object{
		namespace("default"), namespace("kube-system"), namespace("istio-system"), namespace(Namespace), namespace("team-b"), namespace("far"),
		service("default", "kubernetes", "10.96.0.1", older, "", nil, port("https", 443)),
		service("kube-system", "kube-dns", "10.96.0.10", older, "", map[string]string{"k8s-app": "kube-dns"}, port("dns-tcp", 53)),
		service("istio-system", "istiod", "10.96.44.4", older, "", map[string]string{"app": "istiod"}, port("grpc-xds", 15010), port("https-dns", 15012)),
		service(Namespace, "web", "10.96.20.1", T0, "", map[string]string{"app": "web"}, port("http", 8080)),
		service(Namespace, "legacy-db", "10.96.20.2", T0, "", nil, port("tcp-pg", 5432)),
		service("team-b", "api", "10.96.30.1", T0, "", map[string]string{"app": "api"}, port("http", 80)),
		service("team-b", "internal", "10.96.30.2", T0, ".", map[string]string{"app": "internal"}, port("tcp", 7000)),
		service("team-b", "shared", "10.96.30.3", T0.Add(10*time.Second), "shop", map[string]string{"app": "shared"}, port("grpc", 9090)),
		service("far", "remote", "10.96.40.1", T0, "*", map[string]string{"app": "remote"}, port("tcp", 7001)),
		cache, peers, cacheSlice, peersSlice,
		pod, web, rs, dep, slice, webSlice, istiod, mesh,
		&corev1.Secret{ObjectMeta: noise(Namespace, "db-credentials", T0), StringData: map[string]string{"password": Secret}, Data: map[string][]byte{"password": []byte(Secret)}},
		&corev1.ConfigMap{ObjectMeta: noise(Namespace, "app-config", T0), Data: map[string]string{"db": Secret}},
	}...)
	return livestate.Clients{Kube: kube, Istio: istioConfig()}
}

// clientWorkload is the client's Deployment, its ReplicaSet and its pod
// with an injected istio-proxy.
func clientWorkload() (*appsv1.Deployment, *appsv1.ReplicaSet, *corev1.Pod) {
	clientLabels := map[string]string{"app": "client", "pod-template-hash": "7c9f6", "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": "client"}
	replicas := int32(2)
	controller := true
	dep := &appsv1.Deployment{ObjectMeta: noise(Namespace, "client", T0), Spec: appsv1.DeploymentSpec{
		Replicas: &replicas,
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}},
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "client"}, Annotations: map[string]string{"proxy.istio.io/config": "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}"}},
			Spec: corev1.PodSpec{
				ServiceAccountName: "client",
				Containers: []corev1.Container{{
					Name: "client", Image: "curlimages/curl:8.11.1", Command: []string{"sleep", "infinity"},
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					Env:   []corev1.EnvVar{{Name: "DB_PASSWORD", Value: Secret}},
				}},
			},
		},
	}}
	rs := &appsv1.ReplicaSet{ObjectMeta: noise(Namespace, "client-7c9f6", T0)}
	rs.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "client", Controller: &controller}}
	pod := &corev1.Pod{ObjectMeta: noise(Namespace, Pod, T0), Spec: dep.Spec.Template.Spec, Status: corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: "10.244.1.5", PodIPs: []corev1.PodIP{{IP: "10.244.1.5"}},
	}}
	pod.Spec.Containers = append(append([]corev1.Container(nil), pod.Spec.Containers...), corev1.Container{
		Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.26.0", Args: []string{"proxy", "sidecar"},
		Env: []corev1.EnvVar{{Name: "ISTIO_META_DNS_CAPTURE", Value: "false"}, {Name: "ISTIO_META_INTERCEPTION_MODE", Value: "REDIRECT"}},
	})
	pod.Labels = clientLabels
	pod.Annotations["proxy.istio.io/config"] = "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}"
	pod.Annotations["sidecar.istio.io/interceptionMode"] = "REDIRECT"
	pod.Annotations["sidecar.istio.io/status"] = `{"containers":["istio-proxy"]}`
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "client-7c9f6", Controller: &controller}}
	return dep, rs, pod
}

// endpointSlices are the EndpointSlices of legacy-db (managed by hand,
// no selector) and of web.
func endpointSlices() (*discoveryv1.EndpointSlice, *discoveryv1.EndpointSlice) {
	ready := true
	slice := &discoveryv1.EndpointSlice{ObjectMeta: noise(Namespace, "legacy-db-x7k2p", T0), AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"192.0.2.7"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}, NodeName: strPtr("node-a"), Zone: strPtr("zone-1")}},
		Ports:     []discoveryv1.EndpointPort{{Name: strPtr("tcp-pg"), Port: int32Ptr(5432)}},
	}
	slice.Labels = map[string]string{discoveryv1.LabelServiceName: "legacy-db", discoveryv1.LabelManagedBy: "staff"}
	webSlice := &discoveryv1.EndpointSlice{ObjectMeta: noise(Namespace, "web-abcde", T0), AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.6"}}}}
	webSlice.Labels = map[string]string{discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}
	return slice, webSlice
}

// headlessServices are two headless Services with selectors and their
// EndpointSlices: cache's endpoint is another workload's pod,
// client-peers' only endpoint is the client itself.
func headlessServices() (*corev1.Service, *discoveryv1.EndpointSlice, *corev1.Service, *discoveryv1.EndpointSlice) {
	ready := true
	cacheSlice := &discoveryv1.EndpointSlice{ObjectMeta: noise(Namespace, "cache-p2m4x", T0), AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.20"}, Hostname: strPtr("cache-0"), Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: Namespace, Name: "cache-0"}}},
		Ports: []discoveryv1.EndpointPort{{Name: strPtr("tcp-redis"), Port: int32Ptr(6379)}},
	}
	cacheSlice.Labels = map[string]string{discoveryv1.LabelServiceName: "cache", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}
	peersSlice := &discoveryv1.EndpointSlice{ObjectMeta: noise(Namespace, "client-peers-h8s9d", T0), AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.5"}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: Namespace, Name: Pod}}},
		Ports:     []discoveryv1.EndpointPort{{Name: strPtr("tcp-gossip"), Port: int32Ptr(7946)}},
	}
	peersSlice.Labels = map[string]string{discoveryv1.LabelServiceName: "client-peers", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}
	cache := service(Namespace, "cache", "None", T0, "", map[string]string{"app": "cache"}, port("tcp-redis", 6379))
	peers := service(Namespace, "client-peers", "None", T0, "", map[string]string{"app": "client"}, port("tcp-gossip", 7946))
	return cache, cacheSlice, peers, peersSlice
}

// istioInstall is istiod's Deployment and the istio ConfigMap, created at
// created.
func istioInstall(created time.Time) (*appsv1.Deployment, *corev1.ConfigMap) {
	istiod := &appsv1.Deployment{ObjectMeta: noise("istio-system", "istiod", created), Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "discovery", Image: "docker.io/istio/pilot:1.26.0", Env: []corev1.EnvVar{
			{Name: "PILOT_ENABLE_IP_AUTOALLOCATE", Value: "true"},
			{Name: "PILOT_ENABLE_AMBIENT", Value: "false"},
			{Name: "PILOT_ENABLE_REDIS_FILTER", Value: "true"},
			{Name: "PILOT_TRACE_SAMPLING", Value: "1"},
		}}},
	}}}}
	mesh := &corev1.ConfigMap{ObjectMeta: noise("istio-system", "istio", created), Data: map[string]string{
		"mesh": "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\ndefaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"\n",
	}}
	return istiod, mesh
}

// istioConfig is the Istio clientset: the shop Sidecars and the
// ServiceEntries.
func istioConfig() *istiofake.Clientset {
	sidecar := &networkingv1.Sidecar{ObjectMeta: noise(Namespace, "default", T0)}
	sidecar.Spec.Egress = []*apiv1alpha3.IstioEgressListener{{Hosts: []string{"./*", "team-b/*", "istio-system/*"}}}
	batch := &networkingv1.Sidecar{ObjectMeta: noise(Namespace, "only-batch", T0)}
	batch.Spec.WorkloadSelector = &apiv1alpha3.WorkloadSelector{Labels: map[string]string{"app": "batch"}}
	batch.Spec.Egress = []*apiv1alpha3.IstioEgressListener{{Hosts: []string{"*/*"}}}
	private := sqlEntry("private-db", "240.240.0.3", T0)
	private.Namespace = "team-b"
	private.Spec.ExportTo = []string{"."}
	istio := istiofake.NewSimpleClientset(
		sqlEntry("sql-a", "240.240.0.1", T0), sqlEntry("sql-b", "240.240.0.2", T0.Add(30*time.Second)), private, sidecar, batch,
	)
	return istio
}

func strPtr(s string) *string { return &s }
func int32Ptr(i int32) *int32 { return &i }
