# piigate: two commands on a fresh machine.
#   make run    install everything and start the gate on its embedded defaults
#   make test   install what the tests need and run lint, types and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: install install-test system-test-deps libreoffice ocr-engine pst-utils run test lint clean postfix soak bench fuzz faults corpus

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

run: install ocr-engine pst-utils
	$(BIN)/piigate keys init
	$(BIN)/piigate serve

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Postfix, for the MTA integration test (tests/integration/test_postfix.py). Installed from
# Debian's packages when missing and we may (root with apt-get, as in CI), configured with
# "No configuration" so the system instance never starts; the test runs its own instance.
# Elsewhere nothing is installed and the test skips, saying why.
postfix:
	@if [ ! -x /usr/sbin/postfix ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
	    postfix >/dev/null; \
	fi


# The OCR engine (Tesseract 5 with its English data, from Debian) and the DejaVu fonts the OCR
# tests render their scans with. `make run` and `make test` install them when missing and we
# may (root with apt-get); elsewhere `piigate serve` says at start-up that images cannot be
# read, and the policy holds image content for external mail as unscannable.
ocr-engine:
	@if { ! command -v tesseract >/dev/null || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; } \
	  && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
	    tesseract-ocr tesseract-ocr-eng fonts-dejavu-core >/dev/null; \
	fi

# Debian's readpst (pst-utils 0.6.76, libpst), which `piigate sweep` runs to unpack Outlook
# .pst/.ost stores (tests/integration/test_sweep_pst.py reads a real one with it). Installed
# when missing and we may (root with apt-get); elsewhere a .pst is named as unreadable.
pst-utils:
	@if ! command -v readpst >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    -o DPkg::Lock::Timeout=600 pst-utils >/dev/null; \
	fi

# Debian packages the tests drive for real: Chromium (review UI, via Playwright).
system-test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# LibreOffice (headless, no GUI), which writes the Office and OpenDocument fixtures of
# tests/unit/test_extract_office.py the way users' documents are written. Installed from
# Debian's packages when missing and we may (root with apt-get, as in CI; a few minutes);
# elsewhere nothing is installed and those tests skip, saying why.
libreoffice:
	@if ! command -v soffice >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    -o DPkg::Lock::Timeout=600 libreoffice-writer-nogui libreoffice-calc-nogui \
	    libreoffice-impress-nogui >/dev/null; \
	fi

test: lint postfix system-test-deps libreoffice ocr-engine pst-utils
	$(BIN)/python -m pytest

# The long fuzzing run of parse → extract → detect → decide and of the [ENCRYPT] path
# (make test runs 60-150 fixed examples per property; this draws fresh ones each time).
fuzz: install-test
	PIIGATE_FUZZ_EXAMPLES=$${PIIGATE_FUZZ_EXAMPLES:-2000} $(BIN)/python -m pytest -q tests/fuzz

# The fault catalogue against a real gate, sink and PostgreSQL ledger; prints its table
# (the README's "Faults" table). make test runs it too, without the table.
faults: install-test
	PIIGATE_FAULTS_TABLE=.faults-table.md $(BIN)/python -m pytest -q \
	  tests/integration/test_fault_catalogue.py tests/integration/test_smtp_abuse.py \
	  tests/integration/test_quarantine_faults.py tests/integration/test_faults.py
	@cat .faults-table.md

# The full soak: 10,000 messages from 32 clients (make test runs a smaller count).
soak: install-test
	PIIGATE_SOAK_MESSAGES=10000 $(BIN)/python -m pytest -m soak tests/integration/test_soak.py

# The relay benchmark (results and the command in the README's Operations section), with the
# mixed load (small mail while large mail is screened), then the commands' start-up and the
# per-message cost by size (bench/README.md); every ratio against its baseline of the same run.
bench: install-test
	$(BIN)/python bench/bench_relay.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_cost.py

# The real-world corpus (README "Extraction"): the test files of pinned source distributions
# from the package registry, screened by the gate; needs the registry, so not part of `test`.
corpus: install-test
	$(BIN)/python bench/corpus_real.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
