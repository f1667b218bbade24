//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// Flags of the suite (make e2e sets them from its variables); the
// e2e-framework's own flags (--labels, --feature, --dry-run, ...) work too.
var (
	flagIstio       = flag.String("istio", "1.26", "Istio version: a catalog label (predictor/versions/catalog.go), or an istio.io/istio module version, commit or release the module proxy serves")
	flagScenarios   = flag.String("scenarios", "scenarios", "scenario files, directories or globs, comma-separated (relative to the module root)")
	flagKeep        = flag.Bool("keep-cluster", false, "keep the cluster (and Istio) after the run")
	flagClusterName = flag.String("cluster-name", kindcluster.DefaultClusterName, "kind cluster name")
	flagKindConfig  = flag.String("kind-config", "fixtures/kind-config.yaml", "kind cluster config")
	flagContext     = flag.String("kubecontext", "", "use this existing kubeconfig context instead of creating a kind cluster")
	flagAllow       = flag.String("allow-context", "", "allow -kubecontext to name a context that is not a local kind cluster: repeat its exact name")
	flagArtifacts   = flag.String("artifacts", "artifacts", "artifacts folder")
	flagParallel    = flag.Int("max-parallel", 16, "scenarios deployed at once")
	flagIPFamily    = flag.String("ip-family", "IPv4", "the cluster's IP family: IPv4, IPv6 or DualStack")
	flagImage       = flag.String("image", "curlimages/curl:8.11.1", "image of every workload container (the standard client's)")
	flagTimeout     = flag.Duration("suite-timeout", 50*time.Minute, "deadline of the whole suite; keep it below go test -timeout so that cleanup runs")
	flagProvider    = flag.String("provider", "kind", "where the suite runs: kind (a kind cluster, real Envoy) or local (kube-apiserver, etcd, kwok and istiod as local processes, an xDS client for Envoy; no Docker)")
)

// suite is the state TestMain sets up for the tests.
type suite struct {
	version   versions.Version
	root      string // module root: scenario paths and fixtures are relative to it
	run       string // run ID: part of every namespace prefix
	artifacts kindcluster.Artifacts
	kind      *kindcluster.Kind // nil when an existing context is used
	kubecfg   string
	context   string
	istioctl  string
	dryRun    bool
	provider  provider
}

var (
	testenv  env.Environment
	st       suite
	suiteCtx = context.Background()
)

func TestMain(m *testing.M) {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	// TestInParallel runs features one after another unless this is set;
	// -max-parallel bounds how many run at once.
	cfg.WithParallelTestEnabled()
	if err := initSuite(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	// Ctrl-C and SIGTERM cancel the suite's context: every wait ends at
	// once, features tear down, Finish deletes the cluster.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *flagTimeout)
	defer cancel()
	suiteCtx = ctx
	testenv = env.NewWithConfig(cfg).WithContext(ctx)
	if st.dryRun {
		printSuitePlan(os.Stdout)
		os.Exit(testenv.Run(m))
	}
	testenv.Setup(st.provider.setup()...)
	testenv.Setup(collectGarbage)
	testenv.Finish(append([]env.Func{writeReports}, st.provider.finish()...)...)
	os.Exit(testenv.Run(m))
}

func initSuite(cfg *envconf.Config) error {
	// A catalog label, else an istio.io/istio module version, commit or
	// release whose backend module is generated and cached on first use.
	v, err := backend.Version(context.Background(), *flagIstio, backend.GenerateOptions{Progress: os.Stderr})
	if err != nil {
		return err
	}
	if v.Note != "" {
		fmt.Fprintf(os.Stderr, "Istio %s: %s\n", v.Label, v.Note)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	st = suite{version: v, root: root, run: runID(), dryRun: cfg.DryRunMode(),
		artifacts: kindcluster.Artifacts{Root: abs(root, *flagArtifacts), Version: v.Label}}
	switch *flagProvider {
	case "kind":
		st.provider = kindProvider{}
	case "local":
		st.provider = &localProvider{}
		return nil
	default:
		return fmt.Errorf("-provider=%q: want kind or local", *flagProvider)
	}
	if !st.dryRun && v.Image == "" {
		return fmt.Errorf("Istio %s has no release images (%s): check it with make verify ISTIO=%s", v.Label, v.Note, v.Label)
	}
	*flagKindConfig = abs(root, *flagKindConfig)
	if *flagContext == "" {
		st.kind = kindcluster.NewKind(*flagClusterName)
		st.context = st.kind.GetKubectlContext()
		return nil
	}
	// An existing cluster: refuse anything that is not a local kind
	// cluster unless the user named it twice.
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	kc, err := rules.Load()
	if err != nil {
		return fmt.Errorf("reading kubeconfig: %w", err)
	}
	if err := kindcluster.CheckContext(kc, *flagContext, *flagAllow); err != nil {
		return err
	}
	st.context = *flagContext
	return nil
}

// runID names this run in namespace prefixes and labels: scenarios of
// two runs in one kept cluster never share a namespace.
func runID() string {
	return fmt.Sprintf("%x", time.Now().UnixNano()/int64(time.Millisecond))[4:]
}

func preflight(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	step("check that %s answers", kindcluster.Engine())
	if err := kindcluster.CheckEngine(ctx, 30*time.Second); err != nil {
		return ctx, fmt.Errorf("%w; make e2e-local runs the same suite without Docker", err)
	}
	return ctx, nil
}

func useKind(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	st.kubecfg = st.kind.GetKubeconfig()
	if st.kind.Created {
		step("created kind cluster %s", *flagClusterName)
	} else {
		step("reusing kind cluster %s", *flagClusterName)
	}
	return ctx, nil
}

func useContext(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: *flagContext})
	rc, err := cc.ClientConfig()
	if err != nil {
		return ctx, err
	}
	raw, err := cc.RawConfig()
	if err != nil {
		return ctx, err
	}
	raw.CurrentContext = *flagContext
	f, err := os.CreateTemp("", "listenerlab-kubeconfig-")
	if err != nil {
		return ctx, err
	}
	f.Close()
	if err := clientcmd.WriteToFile(raw, f.Name()); err != nil {
		return ctx, err
	}
	st.kubecfg = f.Name()
	cfg.WithKubeconfigFile(f.Name())
	_ = rc
	step("using existing context %s", *flagContext)
	return ctx, nil
}

func buildIstioctl(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	bin, err := buildIstioctlBinary(ctx)
	st.istioctl = bin
	return ctx, err
}

func exportLogs(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	if st.kind == nil || !failed() {
		return ctx, nil
	}
	step("exporting cluster logs to %s", st.artifacts.ClusterLogs())
	if err := st.kind.ExportLogs(context.WithoutCancel(ctx), st.artifacts.ClusterLogs()); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: exporting logs: %v\n", err)
	}
	return ctx, nil
}

func destroy(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	switch {
	case st.kind == nil:
		return ctx, nil
	case *flagKeep:
		step("keeping kind cluster %s (KEEP_CLUSTER=1): delete it with go tool kind delete cluster --name %s", *flagClusterName, *flagClusterName)
		return ctx, nil
	}
	step("deleting kind cluster %s", *flagClusterName)
	return ctx, st.kind.Destroy(context.WithoutCancel(ctx))
}

func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2e %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
