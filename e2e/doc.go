// Package e2e is the live suite: every scenario deployed into a kind
// cluster with a real istiod and Envoy (make e2e), or into a local control
// plane with istiod and an xDS client (make e2e-local), the client
// sidecar's config dump compared with the prediction. It holds TestMain
// and one e2e-framework feature per scenario, behind the build tag e2e;
// the runner behind them is internal/livecluster/e2erun, built and unit
// tested by go test ./..., which never needs a cluster.
package e2e
