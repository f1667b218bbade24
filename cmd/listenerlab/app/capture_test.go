package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/testkit/capturetest"
)

// fakeCluster makes capture read capturetest's cluster for context
// kind-fake; any other context goes to the real Connect, over a kubeconfig
// ($KUBECONFIG) that has only kind-fake.
func fakeCluster(t *testing.T) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kind-fake"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.Contexts["kind-fake"] = &clientcmdapi.Context{Cluster: "kind-fake"}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", path)
	saved := connectCluster
	t.Cleanup(func() { connectCluster = saved })
	connectCluster = func(kubeconfig, context string) (livestate.Clients, error) {
		if context != "kind-fake" {
			return saved(kubeconfig, context)
		}
		return capturetest.Cluster(), nil
	}
}

func TestCaptureThenPredict(t *testing.T) {
	fakeCluster(t)
	out := filepath.Join(t.TempDir(), "captured.yaml")
	code, stdout, stderr := run("capture", "--context", "kind-fake", "--namespace", capturetest.Namespace, "--client", capturetest.Pod, "-o", out)
	if code != exitOK || stderr != "" || !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "12 objects") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, stdout, stderr = run("predict", out)
	if code != exitOK || !strings.Contains(stdout, "cluster outbound|3306||sql-a.example.com") || !strings.Contains(stdout, "Shadowed") {
		t.Errorf("predict on the capture: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = run("capture", "--context", "kind-fake", "--namespace", capturetest.Namespace, "--client", capturetest.Pod, "-o", "-")
	if b, _ := os.ReadFile(out); code != exitOK || stdout != string(b) {
		t.Errorf("-o - prints other bytes than the file holds (exit %d)", code)
	}
}

func TestCaptureBadInputWritesNothing(t *testing.T) {
	fakeCluster(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown pod", []string{"--context", "kind-fake", "--namespace", "shop", "--client", "gone"}, "no pod gone in namespace shop (pods there: " + capturetest.Pod},
		{"unknown namespace", []string{"--context", "kind-fake", "--namespace", "nowhere", "--client", "x"}, "no pod x in namespace nowhere (pods there: none)"},
		{"unknown context", []string{"--context", "staging", "--namespace", "shop", "--client", capturetest.Pod}, `has no context "staging" (contexts: kind-fake)`},
		{"no context", []string{"--namespace", "shop", "--client", capturetest.Pod}, "--context is required"},
		{"no client", []string{"--context", "kind-fake", "--namespace", "shop"}, "--client is required"},
		{"stray argument", []string{"--context", "kind-fake", "--namespace", "shop", "--client", capturetest.Pod, "extra.yaml"}, `unexpected argument "extra.yaml"`},
	} {
		out := filepath.Join(t.TempDir(), "captured.yaml")
		code, stdout, stderr := run(append(append([]string{"capture"}, tc.args...), "-o", out)...)
		if code != exitBadInput || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q (want %q)", tc.name, code, stdout, stderr, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: %s was written", tc.name, out)
		}
	}
	if code, _, _ := run("capture", "--context", "kind-fake", "--namespace", "shop", "--client", capturetest.Pod); code != exitBadInput {
		t.Errorf("no -o: exit %d", code)
	}
}
