#!/usr/bin/env bash
# Downloads the Go modules of every program `make test` builds besides the
# main module: each catalogued version's pilot backend
# (internal/realpilot/backend/modules) and the local control plane's
# Kubernetes (internal/localcluster/controlplane/modules), all at
# once. A cold `go build` downloads its modules before compiling anything,
# so a build waits on the network; `make test` starts this in the background
# while lint and unit compile, and the builds then find their modules in
# GOMODCACHE. Downloads are checked against each go.sum as any go command's;
# running it again with the modules present does nothing.
# usage: scripts/prefetch-modules.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() { # NAME GO.MOD GO.SUM
	mkdir "$tmp/$1"
	cp "$2" "$tmp/$1/go.mod"
	cp "$3" "$tmp/$1/go.sum"
	start=$(date +%s)
	if (cd "$tmp/$1" && nice -n 10 "$GO" mod download); then
		echo "prefetch-modules: $1 in $(( $(date +%s) - start ))s"
	else
		echo "prefetch-modules: $1 failed (its build will download what it needs)"
	fi
}
for mod in internal/realpilot/backend/modules/*.mod; do
	label=$(basename "$mod" .mod)
	fetch "pilot-$label" "$mod" "${mod%.mod}.sum" &
done
for name in kube; do
	fetch "$name" "internal/localcluster/controlplane/modules/$name.mod" "internal/localcluster/controlplane/modules/$name.sum" &
done
wait
