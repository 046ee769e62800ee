"""Every regularizer: the penalty by hand, its gradient against finite differences, configs, names."""

import itertools
import json
import math

import numpy as np
import pytest

from layerkit import backend, regularizers

REGULARIZERS = [
    regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(l1=0.05, l2=0.4),
    regularizers.OrthogonalRegularizer(factor=0.7, mode="rows"),
    regularizers.OrthogonalRegularizer(factor=0.7, mode="columns"),
]


def _ids(r):
    return f"{type(r).__name__}({getattr(r, 'mode', '')})"


def _orthogonal_by_hand(x, factor, mode):
    """Mean |cos| between distinct rows (or columns), pair by pair."""
    vectors = list(x) if mode == "rows" else list(x.T)
    cosines = [abs(np.dot(u, v)) / (np.linalg.norm(u) * np.linalg.norm(v))
               for u, v in itertools.combinations(vectors, 2)]
    return factor * sum(cosines) / len(cosines)


def test_penalties_by_hand(rng):
    x = rng.normal(size=(5, 4))
    assert regularizers.L1(0.3)(x) == pytest.approx(0.3 * sum(abs(v) for v in x.ravel()), rel=1e-14)
    assert regularizers.L2(0.2)(x) == pytest.approx(0.2 * sum(v * v for v in x.ravel()), rel=1e-14)
    assert regularizers.L1L2(l1=0.05, l2=0.4)(x) == pytest.approx(
        0.05 * np.abs(x).sum() + 0.4 * np.square(x).sum(), rel=1e-14)
    for mode in ("rows", "columns"):
        got = regularizers.OrthogonalRegularizer(factor=0.7, mode=mode)(x)
        assert got == pytest.approx(_orthogonal_by_hand(x, 0.7, mode), rel=1e-12)


def test_orthogonal_penalty_is_zero_for_orthogonal_rows():
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(6, 6)))
    assert regularizers.OrthogonalRegularizer(factor=1.0)(q[:4] * 3.0) == pytest.approx(0.0, abs=1e-12)
    assert regularizers.OrthogonalRegularizer(factor=1.0)(np.ones((1, 5))) == 0.0  # no pairs


def _central_differences(penalty, x, h=1e-6):
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += h
        plus = penalty(shifted)
        shifted[index] -= 2 * h
        numeric[index] = (plus - penalty(shifted)) / (2 * h)
    return numeric


def _relative_error(a, b):
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _report_worst():
    yield
    if WORST:
        name = max(WORST, key=WORST.get)
        print(f"\n[test_regularizers] worst finite-difference error {WORST[name]:.2e} ({name})")


@pytest.mark.parametrize("regularizer", REGULARIZERS, ids=_ids)
@pytest.mark.parametrize("shape", [(5, 4), (3, 7)])
def test_gradient_matches_central_differences(regularizer, shape, rng):
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink of |x| at 0
    grad = regularizer.gradient(x)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    error = _relative_error(grad, _central_differences(regularizer, x))
    WORST[f"{_ids(regularizer)}{shape}"] = error
    assert error < 1e-6


def test_l1_subgradient_at_zero_is_zero():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(regularizers.L1(0.5).gradient(x), [-0.5, 0.0, 0.5])
    np.testing.assert_array_equal(regularizers.L1L2(l1=0.5, l2=1.0).gradient(x), [-4.5, 0.0, 6.5])


def test_orthogonal_gradient_for_a_row_shorter_than_epsilon(rng):
    """Below ε Keras's normalisation is the linear map x / ε, and so is the gradient's."""
    x = rng.normal(size=(4, 3))
    x[1] *= 1e-9
    regularizer = regularizers.OrthogonalRegularizer(factor=1.0)
    grad = regularizer.gradient(x)
    numeric = _central_differences(regularizer, x, h=1e-12)
    np.testing.assert_allclose(grad[1], numeric[1], rtol=1e-4)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("regularizer", REGULARIZERS, ids=_ids)
def test_float32_weights_and_inputs_untouched(regularizer, rng):
    x = rng.normal(size=(4, 3)).astype("float32")
    before = x.copy()
    assert type(regularizer(x)) is float
    assert regularizer.gradient(x).dtype == np.float32
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("regularizer", REGULARIZERS, ids=_ids)
def test_config_round_trip(regularizer, rng):
    config = regularizer.get_config()
    json.dumps(config)
    serialized = regularizers.serialize(regularizer)
    assert serialized == {"class_name": type(regularizer).__name__, "config": config}
    again = regularizers.deserialize(json.loads(json.dumps(serialized)))
    assert type(again) is type(regularizer) and again.get_config() == config
    x = rng.normal(size=(4, 3))
    assert again(x) == regularizer(x)
    assert regularizers.get(serialized).get_config() == config


@pytest.mark.parametrize("name, expected", [
    ("l1", {"l1": 0.01}), ("L1", {"l1": 0.01}), ("l2", {"l2": 0.01}), ("L2", {"l2": 0.01}),
    ("l1l2", {"l1": 0.0, "l2": 0.0}), ("L1L2", {"l1": 0.0, "l2": 0.0}),
    ("l1_l2", {"l1": 0.01, "l2": 0.01}),
    ("orthogonal_regularizer", {"factor": 0.01, "mode": "rows"}),
    ("OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"}),
])
def test_lookup_by_keras_name(name, expected):
    assert regularizers.get(name).get_config() == expected


def test_get_accepts_none_classes_and_instances_and_refuses_the_rest():
    assert regularizers.get(None) is None
    l2 = regularizers.L2(0.5)
    assert regularizers.get(l2) is l2
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    with pytest.raises(ValueError, match="'l3'.*orthogonal_regularizer"):
        regularizers.get("l3")
    with pytest.raises(TypeError, match="gradient"):
        regularizers.get(lambda w: float(np.sum(w ** 2)))


def test_none_means_keras_defaults():
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L2(None).l2 == 0.01
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("make", [
    lambda: regularizers.L1(-0.1), lambda: regularizers.L2(float("nan")),
    lambda: regularizers.L2(math.inf), lambda: regularizers.L1L2(l1=-1.0),
    lambda: regularizers.L1L2(l2="0.1"), lambda: regularizers.OrthogonalRegularizer(factor=-0.5),
    lambda: regularizers.OrthogonalRegularizer(mode="diagonal"),
])
def test_bad_arguments_are_refused(make):
    with pytest.raises(ValueError, match="Received"):
        make()


def test_orthogonal_regularizer_needs_a_matrix():
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones(4))


def test_epsilon_is_read_from_the_backend():
    x = np.array([[1e-5, 0.0], [0.0, 1.0], [1.0, 1.0]])
    regularizer = regularizers.OrthogonalRegularizer(factor=1.0)
    before = regularizer(x)
    backend.set_epsilon(1e-3)
    try:
        assert regularizer(x) != before  # the first row is now shorter than ε
    finally:
        backend.set_epsilon(1e-7)
