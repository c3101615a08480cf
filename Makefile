# Handoff — `make` or `make help` lists the targets.

# Tool versions, pinned.
TEMPORAL_CLI_VERSION  := v1.5.1
SQLC_VERSION          := v1.31.1
GOLANGCI_LINT_VERSION := v2.15.0
WORKFLOWCHECK_VERSION := v0.6.0
# Front-end files vendored into the repository by `make vendor-web` (npm is needed by
# that target only).
HTMX_VERSION          := 2.0.11
AXE_CORE_VERSION      := 4.14.1

GO  ?= go
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help run build test lint generate verify histories tools compose-check bench chaos clean vendor-web

help: ## List the targets
	@echo "Usage: make <target>"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_.\/-]+:.*## / { printf "  %-15s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: ## Run Handoff locally with its own Temporal dev server and Postgres (handoff dev)
	$(GO) run ./cmd/handoff dev

build: ## Build the binary into dist/handoff
	$(GO) build -ldflags "-X main.buildVersion=$$(git describe --tags --always --dirty 2>/dev/null)" -o dist/handoff ./cmd/handoff

test: $(BIN)/temporal ## Check docker-compose.yml, vet, run every test against real Postgres and Temporal
	@$(MAKE) --no-print-directory compose-check
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

lint: ## Run go vet, workflowcheck (determinism of workflows/) and golangci-lint
	$(GO) vet ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION) -config workflowcheck.config.yaml ./workflows/...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run

generate: $(BIN)/sqlc ## Generate the Postgres query code with sqlc
	$(BIN)/sqlc generate -f postgres/sqlc.yaml

verify: generate ## Fail when generated code is out of date
	git diff --exit-code

histories: $(BIN)/temporal ## Record the replay corpus (workflows/testdata/histories) from real dev-server runs
	$(GO) test -count=1 -run TestRecordHistories ./cmd/handoff -record-histories

tools: $(BIN)/temporal $(BIN)/sqlc ## Install the pinned tools into .bin/

compose-check: ## Validate docker-compose.yml (installs Debian's docker-compose when missing, as root)
	@if ! command -v docker-compose >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "docker-compose not found: installing Debian's docker-compose with apt-get"; \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose; \
		else \
			echo "docker-compose not found: install it (Debian/Ubuntu: apt-get install docker-compose)" >&2; \
			exit 1; \
		fi; \
	fi
	docker-compose -f docker-compose.yml config -q

chaos: $(BIN)/temporal ## Run the fault matrix (F1–F5, F10–F13, F16, F17) against real processes (25–35 min; CHAOS_ONLY=F1,F3 for some)
	$(GO) run ./chaos/cmd/chaos

bench: $(BIN)/temporal ## Measure Handoff against hand-written Temporal code (BENCH_SHORT=1: smoke run; docs/benchmarks.md)
	$(GO) run ./bench/cmd/bench

vendor-web: ## Fetch htmx (web/assets) and axe-core (internal/testenv/testdata) with npm and commit them; not part of run or test
	@command -v npm >/dev/null || { echo "npm is needed by this target only (Debian: apt-get install npm)" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent htmx.org@$(HTMX_VERSION) axe-core@$(AXE_CORE_VERSION) >/dev/null) && \
	mkdir -p "$$tmp/htmx" "$$tmp/axe" && \
	tar -xzf "$$tmp/htmx.org-$(HTMX_VERSION).tgz" -C "$$tmp/htmx" && \
	tar -xzf "$$tmp/axe-core-$(AXE_CORE_VERSION).tgz" -C "$$tmp/axe" && \
	cp "$$tmp/htmx/package/dist/htmx.min.js" web/assets/htmx.min.js && \
	cp "$$tmp/htmx/package/LICENSE" web/assets/htmx.LICENSE && \
	cp "$$tmp/axe/package/axe.min.js" internal/testenv/testdata/axe.min.js && \
	cp "$$tmp/axe/package/LICENSE" internal/testenv/testdata/axe.LICENSE && \
	printf 'htmx.org %s (BSD Zero Clause License: htmx.LICENSE), from npm by make vendor-web\n' $(HTMX_VERSION) > web/assets/VENDORED && \
	printf 'axe-core %s (Mozilla Public License 2.0: axe.LICENSE), from npm by make vendor-web\n' $(AXE_CORE_VERSION) > internal/testenv/testdata/VENDORED && \
	echo "vendored htmx $(HTMX_VERSION) and axe-core $(AXE_CORE_VERSION)"

clean: ## Remove build output (keeps .data/, the local dev state)
	rm -rf dist/

$(BIN)/temporal:
	@echo "Installing the Temporal CLI $(TEMPORAL_CLI_VERSION) into .bin/ (builds from source: a few minutes the first time)"
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(BIN)/sqlc:
	@echo "Installing sqlc $(SQLC_VERSION) into .bin/"
	GOBIN=$(BIN) $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)
