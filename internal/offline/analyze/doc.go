// Package analyze checks a folder of manifests for the outbound listener
// problems the predictor finds, for every sidecar the folder defines, and
// writes them as text, JSON or SARIF.
package analyze
