package e2erun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/localcluster/xdsclient"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/world"
)

// localProvider runs the suite against a local control plane: etcd,
// kube-apiserver, kube-controller-manager and istiod as processes of this
// machine and the node in-process (package controlplane), and one xDS client per scenario
// standing in for the client's Envoy (package xdsclient).
type localProvider struct {
	s         *Suite
	bins      controlplane.Binaries
	istiodBin string
	cp        *controlplane.ControlPlane // nil until the first group, and between families
	istiod    *controlplane.Istiod
	config    string // key of the settings istiod runs with

	mu      sync.Mutex
	clients map[*Run]*xdsclient.Client
}

func (*localProvider) where() string { return "a local control plane (no Envoy: xDS client)" }

// setup only builds: the control plane starts with the first group, of
// that group's IP family (ensureIstio).
func (p *localProvider) setup() []env.Func {
	return []env.Func{p.build}
}

func (p *localProvider) finish() []env.Func { return []env.Func{p.stop} }

// build builds what the suite runs, one build at a time: the Kubernetes
// binaries and istiod of the version (cached after the first run).
func (p *localProvider) build(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	var err error
	if p.bins.Etcd, err = controlplane.EtcdFromEnv(); err != nil {
		return ctx, err
	}
	o := controlplane.BuildOptions{Progress: os.Stderr, Nice: 5}
	p.s.step("building etcd, kube-apiserver and kube-controller-manager %s (cached after the first build)", controlplane.KubernetesVersion)
	if p.bins.Kubernetes, err = controlplane.BuildKubernetes(ctx, o); err != nil {
		return ctx, err
	}
	// istiod compiles the same packages as the version's pilot backend,
	// with the same flags: built after it, it only links. When verify
	// builds that backend at the same time (make test), this waits for it
	// instead of compiling the same packages twice.
	bo := backend.BuildOptions{Progress: os.Stderr, Nice: 5}
	p.s.step("building the pilot backend %s, whose compiled packages istiod reuses", p.s.version.Label)
	if _, err = backend.Build(ctx, p.s.version, bo); err != nil {
		return ctx, err
	}
	p.s.step("building istiod %s from its Go module", p.s.version.Label)
	p.istiodBin, err = backend.BuildIstiod(ctx, p.s.version, bo)
	return ctx, err
}

// start runs a control plane of one IP family with Istio's CRDs and the
// built-in Services, and points the suite's clients at it.
func (p *localProvider) start(ctx context.Context, cfg *envconf.Config, family controlplane.IPFamily) error {
	cp, err := controlplane.Start(ctx, p.bins, controlplane.Options{Log: stepWriter{p.s}, Family: family})
	if err != nil {
		return err
	}
	p.cp = cp
	p.s.kubecfg = cp.Kubeconfig
	cfg.WithKubeconfigFile(cp.Kubeconfig)
	crds, err := controlplane.IstioCRDs(ctx, "", p.s.version.Module)
	if err != nil {
		return err
	}
	p.s.step("installing the CRDs of Istio %s", p.s.version.Label)
	if err := cp.ApplyCRDs(ctx, crds); err != nil {
		return err
	}
	return cp.InstallBuiltins(ctx)
}

func (p *localProvider) stop(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	p.stopControlPlane()
	return ctx, nil
}

// stopControlPlane ends istiod and the control plane and removes its
// folder. After a failure so far, the processes' logs are copied to the
// artifacts first (cluster-logs/FAMILY); with -keep-cluster the folder
// stays too, with etcd's data.
func (p *localProvider) stopControlPlane() {
	if p.istiod != nil {
		p.istiod.Stop()
		p.istiod, p.config = nil, ""
	}
	if p.cp == nil {
		return
	}
	cp := p.cp
	p.cp = nil
	if !p.s.failed() && !p.s.cfg.KeepCluster {
		p.s.step("stopping the %s control plane", cp.Family)
		cp.Stop()
		return
	}
	dir := cp.Keep()
	logs := filepath.Join(p.s.artifacts.ClusterLogs(), string(cp.Family))
	if err := copyLogs(dir, logs); err != nil {
		p.s.step("copying the %s control plane's logs: %v", cp.Family, err)
	}
	if p.s.cfg.KeepCluster {
		p.s.step("kept the %s control plane's logs and data in %s (stopped; remove it when done); logs also in %s", cp.Family, dir, logs)
		return
	}
	p.s.step("stopped the %s control plane; its logs are in %s", cp.Family, logs)
	_ = os.RemoveAll(dir)
}

// copyLogs copies the processes' logs into the artifacts.
func copyLogs(from, to string) error {
	logs, _ := filepath.Glob(filepath.Join(from, "*.log"))
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		_ = os.WriteFile(filepath.Join(to, filepath.Base(l)), b, 0o644)
	}
	return nil
}

// ensureIstio starts a control plane of the group's IP family unless one
// runs, and (re)starts istiod when the group needs other settings.
func (p *localProvider) ensureIstio(ctx context.Context, cfg *envconf.Config, g *Group) error {
	if p.cp != nil && p.cp.Family != g.Family {
		p.stopControlPlane()
	}
	if p.cp == nil {
		p.s.step("starting the %s control plane", g.Family)
		if err := p.start(ctx, cfg, g.Family); err != nil {
			return err
		}
	}
	c := g.Config
	if p.istiod != nil && p.config == c.Key() && p.istiod.Exited() == nil {
		p.s.step("istiod %s with settings %s already runs", p.s.version.Label, c)
		return nil
	}
	if p.istiod != nil {
		p.istiod.Stop()
		p.istiod = nil
	}
	p.s.step("starting istiod %s, settings %s", p.s.version.Label, c)
	i, err := p.cp.StartIstiod(ctx, controlplane.IstiodOptions{Binary: p.istiodBin, Env: c.Env, MeshConfig: c.MeshConfig})
	if err != nil {
		return err
	}
	p.istiod, p.config = i, c.Key()
	return nil
}

func (*localProvider) injects() bool { return false }

// attach connects the client's xDS stream and waits for its first
// listeners.
func (p *localProvider) attach(ctx context.Context, r *Run, c world.Client) error {
	p.detach(r)
	n := xdsclient.Node{Client: c, IstioVersion: backend.ProxyVersion(p.s.version)}
	x, err := xdsclient.Dial(ctx, p.istiod.XDS, n)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.clients == nil {
		p.clients = map[*Run]*xdsclient.Client{}
	}
	p.clients[r] = x
	p.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return x.WaitUpdates(wctx, 1)
}

func (p *localProvider) client(r *Run) (*xdsclient.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, ok := p.clients[r]
	if !ok {
		return nil, fmt.Errorf("no xDS client for %s", r.p.Scenario)
	}
	return x, nil
}

func (p *localProvider) detach(r *Run) {
	p.mu.Lock()
	x, ok := p.clients[r]
	delete(p.clients, r)
	p.mu.Unlock()
	if ok {
		x.Close()
	}
}

func (p *localProvider) debug(ctx context.Context, r *Run, path string) ([]byte, error) {
	if err := p.istiod.Exited(); err != nil {
		return nil, err
	}
	return p.istiod.Get(ctx, path)
}

func (p *localProvider) configDump(ctx context.Context, r *Run, s deploy.Step) ([]byte, error) {
	x, err := p.client(r)
	if err != nil {
		return nil, err
	}
	if err := x.Err(); err != nil {
		return nil, fmt.Errorf("the xDS stream of %s ended: %w", r.p.Scenario, err)
	}
	return x.ConfigDump()
}

func (p *localProvider) istiodLog(ctx context.Context, r *Run) []byte {
	b, err := os.ReadFile(p.istiod.Log)
	if err != nil {
		return []byte(err.Error() + "\n")
	}
	return linesNaming(b, r.clientNS())
}

func (p *localProvider) rerun(file string) string {
	return fmt.Sprintf("make e2e-local ISTIO_VERSION=%s SCENARIOS=%s", p.s.version.Label, file)
}

// stepWriter prints the control plane's lines as suite steps.
type stepWriter struct{ s *Suite }

func (w stepWriter) Write(b []byte) (int, error) {
	w.s.step("%s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
