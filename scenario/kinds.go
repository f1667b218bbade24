package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// SkippedKind is a kind the loader accepts but does not model, because it
// cannot change what listenerlab predicts and compares of a sidecar's
// outbound listeners: the listener set, addresses, bind_to_port, listener
// filters, filter chain matches, default chains and destinations.
type SkippedKind struct {
	// Group is the API group ("" for the core group); Kind the kind.
	Group, Kind string
	// Reason says why the kind cannot change those listeners.
	Reason string
	// Source names the Istio code that shows it (files are relative to
	// istio.io/istio).
	Source string
}

// listenerInputs is where every input of a sidecar's outbound listeners is
// read: buildSidecarOutboundListeners builds them from the SidecarScope's
// services and VirtualServices, the proxy's metadata, the mesh config, and
// then applies EnvoyFilters.
const listenerInputs = "pilot/pkg/networking/core/listener.go buildSidecarOutboundListeners (inputs: SidecarScope services and VirtualServices, proxy metadata, mesh config, EnvoyFilters)"

// SkippedKinds is the table of kinds skipped and why, one row per kind,
// sorted by group and kind. A kind not listed and not modelled is skipped
// for UnknownKindReason.
var SkippedKinds = []SkippedKind{
	{"", "ConfigMap", "istiod reads only the mesh config (ConfigMap istio or istio-REV in istio-system, which the loader reads, and a ConfigMap an istiod HelmRelease's valuesFrom names) and the injector's istio-sidecar-injector (injection policy and template; listenerlab assumes the default policy, enabled); any other ConfigMap is never read",
		"pkg/config/mesh/kubemesh/watcher.go NewConfigMapSource; pkg/kube/inject/watcher.go; " + listenerInputs},
	{"", "LimitRange", "not read by istiod's service registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController (informers: Services, EndpointSlices, Pods, Nodes, Namespaces)"},
	{"", "PersistentVolumeClaim", "not read by istiod's service registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"", "ResourceQuota", "not read by istiod's service registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"", "Secret", "read only by the credentials controller for SDS (gateway TLS, DestinationRule credentialName); no listener of a sidecar refers to a Secret",
		"pilot/pkg/credentials/kube/secrets.go; " + listenerInputs},
	{"", "ServiceAccount", "istiod takes a workload's identity from the pod's spec.serviceAccountName, never from the ServiceAccount object",
		"pilot/pkg/serviceregistry/kube/controller/controller.go NewController (no ServiceAccount informer)"},
	{"apiextensions.k8s.io", "CustomResourceDefinition", "defines a type; istiod watches only the types of its schema, and objects of other types are skipped as unknown",
		"pkg/config/schema/collections (the types istiod watches)"},
	{"autoscaling", "HorizontalPodAutoscaler", "not read by istiod; replicas come from the workload's spec.replicas (headless services' per-endpoint listeners follow the replicas written there)",
		"pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"extensions.istio.io", "WasmPlugin", "adds filters inside existing chains (TrafficExtensionsByListenerInfo), never a listener, chain match or destination",
		"pilot/pkg/networking/core/listener.go buildListenerFromEntry, networkfilter.go buildCompleteNetworkFilters"},
	{"gateway.networking.k8s.io", "BackendTLSPolicy", "configures TLS of upstream clusters (CDS), not listeners", "pilot/pkg/config/kube/gateway (BackendTLSPolicy becomes DestinationRule TLS settings)"},
	{"gateway.networking.k8s.io", "GRPCRoute", "becomes a VirtualService with HTTP routes only (gateway-bound, or mesh-bound for a Service parent); HTTP routes are RDS routes and change no listener",
		"pilot/pkg/config/kube/gateway/conversion.go convertGRPCRoute; pilot/pkg/networking/core/listener.go (HTTP ports use RDS)"},
	{"gateway.networking.k8s.io", "Gateway", "programs gateway proxies (istiod deploys one per Gateway); a sidecar's listeners never read a Gateway",
		"pilot/pkg/config/kube/gateway/conversion.go; pilot/pkg/networking/core/gateway.go buildGatewayListeners (gateways only)"},
	{"gateway.networking.k8s.io", "GatewayClass", "selects a gateway controller; programs no proxy", "pilot/pkg/config/kube/gateway (GatewayClass controller)"},
	{"gateway.networking.k8s.io", "HTTPRoute", "becomes a VirtualService with HTTP routes only (gateway-bound, or mesh-bound for a Service parent); HTTP routes are RDS routes and change no listener",
		"pilot/pkg/config/kube/gateway/conversion.go convertHTTPRoute; pilot/pkg/networking/core/listener.go (HTTP ports use RDS)"},
	{"gateway.networking.k8s.io", "ReferenceGrant", "only permits cross-namespace references of routes and gateways", "pilot/pkg/config/kube/gateway (ReferenceGrant index)"},
	{"networking.istio.io", "Gateway", "selects gateway proxies by workload labels; only gateway proxies build listeners from it",
		"pilot/pkg/model/push_context.go mergeGateways (Router proxies only); pilot/pkg/networking/core/gateway.go buildGatewayListeners"},
	{"networking.istio.io", "WorkloadGroup", "a template for WorkloadEntries that VMs auto-register when they connect; on its own it makes no endpoint",
		"pilot/pkg/autoregistration/controller.go (WorkloadEntries made on connect)"},
	{"networking.k8s.io", "Ingress", "becomes a Gateway and VirtualServices bound to the ingress gateway only (gateways: istio-system/NAME-istio-autogenerated-k8s-ingress-NS), never to mesh",
		"pilot/pkg/config/kube/ingress/virtualservices.go VirtualServices"},
	{"networking.k8s.io", "IngressClass", "selects the Ingress controller; see Ingress", "pilot/pkg/config/kube/ingress/virtualservices.go shouldProcessIngressWithClass"},
	{"networking.k8s.io", "NetworkPolicy", "enforced by the CNI plugin, not read by istiod", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController (no NetworkPolicy informer)"},
	{"policy", "PodDisruptionBudget", "not read by istiod", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"rbac.authorization.k8s.io", "ClusterRole", "API server permissions; not read by istiod's registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding", "API server permissions; not read by istiod's registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"rbac.authorization.k8s.io", "Role", "API server permissions; not read by istiod's registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"rbac.authorization.k8s.io", "RoleBinding", "API server permissions; not read by istiod's registry or config store", "pilot/pkg/serviceregistry/kube/controller/controller.go NewController"},
	{"security.istio.io", "AuthorizationPolicy", "on a sidecar's outbound chains it adds at most RBAC filters inside a chain (authzBuilder.BuildTCP), never a listener, chain match or destination",
		"pilot/pkg/networking/core/networkfilter.go buildCompleteNetworkFilters"},
	{"security.istio.io", "PeerAuthentication", "sets the mTLS mode of inbound listeners; outbound TLS comes from DestinationRules and auto mTLS in clusters (CDS)",
		"pilot/pkg/networking/core/listener_inbound.go (authnBuilder); pilot/pkg/networking/core/cluster_tls.go"},
	{"security.istio.io", "RequestAuthentication", "adds JWT filters to inbound HTTP chains only", "pilot/pkg/networking/plugin/authn (used from listener_inbound.go)"},
	{"telemetry.istio.io", "Telemetry", "sets access logs, stats and tracing inside existing filters (setAccessLogAndBuildTCPFilter, TCPFilters), never a listener, chain match or destination",
		"pilot/pkg/networking/core/networkfilter.go setAccessLogAndBuildTCPFilter; pilot/pkg/model/telemetry.go"},
}

// UnknownKindReason is why a kind neither modelled nor in SkippedKinds is
// skipped: istiod does not watch it.
const UnknownKindReason = "istiod watches only the Kubernetes kinds of its service registry and the Istio types of its schema"

// handledElsewhere lists the kinds that can shape a sidecar's outbound
// listeners but are not modelled yet (VirtualService, DestinationRule and
// EnvoyFilter are: scenario/routing.go). They are skipped and counted as
// "KIND (not modelled yet)", never silently.
var handledElsewhere = map[string]bool{
	// Gateway API TCP and TLS routes bound to a Service become mesh
	// VirtualServices with tcp and tls routes (conversion.go
	// convertTCPRoute, convertTLSRoute); gateway-bound ones change no
	// sidecar. Counted as not modelled either way.
	"gateway.networking.k8s.io/TCPRoute":   true,
	"gateway.networking.k8s.io/TLSRoute":   true,
	"gateway.networking.x-k8s.io/TCPRoute": true,
	"gateway.networking.x-k8s.io/TLSRoute": true,
	// ProxyConfig's environmentVariables become the injected proxy's
	// proxyMetadata (pilot/pkg/model/proxy_config.go
	// toMeshConfigProxyConfig, applied by the injector in
	// pkg/kube/inject/webhook.go GetProxyConfigOrDefault): it can set
	// ISTIO_META_DNS_CAPTURE, so it is not a kind without effect.
	"networking.istio.io/ProxyConfig": true,
}

// skipLabel is how the summary counts a skipped object of this group and
// kind, and whether the kind is known to be without effect.
func skipLabel(group, kind string) string {
	if handledElsewhere[group+"/"+kind] {
		return kind + " (not modelled yet)"
	}
	return kind
}

// SkipReason is the row of SkippedKinds for group and kind, or a row with
// UnknownKindReason.
func SkipReason(group, kind string) SkippedKind {
	for _, k := range SkippedKinds {
		if k.Group == group && k.Kind == kind {
			return k
		}
	}
	if strings.HasPrefix(group, "gateway.networking.") {
		return SkippedKind{Group: group, Kind: kind, Reason: "Gateway API: programs gateways, or becomes mesh VirtualServices with HTTP routes only",
			Source: "pilot/pkg/config/kube/gateway/conversion.go"}
	}
	return SkippedKind{Group: group, Kind: kind, Reason: UnknownKindReason,
		Source: "pkg/config/schema/collections; pilot/pkg/serviceregistry/kube/controller/controller.go NewController"}
}

// Skipped is an object, or a whole file, the loader read and left out.
type Skipped struct {
	File string `json:"file"`
	// Index is the document's 1-based position; 0 for a whole file.
	Index     int    `json:"document,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Label is how the summary counts it: the kind, "VirtualService (not
	// modelled yet)", "Helm template", "Kustomize file".
	Label string `json:"label"`
	// Hint tells what to do instead, for files.
	Hint string `json:"hint,omitempty"`
}

// SkipSummary counts skipped objects by label, most first, then by label:
// "3 Secret, 2 Gateway, 1 VirtualService (not modelled yet)".
func SkipSummary(skipped []Skipped) string {
	counts := map[string]int{}
	for _, s := range skipped {
		counts[s.Label]++
	}
	labels := make([]string, 0, len(counts))
	for l := range counts {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		if counts[labels[i]] != counts[labels[j]] {
			return counts[labels[i]] > counts[labels[j]]
		}
		return labels[i] < labels[j]
	})
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = fmt.Sprintf("%d %s", counts[l], l)
	}
	return strings.Join(parts, ", ")
}

// removedAPI is an apiVersion a current Kubernetes no longer serves.
type removedAPI struct {
	apiVersion string
	// kinds limits the entry to these kinds; empty means every kind.
	kinds   []string
	removed string
	use     string
}

// removedAPIs are the apiVersions removed from Kubernetes (the deprecated
// API migration guide, kubernetes.io/docs/reference/using-api/deprecation-guide).
var removedAPIs = []removedAPI{
	{"extensions/v1beta1", []string{"Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"}, "1.16", "apps/v1"},
	{"extensions/v1beta1", []string{"NetworkPolicy"}, "1.16", "networking.k8s.io/v1"},
	{"extensions/v1beta1", []string{"Ingress"}, "1.22", "networking.k8s.io/v1"},
	{"extensions/v1beta1", []string{"PodSecurityPolicy"}, "1.25", "Pod Security Admission"},
	{"apps/v1beta1", nil, "1.16", "apps/v1"},
	{"apps/v1beta2", nil, "1.16", "apps/v1"},
	{"batch/v1beta1", []string{"CronJob"}, "1.25", "batch/v1"},
	{"batch/v2alpha1", []string{"CronJob"}, "1.21", "batch/v1"},
	{"discovery.k8s.io/v1beta1", nil, "1.25", "discovery.k8s.io/v1"},
	{"policy/v1beta1", []string{"PodDisruptionBudget"}, "1.25", "policy/v1"},
	{"policy/v1beta1", []string{"PodSecurityPolicy"}, "1.25", "Pod Security Admission"},
	{"autoscaling/v2beta1", nil, "1.25", "autoscaling/v2"},
	{"autoscaling/v2beta2", nil, "1.26", "autoscaling/v2"},
	{"networking.k8s.io/v1beta1", nil, "1.22", "networking.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", nil, "1.22", "rbac.authorization.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1alpha1", nil, "1.22", "rbac.authorization.k8s.io/v1"},
	{"apiextensions.k8s.io/v1beta1", nil, "1.22", "apiextensions.k8s.io/v1"},
	{"admissionregistration.k8s.io/v1beta1", nil, "1.22", "admissionregistration.k8s.io/v1"},
}

// removedAPIError is the error for an apiVersion of kind a current cluster
// no longer serves, or nil.
func removedAPIError(apiVersion, kind string) error {
	for _, r := range removedAPIs {
		if r.apiVersion != apiVersion {
			continue
		}
		if len(r.kinds) > 0 && !contains(r.kinds, kind) {
			continue
		}
		return fieldErr("apiVersion", "%s %s is no longer served (removed in Kubernetes %s): a current cluster refuses it; use %s", apiVersion, kind, r.removed, r.use)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
