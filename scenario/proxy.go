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
	// AnnotationSidecarStatus is what the injector writes on a pod it
	// injected (and what istioctl kube-inject output carries).
	AnnotationSidecarStatus = "sidecar.istio.io/status"
	// ContainerProxy is the sidecar's container in the injector's
	// template: a pod that carries it runs a sidecar, whoever put it there.
	ContainerProxy = "istio-proxy"
	// EnvProxyConfig is the istio-proxy container's ProxyConfig as the
	// injector rendered it (JSON), which pilot-agent reads at start.
	EnvProxyConfig = "PROXY_CONFIG"
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
	// Injected is a pod template that already carries the sidecar
	// (istioctl kube-inject output, a hand-written istio-proxy).
	Injected bool
	// Reason explains a pod without a sidecar.
	Reason string
}

// InjectedProxy returns the istio-proxy container of a pod spec that
// already carries one, as a container or, from Istio 1.27's native
// sidecars, an init container; else nil.
func InjectedProxy(spec corev1.PodSpec) *corev1.Container {
	for _, cs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range cs {
			if cs[i].Name == ContainerProxy {
				return &cs[i]
			}
		}
	}
	return nil
}

// PodProxySettings is what a pod's proxy reports to istiod. A pod that
// already carries its istio-proxy container reports what was injected
// (InjectedProxySettings): the mesh config of today does not reach it.
// Any other pod gets its proxy from the injector now (ProxySettings).
func PodProxySettings(mesh ProxyConfigOverrides, annotations map[string]string, spec corev1.PodSpec) (meta map[string]string, interception string, err error) {
	if c := InjectedProxy(spec); c != nil {
		return InjectedProxySettings(*c, annotations)
	}
	return ProxySettings(mesh, annotations)
}

// InjectedProxySettings reads an injected istio-proxy container as
// pilot-agent does at start (pkg/config/mesh ApplyProxyConfig,
// pilot-agent's proxyMetadata handling): the ProxyConfig the injector
// rendered into PROXY_CONFIG, the pod's proxy.istio.io/config annotation
// over it, then the container's own environment over that proxyMetadata
// (the agent sets a proxyMetadata entry only where the variable is unset).
// The interception mode is ISTIO_META_INTERCEPTION_MODE, which the
// injector renders from the annotation or ProxyConfig, else theirs.
func InjectedProxySettings(c corev1.Container, annotations map[string]string) (meta map[string]string, interception string, err error) {
	var rendered ProxyConfigOverrides
	for _, e := range c.Env {
		if e.Name == EnvProxyConfig && e.Value != "" {
			if err := yaml.Unmarshal([]byte(e.Value), &rendered); err != nil {
				return nil, "", fmt.Errorf("container %s: env %s: not valid ProxyConfig JSON: %w", c.Name, EnvProxyConfig, err)
			}
		}
	}
	meta, interception, err = ProxySettings(rendered, annotations)
	if err != nil {
		return meta, interception, err
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil && e.Name != EnvProxyConfig {
			if e.Name == MetaInterception {
				if e.Value != "" {
					interception = e.Value
				}
				continue
			}
			meta[e.Name] = e.Value
		}
	}
	return meta, interception, nil
}

// SidecarInjected decides whether a pod runs a sidecar. A pod template that
// already carries an istio-proxy container has one whatever the labels say
// (istioctl kube-inject output, kept in Git with istio-injection=disabled;
// the injector skips a pod it finds injected). Otherwise it is whether
// Istio's injector gives the pod a sidecar, from the default istiod
// install's webhook selectors
// (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml)
// and injectRequired (pkg/kube/inject/inject.go), with the default policy
// "enabled" and no never/always-inject selectors:
//   - host network pods and pods in kube-system, kube-public,
//     kube-node-lease and local-path-storage get none;
//   - a namespace labelled istio-injection with any value but "enabled"
//     gets none (no webhook rule matches it, whatever the pod says);
//   - the pod label sidecar.istio.io/inject=false, or without that label
//     the annotation of the same name, turns it off (the label wins).
//
// What listenerlab assumes: a namespace without istio-injection and
// istio.io/rev labels, or one the input does not hold (ns nil), is taken as
// labelled for injection. In a default install its pods would get a
// sidecar only with the pod label sidecar.istio.io/inject=true (or with
// enableNamespacesByDefault); but the label is usually set outside the
// manifests (`kubectl label namespace default istio-injection=enabled`, as
// Istio's guides do), and checking a sidecar that may not exist is the
// safer mistake than hiding one that does.
func SidecarInjected(ns *corev1.Namespace, namespace string, meta metav1.ObjectMeta, spec corev1.PodSpec) Injection {
	if InjectedProxy(spec) != nil {
		return Injection{Sidecar: true, Injected: true}
	}
	if spec.HostNetwork {
		return Injection{Reason: "hostNetwork: true (pods on the host network are never injected)"}
	}
	switch namespace {
	case "kube-system", "kube-public", "kube-node-lease", "local-path-storage":
		return Injection{Reason: "namespace " + namespace + " is never injected"}
	}
	if ns != nil {
		if v, has := ns.Labels[LabelInjection]; has && v != "enabled" {
			return Injection{Reason: fmt.Sprintf("namespace label %s=%s", LabelInjection, v)}
		}
	}
	podLabel, labelSet := meta.Labels[LabelInject]
	if labelSet && podLabel == "false" {
		return Injection{Reason: "pod label " + LabelInject + "=false"}
	}
	if !labelSet && meta.Annotations[LabelInject] == "false" {
		return Injection{Reason: "pod annotation " + LabelInject + `: "false"`}
	}
	return Injection{Sidecar: true}
}
