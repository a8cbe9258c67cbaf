# Board API. `make run` and `make test` set everything up on a fresh machine (Python 3.11 + make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# PORT from the environment, else from .env (which the app reads too), else 5000.
PORT   ?= $(or $(shell sed -n "s/^PORT=//p" .env 2>/dev/null | tail -n 1),5000)
export FLASK_APP := app

.PHONY: help run test lint install install-dev clean test-e2e serve bench bench-scale profile

# The first target, so that `make` alone lists the others: one line each, from their `##` comments.
help:  ## this list
	@awk -F ':.*## ' '/^[a-z][a-z0-9-]*:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Reinstall only when a requirements file changes: a second `make run` starts in seconds.
$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime  ## create .venv with the runtime requirements
install-dev: $(VENV)/.dev  ## create .venv with the test and lint tools

run: install  ## serve on 127.0.0.1:PORT (default 5000) with a migrated SQLite file (sets up .venv the first time)
	$(BIN)/flask db upgrade
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The suite runs in one pytest process per core (pytest-xdist), each test module whole in one of
# them (module-scoped fixtures: a runtime venv, a server); TEST_WORKERS=0 runs it in this one.
TEST_WORKERS ?= auto

test: install-dev  ## the whole test suite (PYTEST_ARGS=... to pass pytest options, TEST_WORKERS=0 for one process)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install-dev  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:  ## remove .venv and the caches
	rm -rf $(VENV) .pytest_cache .ruff_cache

# End-to-end: Swagger UI in Debian's headless Chromium (/usr/bin/chromium, or $CHROMIUM), driven by
# Playwright. Screenshots land in test-artifacts/.
$(VENV)/.e2e: $(VENV)/.dev requirements-e2e.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-e2e.txt
	touch $@

test-e2e: $(VENV)/.e2e  ## Swagger UI end to end in headless Chromium (/usr/bin/chromium)
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Property-based fuzzing of every operation from /openapi.json (schemathesis): see fuzz/run.py.
.PHONY: fuzz
fuzz: install-dev  ## schemathesis on every operation of /openapi.json
	$(BIN)/python fuzz/run.py

# The whole suite against a private MariaDB server on a free port of 127.0.0.1 (installed from
# Debian's packages when missing), stopped by its PID afterwards: see tests/mariadb.py.
.PHONY: test-mysql
test-mysql: install-dev  ## the whole suite against a private MariaDB server
	$(BIN)/python -m tests.mariadb run -- $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Production: granian (ops/serving.py: WEB_CONCURRENCY workers, the access log on stdout), in the
# foreground until SIGTERM; GRANIAN_ARGS passes more of granian's options. SERVER=gunicorn serves
# the same app with gunicorn.conf.py instead (sync workers: only behind a buffering proxy, see
# docs/production.md, "Slow clients").
SERVER ?= granian
serve: install  ## production: migrate DATABASE_URL, then granian (PORT, WEB_CONCURRENCY; SERVER=gunicorn)
	$(BIN)/flask db upgrade
ifeq ($(SERVER),gunicorn)
	PORT=$(PORT) exec $(BIN)/gunicorn --config gunicorn.conf.py --no-control-socket 'app:create_app()'
else
	PORT=$(PORT) exec $(BIN)/python -m ops.serving $(GRANIAN_ARGS)
endif

# Benchmarks (never in CI: slow, and noisy on shared machines). wrk comes from Debian's packages.
# `make bench` runs `make serve` against a bare-Flask floor (docs/performance.md); SERVER=gunicorn
# make bench measures the API under gunicorn instead.
NEED_WRK = command -v wrk >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }

bench: install  ## throughput against a bare-Flask floor (slow; quiet machine)
	@$(NEED_WRK)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-scale: install  ## GET /boards latency at 1k / 100k / 1M boards (slow)
	@$(NEED_WRK)
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

$(VENV)/.bench: $(VENV)/.runtime requirements-bench.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

# CPU per request in-process, or with ENDPOINT=me (list, board, create, login) a pyinstrument profile.
profile: $(VENV)/.bench  ## CPU per request in-process (ENDPOINT=me|list|board|create|login)
	$(BIN)/python bench/cpu_cost.py $(if $(ENDPOINT),--profile $(ENDPOINT))
