# One entry point per job. Every target creates .venv when it is missing and installs into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast lint demo bench local-up local-down clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# uv installs the pinned set in less than half the time pip takes. It reads no pip.conf: on a machine whose package
# index only pip's configuration names, pip installs instead. Bytecode is compiled at install, as pip does: where
# PYTHONDONTWRITEBYTECODE is set, every process would otherwise compile what it imports.
# A venv made before the move to SageMaker SDK v3 holds `sagemaker` 2.x, which cannot be upgraded in place (v2 and
# v3 both install the `sagemaker` package): it is made again.
$(STAMP): $(BIN)/python setup.py requirements.txt requirements-dev.txt requirements-local.txt constraints.txt
	@if $(BIN)/python -m pip show --quiet sagemaker >/dev/null 2>&1; then \
	  echo "$(VENV) holds SageMaker SDK v2: making it again" >&2; \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --upgrade pip; fi
	$(BIN)/pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --native-tls --compile-bytecode --python $(BIN)/python -c constraints.txt -r requirements-dev.txt -e '.[local]' \
	  || { echo "uv could not install the requirements (above): installing with pip" >&2; \
	       $(BIN)/pip install --quiet -c constraints.txt -r requirements-dev.txt -e '.[local]'; }
	touch $(STAMP)

install: $(STAMP)

## The whole test suite: unit, terraform, pipelines, local end-to-end, jenkins; test modules side by side
## (bound by CPU; twice the cores keeps both busy while terraform, the stack and the step containers wait on each
## other). Modules are handed out in collection order, the longest first (tests/conftest.py), not reordered by
## their test counts.
TEST_WORKERS ?= 4
PYTEST_SIDE_BY_SIDE := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder
test: $(STAMP)
	$(PYTEST_SIDE_BY_SIDE)

## The tests that run no terraform, no end-to-end demo and nothing marked slow (the local stack, authorization,
## pipelines and executor, Jenkins' scripts, the console): about three quarters of the tests in about a quarter of
## `make test`'s time, side by side as `make test` runs them. A loop while editing, not a substitute for it.
test-fast: $(STAMP)
	$(PYTEST_SIDE_BY_SIDE) -m "not terraform and not e2e and not slow"

lint: $(STAMP)
	$(BIN)/ruff check pipelines localaws mlops_demo tests benchmarks scripts
	$(BIN)/lint-imports

## The local end-to-end demo: the whole multi-account loop on this machine, offline.
demo: $(STAMP)
	$(BIN)/mlops-demo

bench: $(STAMP)
	for bench in benchmarks/*.py; do $(BIN)/python -m benchmarks.$$(basename $$bench .py) || exit 1; done

local-up: $(STAMP)
	$(BIN)/mlops-local up

local-down: $(STAMP)
	$(BIN)/mlops-local down

clean:
	rm -rf .local build reports .pytest_cache
