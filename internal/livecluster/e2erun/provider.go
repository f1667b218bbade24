package e2erun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/envfuncs"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/world"
)

// provider is where the one suite runs: a kind cluster with Istio
// installed by istioctl and real Envoys (kindProvider), or a local control
// plane with istiod as a process and an xDS client standing in for each
// client's Envoy (localProvider). Everything else (deploying, waiting,
// reading the live World, predicting, comparing, reporting) is shared.
type provider interface {
	// where names the provider in reports: "kind", "a local control plane".
	where() string
	// setup and finish are the suite's first and last steps.
	setup() []env.Func
	finish() []env.Func
	// ensureIstio runs istiod with a scenario group's settings (the local
	// provider: in a control plane of the group's IP family).
	ensureIstio(ctx context.Context, cfg *envconf.Config, g *Group) error
	// injects says whether client pods get an istio-proxy container.
	injects() bool
	// attach is called once the scenario's pods run, before the sync
	// wait: the local provider connects the client's xDS stream.
	attach(ctx context.Context, r *Run, client world.Client) error
	// debug fetches one of istiod's debug paths (/debug/syncz, ...).
	debug(ctx context.Context, r *Run, path string) ([]byte, error)
	// configDump is the client proxy's Envoy config dump.
	configDump(ctx context.Context, r *Run, s deploy.Step) ([]byte, error)
	// istiodLog is istiod's log since the scenario started, the lines
	// naming the client's namespace.
	istiodLog(ctx context.Context, r *Run) []byte
	// detach ends what attach started.
	detach(r *Run)
	// rerun is the command that runs just one scenario file again.
	rerun(file string) string
}

// kindProvider runs the suite in a kind cluster (or an existing context).
type kindProvider struct{ s *Suite }

func (kindProvider) where() string { return "kind" }

func (k kindProvider) setup() []env.Func {
	if k.s.cfg.KubeContext == "" {
		return []env.Func{k.preflight, envfuncs.CreateClusterWithConfig(k.s.kind, k.s.cfg.ClusterName, k.s.cfg.KindConfig), k.useKind, k.buildIstioctl, k.s.collectGarbage}
	}
	return []env.Func{k.useContext, k.buildIstioctl, k.s.collectGarbage}
}

func (k kindProvider) finish() []env.Func { return []env.Func{k.exportLogs, k.destroy} }

func (k kindProvider) ensureIstio(ctx context.Context, cfg *envconf.Config, g *Group) error {
	return k.s.ensureIstioKind(ctx, cfg, g.Config)
}

func (kindProvider) injects() bool { return true }

func (kindProvider) attach(context.Context, *Run, world.Client) error { return nil }

func (kindProvider) detach(*Run) {}

func (k kindProvider) rerun(file string) string {
	return kindcluster.RerunCommand(k.s.version.Label, file, k.s.cfg.ClusterName)
}

// preflight checks that the container engine answers.
func (k kindProvider) preflight(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	k.s.step("check that %s answers", kindcluster.Engine())
	if err := kindcluster.CheckEngine(ctx, 30*time.Second); err != nil {
		return ctx, fmt.Errorf("%w; make e2e-local runs the same suite without Docker", err)
	}
	return ctx, nil
}

// useKind takes the kubeconfig of the kind cluster CreateClusterWithConfig
// created or found.
func (k kindProvider) useKind(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	k.s.kubecfg = k.s.kind.GetKubeconfig()
	if k.s.kind.Created {
		k.s.step("created kind cluster %s", k.s.cfg.ClusterName)
	} else {
		k.s.step("reusing kind cluster %s", k.s.cfg.ClusterName)
	}
	return ctx, nil
}

// useContext writes a kubeconfig whose current context is -kubecontext
// and points the suite at it.
func (k kindProvider) useContext(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.s.cfg.KubeContext})
	if _, err := cc.ClientConfig(); err != nil {
		return ctx, fmt.Errorf("context %s: %w", k.s.cfg.KubeContext, err)
	}
	raw, err := cc.RawConfig()
	if err != nil {
		return ctx, fmt.Errorf("context %s: %w", k.s.cfg.KubeContext, err)
	}
	raw.CurrentContext = k.s.cfg.KubeContext
	f, err := os.CreateTemp("", "listenerlab-kubeconfig-")
	if err != nil {
		return ctx, err
	}
	f.Close()
	if err := clientcmd.WriteToFile(raw, f.Name()); err != nil {
		return ctx, err
	}
	k.s.kubecfg = f.Name()
	cfg.WithKubeconfigFile(f.Name())
	k.s.step("using existing context %s", k.s.cfg.KubeContext)
	return ctx, nil
}

// buildIstioctl builds istioctl of the version from its Go module, or
// takes ISTIOCTL.
func (k kindProvider) buildIstioctl(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	s := k.s
	if p := os.Getenv("ISTIOCTL"); p != "" {
		s.step("using ISTIOCTL=%s (it must be istioctl %s)", p, s.version.Image)
		s.istioctl = p
		return ctx, nil
	}
	s.step("building istioctl %s from its Go module (cached after the first build)", s.version.Label)
	bin, err := backend.BuildIstioctl(ctx, s.version, backend.BuildOptions{Progress: os.Stderr, Nice: 5})
	s.istioctl = bin
	return ctx, err
}

// exportLogs exports the kind cluster's logs when a scenario failed.
func (k kindProvider) exportLogs(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	s := k.s
	if s.kind == nil || !s.failed() {
		return ctx, nil
	}
	s.step("exporting cluster logs to %s", s.artifacts.ClusterLogs())
	if err := s.kind.ExportLogs(context.WithoutCancel(ctx), s.artifacts.ClusterLogs()); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: exporting logs: %v\n", err)
	}
	return ctx, nil
}

// destroy deletes the kind cluster unless it is kept or not the suite's.
func (k kindProvider) destroy(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	s := k.s
	switch {
	case s.kind == nil:
		return ctx, nil
	case s.cfg.KeepCluster:
		s.step("keeping kind cluster %s (KEEP_CLUSTER=1): delete it with go tool kind delete cluster --name %s", s.cfg.ClusterName, s.cfg.ClusterName)
		return ctx, nil
	}
	s.step("deleting kind cluster %s", s.cfg.ClusterName)
	return ctx, s.kind.Destroy(context.WithoutCancel(ctx))
}

// istiodPod is the one istiod pod.
func istiodPod(ctx context.Context, r *Run) (string, error) {
	pods, err := r.cs.CoreV1().Pods(istiod.Namespace).List(ctx, metav1.ListOptions{LabelSelector: istiod.Selector})
	if err != nil {
		return "", err
	}
	for _, p := range pods.Items {
		if kindcluster.PodReady(p) {
			return p.Name, nil
		}
	}
	return "", errors.New("no ready istiod pod")
}

func (kindProvider) debug(ctx context.Context, r *Run, path string) ([]byte, error) {
	pod, err := istiodPod(ctx, r)
	if err != nil {
		return nil, err
	}
	return kindcluster.Exec(ctx, r.rc, r.cs, istiod.Namespace, pod, istiod.DiscoveryContainer, istiod.DebugCommand(path))
}

func (kindProvider) configDump(ctx context.Context, r *Run, s deploy.Step) ([]byte, error) {
	var dump []byte
	err := kindcluster.Wait(ctx, "the config dump of "+r.live.Client.Name, s.Timeout, time.Second, func(ctx context.Context) (bool, string, error) {
		out, err := kindcluster.Exec(ctx, r.rc, r.cs, r.clientNS(), r.live.Client.Name, istiod.ProxyContainer, s.Command)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		dump = out
		return true, "", nil
	})
	return dump, err
}

func (kindProvider) istiodLog(ctx context.Context, r *Run) []byte {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	pod, err := istiodPod(ctx, r)
	if err != nil {
		return []byte(err.Error() + "\n")
	}
	since := metav1.NewTime(r.start)
	raw, err := r.cs.CoreV1().Pods(istiod.Namespace).GetLogs(pod, &corev1.PodLogOptions{Container: istiod.DiscoveryContainer, SinceTime: &since}).DoRaw(ctx)
	if err != nil {
		return []byte(err.Error() + "\n")
	}
	return linesNaming(raw, r.clientNS())
}

// linesNaming keeps the lines of a log that contain s.
func linesNaming(raw []byte, s string) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			out.WriteString(sc.Text() + "\n")
		}
	}
	return out.Bytes()
}
