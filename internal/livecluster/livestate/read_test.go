package livestate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

const text = `kind: Scenario
name: readback
client: {dnsCapture: true, dnsAutoAllocate: true}
expect:
- listeners:
    10.96.1.1_5432: ["all -> cluster outbound|5432||postgres.default.svc.cluster.local"]
    240.240.0.1_3306: ["all -> cluster outbound|3306||db.example.com"]
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec:
  selector: {app: postgres}
  ports: [{name: tcp-pg, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db}
spec:
  hosts: [db.example.com]
  ports: [{number: 3306, name: tcp, protocol: TCP}]
  resolution: DNS
`

func ns(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func svc(ns, name, ip string, port int32) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
		Spec: corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip}, Ports: []corev1.ServicePort{{Name: "tcp", Port: port}}}}
}

func pod(ns, name, ip string, l map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: l},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}}
}

// fakeCluster is what a kind cluster holds after the suite applied the
// isolated scenario: other ClusterIPs and pod IPs than the simulation's.
func fakeCluster(t *testing.T) (*isolate.Isolated, livestate.Clients) {
	t.Helper()
	sc, err := scenario.Parse("readback.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := isolate.Isolate(sc, isolate.Options{Run: "r"})
	if err != nil {
		t.Fatal(err)
	}
	live := iso.ClientNamespace()
	ready := true
	kube := kubefake.NewClientset([]runtime.Object{
		ns("default"), ns("kube-system"), ns("istio-system"), ns(live), ns("unrelated"),
		svc("default", "kubernetes", "10.96.0.1", 443),
		svc("kube-system", "kube-dns", "10.96.0.10", 53),
		svc("istio-system", "istiod", "10.96.77.7", 15012),
		svc(live, "postgres", "10.96.200.9", 5432),
		svc("unrelated", "other", "10.96.3.3", 80),
		pod(live, "postgres-7d9f-abcde", "10.244.0.31", map[string]string{"app": "postgres"}),
		pod(live, "client-5c6d-xyz12", "10.244.0.32", map[string]string{"app": "client"}),
		pod("unrelated", "x", "10.244.0.99", map[string]string{"app": "client"}),
		&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: live, Name: "postgres-abc"}, AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.31"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}},
	}...)
	se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Namespace: live, Name: "db"}}
	se.Spec.Hosts = []string{"db.example.com"}
	se.Spec.Ports = []*apiv1alpha3.ServicePort{{Number: 3306, Name: "tcp", Protocol: "TCP"}}
	se.Spec.Resolution = apiv1alpha3.ServiceEntry_DNS
	se.Status.Addresses = []*apiv1alpha3.ServiceEntryAddress{{Value: "240.240.0.9", Host: "db.example.com"}}
	sidecar := &networkingv1.Sidecar{ObjectMeta: metav1.ObjectMeta{Namespace: live, Name: isolate.IsolationSidecar}}
	sidecar.Spec.Egress = []*apiv1alpha3.IstioEgressListener{{Hosts: []string{live + "/*", "default/*", "istio-system/*", "kube-system/*"}}}
	other := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Namespace: "unrelated", Name: "x"}}
	return iso, livestate.Clients{Kube: kube, Istio: istiofake.NewSimpleClientset(se, sidecar, other)}
}

func TestReadBuildsTheWorldOfTheScenarioOnly(t *testing.T) {
	iso, c := fakeCluster(t)
	w, err := livestate.Read(context.Background(), c, livestate.ForIsolated(iso))
	if err != nil {
		t.Fatal(err)
	}
	live := iso.ClientNamespace()
	if w.Format != world.Format || w.Scenario != "readback" {
		t.Errorf("format %q scenario %q", w.Format, w.Scenario)
	}
	var names []string
	for _, s := range w.Services {
		names = append(names, s.Namespace+"/"+s.Name+"="+s.Spec.ClusterIP)
		if s.Kind != "Service" || s.APIVersion != "v1" || s.ManagedFields != nil {
			t.Errorf("service %s: type %s/%s, managed fields %v", s.Name, s.APIVersion, s.Kind, s.ManagedFields)
		}
	}
	want := "default/kubernetes=10.96.0.1 istio-system/istiod=10.96.77.7 kube-system/kube-dns=10.96.0.10 " + live + "/postgres=10.96.200.9"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("services:\n got %s\nwant %s", got, want)
	}
	if len(w.Pods) != 2 || len(w.EndpointSlices) != 1 || len(w.ServiceEntries) != 1 || len(w.Sidecars) != 1 || len(w.Namespaces) != 4 {
		t.Errorf("pods %d slices %d SEs %d sidecars %d namespaces %d", len(w.Pods), len(w.EndpointSlices), len(w.ServiceEntries), len(w.Sidecars), len(w.Namespaces))
	}
	if got := w.ServiceEntries[0].Status.GetAddresses(); len(got) != 1 || got[0].GetValue() != "240.240.0.9" {
		t.Errorf("ServiceEntry status addresses %v", got)
	}
	if w.Client.Name != "client-5c6d-xyz12" || w.Client.IPs[0] != "10.244.0.32" || w.Client.InterceptionMode != "REDIRECT" || w.Client.ServiceAccount != "default" {
		t.Errorf("client %+v", w.Client)
	}
	// The World round-trips through its interchange format.
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var back world.World
	if err := json.Unmarshal(b, &back); err != nil || back.Format != world.Format {
		t.Fatalf("round trip: %v", err)
	}
}

func TestReadNamesAMissingClient(t *testing.T) {
	iso, c := fakeCluster(t)
	_ = c.Kube.CoreV1().Pods(iso.ClientNamespace()).Delete(context.Background(), "client-5c6d-xyz12", metav1.DeleteOptions{})
	_, err := livestate.Read(context.Background(), c, livestate.ForIsolated(iso))
	var nf *livestate.ClientNotFoundError
	if err == nil || !strings.Contains(err.Error(), "app=client") || !strings.Contains(err.Error(), "postgres-7d9f-abcde") {
		t.Fatalf("err = %v", err)
	}
	_ = nf
}

// TestTranslatorChecksExpectationsOnALiveWorld: the predictor run on the
// live World names live addresses and namespaces; translated, the
// listeners meet the scenario's expectations written for the simulation.
func TestTranslatorChecksExpectationsOnALiveWorld(t *testing.T) {
	iso, c := fakeCluster(t)
	w, err := livestate.Read(context.Background(), c, livestate.ForIsolated(iso))
	if err != nil {
		t.Fatal(err)
	}
	v := versions.Newest()
	sim, err := resolve.Simulate(iso.Live, v)
	if err != nil {
		t.Fatal(err)
	}
	p, err := predictor.Predict(w, v)
	if err != nil {
		t.Fatal(err)
	}
	tr := livestate.NewTranslator(iso, sim, w)
	got := tr.Listeners(p.Listeners)
	names := map[string]listener.Listener{}
	for _, l := range got {
		names[l.Name] = l
	}
	for _, n := range []string{"10.96.1.1_5432", "240.240.0.1_3306", "10.96.0.1_443", "10.96.0.11_15012"} {
		if _, ok := names[n]; !ok {
			t.Errorf("translated listeners lack %s: %v", n, keys(names))
		}
	}
	if s := tr.String("outbound|5432||postgres." + iso.ClientNamespace() + ".svc.cluster.local 10.96.200.9_5432 10.244.0.32/32 10.96.200.91"); s != "outbound|5432||postgres.default.svc.cluster.local 10.96.1.1_5432 "+sim.Client.IPs[0]+"/32 10.96.200.91" {
		t.Errorf("String = %q", s)
	}
}

func keys(m map[string]listener.Listener) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A StatefulSet's pods have the same names in the simulated and the live
// World; each must still pair with its namesake (found by e2e-local: the
// headless scenarios' per-pod listeners were not translated).
func TestTranslatorPairsStatefulSetPodsByName(t *testing.T) {
	iso := isolatedZooKeeper(t, "", 2)
	v := versions.Newest()
	sim, err := resolve.Simulate(iso.Live, v)
	if err != nil {
		t.Fatal(err)
	}
	ns := iso.ClientNamespace()
	live := &world.World{Client: world.Client{Name: "client-1", Namespace: ns, IPs: []string{"10.244.0.2"}},
		Pods: []corev1.Pod{*pod(ns, "zk-0", "10.244.0.3", map[string]string{"app": "zk"}), *pod(ns, "zk-1", "10.244.0.1", map[string]string{"app": "zk"}),
			*pod(ns, "client-1", "10.244.0.2", map[string]string{"app": "client"})}}
	simIP := map[string]string{}
	for _, p := range sim.Pods {
		simIP[p.Name] = p.Status.PodIPs[0].IP
	}
	tr := livestate.NewTranslator(iso, sim, live)
	want := simIP["zk-0"] + "_2888 " + simIP["zk-1"] + "_2888"
	if got := tr.String("10.244.0.3_2888 10.244.0.1_2888"); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// TestPairingTranslatesOnlyWhatDiffers: a captured World keeps the
// scenario's ClusterIPs; the pairing maps the built-in istiod Service's
// live ClusterIP (random in a cluster) and the client's pod address to
// the resolver's, leaves equal ones alone and renames no namespace.
func TestPairingTranslatesOnlyWhatDiffers(t *testing.T) {
	svc := func(ns, name, ip string) corev1.Service {
		return corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip}}}
	}
	sim := &world.World{
		Services: []corev1.Service{svc("istio-system", "istiod", "10.96.0.11"), svc("ll1-default", "db", "10.96.7.7")},
		Client:   world.Client{Name: "client-0", Namespace: "ll1-default", IPs: []string{"10.244.0.9"}},
	}
	live := &world.World{
		Services: []corev1.Service{svc("istio-system", "istiod", "10.96.183.4"), svc("ll1-default", "db", "10.96.7.7")},
		Client:   world.Client{Name: "client-0", Namespace: "ll1-default", IPs: []string{"10.244.0.3"}},
	}
	tr := livestate.NewPairing(sim, live)
	for in, want := range map[string]string{
		"10.96.183.4_15012": "10.96.0.11_15012",
		"10.96.7.7_5432":    "10.96.7.7_5432",
		"10.244.0.3":        "10.244.0.9",
		"outbound|5432||db.ll1-default.svc.cluster.local": "outbound|5432||db.ll1-default.svc.cluster.local",
	} {
		if got := tr.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := tr.Addresses(); len(got) != 2 {
		t.Errorf("pairs %v, want the istiod ClusterIP and the client's address only", got)
	}
}

// TestReadClientPodByName: client.pod names a StatefulSet pod, whose name
// a cluster keeps: the live client is that pod, not the first with the
// client labels, and its namesakes pair up in translation.
func TestReadClientPodByName(t *testing.T) {
	iso := isolatedZooKeeper(t, "client: {pod: zk-1}\n", 3)
	live := iso.ClientNamespace()
	zk := map[string]string{"app": "zk"}
	kube := kubefake.NewClientset(ns("default"), ns("kube-system"), ns("istio-system"), ns(live),
		pod(live, "zk-0", "10.244.0.7", zk), pod(live, "zk-1", "10.244.0.5", zk), pod(live, "zk-2", "10.244.0.6", zk))
	c := livestate.Clients{Kube: kube, Istio: istiofake.NewSimpleClientset()}
	w, err := livestate.Read(context.Background(), c, livestate.ForIsolated(iso))
	if err != nil {
		t.Fatal(err)
	}
	if w.Client.Name != "zk-1" || w.Client.IPs[0] != "10.244.0.5" {
		t.Errorf("live client %s %v, want zk-1 10.244.0.5", w.Client.Name, w.Client.IPs)
	}
	sim, err := resolve.Simulate(iso.Live, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	if sim.Client.Name != "zk-1" {
		t.Errorf("simulated client %s, want zk-1", sim.Client.Name)
	}
	simIP := map[string]string{}
	for _, p := range sim.Pods {
		simIP[p.Name] = p.Status.PodIPs[0].IP
	}
	tr := livestate.NewTranslator(iso, sim, w)
	want := simIP["zk-0"] + " " + simIP["zk-1"] + " " + simIP["zk-2"]
	if got := tr.String("10.244.0.7 10.244.0.5 10.244.0.6"); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if err := c.Kube.CoreV1().Pods(live).Delete(context.Background(), "zk-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := livestate.Read(context.Background(), c, livestate.ForIsolated(iso)); err == nil || !strings.Contains(err.Error(), "no running client pod zk-1") {
		t.Errorf("without zk-1: %v", err)
	}
}

// isolatedZooKeeper isolates a scenario of a headless Service zk-hs over a
// StatefulSet zk of replicas pods, with header lines added to its Scenario
// document.
func isolatedZooKeeper(t *testing.T, header string, replicas int) *isolate.Isolated {
	t.Helper()
	sc, err := scenario.Parse("sts.yaml", []byte(fmt.Sprintf(`kind: Scenario
name: sts
%s---
apiVersion: v1
kind: Service
metadata: {name: zk-hs}
spec:
  clusterIP: None
  selector: {app: zk}
  ports: [{name: tcp-server, port: 2888}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: zk}
spec:
  serviceName: zk-hs
  replicas: %d
  selector: {matchLabels: {app: zk}}
  template:
    metadata: {labels: {app: zk}}
    spec: {containers: [{name: zk, image: zookeeper}]}
`, header, replicas)))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := isolate.Isolate(sc, isolate.Options{Run: "r"})
	if err != nil {
		t.Fatal(err)
	}
	return iso
}

// TestReadSkipsANamespaceGoneOnlyWhenAsked: a namespace deleted after it
// was listed is an error for a scenario's own read and skipped for a
// capture of the whole cluster (SkipGone).
func TestReadSkipsANamespaceGoneOnlyWhenAsked(t *testing.T) {
	iso, c := fakeCluster(t)
	sel := livestate.ForIsolated(iso)
	sel.Namespaces = append(sel.Namespaces, "deleted-meanwhile")
	if _, err := livestate.Read(context.Background(), c, sel); err == nil || !strings.Contains(err.Error(), "deleted-meanwhile") {
		t.Fatalf("without SkipGone: err = %v, want one naming the namespace", err)
	}
	sel.SkipGone = true
	w, err := livestate.Read(context.Background(), c, sel)
	if err != nil {
		t.Fatalf("with SkipGone: %v", err)
	}
	if w.Client.Name == "" {
		t.Error("with SkipGone the scenario's own World is still read")
	}
}

// TestTranslatorPairsDualStackPodAddresses: an expectation names a
// dual-stack pod's listeners by the simulated addresses of both its
// families (fd00:10:244::a_9042); the live pod's addresses of each family
// translate to them, in a listener's name, address and additional
// addresses alike.
func TestTranslatorPairsDualStackPodAddresses(t *testing.T) {
	iso := isolatedZooKeeper(t, "client: {ipFamily: DualStack}\n", 2)
	sim, err := resolve.Simulate(iso.Live, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	simIPs := map[string][]string{}
	for _, p := range sim.Pods {
		for _, ip := range p.Status.PodIPs {
			simIPs[p.Name] = append(simIPs[p.Name], ip.IP)
		}
	}
	ns := iso.ClientNamespace()
	dual := func(name, v4, v6 string, l map[string]string) corev1.Pod {
		p := *pod(ns, name, v4, l)
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: v6})
		return p
	}
	zk := map[string]string{"app": "zk"}
	live := &world.World{Client: world.Client{Name: "client-1", Namespace: ns, IPs: []string{"10.244.0.2", "fd00:10:244::2"}},
		Pods: []corev1.Pod{dual("zk-0", "10.244.0.7", "fd00:10:244::7", zk), dual("zk-1", "10.244.0.3", "fd00:10:244::3", zk),
			dual("client-1", "10.244.0.2", "fd00:10:244::2", map[string]string{"app": "client"})}}
	tr := livestate.NewTranslator(iso, sim, live)
	for _, tc := range []struct{ name, live, want string }{
		{"IPv6 listener of the first pod", "fd00:10:244::7_2888", simIPs["zk-0"][1] + "_2888"},
		{"IPv6 listener of the second pod", "fd00:10:244::3_2888", simIPs["zk-1"][1] + "_2888"},
		{"IPv4 listener", "10.244.0.3_2888", simIPs["zk-1"][0] + "_2888"},
		{"IPv6 written long", "fd00:10:244:0:0:0:0:7_2888", simIPs["zk-0"][1] + "_2888"},
		{"an address of no pod", "fd00:10:244::99_2888", "fd00:10:244::99_2888"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tr.String(tc.live); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.live, got, tc.want)
			}
		})
	}
	got := tr.Listeners([]listener.Listener{{Name: "10.244.0.7_7000", Address: "10.244.0.7", AdditionalAddresses: []string{"fd00:10:244::7"}, Port: 7000}})
	if l := got[0]; l.Name != simIPs["zk-0"][0]+"_7000" || l.Address != simIPs["zk-0"][0] || len(l.AdditionalAddresses) != 1 || l.AdditionalAddresses[0] != simIPs["zk-0"][1] {
		t.Errorf("listener %s on %s with %v, want the simulated %v", l.Name, l.Address, l.AdditionalAddresses, simIPs["zk-0"])
	}
	if len(simIPs["zk-0"]) != 2 || simIPs["zk-0"][1] != "fd00:10:244::a" {
		t.Errorf("simulated zk-0 %v, want its IPv6 address fd00:10:244::a as the scenarios name it", simIPs["zk-0"])
	}
}
