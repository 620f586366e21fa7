# The two commands: `make run` and `make test`. Both work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps lock bench lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench,boundaries]'
	touch $(STAMP)

install: $(STAMP)

## Serve the registry on http://127.0.0.1:8000 (database created, demo district loaded if empty).
run: install
	$(BIN)/memorials init
	$(BIN)/memorials demo --if-empty
	$(BIN)/memorials serve

## Install everything and run every test (SQLite; PostGIS too when MEMORIALS_TEST_POSTGRES_URL is set),
## one worker process per core (pytest-xdist; TEST_WORKERS=0 runs them in this process).
TEST_WORKERS ?= auto
test: install system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## Debian packages the tests need (headless Chromium); skipped where apt-get cannot run.
system-deps:
	@scripts/system-deps.sh

## Re-pin every dependency on purpose: rewrites constraints.txt from a clean resolve.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench,boundaries]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' | sort -f > constraints.txt
	rm -rf .lock-venv

## Benchmarks; figures go to docs/benchmarks.md.
bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
