# The README's commands. `make test` and `make demo` install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format bench clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: install
	$(VENV)/bin/impartial demo

test: install chromium
	$(PY) -m pytest -q

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

lint: install
	$(VENV)/bin/ruff check pipeline dags tests benchmarks
	$(VENV)/bin/ruff format --check pipeline dags tests benchmarks

format: install
	$(VENV)/bin/ruff format pipeline dags tests benchmarks
	$(VENV)/bin/ruff check --fix pipeline dags tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
