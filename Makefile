# piigate: two commands on a fresh machine.
#   make run    install everything and start the gate on its embedded defaults
#   make test   install what the tests need and run lint, types and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: install install-test system-test-deps libreoffice readers ocr-engine pst-utils run test lint clean postfix soak bench bench-speed fuzz faults corpus

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

run: install ocr-engine readers pst-utils
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

# The programs some formats are read with (README "Extraction"): catdoc (Word 97-2003 text),
# unar (compressed RAR members, through rarfile; 7z archives in methods py7zr lacks, BCJ2) and
# LibreOffice Impress, headless (PowerPoint 97-2003, converted to .pptx); and 7-Zip (7zz,
# Debian package 7zip), not a reader: the tests write their BCJ2 7z with it. `make run` and
# `make test` install them from Debian's packages when missing and we may (root with apt-get);
# elsewhere `piigate serve` says at start-up which readers are missing, and those formats are
# unreadable (held as unscannable), never clean.
readers:
	@if { ! command -v catdoc >/dev/null || ! command -v unar >/dev/null \
	      || ! command -v soffice >/dev/null || ! command -v 7zz >/dev/null; } \
	  && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    -o DPkg::Lock::Timeout=600 catdoc unar libreoffice-impress-nogui 7zip >/dev/null; \
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

test: lint postfix system-test-deps libreoffice ocr-engine readers pst-utils
	$(BIN)/python -m pytest

# The long fuzzing run of parse → extract → detect → decide and of the [ENCRYPT] path
# (make test runs 60-150 fixed examples per property; this draws fresh ones each time).
fuzz: install-test
	PIIGATE_FUZZ_EXAMPLES=$${PIIGATE_FUZZ_EXAMPLES:-2000} $(BIN)/python -m pytest -q tests/fuzz

# The fault catalogue against a real gate, sink and PostgreSQL ledger, and kill -9 at each
# step of a message; prints both tables (the README's "Faults and fuzzing"). make test runs
# them too, without the tables (and kill -9 at three representative steps, not all ten).
faults: install-test
	PIIGATE_FAULTS_TABLE=.faults-table.md PIIGATE_KILL_TABLE=.kill-table.md $(BIN)/python -m pytest -q \
	  tests/integration/test_fault_catalogue.py tests/integration/test_smtp_abuse.py \
	  tests/integration/test_quarantine_faults.py tests/integration/test_faults.py \
	  tests/integration/test_kill_steps.py
	@cat .faults-table.md .kill-table.md

# The full soak: 10,000 messages from 32 clients (make test runs a smaller count).
soak: install-test
	PIIGATE_SOAK_MESSAGES=10000 $(BIN)/python -m pytest -m soak tests/integration/test_soak.py

# Every benchmark table the README shows, in one run, each ratio against its baseline measured
# in the same run, headed by the commit, the date and the load average (read the tables of a
# loaded machine as ratios only). `make bench-speed` is the first part alone: relay and mixed
# load (issue 21), the commands' start-up, the cost by size.
BENCH_HEADER = echo "== make $@: commit $$(git rev-parse --short HEAD 2>/dev/null)$$(git diff --quiet HEAD -- src 2>/dev/null || echo ' plus uncommitted changes'), $$(date -u '+%Y-%m-%d %H:%M UTC'), load average $$(cut -d' ' -f1-3 /proc/loadavg), $$(nproc) cores"

bench-speed: install-test
	@$(BENCH_HEADER)
	$(BIN)/python bench/bench_relay.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_cost.py
	@echo "== done $$(date -u '+%H:%M UTC'), load average $$(cut -d' ' -f1-3 /proc/loadavg)"

bench: bench-speed
	@$(BENCH_HEADER)
	$(BIN)/python bench/bench_detect.py --business 300 --pii 100 --presidio-business 30 --presidio-pii 20
	$(BIN)/python bench/bench_mime.py --rounds 5
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_isolation.py
	$(BIN)/python bench/bench_ocr.py
	$(BIN)/python bench/bench_queue.py
	$(BIN)/python bench/bench_sweep.py --messages 10000
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_ledger_tree.py
	@echo "== done $$(date -u '+%H:%M UTC'), load average $$(cut -d' ' -f1-3 /proc/loadavg)"

# The real-world corpus (README "Extraction"): the test files of pinned source distributions
# from the package registry, screened by the gate; needs the registry, so not part of `test`.
corpus: install-test
	$(BIN)/python bench/corpus_real.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
