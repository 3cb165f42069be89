# Hearth's entry points. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables
.DELETE_ON_ERROR:

TOOLS_BIN := $(CURDIR)/.tools/bin
export PATH := $(TOOLS_BIN):$(PATH)
export GOFLAGS := -buildvcs=false

MODULES := shared migrations controlplane nodeagent e2e charts
GO_PACKAGES := ./shared/... ./migrations/... ./controlplane/... ./nodeagent/... ./e2e/...
# charts/ is the Helm charts' test module, kept out of go.work: in the
# workspace, helm.sh/helm/v4's requirements would raise the versions of
# libraries hearth and hearth-agent are built with (bbolt, go-git's).
CHARTS := cd charts && GOWORK=off
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || true)
LDFLAGS := -X github.com/hearth-dev/hearth/shared/version.version=$(VERSION) -X github.com/hearth-dev/hearth/shared/version.commit=$(COMMIT)
TEST_FLAGS ?= -race -count=1 -timeout 15m
FUZZ_TIME ?= 30s
# Samples per pipeline benchmark (each is a whole push or pipeline run).
E2E_BENCH_RUNS ?= 10
# Extra flags of the observability benchmarks, e.g. -rounds 3 -protocols grpc.
OBSERVE_BENCH_FLAGS ?=
# Fuzz targets: package:FuzzName.
FUZZ_TARGETS := \
	./controlplane/internal/auth:FuzzVerifyPassword \
	./controlplane/internal/auth:FuzzParseCredentials \
	./controlplane/internal/config:FuzzParse \
	./controlplane/internal/git:FuzzParseRepoPath \
	./shared/gitref:FuzzValidRefName \
	./controlplane/internal/git:FuzzValidTreePath \
	./controlplane/internal/git:FuzzValidBrowseRef \
	./controlplane/internal/pipeline/spec:FuzzParse \
	./controlplane/internal/project:FuzzMentions \
	./controlplane/internal/observe/record:FuzzDecodeBatch \
	./controlplane/internal/observe/wal:FuzzRecoverSegment \
	./controlplane/internal/observe/promwrite:FuzzDecode \
	./controlplane/internal/observe/otlpconv:FuzzTraces \
	./controlplane/internal/observe/otlpconv:FuzzLogs \
	./controlplane/internal/observe/otlpconv:FuzzMetrics \
	./controlplane/internal/observe/columnar:FuzzScanLogs \
	./shared/logmask:FuzzStream

.PHONY: help
help: ## show this help
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## install every pinned tool into .tools/ (redis-server via apt)
	bash scripts/tools.sh all

.PHONY: k8s-tools
k8s-tools: ## build etcd and the Kubernetes binaries from source into a cache outside the checkout (HEARTH_K8S_TOOLS)
	bash scripts/k8s-tools.sh

# The web console (console/, Vite) builds into the directory hearth embeds.
CONSOLE_DIST := controlplane/internal/console/dist
CONSOLE_SOURCES := $(shell find console/src console/public -type f 2>/dev/null) \
	console/index.html console/package-lock.json console/vite.config.ts console/tsconfig.json

.PHONY: console
console: $(CONSOLE_DIST)/index.html ## build the web console into the hearth binary's embed directory (needs npm)

$(CONSOLE_DIST)/index.html: $(CONSOLE_SOURCES)
	bash scripts/tools.sh console
	cd console && npm run build

.PHONY: build
build: ## build bin/hearth (with the web console when npm is available) and bin/hearth-agent
	if command -v npm >/dev/null; then $(MAKE) --no-print-directory console; \
	else echo 'npm not found: building hearth without the web console (/ will say how to build it)' >&2; fi
	go build -ldflags '$(LDFLAGS)' -o bin/hearth ./controlplane/cmd/hearth
	go build -ldflags '$(LDFLAGS)' -o bin/hearth-agent ./nodeagent/cmd/hearth-agent

.PHONY: run
run: build ## run Hearth on this machine with embedded defaults (hearth dev)
	bash scripts/tools.sh run
	./bin/hearth dev

.PHONY: test
test: ## run every test: Go against real PostgreSQL, Redis, S3 and git; the console's (make console-test, console-e2e)
	bash scripts/tools.sh test
	$(MAKE) --no-print-directory console-test
	go test $(TEST_FLAGS) $(GO_PACKAGES)
	$(CHARTS) go test $(TEST_FLAGS) ./...
	bash scripts/authz-mutants.sh
	$(MAKE) --no-print-directory console-e2e

.PHONY: authz-mutants
authz-mutants: ## remove each authorization check in turn (in a scratch copy) and fail if the authorization tables miss one (part of make test)
	bash scripts/tools.sh test
	bash scripts/authz-mutants.sh

.PHONY: console-e2e
console-e2e: build ## the console's browser tests: hearth dev driven through Debian's chromium (screenshots in console/e2e/artifacts)
	bash scripts/tools.sh test
	cd console && HEARTH_BIN=$(CURDIR)/bin/hearth npm run e2e

.PHONY: console-test
console-test: ## the web console's type check, lint and Vitest tests
	bash scripts/tools.sh console
	cd console && npm run typecheck && npm run lint && npm test

.PHONY: bench
bench: ## run the benchmarks (the pipeline ones in e2e/ with E2E_BENCH_RUNS samples each; the console's first render in chromium; bench-observe)
	bash scripts/tools.sh test
	go test -run '^$$' -bench . -benchmem ./shared/... ./migrations/... ./controlplane/... ./nodeagent/...
	go test -run '^$$' -bench . -benchtime $(E2E_BENCH_RUNS)x ./e2e/...
	$(MAKE) --no-print-directory build
	cd console && HEARTH_BIN=$(CURDIR)/bin/hearth npm run perf
	$(MAKE) --no-print-directory bench-observe

.PHONY: bench-observe
bench-observe: build ## the observability benchmarks: ingest per CPU-second against the OpenTelemetry Collector, queries, bytes on S3 (report in .bench/)
	bash scripts/observe-bench.sh $(OBSERVE_BENCH_FLAGS)

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZ_TIME (default 30s)
	for target in $(FUZZ_TARGETS); do \
		go test -run '^$$' -fuzz "^$${target#*:}$$" -fuzztime $(FUZZ_TIME) "$${target%%:*}"; \
	done

.PHONY: generate
generate: ## regenerate protobuf, Connect, OpenAPI and sqlc code
	bash scripts/tools.sh generate
	rm -rf shared/gen shared/apispec/openapi.yaml console/src/gen
	buf generate
	buf generate --template buf.gen.console.yaml
	find controlplane/internal -type d -path '*/internal/db' -prune -exec rm -rf {} +
	sqlc generate

.PHONY: lint
lint: ## go vet, golangci-lint, buf lint and buf format
	bash scripts/tools.sh lint
	go vet $(GO_PACKAGES)
	golangci-lint run $(GO_PACKAGES)
	$(CHARTS) go vet ./...
	$(CHARTS) golangci-lint run --config ../.golangci.yml ./...
	buf lint
	buf format -d --exit-code --exclude-path proto/third_party/google

.PHONY: check
check: generate ## fail if generated code or go.mod files are stale, or the agent protocol broke
	bash scripts/proto-breaking.sh
	for m in $(MODULES); do (cd $$m && GOWORK=off GOFLAGS=-mod=mod go mod tidy); done
	go work sync
	if [[ -n "$$(git status --porcelain -- shared/gen shared/apispec controlplane console/src/gen console/package-lock.json '*/go.mod' '*/go.sum' go.work go.work.sum)" ]]; then \
		git status --short; git --no-pager diff --stat; \
		echo 'generated code or go.mod is stale: run make generate and go mod tidy, then commit' >&2; exit 1; \
	fi

.PHONY: check-clean
check-clean: ## fail if tracked files changed or untracked, unignored files appeared (make ci runs it after the tests)
	@changed="$$(git status --porcelain --untracked-files=no)"; \
	untracked="$$(git ls-files --others --exclude-standard)"; \
	if [[ -n "$$changed$$untracked" ]]; then \
		[[ -z "$$changed" ]] || { echo 'tracked files changed:' >&2; echo "$$changed" >&2; }; \
		[[ -z "$$untracked" ]] || { echo 'untracked files not in .gitignore:' >&2; echo "$$untracked" | sed 's/^/   /' >&2; }; \
		echo 'a build or test must leave the tree as it found it (a dirty tree makes every build version -dirty): ignore what it writes or stop writing it; commit your own edits before make ci' >&2; \
		exit 1; \
	fi

.PHONY: ci
# check-clean is a recipe, not a prerequisite, so it runs after the tests even under make -j.
ci: check lint test ## what CI runs: check, lint, test, then check-clean
	$(MAKE) --no-print-directory check-clean
