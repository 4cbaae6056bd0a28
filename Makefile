# The README's commands. `make test` and `make demo` install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install messages browser redis demo test test-fast test-unit test-db test-model test-browser test-airflow lint format bench clean

install: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test,celery]"
	touch $(STAMP)

# The GC Design System's components and fonts, which the review app serves itself (never a
# CDN), and axe-core for the browser tests' accessibility checks: exactly the lockfile's versions.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# New marked strings into the French catalogue; lists (and fails on) those still without French.
messages: install
	$(PY) -m pipeline.locale

demo: install
	$(VENV)/bin/impartial demo

# Browser tests drive Debian's chromium through Playwright (never `playwright install`).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The Celery tests (and `impartial airflow up --executor celery`) run Debian's redis-server,
# each on a free 127.0.0.1 port of its own.
redis:
	@test -x /usr/bin/redis-server || { \
	  echo "installing Debian's redis-server for the Celery tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# The whole suite. The tiers (markers set from the fixtures a test takes; see tests/conftest.py):
# unit (no database, no model), db, model, browser, airflow.
test: install browser redis
	$(PY) -m pytest -q

# Everything that needs neither the model nor the browser, on two workers.
test-fast: install
	$(PY) -m pytest -q -n 2 --dist worksteal -m "not model and not browser"

test-unit test-db test-model test-airflow: install
	$(PY) -m pytest -q -m $(@:test-%=%)

test-airflow: redis

test-browser: install browser
	$(PY) -m pytest -q -m browser

lint: install
	$(VENV)/bin/ruff check pipeline dags tests benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff format --check pipeline dags tests benchmarks

format: install
	$(VENV)/bin/ruff format pipeline dags tests benchmarks
	$(VENV)/bin/ruff check --fix pipeline dags tests benchmarks

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache *.egg-info
