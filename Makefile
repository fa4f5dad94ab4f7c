# The map of the workflow. `make train` and `make test` set everything up on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

IN  ?= src/intent/samples/linkedin_export
OUT ?= reports/classified.csv

.PHONY: train test fuzz mutate lint classify evaluate serve bench clean-venv help

help:
	@echo "make train     train on data/, write models/intent-es.joblib and its report"
	@echo "make test      run all tests (unit, data check, end-to-end)"
	@echo "make fuzz      the tests with long random fuzzing and 100 MB inputs (slow)"
	@echo "make mutate    mutation testing of the core modules (slow): reports/mutation.md"
	@echo "make lint      ruff + mypy"
	@echo "make evaluate  evaluation reports of the shipped model on data/test.csv and the challenge test split"
	@echo "make classify  classify a CSV or LinkedIn export: make classify IN=... OUT=..."
	@echo "make serve     the web page and JSON API on http://127.0.0.1:8000 (PORT=...)"
	@echo "make bench     speed and memory benchmarks (BENCH_ROWS=1000000)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

train: $(STAMP)
	$(PY) train.py --force $(if $(DATA),$(foreach f,$(DATA),--data $(f)))

test: $(STAMP)
	@[ "$$INTENT_SKIP_BROWSER" = 1 ] || .ci/install-browser >/dev/null \
		|| echo "make test: no Chromium (see .ci/install-browser), so the browser test will fail; INTENT_SKIP_BROWSER=1 skips it"
	$(PY) -m pytest

fuzz: $(STAMP)
	INTENT_FUZZ=1 $(PY) -m pytest -x

# Mutation testing ([tool.mutmut] in pyproject.toml, tests/mutation/): from scratch each time, since
# mutmut keeps a mutant's verdict while its function is unchanged, even when the tests change.
# `.venv/bin/mutmut run` alone re-tests only the functions changed since the last run.
mutate: $(STAMP)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(PY) tests/mutation/report.py

evaluate: $(STAMP)
	$(VENV)/bin/intent evaluate $(DATA) --force

lint: $(STAMP)
	$(PY) -m ruff check src tests train.py hatch_build.py benchmarks
	$(PY) -m ruff format --check src tests train.py hatch_build.py benchmarks
	$(PY) -m mypy

classify: $(STAMP)
	$(VENV)/bin/intent classify $(IN) -o $(OUT) --force

PORT ?= 8000

serve: $(STAMP)
	$(VENV)/bin/intent serve --port $(PORT)

BENCH_ROWS ?= 1000000
DASK_ROWS ?= 2000000
WEB_MB ?= 99

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_language.py
	$(PY) benchmarks/bench_reader.py --rows $(BENCH_ROWS)
	$(PY) benchmarks/bench_batch.py --rows $(BENCH_ROWS)
	$(PY) benchmarks/bench_dask.py --rows $(DASK_ROWS)
	$(PY) benchmarks/bench_web.py --mb $(WEB_MB)
	$(PY) benchmarks/bench_page.py
	$(PY) benchmarks/bench_personal.py

clean-venv:
	rm -rf $(VENV)
