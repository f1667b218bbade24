package capture_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
)

// kubeconfig writes a kubeconfig with one context, prod, for server.
func kubeconfig(t *testing.T, server string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["prod"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["prod"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "prod"}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConnectNamesAnUnknownContext(t *testing.T) {
	path := kubeconfig(t, "https://127.0.0.1:1")
	_, err := capture.Connect(path, "staging")
	var ce *capture.ContextError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `no context "staging"`) || !strings.Contains(err.Error(), "contexts: prod") {
		t.Fatalf("err = %v", err)
	}
	if _, err := capture.Connect(path, ""); !errors.As(err, &ce) {
		t.Errorf("an empty context falls back to something: %v", err)
	}
}

// TestConnectOnlyReads: a write or an exec never reaches the API server.
func TestConnectOnlyReads(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"PodList","apiVersion":"v1","items":[]}`))
	}))
	defer srv.Close()
	c, err := capture.Connect(kubeconfig(t, srv.URL), "prod")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Kube.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("a list failed: %v", err)
	}
	_, err = c.Kube.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	var refused *capture.WriteRefusedError
	if !errors.As(err, &refused) || refused.Method != http.MethodPost {
		t.Errorf("create: %v", err)
	}
	if err := c.Kube.CoreV1().Pods("shop").Delete(ctx, "x", metav1.DeleteOptions{}); !errors.As(err, &refused) {
		t.Errorf("delete: %v", err)
	}
	if err := c.Kube.CoreV1().RESTClient().Get().Resource("pods").Namespace("shop").Name("x").SubResource("exec").Do(ctx).Error(); !errors.As(err, &refused) {
		t.Errorf("exec: %v", err)
	}
	if err := c.Kube.CoreV1().RESTClient().Get().Resource("services").Namespace("shop").Name("proxy").Do(ctx).Error(); errors.As(err, &refused) {
		t.Errorf("a Service named proxy is refused: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "GET /api/v1/namespaces/shop/pods" {
		t.Errorf("the server saw %v, want the two GETs only", seen)
	}
}
