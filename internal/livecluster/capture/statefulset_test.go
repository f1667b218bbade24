package capture_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestCaptureNamesAStatefulSetPod: the captured pod is zk-2, one of three
// pods with the same labels; the scenario names it with client.pod, so the
// resolver's client is zk-2 too, not the StatefulSet's first pod.
func TestCaptureNamesAStatefulSetPod(t *testing.T) {
	const ns = "db"
	replicas, controller := int32(3), true
	zk := map[string]string{"app": "zk"}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zk", CreationTimestamp: metav1.NewTime(at)},
		Spec: appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: "zk-hs", Selector: &metav1.LabelSelector{MatchLabels: zk},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: zk},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "zk", Image: "zookeeper:3.9"}}}}}}
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}},
		sts,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zk-hs", CreationTimestamp: metav1.NewTime(at)},
			Spec: corev1.ServiceSpec{ClusterIP: "None", ClusterIPs: []string{"None"}, Selector: zk, Ports: []corev1.ServicePort{{Name: "tcp-server", Port: 2888}}}},
	}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("zk-%d", i)
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(at),
			Labels:          map[string]string{"app": "zk", "statefulset.kubernetes.io/pod-name": name, "controller-revision-hash": "zk-5d8f"},
			Annotations:     map[string]string{"sidecar.istio.io/status": `{"containers":["istio-proxy"]}`},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "zk", Controller: &controller}}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "zk", Image: "zookeeper:3.9"},
				{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.26.0", Args: []string{"proxy", "sidecar"}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.244.3.%d", 10+i), PodIPs: []corev1.PodIP{{IP: fmt.Sprintf("10.244.3.%d", 10+i)}}}}
		objs = append(objs, p)
	}
	c := livestate.Clients{Kube: kubefake.NewClientset(objs...), Istio: istiofake.NewSimpleClientset()}
	res, err := capture.Capture(context.Background(), c, capture.Options{Namespace: ns, Pod: "zk-2", Context: "kind-prod", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.YAML), "pod: zk-2") {
		t.Errorf("the header does not name zk-2:\n%s", res.YAML)
	}
	sc := load(t, res)
	w, err := resolve.Simulate(sc, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	if w.Client.Name != "zk-2" {
		t.Errorf("the captured scenario's client is %s, want zk-2", w.Client.Name)
	}
}
