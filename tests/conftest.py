"""Shared test set-up: every test starts from the same seed, float32 and fresh names."""

import numpy as np
import pytest

from layerkit import backend


@pytest.fixture(autouse=True)
def _fresh_state():
    backend.set_floatx("float32")
    backend.set_random_seed(1234)
    backend.clear_session()
    yield
    backend.set_floatx("float32")


@pytest.fixture
def float64():
    """Run the test with ``floatx() == "float64"``."""
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
