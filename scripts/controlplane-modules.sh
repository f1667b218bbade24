#!/usr/bin/env bash
# Regenerates internal/localcluster/controlplane/modules/kube.{mod,sum}: the module the
# local control plane's Kubernetes binary is built from.
# usage: scripts/controlplane-modules.sh [K8S_VERSION]
# (default: the version in internal/localcluster/controlplane/build.go). Needs the module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
K8S=${1:-$(sed -n 's/^const KubernetesVersion = "\(.*\)"/\1/p' internal/localcluster/controlplane/build.go)}
GO=${GO:-go}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# k8s.io/kubernetes replaces its staging modules with folders of its own
# repository; outside it, each must be replaced by the published module of
# the same release (v1.X.Y -> v0.X.Y).
dir=$("$GO" mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
staging=v0.${K8S#v1.}
mkdir "$tmp/kube"
cp internal/localcluster/controlplane/_kube/main.go "$tmp/kube/"
{
	printf 'module listenerlab.local/k8slocal\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$(sed -n 's/^go //p' "$dir/go.mod")" "$K8S"
	grep -E '^\s+k8s.io/[a-z-]+ => ./staging/' "$dir/go.mod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
	printf ')\n'
} > "$tmp/kube/go.mod"
(cd "$tmp/kube" && "$GO" mod tidy)
cp "$tmp/kube/go.mod" internal/localcluster/controlplane/modules/kube.mod
cp "$tmp/kube/go.sum" internal/localcluster/controlplane/modules/kube.sum
echo "internal/localcluster/controlplane/modules: kubernetes $K8S (staging $staging)"
