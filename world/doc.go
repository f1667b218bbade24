// Package world holds the resolved state of a scenario — what a cluster would
// have after applying its manifests — and its JSON interchange format, which
// the per-version pilot backends read.
package world
