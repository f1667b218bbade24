// Package e2e is the kind suite: every scenario deployed into a cluster
// with a real istiod and Envoy, the client sidecar's config dump compared
// with the prediction. It runs with the build tag e2e (make e2e); `go test
// ./...` never needs a cluster.
package e2e
