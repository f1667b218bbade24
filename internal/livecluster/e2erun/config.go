package e2erun

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
)

// ProviderName names where the suite runs.
type ProviderName string

// The providers.
const (
	// ProviderKind is a kind cluster (or an existing context) with Istio
	// installed by istioctl and real Envoys.
	ProviderKind ProviderName = "kind"
	// ProviderLocal is a local control plane: etcd, kube-apiserver,
	// kube-controller-manager and istiod as processes, the node in-process, an xDS client
	// for each client's Envoy.
	ProviderLocal ProviderName = "local"
)

// IP families a cluster can have (-ip-family).
const (
	IPv4      = "IPv4"
	IPv6      = "IPv6"
	DualStack = "DualStack"
)

// Config is what the suite's flags set (make e2e and make e2e-local pass
// them; see RegisterFlags for their names).
type Config struct {
	// Istio is a version label of the catalog.
	Istio string
	// Scenarios are files, directories or globs, comma-separated, relative
	// to the module root.
	Scenarios string
	// KeepCluster keeps the cluster (and Istio), or the local control
	// plane's folder, after the run.
	KeepCluster bool
	// ClusterName is the kind cluster's name.
	ClusterName string
	// KindConfig is the kind cluster's config file.
	KindConfig string
	// KubeContext, when set, is an existing kubeconfig context used instead
	// of a kind cluster; AllowContext must repeat it unless it is a local
	// kind cluster.
	KubeContext, AllowContext string
	// Artifacts is the artifacts folder.
	Artifacts string
	// MaxParallel bounds how many scenarios are deployed at once.
	MaxParallel int
	// IPFamily is the cluster's: IPv4, IPv6 or DualStack.
	IPFamily string
	// Image is the image of every workload container.
	Image string
	// SuiteTimeout is the deadline of the whole suite; it must stay below
	// go test -timeout so that cleanup runs.
	SuiteTimeout time.Duration
	// Provider is where the suite runs.
	Provider ProviderName
	// DryRun prints every step and manifest instead of running them (the
	// e2e-framework's --dry-run).
	DryRun bool
}

// DefaultConfig is the configuration with every flag at its default.
func DefaultConfig() Config {
	return Config{
		Istio:        "1.26",
		Scenarios:    "scenarios",
		ClusterName:  kindcluster.DefaultClusterName,
		KindConfig:   "fixtures/kind-config.yaml",
		Artifacts:    "artifacts",
		MaxParallel:  16,
		IPFamily:     IPv4,
		Image:        "curlimages/curl:8.11.1",
		SuiteTimeout: 50 * time.Minute,
		Provider:     ProviderKind,
	}
}

// RegisterFlags sets c to the defaults and registers the suite's flags on
// fs, each bound to its field. DryRun has no flag of its own: the
// e2e-framework owns --dry-run.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	*c = DefaultConfig()
	fs.StringVar(&c.Istio, "istio", c.Istio, "Istio version: a catalog label (predictor/versions/catalog.go), an istio.io/istio module version, commit or release the module proxy serves, or an Istio source tree (PATH, PATH@TAG or PATH@COMMIT)")
	fs.StringVar(&c.Scenarios, "scenarios", c.Scenarios, "scenario files, directories or globs, comma-separated (relative to the module root)")
	fs.BoolVar(&c.KeepCluster, "keep-cluster", c.KeepCluster, "keep the cluster (and Istio) after the run")
	fs.StringVar(&c.ClusterName, "cluster-name", c.ClusterName, "kind cluster name")
	fs.StringVar(&c.KindConfig, "kind-config", c.KindConfig, "kind cluster config")
	fs.StringVar(&c.KubeContext, "kubecontext", c.KubeContext, "use this existing kubeconfig context instead of creating a kind cluster")
	fs.StringVar(&c.AllowContext, "allow-context", c.AllowContext, "allow -kubecontext to name a context that is not a local kind cluster: repeat its exact name")
	fs.StringVar(&c.Artifacts, "artifacts", c.Artifacts, "artifacts folder")
	fs.IntVar(&c.MaxParallel, "max-parallel", c.MaxParallel, "scenarios deployed at once")
	fs.StringVar(&c.IPFamily, "ip-family", c.IPFamily, "the cluster's IP family: IPv4, IPv6 or DualStack")
	fs.StringVar(&c.Image, "image", c.Image, "image of every workload container (the standard client's)")
	fs.DurationVar(&c.SuiteTimeout, "suite-timeout", c.SuiteTimeout, "deadline of the whole suite; keep it below go test -timeout so that cleanup runs")
	fs.StringVar((*string)(&c.Provider), "provider", string(c.Provider), "where the suite runs: kind (a kind cluster, real Envoy) or local (kube-apiserver, etcd, kwok and istiod as local processes, an xDS client for Envoy; no Docker)")
}

// Validate checks the flags' values on their own, naming the flag at
// fault.
func (c Config) Validate() error {
	switch c.Provider {
	case ProviderKind, ProviderLocal:
	default:
		return fmt.Errorf("-provider=%q: want %s or %s", c.Provider, ProviderKind, ProviderLocal)
	}
	switch c.IPFamily {
	case IPv4, IPv6, DualStack:
	default:
		return fmt.Errorf("-ip-family=%q: want %s, %s or %s", c.IPFamily, IPv4, IPv6, DualStack)
	}
	if strings.TrimSpace(c.Scenarios) == "" {
		return fmt.Errorf("-scenarios is empty: name scenario files, directories or globs")
	}
	if c.MaxParallel < 1 {
		return fmt.Errorf("-max-parallel=%d: want at least 1", c.MaxParallel)
	}
	if c.SuiteTimeout <= 0 {
		return fmt.Errorf("-suite-timeout=%s: want a positive duration", c.SuiteTimeout)
	}
	if c.AllowContext != "" && c.KubeContext == "" {
		return fmt.Errorf("-allow-context=%q without -kubecontext: name the context with both", c.AllowContext)
	}
	return nil
}
