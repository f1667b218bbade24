// Package gobuild builds a Go program from module files listenerlab
// carries (a go.mod, its go.sum and a few sources) into a cache folder,
// once per distinct input: the pilot backends, istioctl, istiod and the
// local control plane's Kubernetes binaries are all built this way. A build
// runs at most once at a time per cache folder across processes, reports
// progress while it runs (cold builds take minutes), and on failure returns
// an *Error with the tail of go's output.
package gobuild
