#!/bin/sh
# Makes internal/realpilot/backend/modules/LABEL.mod and LABEL.sum, the go.mod and go.sum of the
# pilot backend module for one Istio version, from Istio's own go.mod (its
# require block and replaces) and go.sum, tidied against the backend program.
#
# usage: scripts/mkmodule.sh LABEL PSEUDO-VERSION [OLD=>NEW ...]
#   e.g. scripts/mkmodule.sh 1.26 v0.0.0-20250506181944-c2e9871f340c
#        scripts/mkmodule.sh 1.24 v0.0.0-20241105211601-8825a6b7f8c9 \
#            istio.io/client-go=istio.io/client-go@v1.24.0
# Each extra argument is a `go mod edit -replace` value, for a version whose
# pinned dependency the module proxy refuses. Set GONOSUMDB=istio.io for a
# pseudo-version the checksum database lacks (1.27.0); the go.sum written
# here pins it from then on. Then add the version's line to predictor/versions/catalog.go.
set -eu
[ $# -ge 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
label=$1 version=$2
shift 2
here=$(cd "$(dirname "$0")/../internal/realpilot/backend" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dir=$(GOFLAGS=-mod=mod go mod download -json "istio.io/istio@$version" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -n "$dir" ] || { echo "mkmodule: could not download istio.io/istio@$version" >&2; exit 1; }

sed 's#^module istio.io/istio$#module listenerlab.dev/pilotbackend#' "$dir/go.mod" >"$work/go.mod"
cp "$dir/go.sum" "$work/go.sum"
chmod u+w "$work/go.mod" "$work/go.sum"
for f in "$here"/_program/*.go; do
	case $f in *_test.go) continue ;; esac
	cp "$f" "$work/"
done
printf 'package main\n\nfunc init() { proxyIstioVersion = "0.0.0" }\n' >"$work/version_gen.go"

cd "$work"
go mod edit -require="istio.io/istio@$version"
for r in "$@"; do
	go mod edit -replace="$r"
done
GOFLAGS=-mod=mod nice -n 5 go mod tidy
cp go.mod "$here/modules/$label.mod"
cp go.sum "$here/modules/$label.sum"
echo "wrote $here/modules/$label.mod and $label.sum"
