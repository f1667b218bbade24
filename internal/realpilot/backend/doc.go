// Package backend builds and runs the per-version pilot backends: small Go
// programs that link the real pilot code of one pinned Istio version and run
// its listener generation on a World in process, the way Istio's own unit
// tests do.
//
// Each Istio version needs its own dependency graph, so each backend is its
// own Go module: the program sources in _program (embedded here, outside the
// main module) plus internal/realpilot/backend/modules/LABEL.mod and LABEL.sum as go.mod and
// go.sum. Build writes them into a cache folder and runs `go build` there
// once; Run feeds a World to the binary and parses what it prints.
//
// Adding a version: `scripts/mkmodule.sh LABEL PSEUDO-VERSION [replaces]`
// writes modules/LABEL.mod and .sum from Istio's own go.mod and go.sum, then
// one line in versions/catalog.go; `go test -tags pilot ./pilot/` with
// LISTENERLAB_PILOT_VERSIONS=LABEL builds it and runs the fixtures.
//
// This package does not import Istio: the main module stays free of Istio's
// dependency graph.
package backend
