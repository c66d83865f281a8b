# The two commands of the quick start: `make run` and `make test`.
.DEFAULT_GOAL := run

VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
DEV    := CASEWORK_ENV=development

include Makefile.assets

.PHONY: run test install system-packages migrate demo check bench clean

# A virtual environment with the pinned dependencies, rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

migrate: install
	$(DEV) $(BIN)/alembic upgrade head

demo: migrate
	$(DEV) $(BIN)/flask --app wsgi casework demo

# Migrate, load the demo partnership and serve on http://127.0.0.1:$(PORT).
run: demo
	$(DEV) $(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# PostgreSQL and Chromium for the test suite (Debian packages; a no-op once installed).
system-packages:
	.ci/system-packages

# The whole suite, on two workers: the database tests on SQLite and on PostgreSQL, the
# rest once, and the browser tests. See docs/testing.md.
test: install system-packages
	$(BIN)/pytest -n auto

# The partnership benchmark: SMALL and LARGE datasets (built once, cached in .bench/) on
# SQLite and PostgreSQL, every page timed against its budget; exits 1 when one is over.
# Not part of `make test`. See docs/performance.md.
BENCH_ARGS ?=
bench: install system-packages
	$(BIN)/python -m tests.benchmarks.partnership --json .bench/results.json $(BENCH_ARGS)

# Models and migrations agree (against the development database).
check: migrate
	$(DEV) $(BIN)/alembic check

clean:
	rm -rf $(VENV) instance .pytest_cache .bench
