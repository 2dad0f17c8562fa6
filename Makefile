# Every target README and CI use. `make help` lists them.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= example

.DEFAULT_GOAL := help
.PHONY: help install demo plan test test-fast lint typecheck bench clean secrets-scan

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/launchready: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/launchready ## create .venv and install launchready with its dev extras

demo: install ## the main job on the embedded default: offline plan of the example stack, then verify a local sandbox
	$(BIN)/launchready plan --stack $(STACK)
	$(BIN)/launchready demo

plan: install ## offline plan of STACK (default: example)
	$(BIN)/launchready plan --stack $(STACK)

lint: install ## ruff
	$(BIN)/ruff check .

typecheck: install ## mypy (strict) over the package
	$(BIN)/mypy launchready

secrets-scan: install ## secret scan of the tree and git history (allowed findings: .launchready-secrets.toml)
	$(BIN)/launchready scan-secrets .

test: install lint typecheck secrets-scan ## lint, typecheck, secret scan and the whole test suite (what CI runs)
	$(BIN)/python -m pytest -q

test-fast: install ## unit tests only (no local servers)
	$(BIN)/python -m pytest -q -m "not integration and not slow"

bench: install ## benchmarks (by hand; figures go in the README)
	$(BIN)/python bench/verify_bench.py
	$(BIN)/python -m bench.secrets_bench 50

clean: ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
