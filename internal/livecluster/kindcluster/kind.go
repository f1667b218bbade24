package kindcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/support"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"
)

// Kind is an e2e-framework cluster provider backed by kind's Go library
// (the version go.mod pins, the same as `go tool kind`): no kind binary to
// find or install, no command lines built from strings. It reuses a
// cluster that already exists and remembers whether it created it.
type Kind struct {
	name     string
	kubecfg  string
	rc       *rest.Config
	provider *kindcluster.Provider
	// Created is true when this run created the cluster (Destroy is then
	// what Finish does unless the cluster is kept).
	Created bool
	// Ready bounds the wait for the control plane.
	Ready time.Duration
}

var _ support.E2EClusterProvider = &Kind{}

// NewKind returns the provider of the kind cluster called name.
func NewKind(name string) *Kind {
	return &Kind{name: name, Ready: 3 * time.Minute}
}

func (k *Kind) kind() *kindcluster.Provider {
	if k.provider == nil {
		// kind's own logger: the progress lines `kind create cluster`
		// prints, on stderr.
		k.provider = kindcluster.NewProvider(kindcluster.ProviderWithLogger(kindcmd.NewLogger()))
	}
	return k.provider
}

func (k *Kind) WithName(name string) support.E2EClusterProvider { k.name = name; return k }
func (k *Kind) WithVersion(string) support.E2EClusterProvider   { return k }
func (k *Kind) WithPath(string) support.E2EClusterProvider      { return k }
func (k *Kind) WithOpts(opts ...support.ClusterOpts) support.E2EClusterProvider {
	for _, o := range opts {
		o(k)
	}
	return k
}
func (k *Kind) SetDefaults() support.E2EClusterProvider {
	if k.name == "" {
		k.name = DefaultClusterName
	}
	return k
}

// Exists reports whether the cluster exists.
func (k *Kind) Exists() (bool, error) {
	names, err := k.kind().List()
	if err != nil {
		return false, fmt.Errorf("listing kind clusters: %w", err)
	}
	return slices.Contains(names, k.name), nil
}

// Create creates the cluster (args are ignored: use CreateWithConfig).
func (k *Kind) Create(ctx context.Context, args ...string) (string, error) {
	return k.CreateWithConfig(ctx, "")
}

// CreateWithConfig creates the cluster from a kind config file, or reuses
// it when it exists. kind's create cannot be interrupted half way: on an
// interrupt the suite waits for it to end, then deletes what it made.
func (k *Kind) CreateWithConfig(ctx context.Context, configFile string) (string, error) {
	exists, err := k.Exists()
	if err != nil {
		return "", err
	}
	if !exists {
		opts := []kindcluster.CreateOption{kindcluster.CreateWithWaitForReady(k.Ready), kindcluster.CreateWithDisplayUsage(false), kindcluster.CreateWithDisplaySalutation(false)}
		if configFile != "" {
			opts = append(opts, kindcluster.CreateWithConfigFile(configFile))
		}
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- k.kind().Create(k.name, opts...) }()
		select {
		case err = <-done:
		case <-ctx.Done():
			err = <-done
			if err == nil {
				err = ctx.Err()
			}
			k.Created = true
		}
		if err != nil {
			_ = k.kind().Delete(k.name, "")
			return "", &WaitError{What: fmt.Sprintf("kind cluster %s to come up (config %s)", k.name, configFile), Waited: time.Since(start), LastSeen: "kind create failed; the cluster was deleted", Err: err}
		}
		k.Created = true
	}
	return k.writeKubeconfig()
}

func (k *Kind) writeKubeconfig() (string, error) {
	cfg, err := k.kind().KubeConfig(k.name, false)
	if err != nil {
		return "", fmt.Errorf("kind get kubeconfig --name %s: %w", k.name, err)
	}
	dir, err := os.MkdirTemp("", "listenerlab-kubeconfig-")
	if err != nil {
		return "", err
	}
	k.kubecfg = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(k.kubecfg, []byte(cfg), 0o600); err != nil {
		return "", err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", k.kubecfg)
	if err != nil {
		return "", err
	}
	k.rc = rc
	return k.kubecfg, nil
}

func (k *Kind) GetKubeconfig() string { return k.kubecfg }
func (k *Kind) GenerateKubeconfig(...string) (string, error) {
	return k.writeKubeconfig()
}
func (k *Kind) GetKubectlContext() string          { return "kind-" + k.name }
func (k *Kind) KubernetesRestConfig() *rest.Config { return k.rc }

// ExportLogs writes kind's node logs (kubelet, containerd, pods) to dest.
func (k *Kind) ExportLogs(ctx context.Context, dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	return k.kind().CollectLogs(k.name, dest)
}

// Destroy deletes the cluster and the kubeconfig written for it.
func (k *Kind) Destroy(ctx context.Context) error {
	if err := k.kind().Delete(k.name, ""); err != nil {
		return fmt.Errorf("deleting kind cluster %s (delete it by hand: go tool kind delete cluster --name %s): %w", k.name, k.name, err)
	}
	if k.kubecfg != "" {
		_ = os.RemoveAll(filepath.Dir(k.kubecfg))
	}
	return nil
}

// WaitForControlPlane waits until the node is Ready and kube-system's
// pods run.
func (k *Kind) WaitForControlPlane(ctx context.Context, _ klient.Client) error {
	cs, err := kubernetes.NewForConfig(k.rc)
	if err != nil {
		return err
	}
	return WaitControlPlane(ctx, cs, k.Ready)
}

// WaitControlPlane waits until every node is Ready and CoreDNS runs.
func WaitControlPlane(ctx context.Context, cs kubernetes.Interface, timeout time.Duration) error {
	return Wait(ctx, "the cluster's nodes to be Ready and CoreDNS to run", timeout, 2*time.Second, func(ctx context.Context) (bool, string, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", Retryable{err}
		}
		for _, n := range nodes.Items {
			if !nodeReady(n) {
				return false, "node " + n.Name + " not Ready", nil
			}
		}
		if len(nodes.Items) == 0 {
			return false, "no nodes", nil
		}
		pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
		if err != nil {
			return false, "", Retryable{err}
		}
		ready := 0
		for _, p := range pods.Items {
			if PodReady(p) {
				ready++
			}
		}
		if ready == 0 {
			return false, fmt.Sprintf("%d CoreDNS pods, none ready", len(pods.Items)), nil
		}
		return true, "", nil
	})
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// PodReady reports whether a pod runs and is Ready.
func PodReady(p corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// PodState says why a pod is not ready, for wait errors: its phase, the
// scheduler's message for a pending pod, a waiting container's reason.
func PodState(p corev1.Pod) string {
	s := p.Name + " " + string(p.Status.Phase)
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue && c.Message != "" {
			return s + " (unschedulable: " + c.Message + ")"
		}
	}
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return s + " (" + cs.Name + ": " + w.Reason + " " + w.Message + ")"
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("%s (%s exited %d: %s)", s, cs.Name, t.ExitCode, t.Reason)
		}
	}
	return s
}
