package e2erun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// Suite is one run of the suite: its configuration, the provider, and
// every scenario's verdict so far. TestMain makes one with New; the
// features use it through Plans, Groups, Acquire and NewRun.
type Suite struct {
	cfg       Config
	version   versions.Version
	root      string // module root: scenario paths and fixtures are relative to it
	run       string // run ID: part of every namespace prefix
	artifacts kindcluster.Artifacts
	kind      *kindcluster.Kind // nil when an existing context or the local provider is used
	kubecfg   string
	context   string
	istioctl  string
	provider  provider
	// log receives the suite's steps (os.Stderr).
	log io.Writer

	resultsMu  sync.Mutex
	results    []compare.Result
	roundTrips []RoundTrip

	// windows runs one conflict read window at a time (conflictread.go);
	// sentinel is the current group's sentinel scenario, whose conflict
	// record shows that a read saw a push of its window.
	windows  sync.Mutex
	sentinel *Run
	// reads are the conflict reads waiting for a quiet window.
	reads conflictQueue
	// slots bounds how many scenarios are deployed at once.
	slots chan struct{}
}

// New checks the configuration, finds the module root from the working
// directory, and picks the provider. For kind it also checks that the
// version has release images and, for an existing context, that the
// context is a local kind cluster or allowed by name.
func New(cfg Config) (*Suite, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	return newSuite(cfg, root, clientcmd.NewDefaultClientConfigLoadingRules().Load)
}

// newSuite is New with the module root and the kubeconfig given.
func newSuite(cfg Config, root string, kubeconfig func() (*clientcmdapi.Config, error)) (*Suite, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// A catalog label, else an istio.io/istio module version, commit or
	// release whose backend module is generated and cached on first use.
	v, err := backend.Version(context.Background(), cfg.Istio, backend.GenerateOptions{Progress: os.Stderr})
	if err != nil {
		return nil, fmt.Errorf("-istio: %w", err)
	}
	if v.Note != "" {
		fmt.Fprintf(os.Stderr, "Istio %s: %s\n", v.Label, v.Note)
	}
	s := &Suite{cfg: cfg, version: v, root: root, run: runID(), log: os.Stderr,
		artifacts: kindcluster.Artifacts{Root: abs(root, cfg.Artifacts), Version: backend.FileLabel(v)},
		slots:     make(chan struct{}, cfg.MaxParallel)}
	switch cfg.Provider {
	case ProviderLocal:
		s.provider = &localProvider{s: s}
		return s, nil
	case ProviderKind:
		s.provider = kindProvider{s: s}
	}
	if !cfg.DryRun && v.Image == "" {
		return nil, fmt.Errorf("no release images of Istio %s (%s): check it with make verify ISTIO=%s, or run make e2e-local ISTIO_VERSION=%s", v.Label, v.Note, v.Label, v.Label)
	}
	s.cfg.KindConfig = abs(root, cfg.KindConfig)
	if cfg.KubeContext == "" {
		s.kind = kindcluster.NewKind(cfg.ClusterName)
		s.context = s.kind.GetKubectlContext()
		return s, nil
	}
	// An existing cluster: refuse anything that is not a local kind
	// cluster unless the user named it twice.
	kc, err := kubeconfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	if err := kindcluster.CheckContext(kc, cfg.KubeContext, cfg.AllowContext); err != nil {
		return nil, err
	}
	s.context = cfg.KubeContext
	return s, nil
}

// Version is the Istio version the suite checks.
func (s *Suite) Version() versions.Version { return s.version }

// DryRun says whether the suite only prints what it would do.
func (s *Suite) DryRun() bool { return s.cfg.DryRun }

// Timeout is the deadline of the whole suite.
func (s *Suite) Timeout() time.Duration { return s.cfg.SuiteTimeout }

// Setup is the suite's first steps, the provider's: create or reuse the
// cluster and delete what earlier runs left in it (kind), build what runs.
func (s *Suite) Setup() []env.Func {
	return s.provider.setup()
}

// Finish is the suite's last steps: the reports, then the provider's
// (logs, deleting the cluster or stopping the processes).
func (s *Suite) Finish() []env.Func {
	return append([]env.Func{s.writeReports}, s.provider.finish()...)
}

// runID names this run in namespace prefixes and labels: scenarios of
// two runs in one kept cluster never share a namespace.
func runID() string {
	return fmt.Sprintf("%x", time.Now().UnixNano()/int64(time.Millisecond))[4:]
}

// step prints one step of the suite with the time.
func (s *Suite) step(format string, args ...any) {
	fmt.Fprintf(s.log, "e2e %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// record keeps one scenario's verdict for the reports.
func (s *Suite) record(r compare.Result) {
	s.resultsMu.Lock()
	defer s.resultsMu.Unlock()
	s.results = append(s.results, r)
}

// recordRoundTrip keeps one scenario's capture round trip for the reports.
func (s *Suite) recordRoundTrip(rt RoundTrip) {
	s.resultsMu.Lock()
	defer s.resultsMu.Unlock()
	s.roundTrips = append(s.roundTrips, rt)
}

// failed says whether a scenario failed or could not run, or a capture
// round trip failed.
func (s *Suite) failed() bool {
	s.resultsMu.Lock()
	defer s.resultsMu.Unlock()
	for _, rt := range s.roundTrips {
		if !rt.OK {
			return true
		}
	}
	for _, r := range s.results {
		if r.Outcome == compare.Fail || r.Outcome == compare.Error {
			return true
		}
	}
	return false
}

// writeReports writes JUnit, results.json (input of listenerlab matrix
// --results) and the text report with one verdict per scenario.
func (s *Suite) writeReports(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	text, err := s.WriteReports()
	if err != nil {
		return ctx, err
	}
	os.Stdout.Write(text)
	s.step("reports in %s", s.artifacts.Dir())
	return ctx, nil
}

// WriteReports writes junit.xml, results.json and report.txt into the
// version's artifacts folder, scenarios sorted by name, and returns the
// text report.
func (s *Suite) WriteReports() ([]byte, error) {
	s.resultsMu.Lock()
	rs := append([]compare.Result(nil), s.results...)
	rts := append([]RoundTrip(nil), s.roundTrips...)
	s.resultsMu.Unlock()
	sort.Slice(rts, func(i, j int) bool { return rts[i].Scenario < rts[j].Scenario })
	sort.Slice(rs, func(i, j int) bool { return rs[i].Scenario < rs[j].Scenario })
	if err := os.MkdirAll(s.artifacts.Dir(), 0o755); err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	var junit, text bytes.Buffer
	if err := report.JUnit(&junit, rs, s.version); err != nil {
		return nil, fmt.Errorf("junit report: %w", err)
	}
	var pass, fail, skip, errs int
	for _, r := range rs {
		report.Verdict(&text, r)
		switch r.Outcome {
		case compare.Pass:
			pass++
		case compare.Fail:
			fail++
		case compare.Skip:
			skip++
		case compare.Error:
			errs++
		}
	}
	roundTrips := 0
	for _, rt := range rts {
		if rt.OK {
			roundTrips++
		} else {
			fmt.Fprintln(&text, rt)
		}
	}
	fmt.Fprintf(&text, "\n%d passed, %d failed, %d skipped\n%d errors; %d scenarios on Istio %s in %s\n",
		pass, fail, skip, errs, len(rs), s.version.Label, s.provider.where())
	fmt.Fprintf(&text, "capture round trips: %d/%d\n", roundTrips, len(rts))
	js, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("results.json: %w", err)
	}
	for _, f := range []struct {
		file string
		data []byte
	}{{s.artifacts.JUnit(), junit.Bytes()}, {s.artifacts.Report(), text.Bytes()}, {s.artifacts.Results(), js}} {
		if err := os.WriteFile(f.file, f.data, 0o644); err != nil {
			return nil, fmt.Errorf("writing report: %w", err)
		}
	}
	return text.Bytes(), nil
}

// clients are the Kubernetes clients of the suite's cluster.
func clients(cfg *envconf.Config) (kubernetes.Interface, *rest.Config, error) {
	kc, err := cfg.NewClient()
	if err != nil {
		return nil, nil, err
	}
	rc := kc.RESTConfig()
	cs, err := kubernetes.NewForConfig(rc)
	return cs, rc, err
}

// collectGarbage deletes the namespaces an interrupted earlier run left in
// a kept cluster (they carry another run's label).
func (s *Suite) collectGarbage(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	cs, _, err := clients(cfg)
	if err != nil {
		return ctx, err
	}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: isolate.LabelRun})
	if err != nil {
		return ctx, fmt.Errorf("listing namespaces of earlier runs: %w", err)
	}
	for _, n := range nss.Items {
		if n.Labels[isolate.LabelRun] != s.run && n.DeletionTimestamp == nil {
			s.step("deleting namespace %s left by run %s", n.Name, n.Labels[isolate.LabelRun])
			_ = cs.CoreV1().Namespaces().Delete(ctx, n.Name, metav1.DeleteOptions{})
		}
	}
	return ctx, nil
}

// EnsureIstio runs istiod with a group's settings, the provider's way.
func (s *Suite) EnsureIstio(ctx context.Context, cfg *envconf.Config, g *Group) error {
	return s.provider.ensureIstio(ctx, cfg, g)
}

// ensureIstioKind installs Istio with the settings of a scenario group
// unless the cluster already runs exactly them, then waits for istiod.
func (s *Suite) ensureIstioKind(ctx context.Context, cfg *envconf.Config, c kindcluster.IstiodConfig) error {
	cs, _, err := clients(cfg)
	if err != nil {
		return err
	}
	want := s.version.Image + "/" + c.Key()
	if ns, err := cs.CoreV1().Namespaces().Get(ctx, istiod.Namespace, metav1.GetOptions{}); err == nil && ns.Annotations[kindcluster.ConfigAnnotation] == want {
		s.step("Istio %s with istiod settings %s already installed", s.version.Image, c)
	} else {
		overlay, err := c.Overlay()
		if err != nil {
			return err
		}
		file := filepath.Join(s.artifacts.Dir(), "istio-overlay-"+c.Key()+".yaml")
		if err := os.MkdirAll(s.artifacts.Dir(), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, overlay, 0o644); err != nil {
			return err
		}
		args, err := kindcluster.InstallArgs(s.version, file)
		if err != nil {
			return err
		}
		args = append(args, "--kubeconfig", s.kubecfg, "--context", s.context)
		s.step("installing Istio %s, istiod settings %s: istioctl %s", s.version.Image, c, strings.Join(args, " "))
		ictx, cancel := context.WithTimeout(ctx, 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ictx, s.istioctl, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, os.Stderr), io.MultiWriter(&out, os.Stderr)
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("istioctl install of Istio %s did not finish (%v): Istio is not ready; its last output:\n%s", s.version.Image, err, lastLines(out.String(), 20))
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, kindcluster.ConfigAnnotation, want)
		if _, err := cs.CoreV1().Namespaces().Patch(ctx, istiod.Namespace, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	return kindcluster.Wait(ctx, "istiod to run one ready pod of Istio "+s.version.Image, 5*time.Minute, 2*time.Second, func(ctx context.Context) (bool, string, error) {
		pods, err := cs.CoreV1().Pods(istiod.Namespace).List(ctx, metav1.ListOptions{LabelSelector: istiod.Selector})
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		var seen []string
		ready := 0
		for _, p := range pods.Items {
			seen = append(seen, kindcluster.PodState(p))
			if kindcluster.PodReady(p) && p.DeletionTimestamp == nil {
				ready++
			}
		}
		return ready == 1 && len(pods.Items) == 1, strings.Join(seen, "; "), nil
	})
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// moduleRoot is the folder of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// abs is p relative to root unless it is absolute.
func abs(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// PrintPlan is the suite-level part of the dry run.
func (s *Suite) PrintPlan(w io.Writer) {
	fmt.Fprintf(w, "e2e dry run: Istio %s (image tag %q, module istio.io/istio %s), run %s\n", s.version.Label, s.version.Image, s.version.Module, s.run)
	if s.cfg.Provider == ProviderLocal {
		fmt.Fprintf(w, "suite step 1: build kube-apiserver and kube-controller-manager (k8s.io/kubernetes %s), then the pilot backend and istiod %s (%s@%s), one at a time, cached\n",
			controlplane.KubernetesVersion, s.version.Label, backend.IstiodPackage, s.version.Module)
		fmt.Fprintf(w, "per IP family of the scenarios (IPv4, IPv6, DualStack, in that order): start etcd, kube-apiserver (the family's service ranges), kube-controller-manager (node %s's pod ranges) on loopback, and the node in-process (it binds pods and makes them Running and Ready); install Istio's CRDs, istio-system, the kube-dns and istiod Services\n",
			controlplane.NodeName)
		fmt.Fprintf(w, "per istiod settings group within a family: (re)start istiod as a process with the group's env and mesh config, wait for /ready, then the group's scenarios\n")
		fmt.Fprintf(w, "per scenario: the steps below; the client has no istio-proxy: an xDS client connects as it before the sync wait, and its config dump replaces Envoy's\n")
		fmt.Fprintf(w, "at the end: write %s, %s and %s; stop every process and remove their folder (after a failure the logs are first copied to %s/FAMILY; with KEEP_CLUSTER=1 the folder is kept)\n\n",
			s.artifacts.JUnit(), s.artifacts.Results(), s.artifacts.Report(), s.artifacts.ClusterLogs())
		return
	}
	if s.cfg.KubeContext == "" {
		fmt.Fprintf(w, "suite step 1: check that %s is installed and its daemon answers (deadline 30s)\n", kindcluster.Engine())
		fmt.Fprintf(w, "suite step 2: create kind cluster %s from %s with kind %s (go.mod), or reuse it; wait for the node and CoreDNS (deadline 3m)\n", s.cfg.ClusterName, s.cfg.KindConfig, "sigs.k8s.io/kind")
	} else {
		fmt.Fprintf(w, "suite step 1-2: use kubeconfig context %s (allowed: %s)\n", s.cfg.KubeContext, s.cfg.AllowContext)
	}
	fmt.Fprintf(w, "suite step 3: build istioctl %s from %s@%s (internal/realpilot/backend/modules/%s.mod), ldflags %q\n", s.version.Label, backend.IstioctlPackage, s.version.Module, s.version.Label, backend.IstioctlLdflags(s.version))
	fmt.Fprintf(w, "suite step 4: delete namespaces labelled %s by earlier runs\n", isolate.LabelRun)
	fmt.Fprintf(w, "per istiod settings group: istioctl install (args below), wait for one ready istiod (deadline 5m), then the group's scenarios\n")
	fmt.Fprintf(w, "at the end: write %s, %s and %s; export kind logs to %s if a scenario failed; delete the cluster unless KEEP_CLUSTER=1\n\n",
		s.artifacts.JUnit(), s.artifacts.Results(), s.artifacts.Report(), s.artifacts.ClusterLogs())
}
