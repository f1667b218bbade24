// Package clusterdefaults is what a kind cluster with Istio has before any
// scenario is applied: kind's address ranges and cluster domain, its
// namespaces, the built-in Services (kubernetes, kube-dns, istiod) and
// Istio's auto-allocation ranges. The simulated resolver gives a scenario
// exactly this; the local control plane, capture, isolation and the live
// reader rely on the same values, so they are written once, here.
package clusterdefaults

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// kind's address ranges (kubeadm's defaults as kind configures them), for
// each IP family.
var (
	// ServiceCIDRv4 and ServiceCIDRv6 hold ClusterIPs.
	ServiceCIDRv4 = netip.MustParsePrefix("10.96.0.0/16")
	ServiceCIDRv6 = netip.MustParsePrefix("fd00:10:96::/112")
	// PodCIDRv4 and PodCIDRv6 hold pod IPs; each node gets a /24 (v4) of
	// them, the first node NodePodCIDRv4.
	PodCIDRv4     = netip.MustParsePrefix("10.244.0.0/16")
	PodCIDRv6     = netip.MustParsePrefix("fd00:10:244::/56")
	NodePodCIDRv4 = netip.MustParsePrefix("10.244.0.0/24")
)

// AutoAllocateV4 and AutoAllocateV6 are the ranges Istio auto-allocates
// ServiceEntry addresses from (Class E 240.240.0.0/16; 2001:2::/48), by
// its IP allocation controller or, before 1.25 or with it off, by pilot
// hashing namespace and host.
var (
	AutoAllocateV4 = netip.MustParsePrefix("240.240.0.0/16")
	AutoAllocateV6 = netip.MustParsePrefix("2001:2::/48")
)

// Domain is the cluster domain: Service hostnames end in
// ".svc." + Domain.
const Domain = "cluster.local"

// ServiceDomain is the suffix of every Service hostname,
// NAME.NAMESPACE.ServiceDomain.
const ServiceDomain = "svc." + Domain

// The namespaces every cluster with Istio has.
const (
	DefaultNamespace = "default"
	KubeSystem       = "kube-system"
	// IstioNamespace is where Istio is installed: istiod's namespace and
	// the mesh root namespace.
	IstioNamespace = "istio-system"
)

// Namespaces are the namespaces every cluster with Istio has, sorted:
// shared by all scenarios and never renamed.
var Namespaces = []string{DefaultNamespace, IstioNamespace, KubeSystem}

// BuiltinService is a Service every cluster with Istio has.
type BuiltinService struct {
	Namespace, Name string
	// Host is the last byte of its ClusterIP in ServiceCIDRv4 (and
	// ServiceCIDRv6): 10.96.0.Host.
	Host byte
	// FixedIP is true when kind itself gives the Service that ClusterIP
	// (kubernetes: the first address of the range; kube-dns: kubeadm's
	// tenth); istiod's is the resolver's choice, random in a real cluster.
	FixedIP bool
	// ByAPIServer is true for the Service kube-apiserver creates itself.
	ByAPIServer bool
	// Selector picks its pods (none for kubernetes).
	Selector map[string]string
	Ports    []corev1.ServicePort
}

// ClusterIPv4 is the Service's address in ServiceCIDRv4.
func (s BuiltinService) ClusterIPv4() netip.Addr {
	a := ServiceCIDRv4.Addr().As4()
	a[3] = s.Host
	return netip.AddrFrom4(a)
}

// ClusterIPv6 is the Service's address in ServiceCIDRv6.
func (s BuiltinService) ClusterIPv6() netip.Addr {
	a := ServiceCIDRv6.Addr().As16()
	a[15] = s.Host
	return netip.AddrFrom16(a)
}

func port(name string, proto corev1.Protocol, p, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: p, TargetPort: intstr.FromInt32(target)}
}

// BuiltinServices are the Services every kind cluster with Istio has, in
// the order they are created: the API server's kubernetes, kind's CoreDNS
// as kube-dns, and istiod with the Istio chart's ports. Callers must not
// change them.
var BuiltinServices = []BuiltinService{
	{Namespace: DefaultNamespace, Name: "kubernetes", Host: 1, FixedIP: true, ByAPIServer: true,
		Ports: []corev1.ServicePort{port("https", corev1.ProtocolTCP, 443, 6443)}},
	{Namespace: KubeSystem, Name: "kube-dns", Host: 10, FixedIP: true,
		Selector: map[string]string{"k8s-app": "kube-dns"},
		Ports: []corev1.ServicePort{
			port("dns", corev1.ProtocolUDP, 53, 53), port("dns-tcp", corev1.ProtocolTCP, 53, 53),
			port("metrics", corev1.ProtocolTCP, 9153, 9153)}},
	{Namespace: IstioNamespace, Name: "istiod", Host: 11,
		Selector: map[string]string{"app": "istiod", "istio": "pilot"},
		Ports: []corev1.ServicePort{
			port("grpc-xds", corev1.ProtocolTCP, 15010, 15010), port("https-dns", corev1.ProtocolTCP, 15012, 15012),
			port("https-webhook", corev1.ProtocolTCP, 443, 15017), port("http-monitoring", corev1.ProtocolTCP, 15014, 15014)}},
}
