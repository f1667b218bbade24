package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
)

// IstiodOptions says how to run istiod.
type IstiodOptions struct {
	// Binary is pilot-discovery of the version under test
	// (pilot.BuildIstiod).
	Binary string
	// Env are feature flags; MeshConfig the mesh config (as in a scenario
	// header).
	Env        map[string]string
	MeshConfig map[string]any
}

// Istiod is a running istiod.
type Istiod struct {
	// XDS is the plaintext xDS address (what sidecars reach on 15010).
	XDS string
	// Debug is the HTTP address of /ready and /debug/*; Monitoring the
	// address of /metrics.
	Debug, Monitoring string
	// Log is istiod's log file.
	Log  string
	proc *process
}

// StartIstiod runs istiod against the control plane with loopback ports
// for every server it opens, and waits until it is ready. The Istio CRDs
// must be installed (ApplyCRDs).
func (cp *ControlPlane) StartIstiod(ctx context.Context, o IstiodOptions) (*Istiod, error) {
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	mesh := []byte("{}\n")
	if len(o.MeshConfig) > 0 {
		if mesh, err = yaml.Marshal(o.MeshConfig); err != nil {
			return nil, fmt.Errorf("istiod mesh config: %w", err)
		}
	}
	meshFile := filepath.Join(cp.Dir, "mesh.yaml")
	if err := os.WriteFile(meshFile, mesh, 0o644); err != nil {
		return nil, err
	}
	if err := cp.writeInstall(ctx, o.Env, string(mesh)); err != nil {
		return nil, err
	}
	env := []string{"POD_NAMESPACE=" + istiod.Namespace, "POD_NAME=istiod-local", "REVISION=default",
		"KUBECONFIG=" + cp.Kubeconfig, "JWT_POLICY=first-party-jwt", "PILOT_CERT_PROVIDER=istiod",
		"ENABLE_DEBUG_ON_HTTP=true"}
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+o.Env[k])
	}
	i := &Istiod{XDS: hostPort(ports[0]), Debug: hostPort(ports[1]), Monitoring: hostPort(ports[4])}
	cp.step("starting istiod (xDS %s, debug %s, env %v)", i.XDS, i.Debug, keys)
	p, err := start(cp.Dir, "istiod", o.Binary, []string{"discovery",
		"--kubeconfig", cp.Kubeconfig, "--meshConfig", meshFile, "--networksConfig", filepath.Join(cp.Dir, "mesh-networks.yaml"),
		"--grpcAddr", i.XDS, "--httpAddr", i.Debug,
		"--secureGRPCAddr", hostPort(ports[2]), "--httpsAddr", hostPort(ports[3]), "--monitoringAddr", i.Monitoring,
		"--domain", clusterdefaults.Domain, "--keepaliveMaxServerConnectionAge", "30m",
	}, env)
	if err != nil {
		return nil, err
	}
	i.proc, i.Log = p, p.log
	if err := p.waitReady(ctx, 90*time.Second, func(ctx context.Context) error {
		_, err := i.Get(ctx, "/ready")
		return err
	}); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return i, nil
}

// writeInstall writes what an Istio install leaves in istio-system for
// readers of the cluster (listenerlab capture): the istio ConfigMap with
// the mesh config and the istiod Deployment with the feature flags in its
// discovery container's environment, scaled to zero (istiod runs as a
// process here). Existing ones are replaced.
func (cp *ControlPlane) writeInstall(ctx context.Context, env map[string]string, mesh string) error {
	cs, err := kubernetes.NewForConfig(cp.REST)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "istio", Namespace: istiod.Namespace}, Data: map[string]string{"mesh": mesh}}
	if err := replace(ctx, cs.CoreV1().ConfigMaps(istiod.Namespace), cm); err != nil {
		return fmt.Errorf("writing ConfigMap %s/istio: %w", istiod.Namespace, err)
	}
	var vars []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars = append(vars, corev1.EnvVar{Name: k, Value: env[k]})
	}
	labels := map[string]string{"app": "istiod", "istio": "pilot"}
	zero := int32(0)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "istiod", Namespace: istiod.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &zero, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: istiod.DiscoveryContainer, Image: "pilot-discovery (a local process)", Env: vars}}}}}}
	if err := replace(ctx, cs.AppsV1().Deployments(istiod.Namespace), dep); err != nil {
		return fmt.Errorf("writing Deployment %s/istiod: %w", istiod.Namespace, err)
	}
	return nil
}

// replacer is the part of a typed client replace needs.
type replacer[T any] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

// replace deletes obj's namesake, if any, and creates obj.
func replace[T interface{ GetName() string }](ctx context.Context, c replacer[T], obj T) error {
	if err := c.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	_, err := c.Create(ctx, obj, metav1.CreateOptions{})
	return err
}

// Stop ends istiod.
func (i *Istiod) Stop() { i.proc.stop(15 * time.Second) }

// Exited is non-nil once istiod ended, with its log's tail.
func (i *Istiod) Exited() error { return i.proc.exited() }

// Get fetches a path of istiod's debug server (/ready, /debug/syncz, ...)
// or, for /metrics, of its monitoring server.
func (i *Istiod) Get(ctx context.Context, path string) ([]byte, error) {
	addr := i.Debug
	if path == istiod.MetricsPath {
		addr = i.Monitoring
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("istiod %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// IstioCRDs reads the CRDs of istio.io/istio at module version (a file of
// Istio's base chart) from the Go module cache, downloading the module if
// it is not there.
func IstioCRDs(ctx context.Context, goCmd, module string) ([]byte, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	out, err := runOutput(ctx, goCmd, "mod", "download", "-json", "istio.io/istio@"+module)
	if err != nil {
		return nil, err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("go mod download istio.io/istio@%s: %w", module, err)
	}
	if m.Error != "" {
		return nil, fmt.Errorf("go mod download istio.io/istio@%s: %s", module, m.Error)
	}
	for _, p := range []string{"manifests/charts/base/files/crd-all.gen.yaml", "manifests/charts/base/crds/crd-all.gen.yaml"} {
		if b, err := os.ReadFile(filepath.Join(m.Dir, p)); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("istio.io/istio@%s has no crd-all.gen.yaml in manifests/charts/base", module)
}

// ApplyCRDs creates the CustomResourceDefinitions of a multi-document YAML
// (kubectl's apply, without kubectl) and waits until the API serves them.
func (cp *ControlPlane) ApplyCRDs(ctx context.Context, crds []byte) error {
	return applyCRDs(ctx, cp.REST, crds)
}

// InstallBuiltins creates what a real cluster with Istio has besides the
// API server's own "kubernetes" Service: istio-system, the kube-dns
// Service of kind's CoreDNS (10.96.0.10, or fd00:10:96::a on IPv6) and istiod's Service with the
// Istio chart's ports. No pods back them; sidecars still get their
// listeners, as in kind.
func (cp *ControlPlane) InstallBuiltins(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(cp.REST)
	if err != nil {
		return err
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: istiod.Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", istiod.Namespace, err)
	}
	// The API server makes kubernetes itself; kind fixes kube-dns's
	// ClusterIP, the API server picks istiod's.
	var svcs []*corev1.Service
	for _, b := range clusterdefaults.BuiltinServices {
		if b.ByAPIServer {
			continue
		}
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: b.Name, Namespace: b.Namespace, Labels: maps.Clone(b.Selector)},
			Spec: corev1.ServiceSpec{Selector: maps.Clone(b.Selector), Ports: slices.Clone(b.Ports)}}
		if b.FixedIP {
			// The primary family's, single stack, as kind's.
			s.Spec.ClusterIP = b.ClusterIPv4().String()
			if cp.Family == IPv6 {
				s.Spec.ClusterIP = b.ClusterIPv6().String()
			}
		}
		svcs = append(svcs, s)
	}
	for _, s := range svcs {
		if _, err := cs.CoreV1().Services(s.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating Service %s/%s: %w", s.Namespace, s.Name, err)
		}
	}
	return nil
}
