# The front door. `make report` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AS_OF ?= 2021-10-15
PARAMS ?= params/demo.yaml
DEMO_STORE := build/demo.duckdb

.PHONY: report test lab demo ingest bench clean system-packages

# The venv is rebuilt when the dependencies change.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(DEMO_STORE): $(STAMP) $(wildcard lib/kcbx/demo.py lib/kcbx/ledgers/*.py lib/kcbx/ingest.py lib/kcbx/store.py lib/kcbx/schema.py)
	$(BIN)/kcbx demo
	$(BIN)/kcbx ingest --params params/demo.yaml --quiet

demo: $(DEMO_STORE)

## report: write the demo county, ingest it, render every township report and the county roll-up
report: $(DEMO_STORE)
	$(BIN)/kcbx run --params $(PARAMS) --as-of $(AS_OF)

## test: the whole suite: unit, property, notebooks (nbval), end to end, browser
test: $(DEMO_STORE) system-packages
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

# chromium and fonts-noto-cjk for the browser test, installed when missing (.ci/system-packages).
system-packages:
	@bash .ci/system-packages

## lab: JupyterLab on the notebooks, on the project's own environment
lab: $(DEMO_STORE)
	$(BIN)/jupyter lab --notebook-dir=notebooks

## bench: benchmarks (run by hand; they print their figures)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py --params $(PARAMS)
	$(BIN)/python benchmarks/bench_metrics.py --params $(PARAMS) --as-of $(AS_OF)
	$(BIN)/python benchmarks/bench_render.py --params $(PARAMS) --as-of $(AS_OF)
	$(BIN)/python benchmarks/bench_run.py --params $(PARAMS) --as-of $(AS_OF)
	$(BIN)/python benchmarks/bench_cluster.py --params $(PARAMS) --as-of $(AS_OF)

clean:
	rm -rf build outputs/*/ .pytest_cache
