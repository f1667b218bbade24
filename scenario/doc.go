// Package scenario reads scenario files: one header document (kind:
// Scenario) followed by real Kubernetes and Istio manifests.
package scenario
