package analyze

import (
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/scenario/install"
	"github.com/listenerlab/listenerlab/world"
)

// Client is a sidecar to check: the workload in Namespace whose pods carry
// Labels.
type Client struct {
	Namespace string
	Labels    map[string]string
	// Name is how findings name the client: "Deployment default/web", or
	// "default/app=client" for a client given by labels.
	Name string
	// workload is the manifest the client comes from, when one does.
	workload *scenario.Manifest
	// plane is the control plane that injects it (nil for a scenario
	// file's client: its header says the mesh); revisionWhy says why.
	plane       *install.ControlPlane
	revisionWhy string
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	labelKey = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelVal = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
)

// ParseClient reads NAMESPACE/KEY=VALUE[,KEY=VALUE...], the form of
// --client.
func ParseClient(s string) (Client, error) {
	ns, sel, ok := strings.Cut(s, "/")
	if !ok || !dnsLabel.MatchString(ns) || sel == "" {
		return Client{}, fmt.Errorf("%q is not NAMESPACE/KEY=VALUE[,KEY=VALUE]", s)
	}
	c := Client{Namespace: ns, Labels: map[string]string{}}
	for _, kv := range strings.Split(sel, ",") {
		k, v, ok := strings.Cut(kv, "=")
		// A key may hold one "/" (a prefix), so split on "=" only.
		if !ok || !labelKey.MatchString(k) || !labelVal.MatchString(v) || len(v) > 63 {
			return Client{}, fmt.Errorf("%q: %q is not a label KEY=VALUE", s, kv)
		}
		if _, dup := c.Labels[k]; dup {
			return Client{}, fmt.Errorf("%q: label %q given twice", s, k)
		}
		c.Labels[k] = v
	}
	c.Name = selectorName(ns, c.Labels)
	return c, nil
}

// selectorName writes a client as NAMESPACE/KEY=VALUE,... with sorted keys.
func selectorName(ns string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return ns + "/" + strings.Join(parts, ",")
}

// standardClient is the standard client workload (fixtures/client.yaml)
// in namespace ns.
func standardClient(ns string) Client {
	labels := map[string]string{"app": "client"}
	return Client{Namespace: ns, Labels: labels, Name: selectorName(ns, labels) + " (standard client)"}
}

// discoverClients lists the sidecars of a folder: every workload (Pod,
// Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
// Job, CronJob) that gets a sidecar (scenario.SidecarInjected), then the
// standard client in each namespace that has services but no workload and
// is not labelled against injection (the standard client in default when
// the folder has neither). The workloads without a sidecar come second.
func discoverClients(ms []scenario.Manifest) ([]Client, []NoSidecar) {
	namespaces := map[string]*corev1.Namespace{}
	for _, m := range ms {
		if ns, ok := m.Object.(*corev1.Namespace); ok {
			namespaces[ns.Name] = ns
		}
	}
	var out []Client
	var none []NoSidecar
	withWorkload := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		tmpl, ok := scenario.PodTemplate(m.Object)
		if why, missing := scenario.WorkloadRefMissing(m.Object); missing {
			none = append(none, NoSidecar{Workload: m.Kind + " " + m.Namespace + "/" + m.Name, Reason: why})
			continue
		}
		if !ok {
			continue
		}
		withWorkload[m.Namespace] = true
		name := m.Kind + " " + m.Namespace + "/" + m.Name
		if noPods(m.Object) {
			none = append(none, NoSidecar{Workload: name, Reason: "scaled to zero: no pod runs"})
			continue
		}
		if inj := scenario.SidecarInjected(namespaces[m.Namespace], m.Namespace, tmpl.ObjectMeta, tmpl.Spec); !inj.Sidecar {
			none = append(none, NoSidecar{Workload: name, Reason: inj.Reason})
			continue
		}
		out = append(out, Client{Namespace: m.Namespace, Labels: tmpl.Labels, Name: name, workload: m})
	}
	serviceNS := map[string]bool{}
	for _, m := range ms {
		if (m.Kind == "Service" || m.Kind == "ServiceEntry") && !withWorkload[m.Namespace] {
			serviceNS[m.Namespace] = true
		}
	}
	for _, ns := range sortedKeys(serviceNS) {
		if scenario.SidecarInjected(namespaces[ns], ns, metav1.ObjectMeta{}, corev1.PodSpec{}).Sidecar {
			out = append(out, standardClient(ns))
		}
	}
	if len(out) == 0 && len(none) == 0 {
		out = append(out, standardClient("default"))
	}
	return out, none
}

// unmatchedClients is an error for each --client that selects no workload
// of the manifests: a mistyped client is not made up. The one exception is
// the standard client (app=client) in a namespace without workloads.
func unmatchedClients(ms []scenario.Manifest, cs []Client) []error {
	var errs []error
	for _, c := range cs {
		sel := labels.SelectorFromSet(c.Labels)
		var there []string
		found := false
		for _, m := range ms {
			l, ok := scenario.PodLabels(m.Object)
			if !ok || m.Namespace != c.Namespace {
				continue
			}
			found = found || sel.Matches(labels.Set(l))
			there = append(there, m.Kind+" "+m.Name+" "+selectorName(m.Namespace, l))
		}
		if found || maps.Equal(c.Labels, standardClient(c.Namespace).Labels) && len(there) == 0 {
			// NS/app=client in a namespace without workloads is the
			// standard client, as analyze adds it on its own.
			continue
		}
		hint := "no workload in namespace " + c.Namespace
		if len(there) > 0 {
			hint = "workloads in " + c.Namespace + ": " + strings.Join(there, "; ")
		}
		errs = append(errs, fmt.Errorf("--client %s: the labels select no workload of the input (%s)", c.Name, hint))
	}
	return errs
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pinClient makes the World's client the workload's own first pod: the
// resolver picks the last workload the labels select, which may be another
// one whose labels are a superset. The proxy settings follow the pod.
func pinClient(w *world.World, c Client) error {
	if c.workload == nil {
		return nil
	}
	m := c.workload
	for _, p := range w.Pods {
		if p.Namespace != m.Namespace || !maps.Equal(p.Labels, c.Labels) {
			continue
		}
		if m.Kind == "Pod" && p.Name != m.Name || m.Kind != "Pod" && !strings.HasPrefix(p.Name, m.Name+"-") {
			continue
		}
		if p.Name == w.Client.Name {
			return nil
		}
		w.Client.Name, w.Client.Labels = p.Name, p.Labels
		w.Client.ServiceAccount = p.Spec.ServiceAccountName
		if w.Client.ServiceAccount == "" {
			w.Client.ServiceAccount = "default"
		}
		w.Client.IPs = nil
		for _, ip := range p.Status.PodIPs {
			w.Client.IPs = append(w.Client.IPs, ip.IP)
		}
		meta, mode, err := scenario.PodProxySettings(scenario.MeshDefaultConfig(w.MeshConfig), p.Annotations, p.Spec)
		if err != nil {
			return fmt.Errorf("%s %s/%s: %w", m.Kind, m.Namespace, m.Name, err)
		}
		var pc scenario.Client
		pc.ApplyProxyMetadata(meta)
		w.Client.DNSCapture, w.Client.DNSAutoAllocate, w.Client.Unprivileged = pc.DNSCapture, pc.DNSAutoAllocate, pc.Unprivileged
		if mode == "" {
			mode = "REDIRECT"
		}
		w.Client.InterceptionMode = mode
		return nil
	}
	return nil
}

// noPods reports whether a workload is scaled to zero (replicas or Job
// parallelism 0), so that no pod and no sidecar of it runs.
func noPods(obj any) bool {
	var n *int32
	switch o := obj.(type) {
	case *appsv1.Deployment:
		n = o.Spec.Replicas
	case *appsv1.StatefulSet:
		n = o.Spec.Replicas
	case *appsv1.ReplicaSet:
		n = o.Spec.Replicas
	case *corev1.ReplicationController:
		n = o.Spec.Replicas
	case *batchv1.Job:
		n = o.Spec.Parallelism
	case *scenario.TemplatedWorkload:
		n = o.Spec.Replicas
	}
	return n != nil && *n == 0
}
