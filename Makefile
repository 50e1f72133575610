# Whistle — make run (the whole system locally), make test (every test against real
# Postgres and NATS), make verify (generated code, vet, staticcheck, buf lint, tidy).
SHELL := /bin/bash
ROOT  := $(abspath .)
BIN   := $(ROOT)/.bin
export GOFLAGS := -buildvcs=false

# Stamped into every binary (platform/version; whistlectl version, GET /v1/version,
# whistle_build_info). DATE is the commit's time, so a rebuild of the same commit is identical.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell TZ=UTC0 git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
VERSION_PKG := github.com/chuishao/whistle/platform/version
LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT) -X $(VERSION_PKG).Date=$(DATE)

MODULES  := platform proto cli tests/e2e tests/layout tools/bench tools/chaos tools/openapi $(wildcard services/*)
SERVICES := intake discovery routing response feedback gateway
SQLC_DIRS := $(patsubst %/sqlc.yaml,%,$(shell find platform services -name sqlc.yaml))

.PHONY: run test verify generate build tools lint clean weed

## run: build everything and start the system (embedded NATS, local Postgres)
run: build
	$(BIN)/whistle-dev

## build: every service binary, the launcher and whistlectl into .bin/
build:
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do go build -ldflags "$(LDFLAGS)" -o $(BIN)/$$s ./services/$$s/cmd/$$s || exit 1; done
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/whistle-dev ./cli/cmd/whistle-dev
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/whistlectl ./cli/cmd/whistlectl

## test: every module's tests and the end-to-end tests, on a private PostgreSQL cluster and a temporary
## directory in memory (platform/testrun); vet runs in make lint/verify, not again here; test binaries link
## without DWARF (-w), which no test reads
test: weed
	go run ./platform/testrun -- go test -count=1 -vet=off -ldflags=-w -parallel 4 -timeout 20m $(addsuffix /...,$(addprefix ./,$(MODULES)))

## weed: the SeaweedFS server the S3 storage tests run against, built once from the Go module proxy into the
## user cache (minutes on two cores), before the tests so that it never counts against a test's timeout
weed:
	@go run ./platform/blob/blobtest/buildweed || echo "weed not built: the S3 storage tests will say why and skip"

## tools: the pinned code generators and linters (tools/go.mod, tools/buf/go.mod)
tools: $(BIN)/buf $(BIN)/sqlc $(BIN)/protoc-gen-go $(BIN)/staticcheck
$(BIN)/buf: tools/buf/go.mod
	cd tools/buf && GOWORK=off GOBIN=$(BIN) go install tool
$(BIN)/sqlc $(BIN)/protoc-gen-go $(BIN)/staticcheck: tools/go.mod
	cd tools && GOWORK=off GOBIN=$(BIN) go install tool

## generate: protobuf/gRPC/gateway/OpenAPI code and sqlc queries
generate: tools
	cd proto && $(BIN)/buf lint && rm -rf gen $(BIN)/openapiv2 && $(BIN)/buf generate
	go run ./tools/openapi -in $(BIN)/openapiv2/whistle.swagger.json -out proto/openapi/whistle.openapi.json
	@for d in $(SQLC_DIRS); do (cd $$d && $(BIN)/sqlc generate) || exit 1; done

## lint: vet, staticcheck, buf lint, go mod tidy -diff in every module
lint: tools
	cd proto && $(BIN)/buf lint
	@for m in $(MODULES) tools tools/buf tools/sbom; do \
		(cd $$m && GOWORK=off go mod tidy -diff) || { echo "go.mod of $$m is not tidy"; exit 1; }; \
	done
	@unformatted=$$(gofmt -l $(MODULES) tools/cmd 2>/dev/null | grep -v '/gen/' || true); \
		if [ -n "$$unformatted" ]; then echo "not gofmt'd (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	go vet $(addsuffix /...,$(addprefix ./,$(MODULES)))
	$(BIN)/staticcheck $(addsuffix /...,$(addprefix ./,$(MODULES)))

## verify: regenerate and fail on any difference, then lint
verify: generate
	@git diff --exit-code -- proto platform services || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto platform services)" || { git status --porcelain -- proto platform services; echo "generate left untracked files"; exit 1; }
	$(MAKE) lint

clean:
	rm -rf $(BIN) .run

## sbom: a CycloneDX SBOM (JSON) of each service binary, from the modules linked into it, into .bin/sbom/
.PHONY: sbom
sbom: build $(BIN)/cyclonedx-gomod
	@mkdir -p $(BIN)/sbom
	@for s in $(SERVICES); do \
		$(BIN)/cyclonedx-gomod bin -json -version $(VERSION) -output $(BIN)/sbom/$$s.cdx.json $(BIN)/$$s || exit 1; \
	done
	@echo "SBOMs in $(BIN)/sbom/"
$(BIN)/cyclonedx-gomod: tools/sbom/go.mod
	cd tools/sbom && GOWORK=off GOBIN=$(BIN) go install tool

.PHONY: console browser-test

## console: vendor the web console's pinned npm packages (services/gateway/web/package-lock.json) into the
## embedded static directory; the result is committed, so make run needs no npm
console:
	cd services/gateway/web && npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p services/gateway/internal/console/static/vendor
	cp services/gateway/web/node_modules/echarts/dist/echarts.simple.min.js services/gateway/internal/console/static/vendor/
	cp services/gateway/web/node_modules/echarts/LICENSE services/gateway/internal/console/static/vendor/echarts.LICENSE
	cp services/gateway/web/node_modules/leaflet/dist/leaflet.js services/gateway/internal/console/static/vendor/
	cp services/gateway/web/node_modules/leaflet/dist/leaflet.css services/gateway/internal/console/static/vendor/
	cp services/gateway/web/node_modules/leaflet/LICENSE services/gateway/internal/console/static/vendor/leaflet.LICENSE

## browser-test: the console's browser tests (playwright-core driving Debian's Chromium) against a stack they start
browser-test:
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "Chromium is missing: apt-get install -y chromium fonts-noto-cjk"; exit 1; }
	cd tests/browser && npm ci --no-audit --no-fund && timeout 600 npm test

## deploy-check: offline checks of deploy/ and charts/whistle (helm lint, rendered chart strictly decoded into
## Kubernetes API types, BuildKit build checks of the Dockerfile, compose.yaml through compose-go); see docs/operations.md
.PHONY: deploy-check
deploy-check:
	cd deploy/check && GOWORK=off go mod tidy -diff || { echo "go.mod of deploy/check is not tidy"; exit 1; }
	cd deploy/check && GOWORK=off go vet ./... && GOWORK=off $(BIN)/staticcheck ./...
	cd deploy/check && GOWORK=off go test -count=1 ./...
verify: deploy-check

## chart-lint: the helm CLI itself (v3.22.0, built once into .bin) lints charts/whistle; deploy-check covers the
## same offline in CI. `helm template` needs `helm dependency build charts/whistle` (network) for the NATS chart.
.PHONY: chart-lint
chart-lint: $(BIN)/helm
	$(BIN)/helm lint charts/whistle --set nats.enabled=false --set natsURL=nats://nats:4222 \
		--set postgres.url=postgres://whistle@postgres:5432/whistle --set jwt.publicKey=qxzbmaT1dScWluD8nPWIr8/yRPV4H5mDUC7YsgW2yJg=
$(BIN)/helm:
	cd /tmp && GOWORK=off GOBIN=$(BIN) go install helm.sh/helm/v3/cmd/helm@v3.22.0

## bench: the steady benchmark (tools/bench) on a stack it starts with its own database whistle_bench:
## 50 whistles/s for 20 s, then the raw JetStream and pgx baselines; nothing else may hold ports 8080,
## 7101-7104, 7201-7205, 4333 meanwhile. Extra flags: make bench BENCH_FLAGS='--rate 200 --record docs/benchmarks.md'
.PHONY: bench
bench: build
	go build -o $(BIN)/bench ./tools/bench
	WHISTLE_BENCH_COMMAND="make bench$(if $(BENCH_FLAGS), BENCH_FLAGS='$(BENCH_FLAGS)')" \
		$(BIN)/bench --launcher $(BIN)/whistle-dev --bin-dir $(BIN) --rate 50 --duration 20s $(BENCH_FLAGS)

## fuzz: each go test -fuzz target for FUZZTIME (default 30s), one after another (about 3 minutes); the seed
## corpora (f.Add and testdata/fuzz) also run under make test. A run that fails only with Go 1.26's bare
## "context deadline exceeded" at the fuzztime boundary, writing no failing input, is the coordinator race
## golang/go#75804 (fixed in Go 1.27), not a crash: it is reported and skipped. New coverage is minimized for
## at most 5 s (not the default 60 s), so a 30 s run spends its time exploring. See docs/decisions.md.
FUZZTIME ?= 30s
FUZZ_TARGETS := services/intake/internal/intake:FuzzRaiseValidate \
	services/routing/internal/jurisdiction:FuzzBoundary \
	services/routing/internal/boundary:FuzzRead \
	services/gateway/internal/httpapi:FuzzRaiseWhistleBody \
	services/gateway/internal/httpapi:FuzzErrorShape \
	services/gateway/internal/open311:FuzzCreateRequestForm
.PHONY: fuzz
fuzz:
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for t in $(FUZZ_TARGETS); do \
		pkg=./$${t%%:*}; fn=$${t##*:}; \
		echo "go test -run '^\$$' -fuzz '^$$fn\$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg"; \
		go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg 2>&1 | tee $$log; \
		[ $${PIPESTATUS[0]} -eq 0 ] && continue; \
		if grep -q 'Failing input written' $$log || ! grep -qx '    context deadline exceeded' $$log; then exit 1; fi; \
		echo "fuzz: $$fn stopped on Go's fuzztime deadline race (golang/go#75804) with no failing input; not a crash"; \
	done

## chaos: a storm of whistles on a private PostgreSQL cluster and a 3-node NATS JetStream cluster (R3 stream),
## every service its own process (response twice); meanwhile kill -9 services, a NATS node, and restart Postgres
## immediately; then prove nothing was lost or duplicated and no deadline missed (tools/chaos; exit 1 if not).
## Free ports only. Default a few minutes; CI: CHAOS_FLAGS='--whistles 1000 --duration 1m --kills 1-of-each --recover-timeout 30s'
CHAOS_FLAGS ?= --whistles 2000 --duration 2m --kills random:8 --recover-timeout 30s
.PHONY: chaos
chaos: build
	go build -o $(BIN)/chaos ./tools/chaos
	$(BIN)/chaos --bin-dir $(BIN) $(CHAOS_FLAGS)
