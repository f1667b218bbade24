// Package predictor predicts the outbound listeners Istio's control plane
// builds for a sidecar, with the reason for each listener and chain and
// every conflict. It is pure: a World and a version in, listeners, reasons,
// conflicts and findings out; no Kubernetes client, no Istio module, no I/O.
package predictor
