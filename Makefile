# Board API. `make run` and `make test` set everything up on a fresh machine (Python 3.11 + make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := app

.PHONY: run test lint install install-dev clean test-e2e

# Reinstall only when a requirements file changes: a second `make run` starts in seconds.
$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# End-to-end: Swagger UI in Debian's headless Chromium (/usr/bin/chromium, or $CHROMIUM), driven by
# Playwright. Screenshots land in test-artifacts/.
$(VENV)/.e2e: $(VENV)/.dev requirements-e2e.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-e2e.txt
	touch $@

test-e2e: $(VENV)/.e2e
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Property-based fuzzing of every operation from /openapi.json (schemathesis): see fuzz/run.py.
.PHONY: fuzz
fuzz: install-dev
	$(BIN)/python fuzz/run.py

# The whole suite against a private MariaDB server on a free port of 127.0.0.1 (installed from
# Debian's packages when missing), stopped by its PID afterwards: see tests/mariadb.py.
.PHONY: test-mysql
test-mysql: install-dev
	$(BIN)/python -m tests.mariadb run -- $(BIN)/python -m pytest $(PYTEST_ARGS)
