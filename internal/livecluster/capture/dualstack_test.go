package capture_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/testkit/capturetest"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// dualStackPods are the two dual-stack pods of db, IPv4 first as a kind
// dual-stack cluster gives them.
var dualStackPods = [][2]string{{"10.244.0.10", "fd00:10:244::a"}, {"10.244.0.11", "fd00:10:244::b"}}

// dualStackCluster is a dual-stack cluster where the client sleep (a bare
// pod in app) may see db, whose StatefulSet cassandra runs the pods of
// dualStackPods; extra are the Services, EndpointSlices and
// ServiceEntries of a case. istiod's Deployment sets env.
func dualStackCluster(env map[string]string, extra ...runtime.Object) livestate.Clients {
	created := metav1.NewTime(capturetest.T0)
	var vars []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars = append(vars, corev1.EnvVar{Name: k, Value: env[k]})
	}
	istiod := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: "istiod"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "discovery", Image: "docker.io/istio/pilot:1.26.0", Env: vars}}}}}}
	client := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "sleep", Labels: map[string]string{"app": "sleep"}, CreationTimestamp: created},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sleep", Image: "curlimages/curl:8.11.1"},
			{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.26.0", Args: []string{"proxy", "sidecar"}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.5", PodIPs: []corev1.PodIP{{IP: "10.244.0.5"}, {IP: "fd00:10:244::5"}}}}
	objs := []runtime.Object{
		ns("default"), ns("kube-system"), ns("istio-system"), ns("app"), ns("db"),
		istiod, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: "istio"}, Data: map[string]string{"mesh": "{}\n"}},
		client,
	}
	// The built-in Services, single-stack as kind's (the resolver's).
	for _, b := range clusterdefaults.BuiltinServices {
		ip := b.ClusterIPv4().String()
		objs = append(objs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: b.Name, CreationTimestamp: metav1.NewTime(capturetest.T0.Add(-time.Hour))},
			Spec: corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip}, Selector: b.Selector, Ports: b.Ports}})
	}
	controller := true
	for i, ips := range dualStackPods {
		name := fmt.Sprintf("cassandra-%d", i)
		objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "db", Name: name, CreationTimestamp: created,
			Labels:          map[string]string{"app": "cassandra", "statefulset.kubernetes.io/pod-name": name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "cassandra", Controller: &controller}}},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "cassandra", Image: "cassandra:5"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ips[0], PodIPs: []corev1.PodIP{{IP: ips[0]}, {IP: ips[1]}}}})
	}
	kube := kubefake.NewClientset(objs...)
	istio := istiofake.NewSimpleClientset()
	for _, o := range extra {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			_, err = kube.CoreV1().Services(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
		case *discoveryv1.EndpointSlice:
			_, err = kube.DiscoveryV1().EndpointSlices(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
		case *networkingv1.ServiceEntry:
			_, err = istio.NetworkingV1().ServiceEntries(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
		default:
			err = fmt.Errorf("no case for %T", o)
		}
		if err != nil {
			panic(err)
		}
	}
	return livestate.Clients{Kube: kube, Istio: istio}
}

func ns(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// cassandraService is the Service db/name on 9042 with the given
// ClusterIPs (["None"] for a headless one) and selector (nil for none).
func cassandraService(name string, clusterIPs []string, selector map[string]string) *corev1.Service {
	dual := corev1.IPFamilyPolicyRequireDualStack
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "db", Name: name, CreationTimestamp: metav1.NewTime(capturetest.T0)},
		Spec: corev1.ServiceSpec{ClusterIP: clusterIPs[0], ClusterIPs: clusterIPs, Selector: selector, IPFamilyPolicy: &dual,
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
			Ports:      []corev1.ServicePort{{Name: "tcp-cql", Port: 9042, Protocol: corev1.ProtocolTCP}}}}
}

// cassandraSlices are the EndpointSlices of the Service db/name, one per
// family, each naming the pods of dualStackPods by targetRef.
func cassandraSlices(name string) []runtime.Object {
	var out []runtime.Object
	for fam, t := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "db", Name: fmt.Sprintf("%s-%d", name, fam),
			Labels: map[string]string{discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
			AddressType: t, Ports: []discoveryv1.EndpointPort{{Name: ptr("tcp-cql"), Port: ptr(int32(9042))}}}
		for i, ips := range dualStackPods {
			ready := true
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{ips[fam]}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "db", Name: fmt.Sprintf("cassandra-%d", i)}})
		}
		out = append(out, es)
	}
	return out
}

// noneEntry is a resolution-NONE ServiceEntry in db for host on TCP port
// with the given workloadSelector labels (none when nil).
func noneEntry(name, host string, port uint32, selector map[string]string) *networkingv1.ServiceEntry {
	se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Namespace: "db", Name: name, CreationTimestamp: metav1.NewTime(capturetest.T0)}}
	se.Spec.Hosts = []string{host}
	se.Spec.Location = apiv1alpha3.ServiceEntry_MESH_INTERNAL
	se.Spec.Resolution = apiv1alpha3.ServiceEntry_NONE
	se.Spec.Ports = []*apiv1alpha3.ServicePort{{Number: port, Name: "tcp", Protocol: "TCP"}}
	if selector != nil {
		se.Spec.WorkloadSelector = &apiv1alpha3.WorkloadSelector{Labels: selector}
	}
	return se
}

func ptr[T any](v T) *T { return &v }

// TestCaptureKeepsDualStackPods: the predictor reads a pod itself where a
// ServiceEntry selects it and where an EndpointSlice endpoint names it;
// under ISTIO_DUAL_STACK a dual-stack pod is then one endpoint with both
// addresses (the IPv6 one an additional address of its listener). The
// captured scenario writes such pods with every address of
// status.podIPs and predicts what the live World predicts (found by the
// capture round trip of e2e-local on the dual-stack ServiceEntry
// scenarios).
func TestCaptureKeepsDualStackPods(t *testing.T) {
	cassandra := map[string]string{"app": "cassandra"}
	dual := map[string]string{"ISTIO_DUAL_STACK": "true"}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		extra []runtime.Object
		// listeners are listener names and the additional addresses
		// each must have (none: nil); absent must not exist.
		listeners map[string][]string
		absent    []string
	}{
		{
			name:      "selected by a ServiceEntry",
			env:       dual,
			extra:     []runtime.Object{noneEntry("gossip", "gossip.internal", 7000, cassandra)},
			listeners: map[string][]string{"10.244.0.10_7000": {"fd00:10:244::a"}, "10.244.0.11_7000": {"fd00:10:244::b"}},
			absent:    []string{"fd00:10:244::a_7000", "0.0.0.0_7000"},
		},
		{
			name:      "selected by a ServiceEntry, ISTIO_DUAL_STACK off",
			extra:     []runtime.Object{noneEntry("gossip", "gossip.internal", 7000, cassandra)},
			listeners: map[string][]string{"10.244.0.10_7000": nil, "10.244.0.11_7000": nil},
			absent:    []string{"fd00:10:244::a_7000"},
		},
		{
			name: "named by the slices of a dual-stack Service an entry shares",
			env:  dual,
			extra: append([]runtime.Object{cassandraService("cassandra", []string{"10.96.1.1", "fd00:10:96::1"}, cassandra),
				noneEntry("cassandra-none", "cassandra.db.svc.cluster.local", 9042, nil)}, cassandraSlices("cassandra")...),
			listeners: map[string][]string{"10.244.0.10_9042": {"fd00:10:244::a"}, "10.244.0.11_9042": {"fd00:10:244::b"}},
			absent:    []string{"fd00:10:244::a_9042", "fd00:10:244::b_9042"},
		},
		{
			name: "named by the slices of a Service without selector an entry shares",
			env:  dual,
			extra: append([]runtime.Object{cassandraService("manual", []string{"10.96.1.2", "fd00:10:96::2"}, nil),
				noneEntry("manual-none", "manual.db.svc.cluster.local", 9042, nil)}, cassandraSlices("manual")...),
			listeners: map[string][]string{"10.244.0.10_9042": {"fd00:10:244::a"}, "10.244.0.11_9042": {"fd00:10:244::b"}},
			absent:    []string{"fd00:10:244::a_9042"},
		},
		{
			name:      "named by the slices of a headless Service",
			env:       dual,
			extra:     append([]runtime.Object{cassandraService("cassandra-hs", []string{"None"}, cassandra)}, cassandraSlices("cassandra-hs")...),
			listeners: map[string][]string{"10.244.0.10_9042": nil, "fd00:10:244::a_9042": nil, "10.244.0.11_9042": nil, "fd00:10:244::b_9042": nil},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dualStackCluster(tc.env, tc.extra...)
			ctx := context.Background()
			res, err := capture.Capture(ctx, c, capture.Options{Namespace: "app", Pod: "sleep", Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %v", res.Warnings)
			}
			for i := range dualStackPods {
				if ref := fmt.Sprintf("Pod/db/cassandra-%d", i); !slices.Contains(res.Objects, ref) {
					t.Errorf("%s is not written: %v", ref, res.Objects)
				}
			}
			sc := load(t, res)
			if got := sc.Header.Istiod.Env["ISTIO_DUAL_STACK"]; got != tc.env["ISTIO_DUAL_STACK"] {
				t.Errorf("header ISTIO_DUAL_STACK %q, want %q", got, tc.env["ISTIO_DUAL_STACK"])
			}
			v := versions.Newest()
			sim, got, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range sim.Pods {
				if p.Namespace != "db" {
					continue
				}
				var ips []string
				for _, ip := range p.Status.PodIPs {
					ips = append(ips, ip.IP)
				}
				var i int
				fmt.Sscanf(p.Name, "cassandra-%d", &i)
				if want := dualStackPods[i][:]; !slices.Equal(ips, want) {
					t.Errorf("resolved pod %s has %v, want its live %v", p.Name, ips, want)
				}
			}
			byName := map[string]listener.Listener{}
			for _, l := range got.Listeners {
				byName[l.Name] = l
			}
			for name, additional := range tc.listeners {
				l, ok := byName[name]
				if !ok {
					t.Errorf("no listener %s", name)
					continue
				}
				if !slices.Equal(l.AdditionalAddresses, additional) {
					t.Errorf("%s has additional addresses %v, want %v", name, l.AdditionalAddresses, additional)
				}
			}
			for _, name := range tc.absent {
				if _, ok := byName[name]; ok {
					t.Errorf("listener %s exists", name)
				}
			}
			// The round trip of e2e-local: the live World's prediction,
			// its addresses paired with the resolver's, is the captured
			// scenario's.
			h := sc.Header
			h.Istiod.Env = tc.env
			live, err := livestate.Read(ctx, c, livestate.Selection{Scenario: "sleep", Header: h, Namespaces: []string{"app", "db"}})
			if err != nil {
				t.Fatal(err)
			}
			want, err := predictor.Predict(live, v)
			if err != nil {
				t.Fatal(err)
			}
			tr := livestate.NewPairing(sim, live)
			paired := &predictor.Prediction{Listeners: tr.Listeners(want.Listeners), Conflicts: tr.Conflicts(want.Conflicts)}
			if d := compare.Predictions(paired, got); len(d) > 0 {
				var lines []string
				for _, x := range d {
					lines = append(lines, x.String())
				}
				t.Errorf("the captured scenario predicts %d differences from the live World (-live +captured):\n%s\n%s", len(d), strings.Join(lines, "\n"), res.YAML)
			}
		})
	}
}
