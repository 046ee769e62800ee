"""Every constraint: the projection by hand, norms after it, inputs untouched, configs, names."""

import json

import numpy as np
import pytest

from layerkit import backend, constraints

EPS = 1e-7  # Keras's epsilon, layerkit's backend.epsilon()

CONSTRAINTS = [
    constraints.MaxNorm(max_value=1.5, axis=0), constraints.MaxNorm(max_value=0.5, axis=1),
    constraints.MaxNorm(max_value=2, axis=[0, 1]),
    constraints.MinMaxNorm(min_value=0.5, max_value=1.0, rate=1.0, axis=0),
    constraints.MinMaxNorm(min_value=1.0, max_value=3.0, rate=0.3, axis=1),
    constraints.NonNeg(), constraints.UnitNorm(axis=0), constraints.UnitNorm(axis=[0, 2]),
]


def _ids(c):
    return f"{type(c).__name__}{c.get_config()}"


def _column_norms(w):
    return [float(np.sqrt(sum(v * v for v in w[:, j]))) for j in range(w.shape[1])]


def test_max_norm_by_hand(rng):
    w = rng.normal(size=(4, 5))
    got = constraints.MaxNorm(max_value=1.5)(w)
    for j, norm in enumerate(_column_norms(w)):
        np.testing.assert_allclose(got[:, j], w[:, j] * min(norm, 1.5) / (EPS + norm), rtol=1e-14)
    assert max(_column_norms(got)) <= 1.5


def test_min_max_norm_by_hand(rng):
    w = rng.normal(size=(4, 6)) * np.array([0.1, 0.3, 1.0, 2.0, 5.0, 0.7])
    rate = 0.3
    got = constraints.MinMaxNorm(min_value=0.5, max_value=1.0, rate=rate)(w)
    for j, norm in enumerate(_column_norms(w)):
        desired = rate * min(max(norm, 0.5), 1.0) + (1 - rate) * norm
        np.testing.assert_allclose(got[:, j], w[:, j] * desired / (EPS + norm), rtol=1e-14)
    strict = constraints.MinMaxNorm(min_value=0.5, max_value=1.0)(w)
    assert all(0.5 - 1e-6 <= n <= 1.0 for n in _column_norms(strict))


def test_unit_norm_and_non_neg_by_hand(rng):
    w = rng.normal(size=(3, 4))
    unit = constraints.UnitNorm()(w)
    for j, norm in enumerate(_column_norms(w)):
        np.testing.assert_allclose(unit[:, j], w[:, j] / (EPS + norm), rtol=1e-14)
    np.testing.assert_allclose(_column_norms(unit), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(w), np.where(w > 0, w, 0.0))


def test_rows_and_several_axes(rng):
    w = rng.normal(size=(3, 4, 5))
    got = constraints.UnitNorm(axis=[0, 2])(w)
    norms = np.sqrt(np.sum(got ** 2, axis=(0, 2)))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    rows = constraints.MaxNorm(max_value=0.5, axis=1)(rng.normal(size=(6, 3)))
    assert np.all(np.sqrt(np.sum(rows ** 2, axis=1)) <= 0.5)


def test_zero_vectors_stay_zero_and_finite():
    w = np.zeros((3, 2, 2))
    for constraint in CONSTRAINTS:
        out = constraint(w)
        assert np.all(np.isfinite(out)) and np.all(out == 0)


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=_ids)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_returns_a_new_array_of_the_same_dtype(constraint, dtype, rng):
    w = rng.normal(size=(3, 4, 2)).astype(dtype)
    before = w.copy()
    out = constraint(w)
    np.testing.assert_array_equal(w, before)
    assert out is not w and not np.shares_memory(out, w)
    assert out.dtype == w.dtype and out.shape == w.shape
    np.testing.assert_array_equal(constraints.Constraint()(w), w)
    assert constraints.Constraint()(w) is not w


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=_ids)
def test_config_round_trip(constraint, rng):
    config = constraint.get_config()
    serialized = constraints.serialize(constraint)
    assert serialized == {"class_name": type(constraint).__name__, "config": config}
    again = constraints.deserialize(json.loads(json.dumps(serialized)))
    assert type(again) is type(constraint)
    assert json.dumps(again.get_config()) == json.dumps(config)
    w = rng.normal(size=(3, 4, 2))
    np.testing.assert_array_equal(again(w), constraint(w))


@pytest.mark.parametrize("name, cls, config", [
    ("max_norm", "MaxNorm", {"max_value": 2, "axis": 0}),
    ("MaxNorm", "MaxNorm", {"max_value": 2, "axis": 0}),
    ("min_max_norm", "MinMaxNorm", {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
    ("non_neg", "NonNeg", {}), ("NonNeg", "NonNeg", {}),
    ("unit_norm", "UnitNorm", {"axis": 0}),
])
def test_lookup_by_keras_name(name, cls, config):
    constraint = constraints.get(name)
    assert type(constraint).__name__ == cls and constraint.get_config() == config


def test_get_accepts_none_classes_instances_and_callables():
    assert constraints.get(None) is None
    unit = constraints.UnitNorm()
    assert constraints.get(unit) is unit
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    clip = np.tanh
    assert constraints.get(clip) is clip
    with pytest.raises(ValueError, match="'max_nrm'.*max_norm"):
        constraints.get("max_nrm")
    with pytest.raises(TypeError):
        constraints.get(3.0)


@pytest.mark.parametrize("make", [
    lambda: constraints.MaxNorm(max_value=-1), lambda: constraints.MaxNorm(max_value=float("nan")),
    lambda: constraints.MaxNorm(axis=1.5), lambda: constraints.MinMaxNorm(min_value=2.0, max_value=1.0),
    lambda: constraints.MinMaxNorm(rate=1.5), lambda: constraints.MinMaxNorm(rate=-0.1),
    lambda: constraints.UnitNorm(axis="rows"),
])
def test_bad_arguments_are_refused(make):
    with pytest.raises(ValueError, match="Received"):
        make()


def test_epsilon_is_read_from_the_backend():
    w = np.array([[3.0], [4.0]])
    backend.set_epsilon(1.0)
    try:
        np.testing.assert_allclose(constraints.UnitNorm()(w), w / 6.0)
    finally:
        backend.set_epsilon(1e-7)
