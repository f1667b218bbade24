package capture

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/meshconfig"
	"github.com/listenerlab/listenerlab/scenario"
)

// istiodFlags are the istiod environment values the predictor reads: the
// modelled flags of the mesh config table, so that a flag the predictor
// learns is captured without a list of capture's own to keep up.
var istiodFlags = func() []string {
	var out []string
	for _, f := range meshconfig.Flags {
		if f.Kind == meshconfig.Modelled {
			out = append(out, f.Name)
		}
	}
	return out
}()

// controlPlane is what capture reads of istiod: its feature flags, its
// image (named in the description) and the mesh config.
type controlPlane struct {
	env   map[string]string
	image string
	// meshConfig holds the header's meshConfig: the fields the predictor
	// reads (outboundTrafficPolicy, defaultServiceExportTo,
	// defaultVirtualServiceExportTo, rootNamespace, serviceEntryVisibility).
	meshConfig map[string]any
	// proxyDefaults are the mesh's defaultConfig.proxyMetadata and
	// interceptionMode: the injector renders the proxy's metadata and
	// ISTIO_META_INTERCEPTION_MODE from them.
	proxyDefaults scenario.ProxyConfigOverrides
}

// revision names the istiod Deployment and mesh ConfigMap that serve the
// pod: istiod and istio, or istiod-REV and istio-REV for the pod's
// istio.io/rev label.
func revision(pod *corev1.Pod) (deployment, configMap string) {
	rev := pod.Labels["istio.io/rev"]
	if rev == "" || rev == "default" {
		return "istiod", "istio"
	}
	return "istiod-" + rev, "istio-" + rev
}

// readControlPlane reads istiod's Deployment and the mesh ConfigMap in
// istio-system. Either may be missing or unreadable (a user may not read
// istio-system): capture then warns and leaves the defaults.
func readControlPlane(ctx context.Context, c livestate.Clients, pod *corev1.Pod, warn func(obj, field, format string, args ...any)) controlPlane {
	var cp controlPlane
	depName, cmName := revision(pod)
	dep, err := c.Kube.AppsV1().Deployments(istiod.Namespace).Get(ctx, depName, metav1.GetOptions{})
	if err != nil {
		warn("Deployment/"+istiod.Namespace+"/"+depName, "", "not read (%v): istiod feature flags left at the Istio version's defaults", short(err))
	} else if pilot := discovery(dep.Spec.Template.Spec.Containers); pilot != nil {
		cp.image = pilot.Image
		for _, e := range pilot.Env {
			if !slices.Contains(istiodFlags, e.Name) {
				continue
			}
			if e.ValueFrom != nil {
				warn("Deployment/"+istiod.Namespace+"/"+depName, "env "+e.Name, "set from a reference, not read: left at the default")
				continue
			}
			if cp.env == nil {
				cp.env = map[string]string{}
			}
			cp.env[e.Name] = e.Value
		}
	}
	cm, err := c.Kube.CoreV1().ConfigMaps(istiod.Namespace).Get(ctx, cmName, metav1.GetOptions{})
	if err != nil {
		warn("ConfigMap/"+istiod.Namespace+"/"+cmName, "", "not read (%v): mesh config left at its defaults", short(err))
		return cp
	}
	var mesh struct {
		DefaultConfig scenario.ProxyConfigOverrides `json:"defaultConfig"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["mesh"]), &mesh); err != nil {
		warn("ConfigMap/"+istiod.Namespace+"/"+cmName, "data.mesh", "not valid mesh config YAML (%v): left at its defaults", err)
		return cp
	}
	cp.proxyDefaults = mesh.DefaultConfig
	var all map[string]any
	_ = yaml.Unmarshal([]byte(cm.Data["mesh"]), &all) // decoded above
	for _, field := range meshFields {
		if v, ok := all[field]; ok && v != nil {
			if cp.meshConfig == nil {
				cp.meshConfig = map[string]any{}
			}
			cp.meshConfig[field] = v
		}
	}
	return cp
}

// meshFields are the mesh config fields the predictor reads, copied into
// the scenario's header as the ConfigMap holds them.
var meshFields = []string{"outboundTrafficPolicy", "defaultServiceExportTo", "defaultVirtualServiceExportTo", "rootNamespace", "serviceEntryVisibility"}

// discovery is istiod's container: "discovery", else the only one.
func discovery(cs []corev1.Container) *corev1.Container {
	for i := range cs {
		if cs[i].Name == "discovery" {
			return &cs[i]
		}
	}
	if len(cs) == 1 {
		return &cs[0]
	}
	return nil
}

// proxySettings reads the metadata the client's proxy reports to istiod,
// in the order pilot-agent builds it (GetNodeMetaData in
// pkg/bootstrap/config.go): the mesh's defaultConfig.proxyMetadata, then
// the pod's proxy.istio.io/config proxyMetadata over it, then the
// istio-proxy container's ISTIO_META_* environment over both. The
// interception mode likewise starts from the mesh's
// defaultConfig.interceptionMode.
func proxySettings(pod *corev1.Pod, meshDefaults scenario.ProxyConfigOverrides, warn func(obj, field, format string, args ...any)) scenario.Client {
	ref := "Pod/" + pod.Namespace + "/" + pod.Name
	meta, annotated, err := scenario.ProxySettings(meshDefaults, pod.Annotations)
	if err != nil {
		warn(ref, "metadata.annotations."+scenario.AnnotationProxyConfig, "%v: ignored", err)
		meta, annotated, _ = scenario.ProxySettings(meshDefaults, withoutProxyConfig(pod.Annotations))
	}
	proxy := findContainer(pod, istiod.ProxyContainer)
	if proxy == nil {
		warn(ref, "spec.containers", "no %s container: the pod has no sidecar; the scenario predicts the listeners one would get", istiod.ProxyContainer)
	}
	if proxy != nil {
		for _, e := range proxy.Env {
			if strings.HasPrefix(e.Name, "ISTIO_META_") && e.ValueFrom == nil {
				meta[e.Name] = e.Value
			}
		}
	}
	c := scenario.Client{
		Namespace:        pod.Namespace,
		IPFamily:         ipFamily(pod.Status.PodIPs),
		InterceptionMode: interceptionMode(pod, meta, annotated),
	}
	c.ApplyProxyMetadata(meta)
	switch c.InterceptionMode {
	case "", "REDIRECT", "TPROXY", "NONE":
	default:
		warn(ref, "interception mode", "%q is not REDIRECT, TPROXY or NONE: left at REDIRECT", c.InterceptionMode)
		c.InterceptionMode = ""
	}
	return c
}

// interceptionMode is what istiod reads (the ISTIO_META_INTERCEPTION_MODE
// the injector renders), else what the injector renders it from (the
// annotations over the mesh's defaultConfig, scenario.ProxySettings), else the -m argument of the
// iptables init container (istio-init, or istio-validation under the CNI
// plugin); empty means REDIRECT.
func interceptionMode(pod *corev1.Pod, meta map[string]string, annotated string) string {
	if m := meta[scenario.MetaInterception]; m != "" {
		return m
	}
	if annotated != "" {
		return annotated
	}
	for _, name := range []string{"istio-init", "istio-validation", istiod.ProxyContainer} {
		c := findContainer(pod, name)
		if c == nil {
			continue
		}
		for i, a := range c.Args {
			if a == "-m" && i+1 < len(c.Args) {
				return strings.Trim(c.Args[i+1], `"`)
			}
			if v, ok := strings.CutPrefix(a, "-m="); ok {
				return v
			}
		}
	}
	return ""
}

// findContainer looks in containers and init containers (a native sidecar
// is an init container).
func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// ipFamily is the header's client.ipFamily for the pod's IPs; empty for
// IPv4, the default.
func ipFamily(ips []corev1.PodIP) string {
	var v4, v6 bool
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip.IP); err == nil {
			v4, v6 = v4 || a.Is4(), v6 || a.Is6()
		}
	}
	switch {
	case v4 && v6:
		return "DualStack"
	case v6:
		return "IPv6"
	}
	return ""
}

// withoutProxyConfig is the annotations less an unreadable
// proxy.istio.io/config.
func withoutProxyConfig(a map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		if k != scenario.AnnotationProxyConfig {
			out[k] = v
		}
	}
	return out
}

// controllerLabels are added to pods by their controllers, never written
// in a workload's template.
var controllerLabels = []string{"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "pod-template-generation"}

// clientLabels are the pod's labels without those its controllers add: the
// labels the written workload's pods get and the header names the client
// by. The injector's labels (security.istio.io/tlsMode,
// service.istio.io/canonical-*) stay, so Sidecar selectors see what they
// see live.
func clientLabels(pod *corev1.Pod) map[string]string {
	out := map[string]string{}
	for k, v := range pod.Labels {
		if !slices.Contains(controllerLabels, k) {
			out[k] = v
		}
	}
	return out
}

// short is an API error without the request details client-go adds.
func short(err error) string {
	if apierrors.IsNotFound(err) {
		return "not found"
	}
	if apierrors.IsForbidden(err) {
		return "forbidden"
	}
	return err.Error()
}
