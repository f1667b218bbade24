// Package istiod reads what istiod and a sidecar say about themselves: the
// commands that fetch it from inside their containers, and parsers for
// istiod's sync status, its conflict records and metrics.
package istiod
