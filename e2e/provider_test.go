//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/envfuncs"

	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/istiod"
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
	// ensureIstio runs istiod with a scenario group's settings.
	ensureIstio(ctx context.Context, cfg *envconf.Config, c kindcluster.IstiodConfig) error
	// injects says whether client pods get an istio-proxy container.
	injects() bool
	// attach is called once the scenario's pods run, before the sync
	// wait: the local provider connects the client's xDS stream.
	attach(ctx context.Context, r *runner, client world.Client) error
	// debug fetches one of istiod's debug paths (/debug/syncz, ...).
	debug(ctx context.Context, r *runner, path string) ([]byte, error)
	// configDump is the client proxy's Envoy config dump.
	configDump(ctx context.Context, r *runner, s deploy.Step) ([]byte, error)
	// istiodLog is istiod's log since the scenario started, the lines
	// naming the client's namespace.
	istiodLog(ctx context.Context, r *runner) []byte
	// detach ends what attach started.
	detach(r *runner)
	// rerun is the command that runs just one scenario file again.
	rerun(file string) string
}

// kindProvider runs the suite in a kind cluster (or an existing context).
type kindProvider struct{}

func (kindProvider) where() string { return "kind" }

func (kindProvider) setup() []env.Func {
	if *flagContext == "" {
		return []env.Func{preflight, envfuncs.CreateClusterWithConfig(st.kind, *flagClusterName, *flagKindConfig), useKind, buildIstioctl}
	}
	return []env.Func{useContext, buildIstioctl}
}

func (kindProvider) finish() []env.Func { return []env.Func{exportLogs, destroy} }

func (kindProvider) ensureIstio(ctx context.Context, cfg *envconf.Config, c kindcluster.IstiodConfig) error {
	return ensureIstioKind(ctx, cfg, c)
}

func (kindProvider) injects() bool { return true }

func (kindProvider) attach(context.Context, *runner, world.Client) error { return nil }

func (kindProvider) detach(*runner) {}

func (kindProvider) rerun(file string) string {
	return kindcluster.RerunCommand(st.version.Label, file, *flagClusterName)
}

// istiodPod is the one istiod pod.
func istiodPod(ctx context.Context, r *runner) (string, error) {
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

func (kindProvider) debug(ctx context.Context, r *runner, path string) ([]byte, error) {
	pod, err := istiodPod(ctx, r)
	if err != nil {
		return nil, err
	}
	return kindcluster.Exec(ctx, r.rc, r.cs, istiod.Namespace, pod, istiod.DiscoveryContainer, istiod.DebugCommand(path))
}

func (kindProvider) configDump(ctx context.Context, r *runner, s deploy.Step) ([]byte, error) {
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

func (kindProvider) istiodLog(ctx context.Context, r *runner) []byte {
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
