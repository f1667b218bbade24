package analyze

import "github.com/listenerlab/listenerlab/predictor/versions"

// Option configures Run.
type Option interface{ apply(*options) }

type options struct {
	version              versions.Version
	clients              []Client
	maxEndpointListeners int
	namespace            string
	meshConfig           map[string]any
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

// WithNamespace places manifests without metadata.namespace in ns, as
// `kubectl apply -n NS` does (default: "default").
func WithNamespace(ns string) Option {
	return optionFunc(func(o *options) { o.namespace = ns })
}

// WithMeshConfig sets the mesh config of the plain manifests (MeshConfig's
// YAML shape, e.g. from --mesh-config FILE), over the istio ConfigMap the
// input may hold.
func WithMeshConfig(mesh map[string]any) Option {
	return optionFunc(func(o *options) { o.meshConfig = mesh })
}
