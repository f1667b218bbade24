package livestate

import (
	"context"
	"fmt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sort"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// Clients are the API clients the read-back uses; fakes in tests.
type Clients struct {
	Kube  kubernetes.Interface
	Istio istioclient.Interface
}

// Selection says what of the cluster belongs to one scenario's World.
type Selection struct {
	// Scenario names the World.
	Scenario string
	// Header is the (live) scenario header: client labels, namespace,
	// proxy settings, istiod settings.
	Header scenario.Header
	// Namespaces are the scenario's live namespaces; the built-in ones are
	// always read.
	Namespaces []string
	// SkipGone skips a namespace deleted since it was listed (capture reads
	// every namespace of a cluster where others come and go); without it,
	// a missing namespace is an error.
	SkipGone bool
}

// ForIsolated is the selection of an isolated scenario.
func ForIsolated(iso *isolate.Isolated) Selection {
	return Selection{Scenario: iso.Original.Header.Name, Header: iso.Live.Header, Namespaces: iso.LiveNamespaces()}
}

// ClientNotFoundError is a World without its client pod.
type ClientNotFoundError struct {
	Namespace string
	// Pod is client.pod, when the header names the pod.
	Pod      string
	Selector string
	Seen     []string
}

func (e *ClientNotFoundError) Error() string {
	if e.Pod != "" {
		return fmt.Sprintf("no running client pod %s with labels %s in namespace %s (pods seen: %v)", e.Pod, e.Selector, e.Namespace, e.Seen)
	}
	return fmt.Sprintf("no running client pod with labels %s in namespace %s (pods seen: %v)", e.Selector, e.Namespace, e.Seen)
}

// Read reads the World of sel from the cluster: Services with the
// ClusterIPs the API server assigned, the scenario's pods with their IPs,
// EndpointSlices, ServiceEntries with the addresses Istio's allocation
// controller wrote into status, WorkloadEntries, Sidecars, namespaces, and
// the client proxy. It is the live counterpart of resolve.Simulate and
// returns the same type; objects are sorted by namespace and name.
func Read(ctx context.Context, c Clients, sel Selection) (*world.World, error) {
	h := sel.Header
	w := &world.World{Format: world.Format, Scenario: sel.Scenario, Env: h.Istiod.Env, MeshConfig: h.MeshConfig}
	scenarioNS := append([]string(nil), sel.Namespaces...)
	sort.Strings(scenarioNS)
	all := append(append([]string(nil), isolate.BuiltinNamespaces...), scenarioNS...)
	sort.Strings(all)
	for _, ns := range all {
		err := readNamespace(ctx, c, ns, w)
		if sel.SkipGone && apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	for _, ns := range scenarioNS {
		if err := readWorkloads(ctx, c, ns, w); err != nil {
			return nil, err
		}
		if err := readRouting(ctx, c, ns, w); err != nil {
			return nil, err
		}
	}
	sortWorld(w)
	sortRouting(w)
	client, err := findClient(w, h)
	if err != nil {
		return nil, err
	}
	w.Client = client
	return w, nil
}

// readNamespace reads a namespace and its Services into the World.
func readNamespace(ctx context.Context, c Clients, ns string, w *world.World) error {
	n, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	typed(n, corev1.SchemeGroupVersion.WithKind("Namespace"))
	w.Namespaces = append(w.Namespaces, *n)
	svcs, err := listed[*corev1.Service](ctx, ns, "Services", corev1.SchemeGroupVersion.WithKind("Service"), c.Kube.CoreV1().Services(ns).List)
	if err != nil {
		return err
	}
	w.Services = append(w.Services, values(svcs)...)
	return nil
}

// readWorkloads reads what makes endpoints and their services in one
// scenario namespace: pods (not those being deleted), EndpointSlices,
// ServiceEntries, WorkloadEntries; and its Sidecars.
func readWorkloads(ctx context.Context, c Clients, ns string, w *world.World) error {
	pods, err := listed[*corev1.Pod](ctx, ns, "pods", corev1.SchemeGroupVersion.WithKind("Pod"), c.Kube.CoreV1().Pods(ns).List)
	if err != nil {
		return err
	}
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			w.Pods = append(w.Pods, *p)
		}
	}
	slices, err := listed[*discoveryv1.EndpointSlice](ctx, ns, "EndpointSlices", discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"), c.Kube.DiscoveryV1().EndpointSlices(ns).List)
	if err != nil {
		return err
	}
	w.EndpointSlices = append(w.EndpointSlices, values(slices)...)
	istio := c.Istio.NetworkingV1()
	ses, err := listed[*networkingv1.ServiceEntry](ctx, ns, "ServiceEntries", istioKind("v1", "ServiceEntry"), istio.ServiceEntries(ns).List)
	if err != nil {
		return err
	}
	w.ServiceEntries = append(w.ServiceEntries, ses...)
	wes, err := listed[*networkingv1.WorkloadEntry](ctx, ns, "WorkloadEntries", istioKind("v1", "WorkloadEntry"), istio.WorkloadEntries(ns).List)
	if err != nil {
		return err
	}
	w.WorkloadEntries = append(w.WorkloadEntries, wes...)
	scs, err := listed[*networkingv1.Sidecar](ctx, ns, "Sidecars", istioKind("v1", "Sidecar"), istio.Sidecars(ns).List)
	if err != nil {
		return err
	}
	w.Sidecars = append(w.Sidecars, scs...)
	return nil
}

// findClient picks the client pod: the pod client.pod names (a Pod's or
// a StatefulSet's, whose names a cluster keeps), else the first running
// pod, by name, with the client labels in the client namespace.
func findClient(w *world.World, h scenario.Header) (world.Client, error) {
	ns := h.ClientNamespace()
	sel := labels.SelectorFromSet(h.ClientLabels())
	var seen []string
	for _, p := range w.Pods {
		if p.Namespace != ns {
			continue
		}
		seen = append(seen, p.Name+" ("+string(p.Status.Phase)+")")
		if h.Client.Pod != "" && p.Name != h.Client.Pod {
			continue
		}
		if !sel.Matches(labels.Set(p.Labels)) || p.Status.Phase != corev1.PodRunning || len(p.Status.PodIPs) == 0 {
			continue
		}
		// The proxy settings as the resolver takes them: the header's,
		// then the pod's annotations over the mesh's defaultConfig.
		proxy := h.Client
		meta, mode, err := scenario.ProxySettings(scenario.MeshDefaultConfig(h.MeshConfig), p.Annotations)
		if err != nil {
			return world.Client{}, fmt.Errorf("client pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		proxy.ApplyProxyMetadata(meta)
		if proxy.InterceptionMode == "" {
			proxy.InterceptionMode = mode
		}
		c := world.Client{
			Name: p.Name, Namespace: p.Namespace, Labels: p.Labels,
			ServiceAccount:   p.Spec.ServiceAccountName,
			InterceptionMode: proxy.InterceptionMode,
			DNSCapture:       proxy.DNSCapture, DNSAutoAllocate: proxy.DNSAutoAllocate,
			Unprivileged: proxy.Unprivileged,
		}
		if c.ServiceAccount == "" {
			c.ServiceAccount = "default"
		}
		if c.InterceptionMode == "" {
			c.InterceptionMode = "REDIRECT"
		}
		for _, ip := range p.Status.PodIPs {
			c.IPs = append(c.IPs, ip.IP)
		}
		return c, nil
	}
	return world.Client{}, &ClientNotFoundError{Namespace: ns, Pod: h.Client.Pod, Selector: sel.String(), Seen: seen}
}

// clean drops what the API server adds for its own bookkeeping: it is noise
// in a World written to the artifacts folder.
func clean(m metav1.Object) {
	m.SetManagedFields(nil)
	delete(m.GetAnnotations(), "kubectl.kubernetes.io/last-applied-configuration")
}

func sortWorld(w *world.World) {
	key := func(m metav1.Object) string { return m.GetNamespace() + "/" + m.GetName() }
	sort.Slice(w.Namespaces, func(i, j int) bool { return w.Namespaces[i].Name < w.Namespaces[j].Name })
	sort.Slice(w.Services, func(i, j int) bool { return key(&w.Services[i]) < key(&w.Services[j]) })
	sort.Slice(w.Pods, func(i, j int) bool { return key(&w.Pods[i]) < key(&w.Pods[j]) })
	sort.Slice(w.EndpointSlices, func(i, j int) bool { return key(&w.EndpointSlices[i]) < key(&w.EndpointSlices[j]) })
	sort.Slice(w.ServiceEntries, func(i, j int) bool { return key(w.ServiceEntries[i]) < key(w.ServiceEntries[j]) })
	sort.Slice(w.WorkloadEntries, func(i, j int) bool { return key(w.WorkloadEntries[i]) < key(w.WorkloadEntries[j]) })
	sort.Slice(w.Sidecars, func(i, j int) bool { return key(w.Sidecars[i]) < key(w.Sidecars[j]) })
}
