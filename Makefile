# Sun to Moon — the two commands: `make up` runs the whole system, `make test` runs every test.
# Both install what they need (uv, then the workspace's locked dependencies).
SHELL := /bin/bash
UV = $(shell ./scripts/ensure-uv.sh)
PYTEST_ARGS ?=
# two test processes (pytest-xdist): the suite waits on services, browsers and servers more than it computes,
# so two workers take 12–14 minutes here where one took 17. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2

.PHONY: help up test evaluate deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

deps: ## install uv (if missing), the system libraries the PDF reports need, and the locked dependencies into .venv
	@./scripts/ensure-system-deps.sh
	@$(UV) sync --frozen --all-packages --quiet

up: deps ## start NATS, PostgreSQL (unless NATS_URL/DATABASE_URL are set) and the five services; Ctrl-C stops all
	@$(UV) run --frozen --no-sync python -m devstack $(ARGS)

test: deps ## run the whole test suite (servers from DATABASE_URL/NATS_URL, testcontainers, or started here)
	@./scripts/ensure-chromium.sh >/dev/null || echo "no Chromium: the browser tests will say why they skip"
	@$(UV) run --frozen --no-sync pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

evaluate: deps ## score the classifier on a labelled CSV: make evaluate FILE=path.csv (columns text,category[,urgency])
	@if [ -z "$(FILE)" ]; then echo "usage: make evaluate FILE=path.csv   (UTF-8, columns text,category and optionally urgency)"; exit 2; fi
	@$(UV) run --frozen --no-sync python -m classifier evaluate "$(abspath $(FILE))"

clean: ## remove the virtual environment and caches (your data in ~/.local/share/sunmoon stays)
	rm -rf .venv .tools .pytest_cache
