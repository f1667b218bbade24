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
// Adding a version: `listenerlab versions add LABEL PSEUDO-VERSION
// [replaces]` (or scripts/mkmodule.sh, its wrapper) writes modules/LABEL.mod
// and .sum through package modgen, then one line in
// predictor/versions/catalog.go; `go test -tags pilot ./internal/realpilot/backend/`
// with LISTENERLAB_PILOT_VERSIONS=LABEL builds it and runs the fixtures.
//
// A version the catalog lacks needs no edit: Version generates its module
// with the same modgen code and caches it under CacheRoot()/modules.
//
// This package does not import Istio: the main module stays free of Istio's
// dependency graph.
package backend
