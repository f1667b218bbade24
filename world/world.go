package world

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Format names the interchange format version. A backend that reads a World
// checks it and refuses any other value, so a mismatch between the main
// module and a backend binary is named, never silently misread.
const Format = "listenerlab.world/v1"

// World is a scenario resolved into the objects a cluster would hold: every
// Service has its ClusterIPs, every workload its pods with IPs, every Service
// its EndpointSlices, every ServiceEntry its auto-allocated addresses in
// status. Objects carry apiVersion and kind so a backend can decode them
// with its own scheme.
//
// The JSON encoding is the interchange format: {"format": Format, ...}.
type World struct {
	Format   string `json:"format"`
	Scenario string `json:"scenario"`
	// Client is the sidecar whose listeners are predicted.
	Client Client `json:"client"`
	// Env holds istiod feature flags (environment values).
	Env map[string]string `json:"env,omitempty"`
	// MeshConfig holds mesh config values in MeshConfig's YAML/JSON shape.
	MeshConfig map[string]any `json:"meshConfig,omitempty"`

	Namespaces      []corev1.Namespace            `json:"namespaces,omitempty"`
	Services        []corev1.Service              `json:"services,omitempty"`
	Pods            []corev1.Pod                  `json:"pods,omitempty"`
	EndpointSlices  []discoveryv1.EndpointSlice   `json:"endpointSlices,omitempty"`
	ServiceEntries  []*networkingv1.ServiceEntry  `json:"serviceEntries,omitempty"`
	WorkloadEntries []*networkingv1.WorkloadEntry `json:"workloadEntries,omitempty"`
	Sidecars        []*networkingv1.Sidecar       `json:"sidecars,omitempty"`
	// VirtualServices and DestinationRules shape the filter chains of TCP
	// and TLS listeners (tcp and tls routes, subsets in cluster names).
	VirtualServices  []*networkingv1.VirtualService  `json:"virtualServices,omitempty"`
	DestinationRules []*networkingv1.DestinationRule `json:"destinationRules,omitempty"`
	// EnvoyFilters are carried so that patches of the client's outbound
	// listeners are reported; the predictor does not apply them.
	EnvoyFilters []*networkingv1alpha3.EnvoyFilter `json:"envoyFilters,omitempty"`
}

// Client is the proxy whose outbound listeners are predicted, with the node
// metadata istiod reads.
type Client struct {
	// Name is the pod name; Namespace its namespace.
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
	// IPs are the pod's IPs, the first one primary.
	IPs []string `json:"ips"`
	// ServiceAccount of the pod.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// InterceptionMode is REDIRECT, TPROXY or NONE.
	InterceptionMode string `json:"interceptionMode"`
	// DNSCapture and DNSAutoAllocate are the ISTIO_META_DNS_CAPTURE and
	// ISTIO_META_DNS_AUTO_ALLOCATE proxy metadata.
	DNSCapture      bool `json:"dnsCapture,omitempty"`
	DNSAutoAllocate bool `json:"dnsAutoAllocate,omitempty"`
	// Unprivileged marks a proxy that cannot bind ports below 1024.
	Unprivileged bool `json:"unprivileged,omitempty"`
}

// PodIPs are a pod's addresses: every one of status.podIPs (a dual-stack
// pod's both, in order), else status.podIP.
func PodIPs(p *corev1.Pod) []string {
	var out []string
	for _, ip := range p.Status.PodIPs {
		out = append(out, ip.IP)
	}
	if len(out) == 0 && p.Status.PodIP != "" {
		out = append(out, p.Status.PodIP)
	}
	return out
}
