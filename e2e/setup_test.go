//go:build e2e

package e2e

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
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/istiod"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/realpilot/verify"
)

// results collects every scenario's verdict for the reports.
var (
	resultsMu sync.Mutex
	results   []verify.Result
)

func record(r verify.Result) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results = append(results, r)
}

func failed() bool {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	for _, r := range results {
		if r.Outcome == verify.Fail || r.Outcome == verify.Error {
			return true
		}
	}
	return false
}

// writeReports writes JUnit, results.json (input of listenerlab matrix
// --results) and the text report with one verdict per scenario.
func writeReports(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	resultsMu.Lock()
	rs := append([]verify.Result(nil), results...)
	resultsMu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].Scenario < rs[j].Scenario })
	if err := os.MkdirAll(st.artifacts.Dir(), 0o755); err != nil {
		return ctx, err
	}
	var junit, text bytes.Buffer
	if err := report.JUnit(&junit, rs, st.version); err != nil {
		return ctx, err
	}
	counts := map[verify.Outcome]int{}
	for _, r := range rs {
		report.Verdict(&text, r)
		counts[r.Outcome]++
	}
	fmt.Fprintf(&text, "\n%d passed, %d failed, %d skipped\n%d errors; %d scenarios on Istio %s in %s\n",
		counts[verify.Pass], counts[verify.Fail], counts[verify.Skip], counts[verify.Error], len(rs), st.version.Label, st.provider.where())
	js, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return ctx, err
	}
	for file, data := range map[string][]byte{st.artifacts.JUnit(): junit.Bytes(), st.artifacts.Report(): text.Bytes(), st.artifacts.Results(): js} {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			return ctx, err
		}
	}
	os.Stdout.Write(text.Bytes())
	step("reports in %s", st.artifacts.Dir())
	return ctx, nil
}

func buildIstioctlBinary(ctx context.Context) (string, error) {
	if p := os.Getenv("ISTIOCTL"); p != "" {
		step("using ISTIOCTL=%s (it must be istioctl %s)", p, st.version.Image)
		return p, nil
	}
	step("building istioctl %s from its Go module (cached after the first build)", st.version.Label)
	return backend.BuildIstioctl(ctx, st.version, backend.BuildOptions{Progress: os.Stderr, Nice: 5})
}

// collectGarbage deletes the namespaces an interrupted earlier run left in
// a kept cluster (they carry another run's label).
func collectGarbage(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	cs, _, err := clients(cfg)
	if err != nil {
		return ctx, err
	}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: isolate.LabelRun})
	if err != nil {
		return ctx, err
	}
	for _, n := range nss.Items {
		if n.Labels[isolate.LabelRun] != st.run && n.DeletionTimestamp == nil {
			step("deleting namespace %s left by run %s", n.Name, n.Labels[isolate.LabelRun])
			_ = cs.CoreV1().Namespaces().Delete(ctx, n.Name, metav1.DeleteOptions{})
		}
	}
	return ctx, nil
}

// ensureIstio installs Istio with the settings of a scenario group unless
// the cluster already runs exactly them, then waits for istiod.
func ensureIstioKind(ctx context.Context, cfg *envconf.Config, c kindcluster.IstiodConfig) error {
	cs, _, err := clients(cfg)
	if err != nil {
		return err
	}
	want := st.version.Image + "/" + c.Key()
	if ns, err := cs.CoreV1().Namespaces().Get(ctx, istiod.Namespace, metav1.GetOptions{}); err == nil && ns.Annotations[kindcluster.ConfigAnnotation] == want {
		step("Istio %s with istiod settings %s already installed", st.version.Image, c)
	} else {
		overlay, err := c.Overlay()
		if err != nil {
			return err
		}
		file := filepath.Join(st.artifacts.Dir(), "istio-overlay-"+c.Key()+".yaml")
		if err := os.MkdirAll(st.artifacts.Dir(), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, overlay, 0o644); err != nil {
			return err
		}
		args, err := kindcluster.InstallArgs(st.version, file)
		if err != nil {
			return err
		}
		args = append(args, "--kubeconfig", st.kubecfg, "--context", st.context)
		step("installing Istio %s, istiod settings %s: istioctl %s", st.version.Image, c, strings.Join(args, " "))
		ictx, cancel := context.WithTimeout(ctx, 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ictx, st.istioctl, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, os.Stderr), io.MultiWriter(&out, os.Stderr)
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("istioctl install of Istio %s did not finish (%v): Istio is not ready; its last output:\n%s", st.version.Image, err, lastLines(out.String(), 20))
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, kindcluster.ConfigAnnotation, want)
		if _, err := cs.CoreV1().Namespaces().Patch(ctx, istiod.Namespace, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	return kindcluster.Wait(ctx, "istiod to run one ready pod of Istio "+st.version.Image, 5*time.Minute, 2*time.Second, func(ctx context.Context) (bool, string, error) {
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

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

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

func abs(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// printSuitePlan is the suite-level part of the dry run.
func printSuitePlan(w io.Writer) {
	fmt.Fprintf(w, "e2e dry run: Istio %s (image tag %q, module istio.io/istio %s), run %s\n", st.version.Label, st.version.Image, st.version.Module, st.run)
	if _, ok := st.provider.(*localProvider); ok {
		fmt.Fprintf(w, "suite step 1: build kube-apiserver and kube-controller-manager (k8s.io/kubernetes %s), kwok %s and istiod %s (%s@%s), one at a time, cached\n",
			controlplane.KubernetesVersion, controlplane.KwokVersion, st.version.Label, backend.IstiodPackage, st.version.Module)
		fmt.Fprintf(w, "suite step 2: start etcd, kube-apiserver (service CIDR %s), kube-controller-manager and kwok (node %s, pod CIDR %s) on loopback; install Istio's CRDs, istio-system, the kube-dns and istiod Services\n",
			controlplane.ServiceCIDR, controlplane.NodeName, controlplane.PodCIDR)
		fmt.Fprintf(w, "per istiod settings group: (re)start istiod as a process with the group's env and mesh config, wait for /ready, then the group's scenarios\n")
		fmt.Fprintf(w, "per scenario: the steps below; the client has no istio-proxy: an xDS client connects as it before the sync wait, and its config dump replaces Envoy's\n")
		fmt.Fprintf(w, "at the end: write %s, %s and %s; stop every process and remove their folder (kept, with logs copied to %s, if a scenario failed or KEEP_CLUSTER=1)\n\n",
			st.artifacts.JUnit(), st.artifacts.Results(), st.artifacts.Report(), st.artifacts.ClusterLogs())
		return
	}
	if *flagContext == "" {
		fmt.Fprintf(w, "suite step 1: check that %s is installed and its daemon answers (deadline 30s)\n", kindcluster.Engine())
		fmt.Fprintf(w, "suite step 2: create kind cluster %s from %s with kind %s (go.mod), or reuse it; wait for the node and CoreDNS (deadline 3m)\n", *flagClusterName, *flagKindConfig, "sigs.k8s.io/kind")
	} else {
		fmt.Fprintf(w, "suite step 1-2: use kubeconfig context %s (allowed: %s)\n", *flagContext, *flagAllow)
	}
	fmt.Fprintf(w, "suite step 3: build istioctl %s from %s@%s (internal/realpilot/backend/modules/%s.mod), ldflags %q\n", st.version.Label, backend.IstioctlPackage, st.version.Module, st.version.Label, backend.IstioctlLdflags(st.version))
	fmt.Fprintf(w, "suite step 4: delete namespaces labelled %s by earlier runs\n", isolate.LabelRun)
	fmt.Fprintf(w, "per istiod settings group: istioctl install (args below), wait for one ready istiod (deadline 5m), then the group's scenarios\n")
	fmt.Fprintf(w, "at the end: write %s, %s and %s; export kind logs to %s if a scenario failed; delete the cluster unless KEEP_CLUSTER=1\n\n",
		st.artifacts.JUnit(), st.artifacts.Results(), st.artifacts.Report(), st.artifacts.ClusterLogs())
}
