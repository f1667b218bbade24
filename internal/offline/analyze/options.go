package analyze

import (
	"io"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// Option configures Run.
type Option interface{ apply(*options) }

type options struct {
	version              versions.Version
	clients              []Client
	maxEndpointListeners int
	// progress receives progress lines; nil: none.
	progress io.Writer
	// progressAlways prints progress from the start, not only once the
	// run has taken progressAfter.
	progressAlways bool
	// unshared resolves and predicts every client on its own (tests
	// compare it with the shared computation).
	unshared   bool
	namespace  string
	meshConfig map[string]any
	// meshFrom names meshConfig's source; values are --values files;
	// byRevision the versions --istio gives revisions.
	meshFrom   string
	values     []install.ValuesFile
	byRevision map[string]versions.Version
	// paths are Run's inputs; traceArgs the flags a trace of the same
	// input repeats (WithTraceArgs).
	paths     []string
	traceArgs []string
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithVersion applies the rules of Istio version v (default: the newest
// catalogued version).
func WithVersion(v versions.Version) Option {
	return optionFunc(func(o *options) { o.version = v })
}

// WithClients checks only these clients instead of the workloads found.
func WithClients(cs ...Client) Option {
	return optionFunc(func(o *options) { o.clients = append(o.clients, cs...) })
}

// WithMaxEndpointListeners reports headless service ports that make more
// than n per-endpoint listeners (default 100).
func WithMaxEndpointListeners(n int) Option {
	return optionFunc(func(o *options) { o.maxEndpointListeners = n })
}

// WithProgress writes a progress line (sidecars predicted so far, time
// taken) to w about once a second, from the start when always is set, else
// only once the run has taken more than two seconds.
func WithProgress(w io.Writer, always bool) Option {
	return optionFunc(func(o *options) { o.progress, o.progressAlways = w, always })
}

// withoutSharing selects the unshared computation, every client resolved
// and predicted on its own.
func withoutSharing() Option {
	return optionFunc(func(o *options) { o.unshared = true })
}

// WithNamespace places manifests without metadata.namespace in ns, as
// `kubectl apply -n NS` does (default: "default").
func WithNamespace(ns string) Option {
	return optionFunc(func(o *options) { o.namespace = ns })
}

// WithMeshConfig sets the mesh config of the plain manifests (MeshConfig's
// YAML shape, e.g. from --mesh-config FILE), over the istio ConfigMap the
// input may hold.
func WithMeshConfig(mesh map[string]any) Option {
	return optionFunc(func(o *options) { o.meshConfig, o.meshFrom = mesh, "--mesh-config" })
}

// WithMeshConfigFrom is WithMeshConfig naming where the mesh config
// comes from (--mesh-config FILE).
func WithMeshConfigFrom(mesh map[string]any, from string) Option {
	return optionFunc(func(o *options) { o.meshConfig, o.meshFrom = mesh, from })
}

// WithValues reads istiod Helm values files (--values FILE), over the
// input's chart values of the revision they install.
func WithValues(vs ...install.ValuesFile) Option {
	return optionFunc(func(o *options) { o.values = append(o.values, vs...) })
}

// WithRevisionVersions applies version v to the clients of revision rev
// (--istio REV=VERSION); other revisions take WithVersion's.
func WithRevisionVersions(byRevision map[string]versions.Version) Option {
	return optionFunc(func(o *options) { o.byRevision = byRevision })
}

// WithTraceArgs gives the command-line flags that made the input what Run
// sees (--namespace NS, --mesh-config FILE): each witness's trace command
// repeats them.
func WithTraceArgs(args ...string) Option {
	return optionFunc(func(o *options) { o.traceArgs = append(o.traceArgs, args...) })
}
