# piigate: two commands on a fresh machine.
#   make run    install everything and start the gate on its embedded defaults
#   make test   install what the tests need and run lint, types and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: install install-test system-test-deps run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every dependency is pinned by version and hash in requirements/*.txt (pip-compile
# --generate-hashes from pyproject.toml); the project itself is installed on top, editable.
$(VENV)/.run-installed: $(BIN)/python pyproject.toml requirements/run.txt
	$(PIP) install --require-hashes -r requirements/run.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/python pyproject.toml requirements/test.txt
	$(PIP) install --require-hashes -r requirements/test.txt
	$(PIP) install --no-deps -e .
	touch $@ $(VENV)/.run-installed

install: $(VENV)/.run-installed

install-test: $(VENV)/.test-installed

run: install
	$(BIN)/piigate keys init
	$(BIN)/piigate serve

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Debian packages the tests drive for real: Chromium (review UI, via Playwright).
system-test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint system-test-deps
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
