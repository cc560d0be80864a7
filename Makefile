# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export FLAGPILOT_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test lint bench clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[server,sdk,dev]'
	touch $(STAMP)

install: $(STAMP)

## Install, create and migrate the SQLite database with the preset, and serve on 127.0.0.1:8000
## (or HOST / PORT: `make run PORT=8080`; FLAGPILOT_HOST / FLAGPILOT_PORT work too).
run: $(STAMP)
	$(BIN)/flagpilot init
	$(BIN)/flagpilot serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

## The browser tests drive Debian's Chromium (never a downloaded browser): install it when missing.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

## Install, then run every check CI runs: lint, types, layering, and the whole test suite.
test: $(STAMP) chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/bench_evaluation.py
	$(BIN)/python bench/bench_sdk.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
