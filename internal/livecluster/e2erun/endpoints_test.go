package e2erun

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestEndpointsNotHeld: the suite pushes to the client only once the
// EndpointSlice controller lists every ready pod a Service selects (of the
// Service's families) and istiod's endpoint index holds every endpoint it
// keeps; what it leaves out for good is not waited for.
func TestEndpointsNotHeld(t *testing.T) {
	const ns = "db"
	const host = "cassandra.db.svc.cluster.local"
	ready, notReady := true, false
	pod := func(name string, isReady bool, ips ...string) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "cassandra"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}}
		if isReady {
			p.Status.Conditions[0].Status = corev1.ConditionTrue
		}
		for _, ip := range ips {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
		}
		return p
	}
	svc := func(families ...corev1.IPFamily) corev1.Service {
		return corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cassandra"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "cassandra"}, IPFamilies: families}}
	}
	slice := func(t discoveryv1.AddressType, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
		name, port := "tcp-cql", int32(9042)
		return discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cassandra-" + string(t),
			Labels: map[string]string{discoveryv1.LabelServiceName: "cassandra"}},
			AddressType: t, Endpoints: eps, Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port}}}
	}
	ep := func(ip, podName string, r *bool) discoveryv1.Endpoint {
		e := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: r}}
		if podName != "" {
			e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: podName}
		}
		return e
	}
	held := func(addrs ...string) map[string]map[string]map[string]bool {
		m := map[string]bool{}
		for _, a := range addrs {
			m[a] = true
		}
		return map[string]map[string]map[string]bool{host: {ns: m}}
	}
	dual := []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	for _, tc := range []struct {
		name  string
		svc   corev1.Service
		pods  []corev1.Pod
		eps   []discoveryv1.EndpointSlice
		index map[string]map[string]map[string]bool
		want  []string
	}{
		{
			name: "all held, a dual-stack pod one endpoint with both addresses",
			svc:  svc(dual...), pods: []corev1.Pod{pod("cassandra-0", true, "10.244.0.4", "fd00:10:244::4")},
			eps:   []discoveryv1.EndpointSlice{slice("IPv4", ep("10.244.0.4", "cassandra-0", &ready)), slice("IPv6", ep("fd00:10:244::4", "cassandra-0", &ready))},
			index: held("10.244.0.4", "fd00:10:244::4"),
		},
		{
			name: "istiod has not the second pod yet",
			svc:  svc(dual...), pods: []corev1.Pod{pod("cassandra-0", true, "10.244.0.4", "fd00:10:244::4"), pod("cassandra-1", true, "10.244.0.6", "fd00:10:244::6")},
			eps: []discoveryv1.EndpointSlice{
				slice("IPv4", ep("10.244.0.4", "cassandra-0", &ready), ep("10.244.0.6", "cassandra-1", &ready)),
				slice("IPv6", ep("fd00:10:244::4", "cassandra-0", &ready), ep("fd00:10:244::6", "cassandra-1", &ready))},
			index: held("10.244.0.4", "fd00:10:244::4"),
			want:  []string{"istiod's endpoint 10.244.0.6 of " + host, "istiod's endpoint fd00:10:244::6 of " + host},
		},
		{
			name: "the EndpointSlice controller has not the second pod yet",
			svc:  svc(dual...), pods: []corev1.Pod{pod("cassandra-0", true, "10.244.0.4", "fd00:10:244::4"), pod("cassandra-1", true, "10.244.0.6", "fd00:10:244::6")},
			eps:   []discoveryv1.EndpointSlice{slice("IPv4", ep("10.244.0.4", "cassandra-0", &ready)), slice("IPv6", ep("fd00:10:244::4", "cassandra-0", &ready))},
			index: held("10.244.0.4", "fd00:10:244::4"),
			want:  []string{"an EndpointSlice of Service db/cassandra with pod cassandra-1's 10.244.0.6", "an EndpointSlice of Service db/cassandra with pod cassandra-1's fd00:10:244::6"},
		},
		{
			name: "a single-stack Service has no slice of the pod's other family",
			svc:  svc(corev1.IPv4Protocol), pods: []corev1.Pod{pod("cassandra-0", true, "10.244.0.4", "fd00:10:244::4")},
			eps:   []discoveryv1.EndpointSlice{slice("IPv4", ep("10.244.0.4", "cassandra-0", &ready))},
			index: held("10.244.0.4"),
		},
		{
			name: "not waited for: a pod not ready, an endpoint not ready, a pod that does not exist",
			svc:  svc(dual...), pods: []corev1.Pod{pod("cassandra-0", false, "10.244.0.4")},
			eps:   []discoveryv1.EndpointSlice{slice("IPv4", ep("10.244.0.4", "cassandra-0", &notReady), ep("10.244.0.9", "gone", &ready))},
			index: held(),
		},
		{
			name: "an endpoint without targetRef",
			svc:  svc(dual...),
			eps:  []discoveryv1.EndpointSlice{slice("IPv4", ep("192.0.2.7", "", nil))},
			want: []string{"istiod's endpoint 192.0.2.7 of " + host},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := endpointsNotHeld(ns, []corev1.Service{tc.svc}, tc.pods, tc.eps, tc.index)
			if !slices.Equal(got, tc.want) {
				t.Errorf("behind:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
