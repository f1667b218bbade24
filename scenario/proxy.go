package scenario

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Annotations and labels Istio reads on pods and namespaces to decide
// whether a pod gets a sidecar and what its proxy reports to istiod.
const (
	// AnnotationProxyConfig holds ProxyConfig overrides (proxyMetadata,
	// interceptionMode) as YAML.
	AnnotationProxyConfig = "proxy.istio.io/config"
	// AnnotationInterceptionMode is REDIRECT, TPROXY or NONE.
	AnnotationInterceptionMode = "sidecar.istio.io/interceptionMode"
	// LabelInject is the pod label (and, older, annotation) that turns
	// injection on ("true") or off ("false") for one pod.
	LabelInject = "sidecar.istio.io/inject"
	// LabelInjection is the namespace label istio-injection=enabled|disabled.
	LabelInjection = "istio-injection"
	// LabelRevision selects a revision's injector (namespace or pod).
	LabelRevision = "istio.io/rev"
)

// Proxy metadata keys the predictor reads.
const (
	MetaDNSCapture      = "ISTIO_META_DNS_CAPTURE"
	MetaDNSAutoAllocate = "ISTIO_META_DNS_AUTO_ALLOCATE"
	MetaUnprivileged    = "ISTIO_META_UNPRIVILEGED_POD"
	MetaInterception    = "ISTIO_META_INTERCEPTION_MODE"
)

// ProxyConfigOverrides is what listenerlab reads of a ProxyConfig: the mesh
// config's defaultConfig, or a proxy.istio.io/config annotation.
type ProxyConfigOverrides struct {
	ProxyMetadata    map[string]string `json:"proxyMetadata,omitempty"`
	InterceptionMode string            `json:"interceptionMode,omitempty"`
}

// ParseProxyConfigAnnotation reads a proxy.istio.io/config annotation (YAML
// of a ProxyConfig); fields listenerlab does not read are ignored, as they
// cannot change outbound listeners.
func ParseProxyConfigAnnotation(s string) (ProxyConfigOverrides, error) {
	var pc ProxyConfigOverrides
	if err := yaml.Unmarshal([]byte(s), &pc); err != nil {
		return pc, fmt.Errorf("not valid ProxyConfig YAML: %w", err)
	}
	return pc, nil
}

// MeshDefaultConfig is the defaultConfig of a mesh config (MeshConfig's
// YAML shape, as in a scenario header or the istio ConfigMap).
func MeshDefaultConfig(mesh map[string]any) ProxyConfigOverrides {
	var pc ProxyConfigOverrides
	dc, _ := mesh["defaultConfig"].(map[string]any)
	if md, ok := dc["proxyMetadata"].(map[string]any); ok {
		pc.ProxyMetadata = map[string]string{}
		for k, v := range md {
			pc.ProxyMetadata[k] = fmt.Sprint(v)
		}
	}
	pc.InterceptionMode, _ = dc["interceptionMode"].(string)
	return pc
}

// ProxySettings is what a pod's proxy reports to istiod, in the order
// Istio builds it: the mesh's defaultConfig, then the pod's
// proxy.istio.io/config annotation over it (proxyMetadata merged key by
// key: pkg/config/mesh/mesh.go MergeProxyConfig); the interception mode the
// injector renders into ISTIO_META_INTERCEPTION_MODE is the
// sidecar.istio.io/interceptionMode annotation, else the merged
// ProxyConfig's interceptionMode (injection-template.yaml). The returned
// metadata holds the merged proxyMetadata; an annotation that does not
// parse is an error naming it.
func ProxySettings(mesh ProxyConfigOverrides, annotations map[string]string) (meta map[string]string, interception string, err error) {
	meta = map[string]string{}
	for k, v := range mesh.ProxyMetadata {
		meta[k] = v
	}
	interception = mesh.InterceptionMode
	if a, ok := annotations[AnnotationProxyConfig]; ok {
		pc, perr := ParseProxyConfigAnnotation(a)
		if perr != nil {
			return meta, interception, fmt.Errorf("annotation %s: %w", AnnotationProxyConfig, perr)
		}
		for k, v := range pc.ProxyMetadata {
			meta[k] = v
		}
		if pc.InterceptionMode != "" {
			interception = pc.InterceptionMode
		}
	}
	if m := annotations[AnnotationInterceptionMode]; m != "" {
		interception = m
	}
	return meta, interception, nil
}

// ApplyProxyMetadata sets the client's DNS capture, auto-allocation and
// unprivileged flags that meta turns on; what the header already turned
// on stays on.
func (c *Client) ApplyProxyMetadata(meta map[string]string) {
	c.DNSCapture = c.DNSCapture || Truth(meta[MetaDNSCapture])
	c.DNSAutoAllocate = c.DNSAutoAllocate || Truth(meta[MetaDNSAutoAllocate])
	c.Unprivileged = c.Unprivileged || Truth(meta[MetaUnprivileged])
}

// Truth parses a boolean the way Istio's env package does
// (strconv.ParseBool); anything else is false.
func Truth(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

// Injection says whether a pod gets a sidecar, and why not.
type Injection struct {
	Sidecar bool
	// Reason explains a pod without a sidecar.
	Reason string
}

// SidecarInjected decides whether Istio's injector gives a pod a sidecar,
// from the default istiod install's webhook selectors
// (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml)
// and injectRequired (pkg/kube/inject/inject.go), with the default policy
// "enabled" and no never/always-inject selectors:
//   - host network pods and pods in kube-system, kube-public,
//     kube-node-lease and local-path-storage get none;
//   - the pod label sidecar.istio.io/inject decides when set to true or
//     false (the label wins over the annotation of the same name, which is
//     read only once the webhook is called);
//   - otherwise the namespace decides: istio-injection=enabled or an
//     istio.io/rev label injects, any other istio-injection value does
//     not, and a namespace with neither label does not (the webhook is not
//     called; enableNamespacesByDefault is off by default).
//
// ns is the pod's Namespace object, nil when the input does not hold it:
// then listenerlab assumes the namespace is labelled for injection, as
// Istio's install guides tell users to do, because an analyzed folder
// rarely holds its namespaces.
func SidecarInjected(ns *corev1.Namespace, namespace string, meta metav1.ObjectMeta, spec corev1.PodSpec) Injection {
	if spec.HostNetwork {
		return Injection{Reason: "hostNetwork: true (pods on the host network are never injected)"}
	}
	switch namespace {
	case "kube-system", "kube-public", "kube-node-lease", "local-path-storage":
		return Injection{Reason: "namespace " + namespace + " is never injected"}
	}
	podLabel, labelSet := meta.Labels[LabelInject]
	if ns != nil {
		v, has := ns.Labels[LabelInjection]
		_, rev := ns.Labels[LabelRevision]
		switch {
		case has && v != "enabled":
			return Injection{Reason: fmt.Sprintf("namespace label %s=%s", LabelInjection, v)}
		case !has && !rev && !(labelSet && podLabel == "true"):
			return Injection{Reason: fmt.Sprintf("namespace %s has no %s=enabled or %s label (and the pod no %s=true label)", namespace, LabelInjection, LabelRevision, LabelInject)}
		}
	}
	if labelSet && podLabel == "false" {
		return Injection{Reason: "pod label " + LabelInject + "=false"}
	}
	selector := meta.Annotations[LabelInject]
	if labelSet {
		selector = podLabel
	}
	if selector == "false" {
		return Injection{Reason: "pod annotation " + LabelInject + `: "false"`}
	}
	return Injection{Sidecar: true}
}
