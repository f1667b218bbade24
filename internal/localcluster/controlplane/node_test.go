package controlplane

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestIPPool(t *testing.T) {
	tests := []struct {
		prefix string
		takes  int
		free   []string
		want   []string
	}{
		{prefix: "10.244.0.0/24", takes: 2, want: []string{"10.244.0.1", "10.244.0.2"}},
		// the network's own address and the broadcast address are never
		// handed out; a full range hands out returned addresses.
		{prefix: "10.244.0.0/30", takes: 3, free: []string{"10.244.0.1"}, want: []string{"10.244.0.1", "10.244.0.2", "10.244.0.1"}},
		{prefix: "10.244.0.0/30", takes: 3, want: []string{"10.244.0.1", "10.244.0.2"}},
		{prefix: "fd00:10:244::/64", takes: 2, want: []string{"fd00:10:244::1", "fd00:10:244::2"}},
	}
	for _, tt := range tests {
		p := &ipPool{prefix: netip.MustParsePrefix(tt.prefix)}
		for _, f := range tt.free {
			p.free = append(p.free, netip.MustParseAddr(f))
		}
		var got []string
		for range tt.takes {
			if a, ok := p.take(); ok {
				got = append(got, a.String())
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: took %v, want %v", tt.prefix, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: took %v, want %v", tt.prefix, got, tt.want)
				break
			}
		}
	}
}

func TestRunningStatus(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	pod := &corev1.Pod{
		Spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "app"}, {Name: "istio-proxy"}},
			InitContainers: []corev1.Container{{Name: "istio-init"}, {Name: "native-sidecar", RestartPolicy: &always}},
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "example.com/gate"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}},
	}
	s := runningStatus(pod, []string{"127.0.0.1"}, []string{"10.244.0.1", "fd00:10:244::1"}, metav1.Now())
	if s.Phase != corev1.PodRunning || s.PodIP != "10.244.0.1" || len(s.PodIPs) != 2 || s.HostIP != "127.0.0.1" {
		t.Errorf("phase %s, podIP %s, podIPs %v, hostIP %s", s.Phase, s.PodIP, s.PodIPs, s.HostIP)
	}
	for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, "example.com/gate"} {
		p := &corev1.Pod{Status: s}
		if !podCondition(p, c) {
			t.Errorf("condition %s is not true: %v", c, s.Conditions)
		}
	}
	if len(s.ContainerStatuses) != 2 || !s.ContainerStatuses[1].Ready || s.ContainerStatuses[1].State.Running == nil {
		t.Errorf("container statuses %+v", s.ContainerStatuses)
	}
	if len(s.InitContainerStatuses) != 2 || s.InitContainerStatuses[0].State.Terminated == nil || s.InitContainerStatuses[1].State.Running == nil {
		t.Errorf("init container statuses %+v", s.InitContainerStatuses)
	}
	if pod.Status.Phase != corev1.PodPending {
		t.Errorf("the pod itself changed")
	}
}
