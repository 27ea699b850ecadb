# The front door. `make report` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AS_OF ?= 2021-10-15
PARAMS ?= params/demo.yaml
DEMO_STORE := build/demo.duckdb

# make lab: LAB_ARGS go to jupyter lab as they are, e.g. LAB_ARGS='--ip 0.0.0.0 --no-browser'
LAB_ARGS ?=
# Metadata JupyterLab writes on every save, stripped with the outputs (see git-filter).
NB_EXTRA_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
  metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
  metadata.language_info.pygments_lexer metadata.language_info.version \
  metadata.papermill cell.metadata.papermill

.PHONY: report test test-fast lint lab demo ingest bench clean system-packages git-filter

# The venv is rebuilt when the dependencies change.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(DEMO_STORE): $(STAMP) $(wildcard lib/kcbx/demo/*.py lib/kcbx/demo.py lib/kcbx/ingest/*.py lib/kcbx/ingest/ledgers/*.py lib/kcbx/store/*.py lib/kcbx/schema.py)
	$(BIN)/kcbx demo
	$(BIN)/kcbx ingest --params params/demo.yaml --quiet

demo: $(DEMO_STORE)

## report: write the demo county, ingest it, render every township report and the county roll-up
report: $(DEMO_STORE) git-filter
	$(BIN)/kcbx run --params $(PARAMS) --as-of $(AS_OF)

## test: the whole suite: unit, property, notebooks (nbval), end to end, browser
test: $(DEMO_STORE) system-packages git-filter
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

## test-fast: the edit-test loop: every test but the slow end-to-end runs (papermill, the browser)
test-fast: $(DEMO_STORE) git-filter
	$(BIN)/python -m pytest tests -m "not slow" -p no:cacheprovider

## lint: ruff, and import-linter's layer contract (pyproject.toml; docs/architecture.md)
lint: $(STAMP)
	$(BIN)/ruff check lib tests benchmarks
	$(BIN)/lint-imports

# chromium, fonts and LibreOffice for the browser and print tests, installed when missing (.ci/system-packages).
system-packages:
	@bash .ci/system-packages

# Notebooks go into git without outputs: .gitattributes sends *.ipynb through nbstripout's
# filter, which this defines in the clone's own .git/config (with the venv's Python). Run by
# report, test and lab after the venv is made; the same every time; outside a git work tree
# there is nothing to do.
git-filter:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(BIN)/nbstripout --install --attributes .gitattributes && \
	  git config filter.nbstripout.extrakeys '$(strip $(NB_EXTRA_KEYS))'; fi

# make lab: one line naming the committed notebooks whose parameters cell differs from HEAD
# (an analyst's edit left in the working tree); nothing when none does.
define EDITED_PARAMETERS
import pathlib, subprocess, nbformat
def parameters(text):
    cells = nbformat.reads(text, as_version=4).cells
    return next((c.source for c in cells if "parameters" in c.metadata.get("tags", [])), None)
edited = []
for path in sorted(pathlib.Path("notebooks").glob("*.ipynb")):
    head = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, text=True)
    if head.returncode == 0 and parameters(head.stdout) != parameters(path.read_text(encoding="utf-8")):
        edited.append(path.name)
if edited:
    print(f"参数单元格与 HEAD 不同 parameters cell differs from HEAD: {', '.join(edited)} "
          "(git diff notebooks/; personal work: notebooks/my_*.ipynb, git-ignored)")
endef
export EDITED_PARAMETERS

## lab: JupyterLab on the notebooks (PARAMS=params/<county>.yaml, LAB_ARGS='--ip 0.0.0.0 --no-browser'); docs/explore.md
lab: $(DEMO_STORE) git-filter
	@echo "Notebooks are stripped of outputs when committed (nbstripout); nbval runs their committed parameters."
	@$(BIN)/python -c "$$EDITED_PARAMETERS" || true
	KCBX_PARAMS="$(abspath $(PARAMS))" $(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

## bench: benchmarks (run by hand; they print their figures)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py --params $(PARAMS)
	$(BIN)/python benchmarks/bench_metrics.py --params $(PARAMS) --as-of $(AS_OF)
	$(BIN)/python benchmarks/bench_render.py --params $(PARAMS) --as-of $(AS_OF)
	$(BIN)/python benchmarks/bench_run.py --params $(PARAMS) --as-of $(AS_OF)
	$(BIN)/python benchmarks/bench_cluster.py --params $(PARAMS) --as-of $(AS_OF)

clean:
	rm -rf build outputs/*/ .pytest_cache
