"""Every activation: values against a formula written here, backward against finite differences.

Each case below pairs an activation (a name's function, or a ``functools.partial``
with Keras's arguments) with a float64 reference written independently of
layerkit (``math`` per element, or another algorithm, as for sparsemax) and the
points where it has a kink. The tests check the values, the backward pass
against central differences (relative error < 1e-6) at random points away from
the kinks and at |x| in [20, 1000], finiteness and silence at ±1000 in float32 and
float64, dtypes, and that the caller's arrays are never modified. The peer module
``test_math_keras.py`` compares the same functions with Keras.
"""

import contextlib
import functools
import math
import warnings

import numpy as np
import pytest

from layerkit import activations, backend

P = functools.partial
SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. (2017)
SELU_SCALE = 1.0507009873554804934193349852946


def elementwise(fn):
    """A float64 reference from a scalar function of Python floats."""
    return np.vectorize(fn, otypes=[np.float64])


def relu_reference(v, slope=0.0, top=None, thr=0.0):
    base = v if v > thr else 0.0
    if top is not None:
        base = min(max(base, 0.0), top)
    return base - slope * max(thr - v, 0.0)


def along(axis, fn):
    """A reference applied to each 1-D slice along ``axis``."""
    return lambda x: np.apply_along_axis(fn, axis, x)


def softmax_reference(row):
    e = np.array([math.exp(v) for v in row])
    return e / e.sum()


def sparsemax_reference(row):
    """The projection onto the simplex by bisection on τ: Σ max(row - τ, 0) = 1."""
    low, high = min(row) - 1.0, max(row)
    for _ in range(200):
        tau = (low + high) / 2
        low, high = (tau, high) if np.maximum(row - tau, 0).sum() > 1 else (low, tau)
    return np.maximum(row - (low + high) / 2, 0)


def sparsemax_tau(row):
    return row[np.argmax(row)] - sparsemax_reference(row)[np.argmax(row)]


def glu_reference(row):
    a, b = row[: len(row) // 2], row[len(row) // 2:]
    return np.array([u / (1 + math.exp(-v)) for u, v in zip(a, b)])


# name: (activation, float64 reference, kinks of the elementwise ones)
CASES = {
    "linear": (activations.linear, elementwise(lambda v: v), []),
    "relu": (activations.relu, elementwise(relu_reference), [0.0]),
    "relu(slope,max,thr)": (P(activations.relu, negative_slope=0.1, max_value=2.5, threshold=0.5),
                            elementwise(lambda v: relu_reference(v, 0.1, 2.5, 0.5)), [0.5, 2.5]),
    "relu(slope,max,thr<0)": (P(activations.relu, negative_slope=0.2, max_value=0.4, threshold=-0.1),
                              elementwise(lambda v: relu_reference(v, 0.2, 0.4, -0.1)),
                              [-0.1, 0.0, 0.4]),
    "relu(max=6)": (P(activations.relu, max_value=6.0), elementwise(lambda v: min(max(v, 0.0), 6.0)),
                    [0.0, 6.0]),
    "leaky_relu": (activations.leaky_relu, elementwise(lambda v: v if v > 0 else 0.2 * v), [0.0]),
    "leaky_relu(0.05)": (P(activations.leaky_relu, negative_slope=0.05),
                         elementwise(lambda v: v if v > 0 else 0.05 * v), [0.0]),
    "relu6": (activations.relu6, elementwise(lambda v: min(max(v, 0.0), 6.0)), [0.0, 6.0]),
    "threshold(1,-3)": (P(activations.threshold, threshold=1.0, default_value=-3.0),
                        elementwise(lambda v: v if v > 1.0 else -3.0), [1.0]),
    "elu": (activations.elu, elementwise(lambda v: v if v > 0 else math.exp(v) - 1), [0.0]),
    "elu(0.5)": (P(activations.elu, alpha=0.5),
                 elementwise(lambda v: v if v > 0 else 0.5 * (math.exp(v) - 1)), [0.0]),
    "selu": (activations.selu, elementwise(
        lambda v: SELU_SCALE * (v if v > 0 else SELU_ALPHA * (math.exp(v) - 1))), [0.0]),
    "celu": (activations.celu, elementwise(lambda v: v if v > 0 else math.exp(v) - 1), [0.0]),
    "celu(2)": (P(activations.celu, alpha=2.0),
                elementwise(lambda v: v if v > 0 else 2.0 * (math.exp(v / 2.0) - 1)), [0.0]),
    "exponential": (activations.exponential, elementwise(math.exp), []),
    "sigmoid": (activations.sigmoid, elementwise(lambda v: 1 / (1 + math.exp(-v))), []),
    "log_sigmoid": (activations.log_sigmoid, elementwise(lambda v: -math.log1p(math.exp(-v))), []),
    "hard_sigmoid": (activations.hard_sigmoid, elementwise(lambda v: min(max(v + 3, 0.0), 6.0) / 6),
                     [-3.0, 3.0]),
    "sparse_sigmoid": (activations.sparse_sigmoid,
                       elementwise(lambda v: 0.0 if v <= -1 else 1.0 if v >= 1 else (v + 1) / 2),
                       [-1.0, 1.0]),
    "tanh": (activations.tanh, elementwise(math.tanh), []),
    "hard_tanh": (activations.hard_tanh, elementwise(lambda v: min(max(v, -1.0), 1.0)), [-1.0, 1.0]),
    "softsign": (activations.softsign, elementwise(lambda v: v / (1 + abs(v))), [0.0]),
    "softplus": (activations.softplus, elementwise(lambda v: math.log1p(math.exp(v))), []),
    "sparse_plus": (activations.sparse_plus,
                    elementwise(lambda v: 0.0 if v <= -1 else v if v >= 1 else (v + 1) ** 2 / 4),
                    [-1.0, 1.0]),
    "squareplus": (activations.squareplus, elementwise(lambda v: (v + math.sqrt(v * v + 4)) / 2), []),
    "squareplus(b=0.5)": (P(activations.squareplus, b=0.5),
                          elementwise(lambda v: (v + math.sqrt(v * v + 0.5)) / 2), []),
    "silu": (activations.silu, elementwise(lambda v: v / (1 + math.exp(-v))), []),
    "swish": (activations.swish, elementwise(lambda v: v / (1 + math.exp(-v))), []),
    "hard_silu": (activations.hard_silu, elementwise(lambda v: v * min(max(v + 3, 0.0), 6.0) / 6),
                  [-3.0, 3.0]),
    "hard_swish": (activations.hard_swish, elementwise(lambda v: v * min(max(v + 3, 0.0), 6.0) / 6),
                   [-3.0, 3.0]),
    "gelu": (activations.gelu, elementwise(lambda v: v * (1 + math.erf(v / math.sqrt(2))) / 2), []),
    "gelu(approximate)": (P(activations.gelu, approximate=True), elementwise(
        lambda v: v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3))) / 2), []),
    "mish": (activations.mish, elementwise(lambda v: v * math.tanh(math.log1p(math.exp(v)))), []),
    "tanh_shrink": (activations.tanh_shrink, elementwise(lambda v: v - math.tanh(v)), []),
    "soft_shrink": (activations.soft_shrink, elementwise(
        lambda v: v - 0.5 if v > 0.5 else v + 0.5 if v < -0.5 else 0.0), [-0.5, 0.5]),
    "soft_shrink(1)": (P(activations.soft_shrink, threshold=1.0), elementwise(
        lambda v: v - 1.0 if v > 1.0 else v + 1.0 if v < -1.0 else 0.0), [-1.0, 1.0]),
    "hard_shrink": (activations.hard_shrink, elementwise(lambda v: v if abs(v) > 0.5 else 0.0),
                    [-0.5, 0.5]),
    "hard_shrink(0.2)": (P(activations.hard_shrink, threshold=0.2),
                         elementwise(lambda v: v if abs(v) > 0.2 else 0.0), [-0.2, 0.2]),
    "softmax": (activations.softmax, along(-1, softmax_reference), []),
    "softmax(axis=0)": (P(activations.softmax, axis=0), along(0, softmax_reference), []),
    "log_softmax": (activations.log_softmax, along(-1, lambda r: np.log(softmax_reference(r))), []),
    "log_softmax(axis=0)": (P(activations.log_softmax, axis=0),
                            along(0, lambda r: np.log(softmax_reference(r))), []),
    "sparsemax": (activations.sparsemax, along(-1, sparsemax_reference), []),
    "sparsemax(axis=0)": (P(activations.sparsemax, axis=0), along(0, sparsemax_reference), []),
    "glu": (activations.glu, along(-1, glu_reference), []),
    "glu(axis=0)": (P(activations.glu, axis=0), along(0, glu_reference), []),
}
NOT_FINITE_AT_1000 = {"exponential"}  # e^1000 overflows, as it must
MARGIN = 1e-3  # distance kept from every kink in the finite-difference checks


def _function_name(act):
    return (act.func if isinstance(act, functools.partial) else act).__name__


def _axis(act):
    return act.keywords.get("axis", -1) if isinstance(act, functools.partial) else -1


def _away_from_kinks(name, x, rng):
    """Redraw the entries of ``x`` within MARGIN of a kink (for sparsemax: of its τ)."""
    act, _, kinks = CASES[name]
    for _ in range(100):
        if _function_name(act) == "sparsemax":
            axis = _axis(act)
            tau = np.apply_along_axis(sparsemax_tau, axis, x)
            near = np.abs(x - np.expand_dims(tau, axis)) < MARGIN
        else:
            near = np.zeros(x.shape, dtype=bool)
            for kink in kinks:
                near |= np.abs(x - kink) < MARGIN
        if not near.any():
            return x
        x = np.where(near, rng.normal(size=x.shape) * 2.5, x)
    raise AssertionError(f"{name}: could not draw points away from the kinks")


def _central_differences(f, x, g, h):
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += h
        plus = np.sum(g * f(shifted))
        shifted[index] -= 2 * h
        minus = np.sum(g * f(shifted))
        numeric[index] = (plus - minus) / (2 * h)
    return numeric


def _relative_error(a, b):
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


@contextlib.contextmanager
def silent_numpy():
    """Any warning is an error; overflow, divide-by-zero and invalid raise (underflow may happen)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _report_worst():
    yield
    if WORST:
        name = max(WORST, key=WORST.get)
        print(f"\n[test_activations] worst finite-difference error {WORST[name]:.2e} ({name})")


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_the_reference_formula(name, rng):
    act, reference, _ = CASES[name]
    x = rng.normal(size=(4, 6)) * 2.5
    np.testing.assert_allclose(act(x), reference(x), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(CASES))
def test_backward_matches_central_differences_away_from_kinks(name, rng):
    act, _, _ = CASES[name]
    x = _away_from_kinks(name, rng.normal(size=(4, 6)) * 2.5, rng)
    y = act(x)
    g = rng.normal(size=y.shape)
    with silent_numpy():
        analytic = activations.backward_of(act)(g, x, y)
    assert analytic.shape == x.shape
    numeric = _central_differences(act, x, g, h=1e-6)
    error = _relative_error(analytic, numeric)
    WORST[f"{name} (random)"] = error
    assert error < 1e-6, f"{name}: relative error {error:.2e}"


@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_FINITE_AT_1000))
def test_backward_matches_central_differences_at_large_inputs(name, rng):
    act, _, _ = CASES[name]
    x = rng.choice([-1.0, 1.0], size=(4, 6)) * rng.uniform(20, 1000, size=(4, 6))
    y = act(x)
    g = rng.normal(size=y.shape)
    with silent_numpy():
        analytic = activations.backward_of(act)(g, x, y)
        numeric = _central_differences(act, x, g, h=1e-4)
    WORST[f"{name} (large)"] = _relative_error(analytic, numeric)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_FINITE_AT_1000))
def test_finite_and_silent_at_1000_keeping_the_dtype(name, dtype):
    act, _, _ = CASES[name]
    x = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0, -999.0]] * 2, dtype=dtype)
    with silent_numpy():
        y = act(x)
        dx = activations.backward_of(act)(np.ones_like(y), x, y)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    assert y.dtype == x.dtype and dx.dtype == x.dtype
    assert dx.shape == x.shape


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_in_float32_out_and_inputs_untouched(name, rng):
    act, reference, _ = CASES[name]
    x = (rng.normal(size=(4, 6)) * 2.5).astype("float32")
    x_before = x.copy()
    y = act(x)
    g = np.ones_like(y)
    dx = activations.backward_of(act)(g, x, y)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(g, np.ones_like(y))
    assert y.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_allclose(y, reference(x.astype(np.float64)), rtol=1e-5, atol=1e-5)


def test_names_hold_every_keras_activation_and_alias():
    keras_names = {"celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid",
                   "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid",
                   "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink",
                   "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax",
                   "squareplus", "swish", "tanh", "tanh_shrink", "threshold"}
    assert set(activations.names()) == keras_names
    assert activations.names() == sorted(activations.names())
    covered = {_function_name(act) for act, _, _ in CASES.values()}
    assert {activations.get(n).__name__ for n in keras_names} <= covered


@pytest.mark.parametrize("name", activations.names())
def test_every_name_round_trips_through_serialize(name):
    fn = activations.get(name)
    canonical = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert activations.serialize(fn) == canonical
    assert activations.deserialize(activations.serialize(fn)) is fn
    assert callable(activations.backward_of(fn))


@pytest.mark.parametrize("partial", [
    P(activations.gelu, approximate=True), P(activations.squareplus, b=1.5),
    P(activations.threshold, threshold=0.5, default_value=-1.0), P(activations.celu, alpha=0.5),
    P(activations.soft_shrink, threshold=0.25), P(activations.sparsemax, axis=0),
    P(activations.glu, axis=0),
], ids=lambda p: p.func.__name__)
def test_partials_round_trip_and_pass_their_arguments_to_backward(partial, rng):
    config = activations.serialize(partial)
    assert config == {"class_name": partial.func.__name__, "config": dict(partial.keywords)}
    restored = activations.deserialize(config)
    x = rng.normal(size=(4, 6))
    np.testing.assert_array_equal(restored(x), partial(x))
    g = rng.normal(size=partial(x).shape)
    np.testing.assert_array_equal(activations.backward_of(restored)(g, x, restored(x)),
                                  activations.backward_of(partial)(g, x, partial(x)))


def test_sparsemax_is_a_projection_onto_the_simplex(rng):
    x = rng.normal(size=(50, 7)) * 3
    y = activations.sparsemax(x)
    assert np.all(y >= 0)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert np.any(y == 0)  # it is sparse
    ties = activations.sparsemax(np.array([[2.0, 2.0, -5.0]]))
    np.testing.assert_allclose(ties, [[0.5, 0.5, 0.0]])


def test_glu_halves_the_axis_and_its_backward_restores_it(rng):
    x = rng.normal(size=(3, 8))
    y = activations.glu(x)
    assert y.shape == (3, 4)
    assert activations.backward_of(activations.glu)(np.ones((3, 4)), x, y).shape == (3, 8)
    with pytest.raises(ValueError, match="divisible by 2"):
        activations.glu(np.ones((2, 5)))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="b=-1"):
        activations.squareplus(np.ones(2), b=-1)
    with pytest.raises(TypeError):
        activations.threshold(np.ones(2))  # Keras's signature: both arguments are required
    with pytest.raises(ValueError, match="no_such_activation"):
        activations.get("no_such_activation")


def test_gelu_exact_and_approximate_agree_closely(rng):
    x = rng.normal(size=1000) * 3
    exact, approximate = activations.gelu(x), activations.gelu(x, approximate=True)
    assert np.max(np.abs(exact - approximate)) < 1e-3
    assert not np.array_equal(exact, approximate)


def test_old_import_paths_still_work():
    from layerkit.activations import (  # noqa: F401
        elu,
        leaky_relu,
        linear,
        log_softmax,
        relu,
        selu,
        sigmoid,
        silu,
        softmax,
        tanh,
    )

    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_fast_relu_is_bit_for_bit_numpys_maximum(dtype):
    """backend.positive_part (the ReLU's fast path) and the ReLU's float-mask backward give
    exactly what np.maximum(x, 0) and grad * (x > 0) give, special values included."""
    info = np.finfo(dtype)
    special = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, info.tiny, -info.tiny,
                        info.max, info.min, 1.0, -1.0], dtype)
    rng = np.random.default_rng(0)
    for x in (special, rng.normal(size=(7, 5)).astype(dtype), rng.normal(size=(3, 4, 2)).astype(dtype),
              special.reshape(1, -1)):
        assert backend.positive_part(x).tobytes() == np.maximum(x, 0).tobytes()
        assert activations.relu(x).tobytes() == np.maximum(x, 0).tobytes()
        grad = rng.normal(size=x.shape).astype(dtype)
        grad.flat[0] = np.inf
        with np.errstate(invalid="ignore"):  # inf * 0 is NaN in both
            expected = grad * (x > 0)
            got = activations.get("relu").backward(grad, x, activations.relu(x))
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)  # NaN where the other has NaN


def test_the_fast_relu_returns_a_new_array_whatever_the_shapes_before():
    """Its zeros, kept per shape, are never handed out or changed: each result is a new array."""
    rng = np.random.default_rng(1)
    for rows in list(range(1, 20)) + [3, 1]:  # more shapes than are kept, then old ones again
        x = rng.normal(size=(rows, 3))
        y = backend.positive_part(x)
        assert y.flags.writeable and not np.shares_memory(y, x)
        y[...] = 7.0  # writing into a result changes nothing the next call sees
        assert backend.positive_part(-np.abs(x)).tobytes() == np.zeros_like(x).tobytes()
