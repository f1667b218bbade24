package capture_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/testkit/capturetest"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

var at = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func opts() capture.Options {
	return capture.Options{Namespace: capturetest.Namespace, Pod: capturetest.Pod, Context: "kind-prod", Now: func() time.Time { return at }}
}

func captureFake(t *testing.T) *capture.Result {
	t.Helper()
	res, err := capture.Capture(context.Background(), capturetest.Cluster(), opts())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// load writes the capture to a file and loads it as predict would.
func load(t *testing.T, res *capture.Result) *scenario.Scenario {
	t.Helper()
	path := filepath.Join(t.TempDir(), "captured.yaml")
	if err := capture.WriteFile(path, res.YAML); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.LoadFile(path)
	if err != nil {
		t.Fatalf("the captured scenario does not load: %v\n%s", err, res.YAML)
	}
	return sc
}

func TestCaptureWritesTheVisibleObjects(t *testing.T) {
	res := captureFake(t)
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	want := []string{
		"Deployment/shop/client",
		"EndpointSlice/shop/cache-p2m4x", "EndpointSlice/shop/legacy-db-x7k2p",
		"Service/shop/cache", "Service/shop/client-peers", "Service/shop/legacy-db", "Service/shop/web", "Service/team-b/api", "Service/team-b/shared",
		"ServiceEntry/shop/sql-a", "ServiceEntry/shop/sql-b",
		"Sidecar/shop/default",
	}
	if got := strings.Join(res.Objects, " "); got != strings.Join(want, " ") {
		t.Errorf("objects, sorted by kind, namespace, name:\n got %s\nwant %s", got, strings.Join(want, " "))
	}
	sc := load(t, res)
	h := sc.Header
	if h.Name != capturetest.Pod || !strings.Contains(h.Description, "shop/"+capturetest.Pod) || !strings.Contains(h.Description, "kind-prod") ||
		!strings.Contains(h.Description, "2026-03-02T09:30:00Z") || !strings.Contains(h.Description, "pilot:1.26.0") {
		t.Errorf("name %q description %q", h.Name, h.Description)
	}
	c := h.Client
	wantLabels := map[string]string{"app": "client", "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": "client"}
	if c.Namespace != "shop" || len(c.Labels) != len(wantLabels) || c.Labels["app"] != "client" || c.Labels["security.istio.io/tlsMode"] != "istio" {
		t.Errorf("client %+v, want labels %v (no pod-template-hash)", c, wantLabels)
	}
	// The environment (false) wins over the annotation (true); the mesh's
	// defaultConfig gives auto-allocation.
	if c.DNSCapture || !c.DNSAutoAllocate || c.InterceptionMode != "REDIRECT" || c.IPFamily != "" {
		t.Errorf("proxy metadata %+v", c)
	}
	// Pinned (found by e2e-local's capture round trip): the resolver's own
	// choice could be a live endpoint's address of a headless Service.
	if len(c.IPs) != 1 || c.IPs[0] != "10.244.1.5" {
		t.Errorf("client.ips %q, want the pod's 10.244.1.5", c.IPs)
	}
	if len(h.Istiod.Env) != 3 || h.Istiod.Env["PILOT_ENABLE_IP_AUTOALLOCATE"] != "true" || h.Istiod.Env["PILOT_ENABLE_AMBIENT"] != "false" ||
		h.Istiod.Env["PILOT_ENABLE_REDIS_FILTER"] != "true" {
		t.Errorf("istiod env %v", h.Istiod.Env)
	}
	if otp, _ := h.MeshConfig["outboundTrafficPolicy"].(map[string]any); otp["mode"] != "REGISTRY_ONLY" || len(h.MeshConfig) != 1 {
		t.Errorf("meshConfig %v", h.MeshConfig)
	}
	if got := strings.Join(h.CreationOrder, " "); got != "Service/team-b/shared ServiceEntry/shop/sql-b" {
		t.Errorf("creationOrder %q", got)
	}
	if m, _ := sc.Find("Service/team-b/shared"); !strings.Contains(string(m.YAML), "networking.istio.io/exportTo: shop") {
		t.Errorf("the exportTo annotation is lost:\n%s", m.YAML)
	}
	for _, ref := range []string{"Service/shop/web", "Service/shop/legacy-db"} {
		m, _ := sc.Find(ref)
		if !strings.Contains(string(m.YAML), "clusterIP: 10.96.20.") || !strings.Contains(string(m.YAML), "clusterIPs:") {
			t.Errorf("%s lost its ClusterIP:\n%s", ref, m.YAML)
		}
	}
	if m, _ := sc.Find("ServiceEntry/shop/sql-a"); !strings.Contains(string(m.YAML), "value: 240.240.0.1") {
		t.Errorf("status addresses lost:\n%s", m.YAML)
	}
	if m, _ := sc.Find("Deployment/shop/client"); !strings.Contains(string(m.YAML), "replicas: 2") || !strings.Contains(string(m.YAML), "containerPort: 8080") {
		t.Errorf("client workload:\n%s", m.YAML)
	}
}

func TestCaptureStripsSecretsAndUnrelatedFields(t *testing.T) {
	out := string(captureFake(t).YAML)
	for _, absent := range []string{
		capturetest.Secret, "kind: Secret", "kind: ConfigMap", "db-credentials", "app-config",
		"managedFields", "resourceVersion", "uid:", "generation", "observedGeneration", "ownerReferences",
		"last-applied-configuration", "team.example.com", "creationTimestamp", "loadBalancer", "nodePort", "sessionAffinity",
		"istio-proxy", "sidecar.istio.io/status", "pod-template-hash", "serviceAccountName", "DB_PASSWORD", "sleep",
		"nodeName", "zone-1", "managed-by", "PILOT_TRACE_SAMPLING",
		// invisible or built in
		"team-b/internal", "name: internal", "private-db", "remote", "only-batch", "name: kubernetes", "kube-dns", "10.96.44.4",
		// a Service with a selector gets its slices from the resolver (for a
		// headless one: those of the client's pods)
		"web-abcde", "client-peers-h8s9d", "targetRef",
	} {
		if strings.Contains(out, absent) {
			t.Errorf("output holds %q:\n%s", absent, out)
		}
	}
}

func TestCaptureIsDeterministic(t *testing.T) {
	first, second := captureFake(t), captureFake(t)
	if !bytes.Equal(first.YAML, second.YAML) {
		t.Errorf("two captures of the same cluster differ:\n%s\n---- second ----\n%s", first.YAML, second.YAML)
	}
}

// TestCapturedScenarioPredictsTheShadowing: the two address-less TCP
// ServiceEntries on 3306 share 0.0.0.0_3306 (the client has no DNS
// capture, so the status addresses are unused); the older, sql-a, takes it.
func TestCapturedScenarioPredictsTheShadowing(t *testing.T) {
	sc := load(t, captureFake(t))
	v := versions.Newest()
	_, p, err := resolve.Predict(sc, v)
	if err != nil {
		t.Fatal(err)
	}
	want := []scenario.Expectation{{
		Listeners: map[string][]string{
			"0.0.0.0_3306":    {"all -> cluster outbound|3306||sql-a.example.com"},
			"10.96.20.2_5432": {"all -> cluster outbound|5432||legacy-db.shop.svc.cluster.local"},
			"0.0.0.0_8080":    nil, // shop/web
			"0.0.0.0_9090":    nil, // team-b/shared
			"0.0.0.0_80":      nil, // team-b/api
			// headless: one listener per endpoint, the captured one and
			// the resolver's for the client's two replicas
			"10.244.1.20_6379": {"all -> cluster outbound|6379||cache.shop.svc.cluster.local"},
		},
		// team-b/internal is not exported to shop, far/remote not imported.
		Absent:    []string{"10.96.30.2_7000", "10.96.40.1_7001"},
		Conflicts: []string{"0.0.0.0_3306 sql-b.example.com"},
	}}
	if d := compare.Expectations(want, v, p.Listeners, p.Conflicts); len(d) > 0 {
		t.Errorf("prediction on the captured scenario: %v", d)
	}
}

func TestUnknownPodIsNamedWithThePodsThere(t *testing.T) {
	o := opts()
	o.Pod = "client-gone"
	_, err := capture.Capture(context.Background(), capturetest.Cluster(), o)
	var nf *capture.PodNotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "no pod client-gone in namespace shop") || !strings.Contains(err.Error(), capturetest.Pod) {
		t.Fatalf("err = %v", err)
	}
}

// TestAnObjectTheLoaderRefusesIsWrittenWithAWarning: a live ServiceEntry
// port without a name (the API server takes it, the scenario loader does
// not) is written as it is, and the warning names the object and field.
func TestAnObjectTheLoaderRefusesIsWrittenWithAWarning(t *testing.T) {
	c := capturetest.Cluster()
	se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "unnamed-port"}}
	se.Spec.Hosts = []string{"cache.example.com"}
	se.Spec.Ports = []*apiv1alpha3.ServicePort{{Number: 6379, Protocol: "TCP"}}
	if _, err := c.Istio.NetworkingV1().ServiceEntries("shop").Create(context.Background(), se, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := capture.Capture(context.Background(), c, opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Object != "ServiceEntry/shop/unnamed-port" || res.Warnings[0].Field != "spec.ports[0].name" {
		t.Fatalf("warnings %v", res.Warnings)
	}
	if !strings.Contains(string(res.YAML), "cache.example.com") {
		t.Error("the refused object was not written")
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := capture.WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	if err := capture.WriteFile(filepath.Join(dir, "missing", "s.yaml"), []byte("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestCaptureWritesVirtualServices: the VirtualServices the client's
// namespace can see are written (found by e2e-local's capture round trip:
// without them a TCP route's subset chain was lost), those it cannot see
// are not, and a short host is matched as the Service it names.
func TestCaptureWritesVirtualServices(t *testing.T) {
	c := capturetest.Cluster()
	vs := func(ns, name string, hosts []string, exportTo ...string) *networkingv1.VirtualService {
		v := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(capturetest.T0)}}
		v.Spec.Hosts, v.Spec.ExportTo = hosts, exportTo
		v.Spec.Tcp = []*apiv1alpha3.TCPRoute{{Route: []*apiv1alpha3.RouteDestination{{Destination: &apiv1alpha3.Destination{Host: hosts[0], Subset: "primary"}}}}}
		return v
	}
	for _, v := range []*networkingv1.VirtualService{
		vs("shop", "sql-a", []string{"sql-a.example.com"}),
		vs("shop", "web", []string{"web"}),
		vs("team-b", "private", []string{"api"}, "."),
		vs("far", "remote", []string{"remote.far.svc.cluster.local"}),
	} {
		if _, err := c.Istio.NetworkingV1().VirtualServices(v.Namespace).Create(context.Background(), v, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := capture.Capture(context.Background(), c, opts())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Objects {
		if strings.HasPrefix(o, "VirtualService/") {
			got = append(got, o)
		}
	}
	// team-b/private is not exported to shop; far is not imported.
	if want := "VirtualService/shop/sql-a VirtualService/shop/web"; strings.Join(got, " ") != want {
		t.Errorf("VirtualServices %q, want %q", got, want)
	}
	sc := load(t, res)
	v := versions.Newest()
	_, p, err := resolve.Predict(sc, v)
	if err != nil {
		t.Fatal(err)
	}
	want := []scenario.Expectation{{Listeners: map[string][]string{
		"0.0.0.0_3306": {"all -> cluster outbound|3306|primary|sql-a.example.com"},
	}}}
	if d := compare.Expectations(want, v, p.Listeners, p.Conflicts); len(d) > 0 {
		t.Errorf("prediction on the captured scenario: %v", d)
	}
}

// TestCaptureReadsTheMeshInterceptionMode: the injector renders
// ISTIO_META_INTERCEPTION_MODE from the mesh's defaultConfig unless the
// pod's annotations say otherwise; a pod without that variable (no
// injected proxy read) gets the mesh's mode, and an annotation wins over
// it.
func TestCaptureReadsTheMeshInterceptionMode(t *testing.T) {
	for _, tc := range []struct {
		name, annotation, want string
	}{
		{"mesh default", "", "TPROXY"},
		{"annotation wins", "NONE", "NONE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := capturetest.Cluster()
			ctx := context.Background()
			cms := c.Kube.CoreV1().ConfigMaps("istio-system")
			cm, err := cms.Get(ctx, "istio", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cm.Data["mesh"] += "  interceptionMode: TPROXY\n"
			if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			pods := c.Kube.CoreV1().Pods(capturetest.Namespace)
			pod, err := pods.Get(ctx, capturetest.Pod, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			delete(pod.Annotations, "sidecar.istio.io/interceptionMode")
			if tc.annotation != "" {
				pod.Annotations["sidecar.istio.io/interceptionMode"] = tc.annotation
			}
			for i := range pod.Spec.Containers {
				if pod.Spec.Containers[i].Name == "istio-proxy" {
					pod.Spec.Containers[i].Env = pod.Spec.Containers[i].Env[:1] // no ISTIO_META_INTERCEPTION_MODE
				}
			}
			if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := capture.Capture(ctx, c, opts())
			if err != nil {
				t.Fatal(err)
			}
			if got := load(t, res).Header.Client.InterceptionMode; got != tc.want {
				t.Errorf("interception mode %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCaptureKeepsExternalNameAliases: an ExternalName Service adds its
// names to the SNI chain of the host it names whatever its exportTo and
// the client's Sidecar (istiod resolves aliases over every service), so
// capture keeps one the client cannot see, and the captured scenario
// predicts its names on the chain.
func TestCaptureKeepsExternalNameAliases(t *testing.T) {
	c := capturetest.Cluster()
	ctx := context.Background()
	se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "pay", CreationTimestamp: metav1.NewTime(capturetest.T0)}}
	se.Spec.Hosts = []string{"pay.example.com"}
	se.Spec.Ports = []*apiv1alpha3.ServicePort{{Number: 8443, Name: "tls", Protocol: "TLS"}}
	se.Spec.Resolution = apiv1alpha3.ServiceEntry_DNS
	if _, err := c.Istio.NetworkingV1().ServiceEntries("shop").Create(ctx, se, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	alias := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "far", Name: "pay", CreationTimestamp: metav1.NewTime(capturetest.T0),
		Annotations: map[string]string{"networking.istio.io/exportTo": "."}}}
	alias.Spec.Type, alias.Spec.ExternalName = corev1.ServiceTypeExternalName, "pay.example.com"
	if _, err := c.Kube.CoreV1().Services("far").Create(ctx, alias, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := capture.Capture(ctx, c, opts())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Objects, "Service/far/pay") {
		t.Fatalf("the alias far/pay is not captured: %v", res.Objects)
	}
	sc := load(t, res)
	v := versions.Newest()
	_, p, err := resolve.Predict(sc, v)
	if err != nil {
		t.Fatal(err)
	}
	want := []scenario.Expectation{{Listeners: map[string][]string{
		"0.0.0.0_8443": {"sni=pay.example.com,pay.far,pay.far.svc,pay.far.svc.cluster.local,pay.far.svc.cluster.local. -> cluster outbound|8443||pay.example.com", "default -> cluster BlackHoleCluster"},
	}}}
	if d := compare.Expectations(want, v, p.Listeners, p.Conflicts); len(d) > 0 {
		t.Errorf("prediction on the captured scenario: %v", d)
	}
}
