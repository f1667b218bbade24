package controlplane

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// The node stands in for a kubelet, in the suite's own process: what a
// kubelet reports about its node and its pods is all istiod and the
// controllers read, so it reports that and runs nothing. Its rules are
// those of kwok's "fast" node and pod stages, which an earlier version ran
// as a process of its own:
//   - the node is Ready, with the API server's address as its InternalIP;
//   - a pod bound to it becomes Running and Ready at once, every
//     container running and every readiness gate true, with one IP from
//     each of the node's pod ranges (the node's IPs for a hostNetwork pod);
//   - a pod a Job owns then completes (Succeeded);
//   - a pod being deleted is deleted at once (grace period 0), and its IPs
//     return to the pools.

// nodeLabelType marks the node as this package's.
const nodeLabelType = "listenerlab-local"

// createNode creates the node, waits until the controller manager gave it
// one pod range per family, and marks it Ready.
func (cp *ControlPlane) createNode(ctx context.Context, cs kubernetes.Interface) (*corev1.Node, error) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName,
		Labels: map[string]string{"type": nodeLabelType, corev1.LabelHostname: NodeName}}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating node %s: %w", NodeName, err)
	}
	kcm := cp.procs[len(cp.procs)-1]
	err := kcm.waitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(n.Spec.PodCIDRs) != len(cp.Family.Ranges().Pods) {
			return fmt.Errorf("node %s has pod ranges %v, want one of each of %s", NodeName, n.Spec.PodCIDRs, flag(cp.Family.Ranges().Pods))
		}
		node = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	cp.NodePodCIDRs = node.Spec.PodCIDRs
	node.Status = readyNodeStatus(cp.Family.advertiseAddress(), metav1.Now())
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("marking node %s Ready: %w", NodeName, err)
	}
	return node, nil
}

// readyNodeStatus is the status of a healthy node with ample room.
func readyNodeStatus(ip string, now metav1.Time) corev1.NodeStatus {
	room := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1k"),
		corev1.ResourceMemory: resource.MustParse("1Ti"), corev1.ResourcePods: resource.MustParse("1M")}
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return corev1.NodeStatus{
		Phase: corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID"),
			cond(corev1.NodeNetworkUnavailable, corev1.ConditionFalse, "RouteCreated"),
		},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: NodeName}},
		Capacity:  room, Allocatable: room,
		NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux", KubeletVersion: KubernetesVersion},
	}
}

// podRunner makes the node's pods run, as the package comment says.
type podRunner struct {
	cs      kubernetes.Interface
	hostIPs []string
	pools   []*ipPool
	// given are the IPs handed to each pod, by UID, until it is gone.
	given map[string][]netip.Addr
}

func newPodRunner(cs kubernetes.Interface, node *corev1.Node) (*podRunner, error) {
	r := &podRunner{cs: cs, given: map[string][]netip.Addr{}}
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			r.hostIPs = append(r.hostIPs, a.Address)
		}
	}
	for _, c := range node.Spec.PodCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("node %s: pod range %q: %w", NodeName, c, err)
		}
		r.pools = append(r.pools, &ipPool{prefix: p.Masked()})
	}
	return r, nil
}

// run lists and watches the node's pods until ctx ends; every watch ends
// after ten seconds, so a pod whose update failed is looked at again.
func (r *podRunner) run(ctx context.Context) {
	onNode := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", NodeName).String()}
	for ctx.Err() == nil {
		list, err := r.cs.CoreV1().Pods("").List(ctx, onNode)
		if err != nil {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		for i := range list.Items {
			r.handle(ctx, watch.Modified, &list.Items[i])
		}
		opts := onNode
		opts.ResourceVersion = list.ResourceVersion
		timeout := int64(10)
		opts.TimeoutSeconds = &timeout
		w, err := r.cs.CoreV1().Pods("").Watch(ctx, opts)
		if err != nil {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		for ev := range w.ResultChan() {
			if pod, ok := ev.Object.(*corev1.Pod); ok {
				r.handle(ctx, ev.Type, pod)
			}
		}
		w.Stop()
	}
}

// handle moves one pod on by one step.
func (r *podRunner) handle(ctx context.Context, t watch.EventType, pod *corev1.Pod) {
	switch {
	case t == watch.Deleted:
		r.release(pod)
	case pod.DeletionTimestamp != nil:
		zero := int64(0)
		err := r.cs.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero,
			Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			r.release(pod)
		}
	case pod.Status.Phase == corev1.PodPending || pod.Status.Phase == "":
		if podCondition(pod, corev1.PodReady) {
			return
		}
		ips := r.podIPs(pod)
		p := pod.DeepCopy()
		p.Status = runningStatus(pod, r.hostIPs, ips, metav1.Now())
		if _, err := r.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			r.release(pod)
		}
	case pod.Status.Phase == corev1.PodRunning && ownedByJob(pod):
		p := pod.DeepCopy()
		p.Status = completedStatus(pod, metav1.Now())
		_, _ = r.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	}
}

// podIPs are the pod's addresses: the node's for a hostNetwork pod, else
// one from each pod range, taken now (kept until the pod is gone).
func (r *podRunner) podIPs(pod *corev1.Pod) []string {
	if pod.Spec.HostNetwork {
		return r.hostIPs
	}
	uid := string(pod.UID)
	if r.given[uid] == nil {
		for _, p := range r.pools {
			if a, ok := p.take(); ok {
				r.given[uid] = append(r.given[uid], a)
			}
		}
	}
	var out []string
	for _, a := range r.given[uid] {
		out = append(out, a.String())
	}
	return out
}

// release returns a pod's IPs to their pools.
func (r *podRunner) release(pod *corev1.Pod) {
	uid := string(pod.UID)
	for _, a := range r.given[uid] {
		for _, p := range r.pools {
			if p.prefix.Contains(a) {
				p.free = append(p.free, a)
			}
		}
	}
	delete(r.given, uid)
}

// runningStatus is a pod's status once every container runs: kept
// conditions (PodScheduled, from the binding), Initialized, Ready,
// ContainersReady and every readiness gate true.
func runningStatus(pod *corev1.Pod, hostIPs, podIPs []string, now metav1.Time) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	ready := []corev1.PodConditionType{corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady}
	for _, g := range pod.Spec.ReadinessGates {
		ready = append(ready, g.ConditionType)
	}
	for _, t := range ready {
		s.Conditions = slices.DeleteFunc(s.Conditions, func(c corev1.PodCondition) bool { return c.Type == t })
		s.Conditions = append(s.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	s.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	s.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		st := corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: now, FinishedAt: now}}}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			started := true
			st.Started = &started
			st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
		}
		s.InitContainerStatuses = append(s.InitContainerStatuses, st)
	}
	s.HostIP, s.HostIPs = "", nil
	for i, ip := range hostIPs {
		if i == 0 {
			s.HostIP = ip
		}
		s.HostIPs = append(s.HostIPs, corev1.HostIP{IP: ip})
	}
	s.PodIP, s.PodIPs = "", nil
	for i, ip := range podIPs {
		if i == 0 {
			s.PodIP = ip
		}
		s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip})
	}
	s.Phase, s.StartTime = corev1.PodRunning, &now
	return s
}

// completedStatus is a Job's pod's status once its containers exited 0.
func completedStatus(pod *corev1.Pod, now metav1.Time) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	s.ContainerStatuses = nil
	started := false
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, Started: &started,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: now, FinishedAt: now}}})
	}
	s.Phase = corev1.PodSucceeded
	return s
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ownedByJob(pod *corev1.Pod) bool {
	for _, o := range pod.OwnerReferences {
		if o.Kind == "Job" {
			return true
		}
	}
	return false
}

// ipPool hands out a pod range's addresses: new ones first, from the
// range's first address after the network's own, then returned ones.
type ipPool struct {
	prefix netip.Prefix
	last   netip.Addr
	free   []netip.Addr
}

func (p *ipPool) take() (netip.Addr, bool) {
	next := p.prefix.Addr()
	if p.last.IsValid() {
		next = p.last
	}
	if n := next.Next(); n.IsValid() && p.prefix.Contains(n) && !isBroadcast(p.prefix, n) {
		p.last = n
		return n, true
	}
	if len(p.free) == 0 {
		return netip.Addr{}, false
	}
	a := p.free[0]
	p.free = p.free[1:]
	return a, true
}

// isBroadcast says whether a is an IPv4 range's last address.
func isBroadcast(p netip.Prefix, a netip.Addr) bool {
	return a.Is4() && !p.Contains(a.Next())
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
