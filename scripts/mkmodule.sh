#!/bin/sh
# Makes internal/realpilot/backend/modules/LABEL.mod and LABEL.sum, the
# go.mod and go.sum of the pilot backend module for one Istio version. A thin
# wrapper: the work is `listenerlab versions add` (internal/realpilot/modgen),
# the same code that makes the modules of versions on demand (--istio with a
# module version the catalog lacks): Istio's go.mod (require block and
# replaces) and go.sum, the backend program, pins the module proxy refuses
# replaced by the nearest served version (each one printed), go mod tidy.
#
# usage: scripts/mkmodule.sh LABEL PSEUDO-VERSION [OLD=NEW@VERSION ...]
#   e.g. scripts/mkmodule.sh 1.26 v0.0.0-20250506181944-c2e9871f340c
# Extra arguments are `go mod edit -replace` values applied first. Then add
# the catalog line it prints to predictor/versions/catalog.go.
set -eu
[ $# -ge 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
cd "$(dirname "$0")/.."
exec go run ./cmd/listenerlab versions add "$@"
