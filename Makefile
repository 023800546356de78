# Two commands on a fresh machine: `make demo` and `make test`. Both build .venv first.
# Each target installs what it needs and no more: the demo the package alone (its runtime
# dependencies), test and lint add the test and lint extras, bench the bench extra. A stamp
# per set records it; editing pyproject.toml installs again.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# `make test` runs the suite on one process per core and one more (pytest-xdist): many tests
# wait on child processes, servers and PostgreSQL, and the extra worker keeps the cores busy
# meanwhile (2 cores: 421 s with two workers, 347 s with three). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(len(os.sched_getaffinity(0)) + 1)" 2>/dev/null || echo auto)

.PHONY: demo test lint format bench screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,lint]'
	touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.stamp-run
	$(VENV)/bin/trousseau demo

test: $(VENV)/.stamp-dev
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal

# Style, types (mypy, strict) and the import contracts of DESIGN.md (lint-imports).
lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

bench: $(VENV)/.stamp-bench
	$(PY) -m bench.queue
	$(PY) -m bench.imaging
	$(PY) -m bench.wedding
	$(PY) -m bench.endtoend
	$(PY) -m bench.recovery
	$(PY) -m bench.service
	$(PY) -m bench.backup
	$(PY) -m bench.forms
	$(PY) -m bench.formqueue
	$(PY) -m bench.freeze
	$(PY) -m bench.planning
	$(PY) -m bench.analysis
	$(PY) -m bench.culling
	$(PY) -m bench.drill

screenshots: $(VENV)/.stamp-dev
	TROUSSEAU_TEST_SCREENSHOTS=docs $(PY) -m pytest tests/web/test_dashboard_browser.py

clean:
	rm -rf $(VENV) demo-data trousseau-data .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
