package capture

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// Options name the sidecar to capture.
type Options struct {
	// Namespace and Pod name the client pod.
	Namespace, Pod string
	// Context is the kubeconfig context read, named in the description.
	Context string
	// Now stamps the description; time.Now when nil.
	Now func() time.Time
}

// Result is a captured scenario.
type Result struct {
	// Name is the scenario's name: the pod's.
	Name string
	// YAML is the scenario file.
	YAML []byte
	// Objects are the manifests written, as Kind/namespace/name, in file
	// order.
	Objects []string
	// Warnings name what was written but will not load, or was read only
	// in part.
	Warnings []Warning
}

// Warning is one object (Kind/namespace/name) written as it is live though
// the scenario loader refuses a field of it, or one thing capture could
// not read.
type Warning struct {
	Object, Field, Message string
}

func (w Warning) String() string {
	s := w.Object
	if w.Field != "" {
		s += ": " + w.Field
	}
	return s + ": " + w.Message
}

// PodNotFoundError is a client pod that does not exist.
type PodNotFoundError struct {
	Namespace, Pod string
	// Seen are the pods the namespace has.
	Seen []string
}

func (e *PodNotFoundError) Error() string {
	seen := "none"
	if n := len(e.Seen); n > 10 {
		seen = strings.Join(e.Seen[:10], ", ") + fmt.Sprintf(" and %d more", n-10)
	} else if n > 0 {
		seen = strings.Join(e.Seen, ", ")
	}
	return fmt.Sprintf("no pod %s in namespace %s (pods there: %s)", e.Pod, e.Namespace, seen)
}

// builtins are the Services the resolver adds to every scenario, at the
// addresses it gives them; the live ones are not written.
var builtins = func() map[string]string {
	out := map[string]string{}
	for _, b := range clusterdefaults.BuiltinServices {
		out[b.Namespace+"/"+b.Name] = b.ClusterIPv4().String()
	}
	return out
}()

type capturer struct {
	c        livestate.Clients
	o        Options
	warnings []Warning
	// clientKind is the kind of the client's workload as written.
	clientKind string
}

func (cp *capturer) warn(obj, field, format string, args ...any) {
	cp.warnings = append(cp.warnings, Warning{Object: obj, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Capture reads the client pod's situation through list and get calls
// only, and renders it as a scenario: the header (client labels, address
// and proxy metadata, istiod flags, mesh config, creation order), then the
// Services, EndpointSlices, ServiceEntries, WorkloadEntries, Sidecars and
// VirtualServices the client's namespace can see, the client's own
// workload, and the pods those ServiceEntries select or those
// EndpointSlices name, with their addresses. Secrets are never
// read; the istio ConfigMap is read, never written. The output depends
// only on the cluster's state and Options: same state, same bytes.
func Capture(ctx context.Context, c livestate.Clients, o Options) (*Result, error) {
	if o.Namespace == "" || o.Pod == "" {
		return nil, errors.New("capture needs the client pod's namespace and name")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cp := &capturer{c: c, o: o}
	pod, err := cp.pod(ctx)
	if err != nil {
		return nil, err
	}
	clientLbls := clientLabels(pod)
	if len(clientLbls) == 0 {
		return nil, fmt.Errorf("pod %s/%s has no labels: a scenario names its client by labels", pod.Namespace, pod.Name)
	}
	w, err := cp.readCluster(ctx, pod)
	if err != nil {
		return nil, err
	}
	plane := readControlPlane(ctx, c, pod, cp.warn)
	w.MeshConfig = plane.meshConfig
	client := cp.client(pod, plane, clientLbls)
	objs, err := cp.objects(ctx, w, pod, clientLbls)
	if err != nil {
		return nil, err
	}
	if cp.clientKind == "StatefulSet" {
		// Its pods have the same names in the scenario: name the one
		// captured, not the StatefulSet's first (which lacks a listener
		// for its own headless endpoint where the captured pod has one).
		client.Pod = pod.Name
	}
	sortObjects(objs)
	h := scenario.Header{
		Kind:          "Scenario",
		Name:          pod.Name,
		Description:   cp.description(plane.image),
		Client:        client,
		Istiod:        scenario.Istiod{Env: plane.env},
		MeshConfig:    plane.meshConfig,
		CreationOrder: creationOrder(objs),
	}
	return cp.result(h, objs)
}

// readCluster reads the World of every namespace: without a Sidecar the
// client may see all of them.
func (cp *capturer) readCluster(ctx context.Context, pod *corev1.Pod) (*world.World, error) {
	nsList, err := cp.c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	var namespaces []string
	for _, n := range nsList.Items {
		namespaces = append(namespaces, n.Name)
	}
	w, err := livestate.Read(ctx, cp.c, livestate.Selection{
		Scenario:   pod.Name,
		Header:     scenario.Header{Client: scenario.Client{Namespace: pod.Namespace, Labels: pod.Labels}},
		Namespaces: namespaces,
		SkipGone:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("reading the cluster: %w", err)
	}
	return w, nil
}

// client is the header's client: the pod's proxy settings over the
// mesh's defaults, its labels, and its own addresses, pinned (client.ips,
// one per family): a headless Service's endpoints are written with their
// live addresses, which the resolver's own choice for the client could
// collide with, and the client's own endpoint gets no listener.
func (cp *capturer) client(pod *corev1.Pod, plane controlPlane, clientLbls map[string]string) scenario.Client {
	client := proxySettings(pod, plane.proxyDefaults, cp.warn)
	client.Labels = clientLbls
	for _, ip := range pod.Status.PodIPs {
		client.IPs = append(client.IPs, ip.IP)
	}
	if len(client.IPs) == 0 && pod.Status.PodIP != "" {
		client.IPs = []string{pod.Status.PodIP}
	}
	return client
}

// result renders the scenario and validates each object; a file that
// does not load while every object does is capture's own mistake.
func (cp *capturer) result(h scenario.Header, objs []object) (*Result, error) {
	data, err := render(h, objs)
	if err != nil {
		return nil, err
	}
	res := &Result{Name: h.Name, YAML: data}
	before := len(cp.warnings)
	for _, ob := range objs {
		res.Objects = append(res.Objects, ob.ref())
		cp.validate(ob)
	}
	if _, err := scenario.Parse(h.Name+".yaml", data); err != nil && len(cp.warnings) == before {
		// Every document loads alone, so the file should too: this is
		// capture's own mistake, not the cluster's.
		return nil, fmt.Errorf("the captured scenario does not load: %w", err)
	}
	res.Warnings = cp.warnings
	return res, nil
}

func (cp *capturer) pod(ctx context.Context) (*corev1.Pod, error) {
	pods := cp.c.Kube.CoreV1().Pods(cp.o.Namespace)
	pod, err := pods.Get(ctx, cp.o.Pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		e := &PodNotFoundError{Namespace: cp.o.Namespace, Pod: cp.o.Pod}
		if list, lerr := pods.List(ctx, metav1.ListOptions{}); lerr == nil {
			for _, p := range list.Items {
				e.Seen = append(e.Seen, p.Name)
			}
		}
		return nil, e
	}
	if err != nil {
		return nil, fmt.Errorf("reading pod %s/%s: %w", cp.o.Namespace, cp.o.Pod, err)
	}
	if pod.Status.Phase != corev1.PodRunning {
		return nil, fmt.Errorf("pod %s/%s is %s, not Running: capture reads a running sidecar", pod.Namespace, pod.Name, orUnknown(string(pod.Status.Phase)))
	}
	return pod, nil
}

func (cp *capturer) description(image string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Captured by listenerlab capture from pod %s/%s", cp.o.Namespace, cp.o.Pod)
	if cp.o.Context != "" {
		fmt.Fprintf(&b, " in kubeconfig context %s", cp.o.Context)
	}
	fmt.Fprintf(&b, " at %s", cp.o.Now().UTC().Format(time.RFC3339))
	if image != "" {
		fmt.Fprintf(&b, "; istiod image %s", image)
	}
	b.WriteString(".")
	return b.String()
}

// objects picks and cleans what the client can see (see visibility), in
// this order: the Sidecars that could configure it, the Services (with the
// EndpointSlices the resolver cannot make), ServiceEntries (with their
// WorkloadEntries) and VirtualServices it sees, its own workload, and the
// other pods the predictor reads (podSet).
func (cp *capturer) objects(ctx context.Context, w *world.World, pod *corev1.Pod, clientLbls map[string]string) ([]object, error) {
	ns := pod.Namespace
	vis := visibility{namespace: ns, sidecar: predictor.SidecarInMesh(w.Sidecars, predictor.RootNamespace(w), ns, clientLbls)}
	objs, err := sidecarObjects(w, ns, clientLbls)
	if err != nil {
		return nil, err
	}
	pods := newPodSet(w, ns, clientLbls)
	steps := []func() ([]object, error){
		func() ([]object, error) { return cp.serviceObjects(w, vis, pods) },
		func() ([]object, error) { return serviceEntryObjects(w, vis, pods) },
		func() ([]object, error) { return virtualServiceObjects(w, vis) },
		func() ([]object, error) { return cp.workloadObject(ctx, pod, clientLbls) },
		pods.objects,
	}
	for _, step := range steps {
		more, err := step()
		if err != nil {
			return nil, err
		}
		objs = append(objs, more...)
	}
	return objs, nil
}

// newObject is one object to write, or the error of rendering its document.
func newObject(kind string, m metav1.ObjectMeta, tiebreak string, doc map[string]any, err error) (object, error) {
	if err != nil {
		return object{}, fmt.Errorf("%s/%s/%s: %w", kind, m.Namespace, m.Name, err)
	}
	return object{kind: kind, namespace: m.Namespace, name: m.Name, created: m.CreationTimestamp.Time, tiebreak: tiebreak, doc: doc}, nil
}

// sidecarObjects are the Sidecars that could configure the client, the
// one that does among them.
func sidecarObjects(w *world.World, ns string, clientLbls map[string]string) ([]object, error) {
	var objs []object
	for _, sc := range candidateSidecars(w.Sidecars, predictor.RootNamespace(w), ns, clientLbls) {
		doc, err := sidecarDoc(sc)
		o, err := newObject("Sidecar", sc.ObjectMeta, sc.Name, doc, err)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// serviceObjects are the Services the client sees, each with the
// EndpointSlices the resolver cannot make; the built-in ones are the
// resolver's. The pods their endpoints name are marked in pods.
func (cp *capturer) serviceObjects(w *world.World, vis visibility, pods *podSet) ([]object, error) {
	var objs []object
	seen := map[string]bool{}
	for i := range w.Services {
		s := &w.Services[i]
		key := s.Namespace + "/" + s.Name
		// livestate.Read reads the built-in namespaces' Services twice
		// when they are also among the selection's namespaces.
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, builtin := builtins[key]; builtin {
			continue
		}
		// An ExternalName Service adds its names to the SNI chain of the
		// host it names whoever it is exported to (istiod resolves
		// aliases over every service), so every one is kept.
		alias := s.Spec.Type == corev1.ServiceTypeExternalName && s.Spec.ExternalName != ""
		if !alias && !vis.keeps(s.Namespace, splitExportTo(s.Annotations["networking.istio.io/exportTo"]), serviceHosts(s.Namespace, s.Name)) {
			continue
		}
		cp.warnBuiltinAddress(s, key)
		doc, err := serviceDoc(s)
		o, err := newObject("Service", s.ObjectMeta, s.Name, doc, err)
		if err != nil {
			return nil, err
		}
		eps, err := endpointSlices(w, s, pods)
		if err != nil {
			return nil, err
		}
		objs = append(append(objs, o), eps...)
	}
	return objs, nil
}

// warnBuiltinAddress warns when a Service has the address the resolver
// gives a built-in Service.
func (cp *capturer) warnBuiltinAddress(s *corev1.Service, key string) {
	for _, b := range slices.Sorted(maps.Keys(builtins)) {
		ip := builtins[b]
		if slices.Contains(s.Spec.ClusterIPs, ip) || s.Spec.ClusterIP == ip {
			cp.warn("Service/"+key, "spec.clusterIP", "%s is where the resolver puts the built-in %s: predictions will show the two sharing it", ip, b)
		}
	}
}

// serviceEntryObjects are the ServiceEntries the client sees, each
// followed by the WorkloadEntries it selects (its endpoints), each of
// those once; the pods it selects (endpoints too) are marked in pods.
func serviceEntryObjects(w *world.World, vis visibility, pods *podSet) ([]object, error) {
	var objs []object
	written := map[string]bool{}
	for _, se := range w.ServiceEntries {
		if !vis.keeps(se.Namespace, se.Spec.ExportTo, se.Spec.Hosts) {
			continue
		}
		first := ""
		if len(se.Spec.Hosts) > 0 {
			first = se.Spec.Hosts[0]
		}
		doc, err := serviceEntryDoc(se)
		o, err := newObject("ServiceEntry", se.ObjectMeta, first, doc, err)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
		if se.Spec.WorkloadSelector == nil {
			continue
		}
		pods.selectedBy(se.Namespace, se.Spec.WorkloadSelector.Labels)
		sel := labels.SelectorFromSet(se.Spec.WorkloadSelector.Labels)
		for _, we := range w.WorkloadEntries {
			if we.Namespace != se.Namespace || !sel.Matches(labels.Set(we.Spec.Labels)) || written[we.Namespace+"/"+we.Name] {
				continue
			}
			written[we.Namespace+"/"+we.Name] = true
			doc, err := workloadEntryDoc(we)
			o, err := newObject("WorkloadEntry", we.ObjectMeta, we.Name, doc, err)
			if err != nil {
				return nil, err
			}
			objs = append(objs, o)
		}
	}
	return objs, nil
}

// virtualServiceObjects are the VirtualServices the client sees: they
// shape the chains of TCP and TLS listeners (their routes' destinations
// and matches); the predictor keeps those bound to the mesh, so
// gateway-only ones are written too.
func virtualServiceObjects(w *world.World, vis visibility) ([]object, error) {
	var objs []object
	for _, vs := range w.VirtualServices {
		if !vis.keeps(vs.Namespace, vs.Spec.ExportTo, qualify(vs.Spec.Hosts, vs.Namespace)) {
			continue
		}
		doc, err := virtualServiceDoc(vs)
		o, err := newObject("VirtualService", vs.ObjectMeta, vs.Name, doc, err)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// workloadObject is the client's own workload (see workload), whose kind
// the capturer remembers.
func (cp *capturer) workloadObject(ctx context.Context, pod *corev1.Pod, clientLbls map[string]string) ([]object, error) {
	wl := cp.workload(ctx, pod, clientLbls)
	cp.clientKind = wl.kind
	doc, err := wl.doc()
	o, err := newObject(wl.kind, metav1.ObjectMeta{Namespace: wl.namespace, Name: wl.name}, wl.name, doc, err)
	if err != nil {
		return nil, err
	}
	return []object{o}, nil
}

// endpointSlices are the slices the resolver cannot make: all of a
// Service without selector; and of a headless Service with one, those of
// its endpoints whose pods are not in the file (the resolver makes
// endpoints only for the pods in the file: the client's workload's and
// those written as Pods, see podSet.endpoint; yet a headless Service gets
// a listener per endpoint). A Service with a ClusterIP needs none: its
// listeners do not depend on its endpoints, unless a ServiceEntry in its
// namespace declares its host: endpoints belong to a host and namespace,
// and the entry's listeners (one per endpoint for resolution NONE) read
// the Service's.
func endpointSlices(w *world.World, s *corev1.Service, pods *podSet) ([]object, error) {
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		return nil, nil
	}
	headless := s.Spec.ClusterIP == corev1.ClusterIPNone
	if len(s.Spec.Selector) > 0 && !headless && !sharedByEntry(w, s) {
		return nil, nil
	}
	var out []object
	for i := range w.EndpointSlices {
		es := &w.EndpointSlices[i]
		if es.Namespace != s.Namespace || es.Labels[discoveryv1.LabelServiceName] != s.Name {
			continue
		}
		doc, ok, err := sliceDoc(es, func(ep discoveryv1.Endpoint) (discoveryv1.Endpoint, bool) { return pods.endpoint(s, ep) })
		if err != nil {
			return nil, fmt.Errorf("EndpointSlice/%s/%s: %w", es.Namespace, es.Name, err)
		}
		if ok {
			out = append(out, object{kind: "EndpointSlice", namespace: es.Namespace, name: es.Name, created: es.CreationTimestamp.Time, tiebreak: es.Name, doc: doc})
		}
	}
	return out, nil
}

// sharedByEntry reports whether a ServiceEntry in s's namespace declares
// s's host, so that the two share endpoints.
func sharedByEntry(w *world.World, s *corev1.Service) bool {
	h := s.Name + "." + s.Namespace + "." + domainSuffix
	for _, se := range w.ServiceEntries {
		if se.Namespace == s.Namespace && slices.Contains(se.Spec.Hosts, h) {
			return true
		}
	}
	return false
}

// workload finds the client's Deployment (through its ReplicaSet) or
// StatefulSet; any other pod, or one whose owner cannot be read, is
// written as the Pod itself.
func (cp *capturer) workload(ctx context.Context, pod *corev1.Pod, lbls map[string]string) workload {
	wl := workload{kind: "Pod", name: pod.Name, namespace: pod.Namespace, labels: lbls, containers: pod.Spec.Containers}
	owner := metav1.GetControllerOf(pod)
	if owner == nil {
		return wl
	}
	apps := cp.c.Kube.AppsV1()
	switch owner.Kind {
	case "ReplicaSet":
		rs, err := apps.ReplicaSets(pod.Namespace).Get(ctx, owner.Name, metav1.GetOptions{})
		if err != nil {
			cp.warn("ReplicaSet/"+pod.Namespace+"/"+owner.Name, "", "not read (%s): the client is written as its Pod", short(err))
			return wl
		}
		dep := metav1.GetControllerOf(rs)
		if dep == nil || dep.Kind != "Deployment" {
			return wl
		}
		d, err := apps.Deployments(pod.Namespace).Get(ctx, dep.Name, metav1.GetOptions{})
		if err != nil {
			cp.warn("Deployment/"+pod.Namespace+"/"+dep.Name, "", "not read (%s): the client is written as its Pod", short(err))
			return wl
		}
		return workload{kind: "Deployment", name: d.Name, namespace: d.Namespace, replicas: d.Spec.Replicas, selector: d.Spec.Selector, labels: lbls, containers: d.Spec.Template.Spec.Containers}
	case "StatefulSet":
		s, err := apps.StatefulSets(pod.Namespace).Get(ctx, owner.Name, metav1.GetOptions{})
		if err != nil {
			cp.warn("StatefulSet/"+pod.Namespace+"/"+owner.Name, "", "not read (%s): the client is written as its Pod", short(err))
			return wl
		}
		return workload{kind: "StatefulSet", name: s.Name, namespace: s.Namespace, replicas: s.Spec.Replicas, selector: s.Spec.Selector, service: s.Spec.ServiceName, labels: lbls, containers: s.Spec.Template.Spec.Containers}
	}
	return wl
}

// validate loads one document as the scenario loader would and warns,
// naming the object and field, when it refuses it: the object is written
// as it is live, for the user to fix.
func (cp *capturer) validate(o object) {
	data, err := render(scenario.Header{Kind: "Scenario", Name: "check"}, []object{o})
	if err != nil {
		cp.warn(o.ref(), "", "%v", err)
		return
	}
	if _, err := scenario.Parse(o.ref(), data); err != nil {
		var se *scenario.Error
		if errors.As(err, &se) {
			cp.warn(o.ref(), se.Field, "%v (written as it is live: the scenario will not load until this is fixed)", se.Err)
			return
		}
		cp.warn(o.ref(), "", "%v", err)
	}
}

// qualify writes short host names (no dot) as the Service hostnames they
// stand for in namespace ns, as Istio resolves a VirtualService's hosts.
func qualify(hosts []string, ns string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h
		if !strings.Contains(h, ".") && h != "*" {
			out[i] = h + "." + ns + "." + domainSuffix
		}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}
