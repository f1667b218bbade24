package kindcluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

func kubeconfig() *clientcmdapi.Config {
	c := clientcmdapi.NewConfig()
	add := func(ctx, server string) {
		c.Clusters[ctx] = &clientcmdapi.Cluster{Server: server}
		c.Contexts[ctx] = &clientcmdapi.Context{Cluster: ctx}
	}
	add("kind-listenerlab", "https://127.0.0.1:40123")
	add("kind-remote", "https://10.1.2.3:6443")
	add("prod-eu", "https://prod.example.com")
	add("kind-v6", "https://[::1]:40124")
	c.CurrentContext = "prod-eu"
	return c
}

func TestContextGuard(t *testing.T) {
	cfg := kubeconfig()
	for _, tc := range []struct {
		context, allow string
		ok             bool
		reason         string
	}{
		{"kind-listenerlab", "", true, ""},
		{"kind-v6", "", true, ""},
		{"prod-eu", "", false, "not a kind context"},
		{"", "", false, "not a kind context"}, // the current context is prod-eu
		{"prod-eu", "prod", false, "not a kind context"},
		{"prod-eu", "kind-listenerlab", false, "not a kind context"},
		{"prod-eu", "prod-eu", true, ""},
		{"kind-remote", "", false, "not on this machine's loopback"},
		{"kind-remote", "kind-remote", true, ""},
		{"missing", "missing", false, "no such context"},
	} {
		err := kindcluster.CheckContext(cfg, tc.context, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("%q allow %q: err = %v", tc.context, tc.allow, err)
			continue
		}
		if err != nil {
			var re *kindcluster.RefusedContextError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.reason) || !strings.Contains(err.Error(), "E2E_ALLOW_CONTEXT=") {
				t.Errorf("%q: %v", tc.context, err)
			}
		}
	}
}

func TestWaitSaysWhatItSawLast(t *testing.T) {
	n := 0
	err := kindcluster.Wait(context.Background(), "the pod to be ready", 50*time.Millisecond, 5*time.Millisecond, func(context.Context) (bool, string, error) {
		n++
		return false, "pod Pending (unschedulable: 0/1 nodes)", nil
	})
	var we *kindcluster.WaitError
	if !errors.As(err, &we) || !errors.Is(err, context.DeadlineExceeded) || n < 2 {
		t.Fatalf("err = %v after %d checks", err, n)
	}
	for _, want := range []string{"the pod to be ready", "deadline reached", "last seen: pod Pending (unschedulable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	err = kindcluster.Wait(context.Background(), "x", time.Second, time.Millisecond, func(context.Context) (bool, string, error) {
		n++
		if n < 10 {
			return false, "", kindcluster.Retryable{Err: errors.New("connection refused")}
		}
		return true, "", nil
	})
	if err != nil {
		t.Errorf("retryable errors end the wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = kindcluster.Wait(ctx, "x", time.Hour, time.Hour, func(context.Context) (bool, string, error) { return false, "", nil })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("interrupt: %v", err)
	}
	if err := kindcluster.Until(ctx, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("Until on an interrupted context: %v", err)
	}
	if err := kindcluster.Until(context.Background(), time.Now().Add(-time.Second)); err != nil {
		t.Errorf("Until in the past: %v", err)
	}
}

func TestArtifactsLayout(t *testing.T) {
	root := t.TempDir()
	a := kindcluster.Artifacts{Root: root, Version: "1.26"}
	p, err := a.WriteScenario("a/b c", kindcluster.DiffFile, []byte("diff"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "istio-1.26", "a_b_c", "diff.txt"); p != want {
		t.Errorf("path %s, want %s", p, want)
	}
	if b, _ := os.ReadFile(p); string(b) != "diff" {
		t.Errorf("content %q", b)
	}
	for got, want := range map[string]string{
		a.JUnit(): "istio-1.26/junit.xml", a.Results(): "istio-1.26/results.json", a.Report(): "istio-1.26/report.txt", a.ClusterLogs(): "istio-1.26/cluster-logs",
	} {
		if got != filepath.Join(root, want) {
			t.Errorf("%s, want %s", got, want)
		}
	}
	if got := kindcluster.RerunCommand("1.26", "scenarios/x/y.yaml", "listenerlab"); got != "make e2e ISTIO_VERSION=1.26 SCENARIOS=scenarios/x/y.yaml KEEP_CLUSTER=1" {
		t.Errorf("rerun %q", got)
	}
	if got := kindcluster.RerunCommand("1.26", "my scenarios/y.yaml", "other"); got != "make e2e ISTIO_VERSION=1.26 SCENARIOS='my scenarios/y.yaml' KEEP_CLUSTER=1 CLUSTER_NAME=other" {
		t.Errorf("rerun %q", got)
	}
}

func TestInstall(t *testing.T) {
	v, _ := versions.Lookup("1.26")
	args, err := kindcluster.InstallArgs(v, "/tmp/overlay.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"install", "-y", "-f", "/tmp/overlay.yaml", "--set", "hub=docker.io/istio", "--set", "tag=1.26.0", "--readiness-timeout", "5m"}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("args %q", args)
	}
	if _, err := kindcluster.InstallArgs(versions.Version{Label: "1.31-dev", Note: "snapshot"}, "x"); err == nil || !strings.Contains(err.Error(), "no release images") {
		t.Errorf("dev version: %v", err)
	}
	def := kindcluster.IstiodConfig{}
	c := kindcluster.IstiodConfig{Env: map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false"}, MeshConfig: map[string]any{"outboundTrafficPolicy": map[string]any{"mode": "REGISTRY_ONLY"}}}
	if def.Key() == c.Key() || def.String() != "defaults" {
		t.Errorf("keys %s %s", def.Key(), c.Key())
	}
	y, err := c.Overlay()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: IstioOperator", "profile: minimal", "PILOT_ENABLE_IP_AUTOALLOCATE: \"false\"", "mode: REGISTRY_ONLY", "replicaCount: 1", "cpu: 10m"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("overlay lacks %q:\n%s", want, y)
		}
	}
}

func TestPodState(t *testing.T) {
	p := corev1.Pod{}
	p.Name = "web-1"
	p.Status.Phase = corev1.PodPending
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available: 1 Insufficient cpu."}}
	if got := kindcluster.PodState(p); got != "web-1 Pending (unschedulable: 0/1 nodes are available: 1 Insufficient cpu.)" {
		t.Errorf("%q", got)
	}
	p.Status.Conditions = nil
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "not found"}}}}
	if got := kindcluster.PodState(p); !strings.Contains(got, "web: ImagePullBackOff") {
		t.Errorf("%q", got)
	}
	if kindcluster.PodReady(p) {
		t.Error("pending pod ready")
	}
}

func TestDockerMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	if err := kindcluster.CheckEngine(context.Background(), time.Second); !errors.Is(err, kindcluster.ErrDockerMissing) {
		t.Errorf("err = %v", err)
	}
	// A docker that does not answer.
	dir := t.TempDir()
	script := filepath.Join(dir, "docker")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	err := kindcluster.CheckEngine(context.Background(), 5*time.Second)
	if !errors.Is(err, kindcluster.ErrDockerDown) || !strings.Contains(err.Error(), "Cannot connect") {
		t.Errorf("err = %v", err)
	}
}
