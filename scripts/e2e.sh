#!/usr/bin/env bash
# make e2e: checks what the suite needs, runs it, and deletes the kind
# cluster if the suite itself could not (killed, or go test's own timeout),
# unless KEEP_CLUSTER=1 or an existing context is used.
# usage: scripts/e2e.sh [--dry-run]   (variables: see the Makefile's e2e target)
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
ISTIO_VERSION=${ISTIO_VERSION:-1.26}
SCENARIOS=${SCENARIOS:-scenarios}
CLUSTER_NAME=${CLUSTER_NAME:-listenerlab}
KIND_CONFIG=${KIND_CONFIG:-fixtures/kind-config.yaml}
ARTIFACTS=${ARTIFACTS:-artifacts}
KEEP_CLUSTER=${KEEP_CLUSTER:-}
KUBECONTEXT=${KUBECONTEXT:-}
E2E_ALLOW_CONTEXT=${E2E_ALLOW_CONTEXT:-}
E2E_IP_FAMILY=${E2E_IP_FAMILY:-IPv4}
E2E_PARALLEL=${E2E_PARALLEL:-16}

args=(-istio="$ISTIO_VERSION" -scenarios="$SCENARIOS" -cluster-name="$CLUSTER_NAME"
	-kind-config="$KIND_CONFIG" -artifacts="$ARTIFACTS" -ip-family="$E2E_IP_FAMILY" -max-parallel="$E2E_PARALLEL")
[ "$KEEP_CLUSTER" = 1 ] && args+=(-keep-cluster)
[ -n "$KUBECONTEXT" ] && args+=(-kubecontext="$KUBECONTEXT" -allow-context="$E2E_ALLOW_CONTEXT")

if [ "${1:-}" = --dry-run ]; then
	exec "$GO" test -tags e2e -count=1 -v -run 'TestScenarios$' ./e2e -args --dry-run "${args[@]}"
fi

if [ -z "$KUBECONTEXT" ]; then
	# kind is pinned in go.mod as a tool; the suite links the same version.
	if ! "$GO" tool kind version >/dev/null 2>&1; then
		echo "e2e: kind (sigs.k8s.io/kind, pinned in go.mod as a tool) cannot be built: run 'go mod download' with network access, then make e2e again" >&2
		"$GO" tool kind version >&2
		exit 2
	fi
	if ! command -v "${KIND_EXPERIMENTAL_PROVIDER:-docker}" >/dev/null; then
		echo "e2e: ${KIND_EXPERIMENTAL_PROVIDER:-docker} is not on PATH: make e2e creates a kind cluster and needs Docker; to use an existing cluster pass KUBECONTEXT=..." >&2
		exit 2
	fi
fi

cleanup() {
	status=$?
	if [ -z "$KUBECONTEXT" ] && [ "$KEEP_CLUSTER" != 1 ] && "$GO" tool kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
		echo "e2e: the suite did not delete kind cluster $CLUSTER_NAME; deleting it" >&2
		"$GO" tool kind delete cluster --name "$CLUSTER_NAME" >&2
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# go test's -timeout is above the suite's own deadline (-suite-timeout,
# 50m) so that the suite always gets to clean up first.
"$GO" test -tags e2e -count=1 -timeout 60m -v -run 'TestScenarios$' ./e2e -args "${args[@]}"
