package resolve

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/listenerlab/listenerlab/fixtures"
	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// Epoch is the creation time of every object applied together
// (scenario.Epoch); objects in the header's creationOrder follow one
// second apart. Built-in objects are an hour older.
var Epoch = scenario.Epoch

// AutoAllocateLabel opts a ServiceEntry out of IP auto-allocation.
const AutoAllocateLabel = "networking.istio.io/enable-autoallocate-ip"

type simulator struct {
	sc        *scenario.Scenario
	v4, v6    bool
	svcV4     *pool
	svcV6     *pool
	podV4     *pool
	podV6     *pool
	order     map[string]int
	w         *world.World
	podsByRef map[string][]corev1.Pod
}

// Simulate resolves a scenario into the World a kind cluster running Istio
// version v would hold.
func Simulate(sc *scenario.Scenario, v versions.Version) (*world.World, error) {
	h := sc.Header
	s := &simulator{
		sc:        sc,
		v4:        h.Client.IPFamily != "IPv6",
		v6:        h.Client.IPFamily == "IPv6" || h.Client.IPFamily == "DualStack",
		svcV4:     newPool(clusterdefaults.ServiceCIDRv4, 256+1, "the IPv4 service range"), // 10.96.1.1 onwards; 10.96.0.x is for built-ins
		svcV6:     newPool(clusterdefaults.ServiceCIDRv6, 256+1, "the IPv6 service range"),
		podV4:     newPool(clusterdefaults.PodCIDRv4, 10, "the IPv4 pod range"),
		podV6:     newPool(clusterdefaults.PodCIDRv6, 10, "the IPv6 pod range"),
		order:     map[string]int{},
		podsByRef: map[string][]corev1.Pod{},
		w: &world.World{
			Format:     world.Format,
			Scenario:   h.Name,
			Env:        h.Istiod.Env,
			MeshConfig: h.MeshConfig,
		},
	}
	for i, ref := range h.CreationOrder {
		m, _ := sc.Find(ref)
		s.order[m.Ref()] = i + 1
	}
	s.reserve()
	s.builtins()
	if err := s.workloads(); err != nil {
		return nil, err
	}
	if err := s.services(); err != nil {
		return nil, err
	}
	if err := s.istio(v); err != nil {
		return nil, err
	}
	s.namespaces()
	return s.w, nil
}

func (s *simulator) created(m scenario.Manifest) metav1.Time {
	return metav1.NewTime(Epoch.Add(time.Duration(s.order[m.Ref()]) * time.Second))
}

func (s *simulator) errorf(m scenario.Manifest, field, format string, args ...any) error {
	return &scenario.Error{File: s.sc.Path, Index: m.Index, Kind: m.Kind, Name: m.Name, Field: field, Err: fmt.Errorf(format, args...)}
}

// reserve takes the addresses manifests chose themselves, so allocation
// never hands them out twice.
func (s *simulator) reserve() {
	for _, ip := range s.sc.Header.PinnedIPs() {
		a := netip.MustParseAddr(ip)
		s.podV4.take(a)
		s.podV6.take(a)
	}
	for _, m := range s.sc.Manifests {
		switch o := m.Object.(type) {
		case *corev1.Service:
			for _, ip := range append([]string{o.Spec.ClusterIP}, o.Spec.ClusterIPs...) {
				if a, err := netip.ParseAddr(ip); err == nil {
					s.svcV4.take(a)
					s.svcV6.take(a)
				}
			}
		case *corev1.Pod:
			for _, ip := range world.PodIPs(o) {
				if a, err := netip.ParseAddr(ip); err == nil {
					s.podV4.take(a)
					s.podV6.take(a)
				}
			}
		}
	}
}

// builtins adds the Services every kind cluster with Istio has, so a
// prediction is the sidecar's complete outbound listener set.
func (s *simulator) builtins() {
	// In a real cluster the API server creates kubernetes first, kind's
	// addons add kube-dns, and istiod comes with Istio: give them that age
	// order, all before the scenario's objects.
	age := map[string]time.Duration{"kubernetes": 3 * time.Hour, "kube-dns": 2 * time.Hour, "istiod": time.Hour}
	for _, b := range clusterdefaults.BuiltinServices {
		svc := corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: b.Name, CreationTimestamp: metav1.NewTime(Epoch.Add(-age[b.Name]))},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: maps.Clone(b.Selector),
				Ports: slices.Clone(b.Ports)},
		}
		if s.v4 {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, b.ClusterIPv4().String())
			svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, corev1.IPv4Protocol)
		}
		if s.v6 && !s.v4 {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, b.ClusterIPv6().String())
			svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, corev1.IPv6Protocol)
		}
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
		s.w.Services = append(s.w.Services, svc)
	}
}

// workloads makes the pods of every workload manifest (named as
// scenario.PodNames names them), and the standard client when no manifest
// defines the client. The client is the pod client.pod names, else the
// first pod of the workload the client labels select; its pinned
// addresses (client.ip, client.ips) replace the simulated ones of their
// families.
func (s *simulator) workloads() error {
	manifests, clientRef, clientIndex, err := s.clientWorkload()
	if err != nil {
		return err
	}
	for _, m := range manifests {
		tmpl, ok := scenario.PodTemplate(m.Object)
		if !ok {
			continue
		}
		client := -1
		if m.Ref() == clientRef {
			client = clientIndex
		}
		pods, err := s.workloadPods(m, *tmpl, client)
		if err != nil {
			return err
		}
		if client >= 0 && client < len(pods) {
			if err := s.setClient(m, pods[client]); err != nil {
				return err
			}
		}
		s.podsByRef[m.Ref()] = pods
		s.w.Pods = append(s.w.Pods, pods...)
	}
	return nil
}

// clientWorkload finds the client's workload: the one of client.pod (and
// the index of that pod in it), else the one the client labels select,
// else the standard client, added to the manifests it returns.
func (s *simulator) clientWorkload() (manifests []scenario.Manifest, clientRef string, clientIndex int, err error) {
	h := s.sc.Header
	clientNS, clientLabels := h.ClientNamespace(), h.ClientLabels()
	sel := labels.SelectorFromSet(clientLabels)
	manifests = s.sc.Manifests
	if m, i, ok := s.sc.ClientPod(); ok {
		return manifests, m.Ref(), i, nil
	}
	if h.Client.Pod != "" {
		return nil, "", 0, s.errorf(scenario.Manifest{Index: 1, Kind: "Scenario", Name: h.Name}, "client.pod", "client.pod %s: no such pod", h.Client.Pod)
	}
	// The loader allows one matching workload; where a header is set
	// after loading (analyze's clients), the last one with pods wins.
	for _, m := range manifests {
		if l, ok := scenario.PodLabels(m.Object); ok && m.Namespace == clientNS && sel.Matches(labels.Set(l)) &&
			(clientRef == "" || scenario.PodCount(m) > 0) {
			clientRef = m.Ref()
		}
	}
	if clientRef != "" {
		return manifests, clientRef, 0, nil
	}
	d, err := fixtures.Client(clientNS, clientLabels)
	if err != nil {
		return nil, "", 0, err
	}
	m := scenario.Manifest{APIVersion: "apps/v1", Kind: "Deployment", Namespace: clientNS, Name: d.Name, Object: d}
	return append(slices.Clone(manifests), m), m.Ref(), 0, nil
}

// workloadPods makes the pods of the workload m with the pod template
// tmpl; the one at index client (-1 for none) is the client's.
func (s *simulator) workloadPods(m scenario.Manifest, tmpl corev1.PodTemplateSpec, client int) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	count := scenario.PodCount(m)
	for i := 0; i < count; i++ {
		// One at a time: a workload larger than the pod range fails
		// when the range is exhausted, before naming the rest.
		name := scenario.PodName(m, i)
		var p corev1.Pod
		var err error
		if o, isPod := m.Object.(*corev1.Pod); isPod {
			p = *o.DeepCopy()
			p.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
			p.Namespace = m.Namespace
			p.CreationTimestamp = s.created(m)
			err = s.ready(&p, world.PodIPs(o), i == client)
		} else {
			p, err = s.pod(m, name, tmpl, i == client)
		}
		if err != nil {
			field := "spec.replicas"
			switch m.Kind {
			case "Pod":
				return nil, s.errorf(m, "", "pod IP: %v", err)
			case "Job":
				field = "spec.parallelism"
			case "DaemonSet", "CronJob":
				field = ""
			}
			return nil, s.errorf(m, field, "pod %s (%d of %d): %v", name, i+1, count, err)
		}
		if m.Kind == "StatefulSet" {
			p.Spec.Hostname, p.Spec.Subdomain = p.Name, m.Object.(*appsv1.StatefulSet).Spec.ServiceName
		}
		pods = append(pods, p)
	}
	return pods, nil
}

// setClient makes p, a pod of the workload m, the World's client.
func (s *simulator) setClient(m scenario.Manifest, p corev1.Pod) error {
	proxy, err := s.proxySettings(m, p)
	if err != nil {
		return err
	}
	s.w.Client = world.Client{
		Name: p.Name, Namespace: p.Namespace, Labels: p.Labels,
		ServiceAccount:   serviceAccount(p.Spec.ServiceAccountName),
		InterceptionMode: proxy.InterceptionMode,
		DNSCapture:       proxy.DNSCapture, DNSAutoAllocate: proxy.DNSAutoAllocate,
		Unprivileged: proxy.Unprivileged,
	}
	for _, ip := range p.Status.PodIPs {
		s.w.Client.IPs = append(s.w.Client.IPs, ip.IP)
	}
	return nil
}

// proxySettings is what the client pod's proxy reports to istiod: the
// header's client settings, and what they leave off taken from the pod's
// annotations over the mesh config's defaultConfig, as Istio's injector
// and pilot-agent take them, or from its injected istio-proxy container
// (scenario.PodProxySettings).
func (s *simulator) proxySettings(m scenario.Manifest, p corev1.Pod) (scenario.Client, error) {
	h := s.sc.Header
	c := h.Client
	meta, mode, err := scenario.PodProxySettings(scenario.MeshDefaultConfig(h.MeshConfig), p.Annotations, p.Spec)
	if err != nil {
		return c, s.errorf(m, templateField(m)+"annotations", "%v", err)
	}
	c.ApplyProxyMetadata(meta)
	c.InterceptionMode = orDefault(c.InterceptionMode, orDefault(mode, "REDIRECT"))
	switch c.InterceptionMode {
	case "REDIRECT", "TPROXY", "NONE":
	default:
		return c, s.errorf(m, templateField(m)+"annotations", "interception mode %q is not REDIRECT, TPROXY or NONE", c.InterceptionMode)
	}
	return c, nil
}

// templateField is where a workload's pod metadata is written.
func templateField(m scenario.Manifest) string {
	switch m.Kind {
	case "Pod":
		return "metadata."
	case "CronJob":
		return "spec.jobTemplate.spec.template.metadata."
	}
	return "spec.template.metadata."
}

func (s *simulator) pod(m scenario.Manifest, name string, tmpl corev1.PodTemplateSpec, client bool) (corev1.Pod, error) {
	p := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: *tmpl.ObjectMeta.DeepCopy(),
		Spec:       *tmpl.Spec.DeepCopy(),
	}
	p.Name, p.Namespace = name, m.Namespace
	p.CreationTimestamp = s.created(m)
	err := s.ready(&p, nil, client)
	return p, err
}

// ready gives a pod its IPs, a node and a Running, Ready status; it fails
// when the pod range of a family is exhausted. A Pod manifest's own
// addresses (fixed: world.PodIPs) are kept as written; the client pod gets
// the header's pinned addresses, and the simulated one of each cluster
// family they leave out.
func (s *simulator) ready(p *corev1.Pod, fixed []string, client bool) error {
	p.Spec.NodeName = "listenerlab-control-plane"
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	var pinned4, pinned6 string
	if client {
		for _, ip := range s.sc.Header.PinnedIPs() {
			if netip.MustParseAddr(ip).Is4() {
				pinned4 = ip
			} else {
				pinned6 = ip
			}
		}
	}
	var ips []string
	family := func(want bool, pinned string, p *pool) error {
		if !want {
			return nil
		}
		// A pinned family still takes its simulated address, so the
		// other pods' addresses do not depend on the pin.
		a, err := p.allocate()
		if err != nil {
			return err
		}
		ips = append(ips, cmp.Or(pinned, a.String()))
		return nil
	}
	switch {
	case len(fixed) > 0 && pinned4 == "" && pinned6 == "":
		ips = append(ips, fixed...)
	default:
		if err := family(s.v4, pinned4, s.podV4); err != nil {
			return err
		}
		if err := family(s.v6, pinned6, s.podV6); err != nil {
			return err
		}
	}
	p.Status.PodIP = ips[0]
	p.Status.PodIPs = nil
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	return nil
}

func (s *simulator) services() error {
	for _, m := range s.sc.Manifests {
		switch o := m.Object.(type) {
		case *corev1.Service:
			svc := *o.DeepCopy()
			svc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
			svc.Namespace = m.Namespace
			svc.CreationTimestamp = s.created(m)
			if err := s.assignClusterIPs(m, &svc); err != nil {
				return err
			}
			s.w.Services = append(s.w.Services, svc)
			s.w.EndpointSlices = append(s.w.EndpointSlices, s.endpointSlices(svc)...)
		//lint:ignore SA1019 v1 Endpoints in users' manifests are mirrored into EndpointSlices, as Kubernetes does.
		case *corev1.Endpoints:
			s.w.EndpointSlices = append(s.w.EndpointSlices, s.mirror(m, o)...)
		case *discoveryv1.EndpointSlice:
			es := *o.DeepCopy()
			es.TypeMeta = metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"}
			es.Namespace = m.Namespace
			es.CreationTimestamp = s.created(m)
			s.w.EndpointSlices = append(s.w.EndpointSlices, es)
		}
	}
	return nil
}

// mirror does what Kubernetes' EndpointSlice mirroring controller does for
// v1 Endpoints (pkg/controller/endpointslicemirroring): nothing when the
// Endpoints carry the endpointslice.kubernetes.io/skip-mirror=true label or
// a leader-election annotation, when no Service of the same name exists,
// or when that Service has a selector (the EndpointSlice controller owns its
// slices); otherwise one slice per address family and port set, holding
// the addresses (ready) and notReadyAddresses (not ready) of every subset
// with those ports, labelled with the Service's name and the mirroring
// controller, and the Endpoints' other labels.
//
//lint:ignore SA1019 v1 Endpoints in users' manifests are what is mirrored.
func (s *simulator) mirror(m scenario.Manifest, ep *corev1.Endpoints) []discoveryv1.EndpointSlice {
	if !s.mirrored(m, ep) {
		return nil
	}
	ms := &mirroredSlices{s: s, m: m, ep: ep, byKey: map[mirrorKey]*discoveryv1.EndpointSlice{}}
	for _, ss := range ep.Subsets {
		ports, portKey := mirrorPorts(ss.Ports)
		for _, a := range ss.Addresses {
			ms.add(a, true, ports, portKey)
		}
		for _, a := range ss.NotReadyAddresses {
			ms.add(a, false, ports, portKey)
		}
	}
	out := make([]discoveryv1.EndpointSlice, 0, len(ms.order))
	for _, k := range ms.order {
		out = append(out, *ms.byKey[k])
	}
	return out
}

// mirrored reports whether the mirroring controller mirrors ep: not
// skipped by label, no leader-election lock, and a Service of its name
// without a selector.
//
//lint:ignore SA1019 v1 Endpoints in users' manifests are what is mirrored.
func (s *simulator) mirrored(m scenario.Manifest, ep *corev1.Endpoints) bool {
	if ep.Labels[discoveryv1.LabelSkipMirror] == "true" {
		return false
	}
	if _, ok := ep.Annotations["control-plane.alpha.kubernetes.io/leader"]; ok {
		return false
	}
	var svc *corev1.Service
	for _, other := range s.sc.Manifests {
		if o, ok := other.Object.(*corev1.Service); ok && other.Namespace == m.Namespace && other.Name == m.Name {
			svc = o
		}
	}
	return svc != nil && len(svc.Spec.Selector) == 0
}

// mirrorPorts are a subset's ports as EndpointSlice ports (protocol TCP
// when unset), and the key of that port set.
func mirrorPorts(subsetPorts []corev1.EndpointPort) ([]discoveryv1.EndpointPort, string) {
	var ports []discoveryv1.EndpointPort
	var portKey []string
	for _, p := range subsetPorts {
		p := p
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		ports = append(ports, discoveryv1.EndpointPort{Name: &p.Name, Port: &p.Port, Protocol: &p.Protocol, AppProtocol: p.AppProtocol})
		portKey = append(portKey, fmt.Sprintf("%s/%d/%s", p.Name, p.Port, p.Protocol))
	}
	sort.Strings(portKey)
	return ports, strings.Join(portKey, ",")
}

// mirrorKey is what a mirrored slice holds: one address family and one
// port set.
type mirrorKey struct {
	family discoveryv1.AddressType
	ports  string
}

// mirroredSlices are the slices mirrored from the Endpoints ep of the
// manifest m, in the order they were first needed.
type mirroredSlices struct {
	s     *simulator
	m     scenario.Manifest
	ep    *corev1.Endpoints //lint:ignore SA1019 v1 Endpoints in users' manifests are what is mirrored.
	order []mirrorKey
	byKey map[mirrorKey]*discoveryv1.EndpointSlice
}

// add adds the address a, ready or not, with ports (their key portKey) to
// the slice of its family and port set, made on first use.
func (ms *mirroredSlices) add(a corev1.EndpointAddress, ready bool, ports []discoveryv1.EndpointPort, portKey string) {
	ip, err := netip.ParseAddr(a.IP)
	if err != nil {
		return // the controller skips invalid addresses
	}
	family := discoveryv1.AddressTypeIPv4
	if ip.Is6() && !ip.Is4In6() {
		family = discoveryv1.AddressTypeIPv6
	}
	k := mirrorKey{family, portKey}
	es, ok := ms.byKey[k]
	if !ok {
		ep := ms.ep
		labels := map[string]string{}
		for lk, lv := range ep.Labels {
			labels[lk] = lv
		}
		labels[discoveryv1.LabelServiceName] = ep.Name
		labels[discoveryv1.LabelManagedBy] = "endpointslicemirroring-controller.k8s.io"
		es = &discoveryv1.EndpointSlice{
			TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ms.m.Namespace, Name: ep.Name + "-" + shortHash(ep.Name+string(family)+k.ports, 5),
				Labels: labels, CreationTimestamp: ms.s.created(ms.m),
			},
			AddressType: family,
			Ports:       ports,
		}
		ms.byKey[k] = es
		ms.order = append(ms.order, k)
	}
	r := ready
	es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
		Addresses: []string{ip.String()}, Conditions: discoveryv1.EndpointConditions{Ready: &r},
		TargetRef: a.TargetRef, NodeName: a.NodeName, Hostname: nonEmpty(a.Hostname),
	})
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// assignClusterIPs does what the API server's allocator does: one address
// per family the Service asks for and the cluster has.
func (s *simulator) assignClusterIPs(m scenario.Manifest, svc *corev1.Service) error {
	if svc.Spec.Type == "" {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		svc.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		return s.headlessFamilies(m, svc)
	}
	families := svc.Spec.IPFamilies
	if len(families) == 0 {
		if s.v4 {
			families = append(families, corev1.IPv4Protocol)
		}
		if s.v6 {
			families = append(families, corev1.IPv6Protocol)
		}
	}
	dual := svc.Spec.IPFamilyPolicy != nil && *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack
	if !dual && len(families) > 1 {
		families = families[:1]
	}
	var ips []string
	var kept []corev1.IPFamily
	for i, f := range families {
		if f == corev1.IPv6Protocol && !s.v6 || f == corev1.IPv4Protocol && !s.v4 {
			if svc.Spec.IPFamilyPolicy != nil && *svc.Spec.IPFamilyPolicy == corev1.IPFamilyPolicyRequireDualStack {
				return s.errorf(m, "spec.ipFamilyPolicy", "RequireDualStack on a single-stack cluster (set client.ipFamily: DualStack in the header)")
			}
			continue
		}
		if i < len(svc.Spec.ClusterIPs) && svc.Spec.ClusterIPs[i] != "" {
			ips = append(ips, svc.Spec.ClusterIPs[i])
		} else if i == 0 && svc.Spec.ClusterIP != "" {
			ips = append(ips, svc.Spec.ClusterIP)
		} else {
			p := s.svcV4
			if f == corev1.IPv6Protocol {
				p = s.svcV6
			}
			a, err := p.allocate()
			if err != nil {
				return s.errorf(m, "spec.clusterIP", "%v", err)
			}
			ips = append(ips, a.String())
		}
		kept = append(kept, f)
	}
	if len(ips) == 0 {
		return s.errorf(m, "spec.ipFamilies", "no address family of %v exists in this cluster", families)
	}
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs, svc.Spec.IPFamilies = ips[0], ips, kept
	return nil
}

// headlessFamilies gives a headless Service the address families and
// policy the API server defaults (initIPFamilyFields,
// pkg/registry/core/service/storage/alloc.go): the policy written, else
// RequireDualStack for two families written or no selector, else
// SingleStack; the families written, else the cluster's first; and, for a
// policy other than SingleStack, the cluster's other family too. A
// headless Service with a selector and neither field is therefore single
// stack on a dual-stack cluster, and the EndpointSlice controller makes
// only its family's slice (endpointSlices). A family the cluster lacks is
// left out, as for a ClusterIP (assignClusterIPs).
func (s *simulator) headlessFamilies(m scenario.Manifest, svc *corev1.Service) error {
	var policy corev1.IPFamilyPolicy
	switch {
	case svc.Spec.IPFamilyPolicy != nil:
		policy = *svc.Spec.IPFamilyPolicy
	case len(svc.Spec.IPFamilies) == 2 || len(svc.Spec.Selector) == 0:
		policy = corev1.IPFamilyPolicyRequireDualStack
	default:
		policy = corev1.IPFamilyPolicySingleStack
	}
	has := func(f corev1.IPFamily) bool {
		return f == corev1.IPv4Protocol && s.v4 || f == corev1.IPv6Protocol && s.v6
	}
	selector := len(svc.Spec.Selector) > 0
	if selector && policy == corev1.IPFamilyPolicyRequireDualStack && !(s.v4 && s.v6) {
		return s.errorf(m, "spec.ipFamilyPolicy", "RequireDualStack on a single-stack cluster (set client.ipFamily: DualStack in the header)")
	}
	var families []corev1.IPFamily
	for _, f := range svc.Spec.IPFamilies {
		if has(f) && !slices.Contains(families, f) {
			families = append(families, f)
		}
	}
	if len(svc.Spec.IPFamilies) > 0 && len(families) == 0 {
		return s.errorf(m, "spec.ipFamilies", "no address family of %v exists in this cluster", svc.Spec.IPFamilies)
	}
	if len(families) == 0 {
		families = append(families, corev1.IPv4Protocol)
		if !s.v4 {
			families[0] = corev1.IPv6Protocol
		}
	}
	if policy != corev1.IPFamilyPolicySingleStack && len(families) == 1 {
		other := corev1.IPv6Protocol
		if families[0] == corev1.IPv6Protocol {
			other = corev1.IPv4Protocol
		}
		if has(other) {
			families = append(families, other)
		}
	}
	if policy == corev1.IPFamilyPolicySingleStack {
		families = families[:1]
	}
	svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy = families, &policy
	return nil
}

// endpointSlices does what the EndpointSlice controller does for a Service
// with a selector: one slice per address family of the Service
// (getAddressTypesForService) with the ready pods it selects.
func (s *simulator) endpointSlices(svc corev1.Service) []discoveryv1.EndpointSlice {
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var out []discoveryv1.EndpointSlice
	for _, family := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
		if !slices.Contains(svc.Spec.IPFamilies, corev1.IPFamily(family)) {
			continue
		}
		es := discoveryv1.EndpointSlice{
			TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
			ObjectMeta: metav1.ObjectMeta{
				Namespace: svc.Namespace, Name: svc.Name + "-" + shortHash(svc.Name+string(family), 5),
				Labels:            map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"},
				CreationTimestamp: svc.CreationTimestamp,
			},
			AddressType: family,
		}
		// By index: a copy of every pod for every Service made resolving a
		// large folder quadratic in allocations.
		for i := range s.w.Pods {
			p := &s.w.Pods[i]
			if p.Namespace != svc.Namespace || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			node := p.Spec.NodeName
			for _, ip := range p.Status.PodIPs {
				a := netip.MustParseAddr(ip.IP)
				if a.Is4() != (family == discoveryv1.AddressTypeIPv4) {
					continue
				}
				ready := true
				es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
					Addresses:  []string{ip.IP},
					Conditions: discoveryv1.EndpointConditions{Ready: &ready},
					NodeName:   &node,
					TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name},
				})
			}
		}
		if len(es.Endpoints) == 0 {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			name, proto := sp.Name, sp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			port := targetPort(sp, s.w.Pods, sel, svc.Namespace)
			es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol})
		}
		out = append(out, es)
	}
	return out
}

// targetPort resolves a Service port's targetPort: a number, a container
// port name of the selected pods, or the port itself.
func targetPort(sp corev1.ServicePort, pods []corev1.Pod, sel labels.Selector, ns string) int32 {
	switch {
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for i := range pods {
			p := &pods[i]
			if p.Namespace != ns || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			for _, c := range p.Spec.Containers {
				for _, cp := range c.Ports {
					if cp.Name == sp.TargetPort.StrVal {
						return cp.ContainerPort
					}
				}
			}
		}
	}
	return sp.Port
}

// istio copies the Istio objects and, where the version's allocation
// controller runs, writes the addresses it would assign into ServiceEntry
// status.
func (s *simulator) istio(v versions.Version) error {
	controller := v.IPAutoallocateByDefault()
	if val, ok := s.w.Env["PILOT_ENABLE_IP_AUTOALLOCATE"]; ok {
		controller = val == "true" || val == "1"
	}
	autoV4, autoV6 := newPool(clusterdefaults.AutoAllocateV4, 1, "Istio's IPv4 ServiceEntry auto-allocation range"), newPool(clusterdefaults.AutoAllocateV6, 1, "Istio's IPv6 ServiceEntry auto-allocation range")
	for _, m := range s.sc.Manifests {
		switch o := m.Object.(type) {
		case *networkingv1.ServiceEntry:
			se := o.DeepCopy()
			se.TypeMeta = metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "ServiceEntry"}
			se.Namespace, se.CreationTimestamp = m.Namespace, s.created(m)
			if controller && len(se.Status.GetAddresses()) == 0 && wantsAutoAddress(se) {
				for _, host := range se.Spec.Hosts {
					// The controller keeps wildcard hosts only for
					// DYNAMIC_DNS (ipallocate.go keepHost).
					if strings.HasPrefix(host, "*") && se.Spec.Resolution != apiv1alpha3.ServiceEntry_DYNAMIC_DNS {
						continue
					}
					a4, err := autoV4.allocate()
					if err != nil {
						return s.errorf(m, "spec.hosts", "%v", err)
					}
					a6, err := autoV6.allocate()
					if err != nil {
						return s.errorf(m, "spec.hosts", "%v", err)
					}
					se.Status.Addresses = append(se.Status.Addresses,
						&apiv1alpha3.ServiceEntryAddress{Value: a4.String(), Host: host},
						&apiv1alpha3.ServiceEntryAddress{Value: a6.String(), Host: host})
				}
			}
			s.w.ServiceEntries = append(s.w.ServiceEntries, se)
		case *networkingv1.WorkloadEntry, *networkingv1.Sidecar,
			*networkingv1.VirtualService, *networkingv1.DestinationRule, *networkingv1alpha3.EnvoyFilter:
			s.istioConfig(m)
		}
	}
	return nil
}

// wantsAutoAddress is the allocation controller's filter: no addresses of its
// own, a resolution that can use a VIP, and no opt-out label.
func wantsAutoAddress(se *networkingv1.ServiceEntry) bool {
	return len(se.Spec.Addresses) == 0 &&
		se.Spec.Resolution != apiv1alpha3.ServiceEntry_NONE &&
		!strings.EqualFold(se.Labels[AutoAllocateLabel], "false")
}

// namespaces lists every namespace the World's objects live in, keeping the
// labels of Namespace manifests.
func (s *simulator) namespaces() {
	byName := map[string]corev1.Namespace{}
	add := func(name string) {
		if _, ok := byName[name]; !ok && name != "" {
			byName[name] = corev1.Namespace{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(Epoch.Add(-time.Hour))},
			}
		}
	}
	for _, m := range s.sc.Manifests {
		if ns, ok := m.Object.(*corev1.Namespace); ok {
			n := *ns.DeepCopy()
			n.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
			n.CreationTimestamp = metav1.NewTime(Epoch.Add(-time.Hour))
			byName[n.Name] = n
		}
	}
	for _, name := range append(slices.Clone(clusterdefaults.Namespaces), s.w.Client.Namespace) {
		add(name)
	}
	for _, m := range s.sc.Manifests {
		add(m.Namespace)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s.w.Namespaces = append(s.w.Namespaces, byName[n])
	}
}

func replicas(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

func serviceAccount(name string) string { return orDefault(name, "default") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shortHash is scenario.GeneratedSuffix: the simulated controllers'
// name suffixes.
func shortHash(s string, n int) string { return scenario.GeneratedSuffix(s, n) }
