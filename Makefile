# listenerlab: `make test` is what CI runs (see .ci/run and README.md).
GO ?= go
ISTIO ?= all
SCENARIOS ?= scenarios

# No cgo: kustomize's API imports the plugin package, whose cgo makes every
# binary that holds it (listenerlab and most test binaries) link through
# gcc; nothing here loads Go plugins or needs cgo's resolver. Istio and
# Kubernetes release their binaries built the same way. Set CGO_ENABLED=1
# in the environment to build with cgo.
export CGO_ENABLED ?= 0

.PHONY: build test pilot-checks prefetch-modules lint lint-static unit verify verify-tree vet bench profile-analyze fuzz fuzz-pilot golden e2e e2e-dry-run e2e-local

build:
	$(GO) build -o bin/listenerlab ./cmd/listenerlab

# Lint and unit tests; every corpus scenario against the real pilot of
# every catalogued Istio version, and generated scenarios against the same
# backends (pilot-checks: verify and fuzz-pilot, fixed seed); every corpus
# scenario against a real API server and istiod of ISTIO_VERSION
# (e2e-local). The first run builds each version's backend, Kubernetes and
# istiod (see README "Development" for where a cold run's time goes); later
# runs take minutes. prefetch-modules first starts the module downloads of
# those builds in the background, so that they overlap vet instead of
# waiting on the network one build at a time. vet compiles every
# dependency of the module once; then the rest of lint, the unit tests,
# pilot-checks and e2e-local run side by side: the builds of backends and
# Kubernetes run at nice 5 and take what lint and unit leave of the cores,
# and e2e-local's waits on istiod and the API server leave room for the
# backend builds. Each part's output is printed whole when it ends
# (--output-sync); make fails if any part does. e2e-local waits for
# verify's build of its version's backend rather than compiling it a
# second time.
test: prefetch-modules vet
	@$(MAKE) --no-print-directory -j4 --output-sync=target GO_TEST_FLAGS='$(GO_TEST_FLAGS)' lint-static unit pilot-checks e2e-local

# Under test, the unit tests and e2e-local leave out go test's own vet
# pass: lint has just run go vet, with all its analyzers (a superset of go
# test's), on every package and its tests, with the e2e and pilot tags too;
# the repeat cost a cold run about 40 s. `make unit` alone keeps it. Their
# test binaries are linked without DWARF (-ldflags=-w), which no test and
# no stack trace reads: a quarter less linker CPU on each of the 37
# binaries (cmd/listenerlab/app's: 8.7 s of CPU, 6.4 s without).
test: GO_TEST_FLAGS = -vet=off -ldflags=-w

# verify and fuzz-pilot, side by side (the real pilot checks of `test`):
# each takes the backends as verify builds them, one after another, so the
# checks of one version run while the next one builds (fuzz waits for a
# build verify has started rather than compiling it a second time). Each
# one's output is printed whole when it ends. Under `test` make warns that
# the -j2 resets its jobserver: meant, so that both run beside e2e-local.
pilot-checks:
	@$(MAKE) --no-print-directory -j2 --output-sync=target verify fuzz-pilot

# Every backend's and Kubernetes' Go modules, downloaded in the
# background (its log: artifacts/prefetch-modules.log).
prefetch-modules:
	@mkdir -p artifacts
	@GO=$(GO) scripts/prefetch-modules.sh >artifacts/prefetch-modules.log 2>&1 &

# gofmt, go vet and staticcheck with the build tags e2e (the live suite)
# and pilot (the backend tests that need built backends), then actionlint
# on .github/workflows. No file of the module is left out by those tags
# (none says !e2e or !pilot; TestLintTagsCoverDefaultBuild checks it), so
# one run sees every file the default build has and the tagged ones
# besides. staticcheck and actionlint are pinned in go.mod as tools (go
# tool NAME); their first run builds them.
LINT_TAGS ?= e2e,pilot
lint: vet lint-static

# lint without vet: gofmt, staticcheck and actionlint.
lint-static:
	@unformatted=$$($$($(GO) env GOROOT)/bin/gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: run gofmt -w on:"; echo "$$unformatted"; exit 1; fi
	$(GO) tool staticcheck -tags $(LINT_TAGS) ./...
	$(GO) tool actionlint

vet:
	$(GO) vet -tags $(LINT_TAGS) ./...

unit:
	$(GO) test $(GO_TEST_FLAGS) ./...

verify:
	@mkdir -p artifacts
	$(GO) run ./cmd/listenerlab verify --istio $(ISTIO) --junit artifacts/verify-junit.xml --matrix artifacts/matrix.md $(SCENARIOS)

# The catalogued versions built from an Istio source tree (1.32-dev:
# istio/istio master, from the clone ISTIO_GIT_DIR names, default
# /work/.mirror/istio+istio/repo) against every scenario, then the fuzz
# batch: for a nightly job, not part of `test` (a cold run materializes
# the tree, generates its module and builds its pilot: 26m33s measured on
# 2 cores under a load of ~8, see README "Checking a fork or a branch of Istio"). Without
# the clone each says "skipped: no istio/istio clone (set ISTIO_GIT_DIR)"
# in one line and passes. TREE_ISTIO also takes PATH or PATH@REV.
TREE_ISTIO ?= 1.32-dev
verify-tree:
	@mkdir -p artifacts
	$(GO) run ./cmd/listenerlab verify --istio $(TREE_ISTIO) --junit artifacts/verify-tree-junit.xml --matrix artifacts/matrix-tree.md $(SCENARIOS)
	$(GO) run ./cmd/listenerlab fuzz --istio $(TREE_ISTIO) --count $(FUZZ_COUNT) --seed $(FUZZ_SEED) --workers 2 --out artifacts/fuzz-tree

# Benchmarks of the predictor on generated Worlds, and of analyze on
# generated GitOps repositories of 100, 1,000 and 10,000 Services (issue
# 14's shape: time, allocations and peak heap, one run each).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./predictor
	$(GO) test -run '^$$' -bench AnalyzeRepo -benchtime 1x -benchmem ./internal/offline/analyze

# Where analyze spends its time and memory on a generated repository of
# PROFILE_NAMESPACES namespaces (ten Services each): CPU and allocation
# profiles of the benchmark's largest case (read them further with
# `go tool pprof -http=: artifacts/analyze.test artifacts/analyze.cpu.pprof`),
# then the real command on the same shape, with its wall time and maximum
# resident set size.
PROFILE_NAMESPACES ?= 1000
profile-analyze:
	@mkdir -p artifacts
	$(GO) test -run '^$$' -bench 'AnalyzeRepo/services=10000$$' -benchtime 1x -benchmem \
		-cpuprofile artifacts/analyze.cpu.pprof -memprofile artifacts/analyze.mem.pprof -o artifacts/analyze.test ./internal/offline/analyze
	$(GO) tool pprof -top -cum -nodecount 40 artifacts/analyze.test artifacts/analyze.cpu.pprof
	$(GO) tool pprof -top -sample_index=alloc_space -nodecount 20 artifacts/analyze.test artifacts/analyze.mem.pprof
	rm -rf artifacts/analyze-repo && $(GO) run ./internal/testkit/gitopsgen/cmd/gitopsgen -namespaces $(PROFILE_NAMESPACES) artifacts/analyze-repo
	$(GO) build -o artifacts/listenerlab ./cmd/listenerlab
	/usr/bin/time -v artifacts/listenerlab analyze --progress --fail-on none artifacts/analyze-repo 2>&1 >/dev/null | \
		grep -E 'sidecars predicted|Elapsed|Maximum resident'

# The loader, then the loader and the simulated resolver together: bad
# input is an error, never a panic.
fuzz:
	cd scenario && $(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s -parallel 1 .
	cd internal/offline/resolve && $(GO) test -run '^$$' -fuzz FuzzSimulate -fuzztime 60s -parallel 1 .

# Generated scenarios against the real pilot of every catalogued version
# (listenerlab fuzz): FUZZ_COUNT cases per version from the fixed
# FUZZ_SEED, so a failure reproduces; each divergence is shrunk into a
# scenario file in artifacts/fuzz. About half a minute with the backends
# built (288 cases on five versions). Part of `test`: a divergence fails
# it unless a "not modelled" finding explains it; a World real pilot
# answers differently between reruns is listed as nondeterministic and
# does not (reruns happen only on a divergence, so they cost nothing here).
FUZZ_COUNT ?= 60
FUZZ_SEED ?= 1
fuzz-pilot:
	$(GO) run ./cmd/listenerlab fuzz --istio $(ISTIO) --count $(FUZZ_COUNT) --seed $(FUZZ_SEED) --workers 2 --out artifacts/fuzz

# Rewrite every golden file after a deliberate change: the tests of each
# package that uses gotest.tools/v3/golden (scenarios, dump, analyze) run
# with -update. Review the diff before committing it.
GOLDEN_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | awk '/gotest.tools\/v3\/golden/ {print $$1}')
golden:
	$(GO) test -count=1 $(GOLDEN_PKGS) -update
	-@git status --short -- '*.golden'

# Every scenario against real istiod and Envoy in a kind cluster (needs
# Docker). Variables: ISTIO_VERSION (a catalog label with release images, or a release number),
# SCENARIOS (files, folders or globs, comma-separated), KEEP_CLUSTER=1,
# CLUSTER_NAME, KIND_CONFIG, ARTIFACTS, E2E_PARALLEL, and KUBECONTEXT with
# E2E_ALLOW_CONTEXT=<the same name> for a cluster that is not a local kind
# cluster. See README.md, "make e2e".
ISTIO_VERSION ?= 1.26
e2e:
	GO=$(GO) ISTIO_VERSION=$(ISTIO_VERSION) SCENARIOS='$(SCENARIOS)' scripts/e2e.sh

# What make e2e would do, step by step, with every manifest after
# isolation; no cluster, no Docker.
e2e-dry-run:
	GO=$(GO) ISTIO_VERSION=$(ISTIO_VERSION) SCENARIOS='$(SCENARIOS)' scripts/e2e.sh --dry-run

# Every scenario against a real kube-apiserver, etcd, kube-controller-
# manager and istiod run as local processes, the node in-process and an xDS
# client for Envoy: no Docker, no cluster, nothing to install (etcd is built
# in; ETCD=path runs another). The first run builds Kubernetes (~15 min on
# 2 cores) and istiod; later runs take a few minutes. Variables:
# ISTIO_VERSION (any catalog label, or an istio.io/istio module version or commit: see README "Versions on demand"), SCENARIOS,
# KEEP_CLUSTER=1 (keep the processes' logs and data), ARTIFACTS,
# E2E_PARALLEL.
ARTIFACTS ?= artifacts
E2E_PARALLEL ?= 8
# A test binary that dies without cleaning up (a panic, go test's own
# timeout) takes its processes with it (parent-death signal) but leaves its
# folder: the folders whose owner.pid is gone are removed afterwards (kept
# ones have no owner.pid).
e2e-local:
	@status=0; $(GO) test $(GO_TEST_FLAGS) -tags e2e -count=1 -timeout 80m -v -run 'TestScenarios$$' ./e2e -args -provider=local \
		-istio=$(ISTIO_VERSION) -scenarios='$(SCENARIOS)' -artifacts=$(ARTIFACTS) -max-parallel=$(E2E_PARALLEL) \
		-suite-timeout=70m $(if $(filter 1,$(KEEP_CLUSTER)),-keep-cluster) || status=$$?; \
	for d in $${TMPDIR:-/tmp}/listenerlab-local-*; do \
		if [ -f "$$d/owner.pid" ] && ! kill -0 "$$(cat "$$d/owner.pid")" 2>/dev/null; then \
			echo "e2e-local: removing $$d, left by a test binary that died"; rm -rf "$$d"; fi; \
	done; exit $$status
