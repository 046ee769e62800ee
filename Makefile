# layerkit's commands. Each one creates .venv (with the python3 on PATH) the first time and
# installs only what it needs and .venv does not have yet:
#   make demo       layerkit alone (numpy, h5py, tqdm, matplotlib, threadpoolctl), then the main
#                   worked example
#   make examples   every worked example, with its plots (under examples/output/)
#   make test       + pytest, ruff and the optional peers PyTorch and Keras (about 1 GB), the suite
#   make docs       + MkDocs, Material and mkdocstrings, the site built with --strict into site/
#   make docs-check + Playwright, every page of the site rendered in headless Chromium
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The optional peers of the parity tests (PyTorch on the CPU, Keras 3 on its torch back end).
PEERS := torch==2.13.0 keras==3.15.1
DATA_DIR := $(abspath ../shared/datasets)
export LAYERKIT_DATA_DIR := $(if $(wildcard $(DATA_DIR)),$(DATA_DIR),$(LAYERKIT_DATA_DIR))
export MPLBACKEND := Agg
# Material for MkDocs prints a notice about its successor on every build.
export NO_MKDOCS_2_WARNING := 1
EXAMPLES := $(filter-out examples/_common.py,$(wildcard examples/*.py))
# An extra's requirements, read from pyproject.toml (installing them leaves layerkit as it is).
extra = $$($(BIN)/python -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['$(1)']))")

.PHONY: demo examples docs-images test docs docs-check lint bench bench-mpi install install-test install-docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: what is installed stays installed until pyproject.toml changes.
# (setuptools notes every editable install with a warning that asks nothing of you: not shown.)
$(VENV)/.layerkit: pyproject.toml | $(BIN)/python
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.test: pyproject.toml | $(VENV)/.layerkit
	$(BIN)/pip install --quiet $(call extra,test)
	@echo "Installing the optional peers $(PEERS) (PyTorch for the CPU is about 1 GB; once only)."
	@echo "Where they cannot be installed, their parity tests are skipped."
	$(BIN)/pip install --quiet $(PEERS) \
		|| echo "WARNING: torch/keras could not be installed: their tests will be skipped"
	@touch $@

$(VENV)/.docs: pyproject.toml | $(VENV)/.layerkit
	$(BIN)/pip install --quiet $(call extra,docs)
	@touch $@

$(VENV)/.docs-check: pyproject.toml | $(VENV)/.docs
	$(BIN)/pip install --quiet $(call extra,docs-check)
	@touch $@

install: $(VENV)/.layerkit
install-test: $(VENV)/.test
install-docs: $(VENV)/.docs

# The main example: the course's cat vs non-cat logistic regression (train 99.04 %, test 70 %).
demo: install
	$(BIN)/python examples/cat_logistic_regression.py

# Every worked example in turn (about 3 minutes); each writes its plots to examples/output/NAME/.
examples: install
	@for example in $(EXAMPLES); do \
		echo "== $(BIN)/python $$example"; \
		$(BIN)/python $$example || exit 1; \
	done

# The plots of docs/examples.md, from a fresh run of every example.
docs-images: examples
	@for plot in examples/output/*/*.png; do \
		mkdir -p docs/assets/examples/$$(basename $$(dirname $$plot)); \
		cp $$plot docs/assets/examples/$$(basename $$(dirname $$plot))/; \
	done

# The suite, docstring examples and every Python block of README.md and docs/ included
# (about 5 minutes on two cores, once the peers are installed).
test: install-test
	@echo "Running the suite: about 5 minutes on two cores."
	$(BIN)/python -m pytest -q layerkit tests

# The documentation site, into site/: a broken link, a missing reference or a docstring that
# does not parse fails the build.
docs: install-docs
	$(BIN)/mkdocs build --strict --quiet

# The built site as a reader sees it: every page in headless Chromium (Debian's chromium
# package, at /usr/bin/chromium), no console errors and no broken images; screenshots of
# every page go to site-screenshots/.
docs-check: docs $(VENV)/.docs-check
	LAYERKIT_REQUIRE_DOCS_CHECK=1 LAYERKIT_SITE_DIR=site LAYERKIT_SCREENSHOTS=site-screenshots \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs_site.py

# The speed suite (docs/performance.md): layerkit against a lean NumPy loop, PyTorch and Keras.
bench: install-test
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.call_layers

# Data-parallel training over MPI (docs/scaling.md): one process against several, the all-reduce.
bench-mpi: install-test
	$(BIN)/python -m benchmarks.distributed

lint: install-test
	$(BIN)/ruff check layerkit tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache site site-screenshots examples/output
