# Board API. `make run` and `make test` set everything up on a fresh machine (Python 3.11 + make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := app

.PHONY: run test lint install install-dev clean serve

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

# Production: gunicorn with gunicorn.conf.py (WEB_CONCURRENCY workers, access log on stdout).
serve: install
	$(BIN)/flask db upgrade
	PORT=$(PORT) exec $(BIN)/gunicorn --config gunicorn.conf.py --no-control-socket 'app:create_app()'
