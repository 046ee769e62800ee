# layerkit: `make demo` runs the main example, `make test` the test suite.
# Both create .venv with the Python 3.11 on PATH and install layerkit into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR := $(abspath ../shared/datasets)
export LAYERKIT_DATA_DIR := $(if $(wildcard $(DATA_DIR)),$(DATA_DIR),$(LAYERKIT_DATA_DIR))
export MPLBACKEND := Agg

.PHONY: demo test lint bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

# The test extra, plus the optional peers: PyTorch (parity tests) and Keras 3 on its torch back
# end (interop tests). Where they cannot be installed their tests skip, and say so; in CI
# (LAYERKIT_REQUIRE_PEERS=1, set by .ci/run) a missing peer fails the suite instead.
install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pip install --quiet torch==2.13.0 keras==3.15.1 \
		|| echo "WARNING: torch/keras could not be installed: their tests will be skipped"

# The main example: the course's cat vs non-cat logistic regression (train 99.04 %, test 70 %).
demo: install
	$(BIN)/python examples/cat_logistic_regression.py

test: install-test
	$(BIN)/python -m pytest -q layerkit tests

# The speed suite (docs/performance.md): layerkit against PyTorch and Keras when installed.
bench: install-test
	$(BIN)/python -m benchmarks

lint: install-test
	$(BIN)/ruff check layerkit tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
