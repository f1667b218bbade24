# listenerlab: `make test` is what CI runs (see .ci/run and README.md).
GO ?= go
ISTIO ?= all
SCENARIOS ?= scenarios

.PHONY: build test unit verify vet bench fuzz golden

build:
	$(GO) build -o bin/listenerlab ./cmd/listenerlab

# Unit tests, then every corpus scenario against the real pilot of every
# catalogued Istio version (the first run builds each version: minutes).
test: vet unit verify

vet:
	$(GO) vet ./...

unit:
	$(GO) test ./...

verify:
	@mkdir -p artifacts
	$(GO) run ./cmd/listenerlab verify --istio $(ISTIO) --junit artifacts/verify-junit.xml --matrix artifacts/matrix.md $(SCENARIOS)

# Benchmarks of the predictor on generated Worlds.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./predictor

fuzz:
	cd scenario && $(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s -parallel 1 .

# Rewrite the golden predictions after a deliberate change.
golden:
	$(GO) test ./scenarios -update
