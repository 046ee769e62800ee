"""Unit tests of layerkit's building blocks, each against an independent computation.

Activations, initializers, losses, optimizers, metrics, layers, the model summary
and Sequential's container API. Expected values are written out here (textbook
formulas in float64, hand-worked numbers, Keras 3's documented rules) rather
than taken from layerkit.
"""

import math
import re

import numpy as np
import pytest

import layerkit
from layerkit import activations, backend, initializers, layers, losses, metrics, optimizers
from layerkit.layers import Layer

# ============================================================== helpers


def numeric_grad(f, x, h=1e-6):
    """Central finite-difference gradient of the scalar function ``f`` at ``x`` (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * h)
    return grad


def sigmoid64(x):
    x = np.asarray(x, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-x))


# A grid of negative, zero and positive points (no overflow in float64).
GRID = np.array([-6.0, -2.5, -1.0, -0.3, 0.0, 0.2, 0.7, 1.0, 3.0, 6.0])
# The same without the kinks of relu & co (0, and the 0.5 / 2.5 used below), for derivatives.
SMOOTH_GRID = np.array([-4.0, -2.3, -1.1, -0.4, -0.05, 0.05, 0.3, 0.8, 1.7, 2.9, 4.2])

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ============================================================== activations

ELEMENTWISE = {
    "linear": lambda x: x,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "relu": lambda x: np.array([max(v, 0.0) for v in x]),
    "leaky_relu": lambda x: np.array([v if v > 0 else 0.2 * v for v in x]),
    "elu": lambda x: np.array([v if v > 0 else math.exp(v) - 1.0 for v in x]),
    "selu": lambda x: SELU_SCALE * np.array(
        [v if v > 0 else SELU_ALPHA * (math.exp(v) - 1.0) for v in x]),
    "softplus": lambda x: np.log(1.0 + np.exp(x)),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "swish": lambda x: x / (1.0 + np.exp(-x)),
    "exponential": lambda x: np.exp(x),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_values_match_textbook_formula(name):
    fn = activations.get(name)
    got = fn(GRID.copy())
    np.testing.assert_allclose(got, ELEMENTWISE[name](GRID), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_activation_backward_matches_finite_difference(name):
    fn = activations.get(name)
    x = SMOOTH_GRID.copy()
    upstream = np.linspace(0.5, 1.5, x.size)
    analytic = activations.backward_of(fn)(upstream, x, fn(x))
    numeric = numeric_grad(lambda z: np.sum(upstream * fn(z)), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_relu_keras_options_values():
    x = np.array([-3.0, -1.0, -0.2, 0.0, 0.3, 0.6, 1.5, 2.4, 2.6, 4.0])
    # Keras: f(x) = max_value for x >= max_value, x for threshold < x < max_value,
    # negative_slope * (x - threshold) otherwise.
    slope, top, thr = 0.1, 2.5, 0.5
    expected = []
    for v in x:
        if v >= top:
            expected.append(top)
        elif v > thr:
            expected.append(v)
        else:
            expected.append(slope * (v - thr))
    got = activations.relu(x, negative_slope=slope, max_value=top, threshold=thr)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)

    np.testing.assert_allclose(activations.relu(x, max_value=1.0),
                               [0, 0, 0, 0, 0.3, 0.6, 1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.5),
                               [-1.5, -0.5, -0.1, 0, 0.3, 0.6, 1.5, 2.4, 2.6, 4.0])
    np.testing.assert_allclose(activations.relu(x, threshold=1.0),
                               [0, 0, 0, 0, 0, 0, 1.5, 2.4, 2.6, 4.0])


def test_relu_options_backward_matches_finite_difference():
    kwargs = {"negative_slope": 0.1, "max_value": 2.5, "threshold": 0.5}
    x = SMOOTH_GRID.copy()
    upstream = np.linspace(-1.0, 2.0, x.size)
    analytic = activations.backward_of(activations.relu)(
        upstream, x, activations.relu(x, **kwargs), **kwargs)
    numeric = numeric_grad(lambda z: np.sum(upstream * activations.relu(z, **kwargs)), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_leaky_relu_default_slope_is_0_2_and_elu_alpha():
    x = np.array([-2.0, -0.5, 0.0, 1.5])
    np.testing.assert_allclose(activations.leaky_relu(x), [-0.4, -0.1, 0.0, 1.5])
    np.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.01),
                               [-0.02, -0.005, 0.0, 1.5])
    alpha = 0.7
    np.testing.assert_allclose(activations.elu(x, alpha=alpha),
                               [alpha * (math.exp(-2.0) - 1), alpha * (math.exp(-0.5) - 1),
                                0.0, 1.5], rtol=1e-12)
    upstream = np.ones(3)
    xs = np.array([-2.0, -0.5, 1.5])
    np.testing.assert_allclose(
        activations.backward_of(activations.elu)(upstream, xs, activations.elu(xs, alpha),
                                                 alpha=alpha),
        numeric_grad(lambda z: np.sum(activations.elu(z, alpha=alpha)), xs), rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_values_sum_to_one_along_axis(axis):
    x = np.linspace(-2.0, 3.0, 12).reshape(3, 4) * np.array([1.0, -1.0, 0.5, 2.0])
    got = activations.softmax(x, axis=axis)
    e = np.exp(x)
    np.testing.assert_allclose(got, e / e.sum(axis=axis, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(got.sum(axis=axis), 1.0, rtol=1e-12)
    assert np.all(got > 0)


def test_softmax_backward_is_jacobian_transpose_product():
    x = np.array([[0.3, -1.2, 2.0, 0.0], [1.0, 1.0, -0.5, 0.25]])
    s = activations.softmax(x)
    upstream = np.array([[0.5, -1.0, 2.0, 0.1], [1.0, 0.0, -3.0, 0.7]])
    got = activations.backward_of(activations.softmax)(upstream, x, s)
    for row in range(x.shape[0]):
        jacobian = np.diag(s[row]) - np.outer(s[row], s[row])   # d s_i / d x_j
        np.testing.assert_allclose(got[row], jacobian.T @ upstream[row], rtol=1e-10, atol=1e-12)
    numeric = numeric_grad(lambda z: np.sum(upstream * activations.softmax(z)), x)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)


def test_softmax_backward_along_axis_0_and_log_softmax_backward():
    x = np.array([[0.3, -1.2, 2.0], [1.0, 1.0, -0.5]])
    upstream = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -3.0]])
    got = activations.backward_of(activations.softmax)(
        upstream, x, activations.softmax(x, axis=0), axis=0)
    numeric = numeric_grad(lambda z: np.sum(upstream * activations.softmax(z, axis=0)), x)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)

    log_s = activations.log_softmax(x)
    np.testing.assert_allclose(log_s, np.log(np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
                               rtol=1e-12)
    got = activations.backward_of(activations.log_softmax)(upstream, x, log_s)
    numeric = numeric_grad(lambda z: np.sum(upstream * activations.log_softmax(z)), x)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)


def test_activations_get_by_name_none_and_callable():
    assert activations.get("relu") is activations.relu
    assert activations.get("sigmoid") is activations.sigmoid
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu

    def custom(x):
        return 3 * x

    assert activations.get(custom) is custom


def test_activations_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="nonexistent_act") as info:
        activations.get("nonexistent_act")
    message = str(info.value)
    for valid in ("relu", "sigmoid", "tanh", "softmax"):
        assert valid in message


def test_custom_activation_without_backward_is_a_type_error_in_dense():
    def cube(x):
        return x ** 3

    with pytest.raises(TypeError, match="backward"):
        layers.Dense(2, activation=cube)
    with pytest.raises(TypeError, match="backward"):
        layers.Activation(cube)


def test_custom_activation_with_backward_works_in_dense():
    def cube(x):
        return x ** 3

    cube.backward = lambda grad_output, x, y: grad_output * 3 * x ** 2
    layer = layers.Dense(2, activation=cube, kernel_initializer="ones", dtype="float64")
    out = layer(np.array([[1.0, 0.5]]))
    np.testing.assert_allclose(out, [[1.5 ** 3, 1.5 ** 3]])
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[2 * 3 * 1.5 ** 2] * 2])


# ============================================================== initializers

ALL_INITIALIZERS = [
    initializers.Zeros, initializers.Ones, initializers.Constant, initializers.RandomNormal,
    initializers.RandomUniform, initializers.TruncatedNormal, initializers.VarianceScaling,
    initializers.GlorotUniform, initializers.GlorotNormal, initializers.HeNormal,
    initializers.HeUniform, initializers.LecunNormal, initializers.LecunUniform,
]


@pytest.mark.parametrize("cls", ALL_INITIALIZERS, ids=lambda c: c.__name__)
def test_initializer_shape_and_dtype(cls):
    init = cls()
    out = init((5, 7))
    assert out.shape == (5, 7)
    assert out.dtype == np.float32
    out64 = init((3, 2, 4), dtype="float64")
    assert out64.shape == (3, 2, 4)
    assert out64.dtype == np.float64


@pytest.mark.usefixtures("float64")
def test_initializer_default_dtype_follows_floatx():
    assert initializers.GlorotUniform()((3, 4)).dtype == np.float64
    assert initializers.Zeros()((3,)).dtype == np.float64


def test_constant_zeros_ones_exact():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((4,)), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(0.25)((2, 2), "float64"),
                                  np.full((2, 2), 0.25))
    np.testing.assert_array_equal(initializers.Constant(-3)((3,)), [-3, -3, -3])


def test_random_normal_statistics():
    values = initializers.RandomNormal(mean=1.5, stddev=0.3, seed=11)((400, 500), "float64")
    assert abs(values.mean() - 1.5) < 0.003
    assert abs(values.std() - 0.3) / 0.3 < 0.01
    default = initializers.RandomNormal(seed=1)((200000,), "float64")
    assert abs(default.mean()) < 0.001
    assert abs(default.std() - 0.05) / 0.05 < 0.01


def test_random_uniform_statistics_and_bounds():
    values = initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=12)((200000,), "float64")
    assert values.min() >= -1.0 and values.max() < 3.0
    assert values.min() < -0.99 and values.max() > 2.99
    assert abs(values.mean() - 1.0) < 0.02
    assert abs(values.var() - 16.0 / 12.0) / (16.0 / 12.0) < 0.02
    default = initializers.RandomUniform(seed=1)((10000,))
    assert np.all(np.abs(default) <= 0.05)


def _truncated_std_factor(bound=2.0):
    """Std of a standard normal truncated to [-bound, bound], from the closed form."""
    pdf = math.exp(-bound * bound / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(bound / math.sqrt(2))
    return math.sqrt(1 - 2 * bound * pdf / mass)


def test_truncated_normal_statistics_and_bounds():
    mean, stddev = 0.5, 0.1
    values = initializers.TruncatedNormal(mean=mean, stddev=stddev, seed=13)((200000,), "float64")
    assert np.all(values >= mean - 2 * stddev - 1e-12)
    assert np.all(values <= mean + 2 * stddev + 1e-12)
    assert abs(values.mean() - mean) < 0.002
    expected_std = stddev * _truncated_std_factor()
    assert abs(expected_std / stddev - 0.87962566103423978) < 1e-9
    assert abs(values.std() - expected_std) / expected_std < 0.01


SHAPE = (400, 300)
FAN_IN, FAN_OUT = 400, 300
FAN_AVG = (FAN_IN + FAN_OUT) / 2


@pytest.mark.parametrize("mode,n", [("fan_in", FAN_IN), ("fan_out", FAN_OUT),
                                    ("fan_avg", FAN_AVG)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_variance(mode, n, distribution):
    scale = 2.0
    values = initializers.VarianceScaling(scale=scale, mode=mode, distribution=distribution,
                                          seed=21)(SHAPE, "float64")
    variance = scale / n
    assert abs(values.var() - variance) / variance < 0.03
    assert abs(values.mean()) < 0.01 * math.sqrt(variance) * 10
    if distribution == "uniform":
        assert np.all(np.abs(values) <= math.sqrt(3 * variance) + 1e-12)
    if distribution == "truncated_normal":
        assert np.all(np.abs(values) <= 2 * math.sqrt(variance) / 0.87962566103423978 + 1e-12)


@pytest.mark.parametrize("cls,variance,kind", [
    (initializers.GlorotUniform, 2.0 / (FAN_IN + FAN_OUT), "uniform"),
    (initializers.GlorotNormal, 2.0 / (FAN_IN + FAN_OUT), "truncated"),
    (initializers.HeNormal, 2.0 / FAN_IN, "truncated"),
    (initializers.HeUniform, 2.0 / FAN_IN, "uniform"),
    (initializers.LecunNormal, 1.0 / FAN_IN, "truncated"),
    (initializers.LecunUniform, 1.0 / FAN_IN, "uniform"),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_named_variance_scaling_presets(cls, variance, kind):
    values = cls(seed=5)(SHAPE, "float64")
    assert abs(values.var() - variance) / variance < 0.03
    if kind == "uniform":
        limit = math.sqrt(3 * variance)
        assert np.all(np.abs(values) <= limit + 1e-12)
        assert np.abs(values).max() > 0.99 * limit
    else:
        assert np.all(np.abs(values) <= 2 * math.sqrt(variance) / 0.87962566103423978 + 1e-12)


def test_compute_fans():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((12288, 20)) == (12288, 20)
    assert initializers.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert initializers.compute_fans((5, 4, 6)) == (20, 30)


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError):
        initializers.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError):
        initializers.VarianceScaling(distribution="cauchy")


@pytest.mark.parametrize("cls", [initializers.RandomNormal, initializers.RandomUniform,
                                 initializers.TruncatedNormal, initializers.VarianceScaling,
                                 initializers.GlorotUniform, initializers.HeNormal],
                         ids=lambda c: c.__name__)
def test_seeded_initializer_same_values_each_call(cls):
    init = cls(seed=42)
    first, second = init((6, 5)), init((6, 5))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, cls(seed=42)((6, 5)))
    assert not np.array_equal(first, cls(seed=43)((6, 5)))


@pytest.mark.parametrize("cls", [initializers.RandomNormal, initializers.GlorotUniform,
                                 initializers.HeNormal], ids=lambda c: c.__name__)
def test_unseeded_initializer_draws_from_layerkit_generator(cls):
    init = cls()
    layerkit.utils.set_random_seed(7)
    a1, b1 = init((4, 3)), init((4, 3))
    assert not np.array_equal(a1, b1)          # a new draw each call
    layerkit.utils.set_random_seed(7)
    a2, b2 = init((4, 3)), init((4, 3))
    np.testing.assert_array_equal(a1, a2)      # the sequence is reproducible
    np.testing.assert_array_equal(b1, b2)
    layerkit.utils.set_random_seed(8)
    assert not np.array_equal(a1, init((4, 3)))


def test_unseeded_dense_kernels_reproducible_with_set_random_seed():
    layerkit.utils.set_random_seed(3)
    first = layers.Dense(4)
    first(np.ones((1, 5)))
    layerkit.utils.set_random_seed(3)
    second = layers.Dense(4)
    second(np.ones((1, 5)))
    np.testing.assert_array_equal(first.kernel, second.kernel)


@pytest.mark.parametrize("identifier,cls", [
    ("glorot_uniform", initializers.GlorotUniform), ("GlorotUniform", initializers.GlorotUniform),
    ("he_normal", initializers.HeNormal), ("HeNormal", initializers.HeNormal),
    ("lecun_uniform", initializers.LecunUniform), ("zeros", initializers.Zeros),
    ("ones", initializers.Ones), ("Zeros", initializers.Zeros),
    ("random_normal", initializers.RandomNormal), ("truncated_normal", initializers.TruncatedNormal),
    ("variance_scaling", initializers.VarianceScaling), ("constant", initializers.Constant),
    (initializers.HeUniform, initializers.HeUniform),
])
def test_initializers_get_by_name_and_class(identifier, cls):
    got = initializers.get(identifier)
    assert type(got) is cls


def test_initializers_get_instance_dict_and_unknown():
    instance = initializers.Constant(2.0)
    assert initializers.get(instance) is instance
    got = initializers.get({"class_name": "Constant", "config": {"value": 3.5}})
    assert isinstance(got, initializers.Constant)
    np.testing.assert_array_equal(got((2,)), [3.5, 3.5])
    got = initializers.get({"class_name": "VarianceScaling",
                            "config": {"scale": 2.0, "mode": "fan_out", "seed": 4}})
    assert (got.scale, got.mode, got.seed) == (2.0, "fan_out", 4)
    with pytest.raises(ValueError, match="no_such_init"):
        initializers.get("no_such_init")


# ============================================================== losses


def test_mse_and_mae_hand_worked():
    y_true = np.array([[1.0, 2.0], [3.0, 4.0]])
    y_pred = np.array([[1.5, 1.5], [2.0, 6.0]])
    # per sample: mse (0.25 + 0.25) / 2 = 0.25, (1 + 4) / 2 = 2.5; mae 0.5, 1.5
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx((0.25 + 2.5) / 2)
    assert float(losses.MeanAbsoluteError()(y_true, y_pred)) == pytest.approx((0.5 + 1.5) / 2)
    # targets (N,) against a (N, 1) output
    assert float(losses.get("mse")(np.array([1.0, 2.0]), np.array([[1.0], [4.0]]))) == 2.0


def test_bce_hand_worked_with_clipping():
    eps = 1e-7
    y_true = np.array([[1.0, 0.0], [1.0, 0.0]])
    y_pred = np.array([[0.8, 0.4], [0.0, 1.0]])   # second row is clipped to [eps, 1 - eps]
    row0 = -(math.log(0.8) + math.log(1 - 0.4)) / 2
    row1 = -(math.log(eps) + math.log(1 - (1 - eps))) / 2
    loss = losses.BinaryCrossentropy()
    assert float(loss(y_true, y_pred)) == pytest.approx((row0 + row1) / 2, rel=1e-9)
    none = losses.BinaryCrossentropy(reduction="none")(y_true, y_pred)
    np.testing.assert_allclose(none, [row0, row1], rtol=1e-9)
    assert np.isfinite(row1) and row1 == pytest.approx(-math.log(eps), rel=1e-6)


def test_bce_from_logits_and_label_smoothing():
    y_true = np.array([[1.0, 0.0, 1.0]])
    z = np.array([[2.0, -1.0, 0.5]])

    def bce(y, p):
        return -(y * math.log(p) + (1 - y) * math.log(1 - p))

    p = [1 / (1 + math.exp(-v)) for v in z[0]]
    expected = sum(bce(y, q) for y, q in zip(y_true[0], p)) / 3
    assert float(losses.BinaryCrossentropy(from_logits=True)(y_true, z)) == pytest.approx(
        expected, rel=1e-12)
    smoothed = [y * 0.9 + 0.05 for y in y_true[0]]
    expected_s = sum(bce(y, q) for y, q in zip(smoothed, p)) / 3
    assert float(losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(
        y_true, z)) == pytest.approx(expected_s, rel=1e-12)
    probs = np.array([p])
    assert float(losses.BinaryCrossentropy(label_smoothing=0.1)(y_true, probs)) == pytest.approx(
        expected_s, rel=1e-9)
    # logits never overflow
    assert float(losses.BinaryCrossentropy(from_logits=True)(
        np.array([[0.0]]), np.array([[1000.0]]))) == pytest.approx(1000.0)


def test_categorical_crossentropy_normalises_and_clips():
    y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y_pred = np.array([[2.0, 1.0, 1.0],      # normalised: 0.5, 0.25, 0.25
                       [0.0, 3.0, 1.0]])     # p[0] = 0 -> clipped to eps
    row0 = -math.log(0.25)
    row1 = -math.log(1e-7)
    got = losses.CategoricalCrossentropy(reduction="none")(y_true, y_pred)
    np.testing.assert_allclose(got, [row0, row1], rtol=1e-9)
    assert float(losses.CategoricalCrossentropy()(y_true, y_pred)) == pytest.approx(
        (row0 + row1) / 2, rel=1e-9)


def test_categorical_crossentropy_from_logits_and_label_smoothing():
    y_true = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    z = np.array([[1.0, -0.5, 2.0], [0.0, 0.3, -1.0]])

    def log_softmax_row(row):
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        return [v - lse for v in row]

    expected = [-sum(y * lp for y, lp in zip(yr, log_softmax_row(zr)))
                for yr, zr in zip(y_true, z)]
    got = losses.CategoricalCrossentropy(from_logits=True, reduction="none")(y_true, z)
    np.testing.assert_allclose(got, expected, rtol=1e-12)

    s = 0.2
    smooth = y_true * (1 - s) + s / 3
    expected_s = [-sum(y * lp for y, lp in zip(yr, log_softmax_row(zr)))
                  for yr, zr in zip(smooth, z)]
    got = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=s)(y_true, z)
    assert float(got) == pytest.approx(sum(expected_s) / 2, rel=1e-12)


def test_sparse_categorical_crossentropy_and_ignore_class():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    labels = np.array([0, 2, 1])
    values = [-math.log(0.7), -math.log(0.8), -math.log(0.3)]
    loss = losses.SparseCategoricalCrossentropy()
    assert float(loss(labels, probs)) == pytest.approx(sum(values) / 3, rel=1e-9)
    assert float(loss(labels[:, None], probs)) == pytest.approx(sum(values) / 3, rel=1e-9)
    logits = np.log(probs) + 1.3
    assert float(losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, logits)) == pytest.approx(sum(values) / 3, rel=1e-9)

    with_ignored = np.array([0, -1, 1])     # the second sample is ignored
    kept = [values[0], values[2]]
    got = losses.SparseCategoricalCrossentropy(ignore_class=-1)(with_ignored, probs)
    assert float(got) == pytest.approx(sum(kept) / 2, rel=1e-6)
    got = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="sum")(
        with_ignored, probs)
    assert float(got) == pytest.approx(sum(kept), rel=1e-9)
    got = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")(
        with_ignored, probs)
    np.testing.assert_allclose(got, [values[0], 0.0, values[2]], rtol=1e-9)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "mean",
                                       "mean_with_sample_weight", "none"])
def test_sample_weight_reductions(reduction):
    y_true = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    y_pred = np.array([[1.0, 1.0], [1.0, 3.0], [0.0, 0.0]])
    per_sample = np.array([0.5, 2.0, 2.0])          # mean of squared errors per row
    w = np.array([2.0, 0.5, 0.0])
    expected = {
        "sum": float(np.sum(w * per_sample)),                       # 1 + 1 + 0 = 2
        "sum_over_batch_size": float(np.sum(w * per_sample) / 3),
        "mean": float(np.sum(w * per_sample) / 3),
        "mean_with_sample_weight": float(np.sum(w * per_sample) / np.sum(w)),
    }
    got = losses.MeanSquaredError(reduction=reduction)(y_true, y_pred, sample_weight=w)
    if reduction == "none":
        np.testing.assert_allclose(got, w * per_sample)
    else:
        assert float(got) == pytest.approx(expected[reduction], rel=1e-12)
    if reduction != "none":
        unweighted = losses.MeanSquaredError(reduction=reduction)(y_true, y_pred)
        divisor = 1 if reduction == "sum" else 3
        assert float(unweighted) == pytest.approx(per_sample.sum() / divisor)


LOSS_CASES = {
    "mse": (losses.MeanSquaredError(), "real"),
    "mae": (losses.MeanAbsoluteError(), "real"),
    "mse_sum_weighted": (losses.MeanSquaredError(reduction="sum"), "real_w"),
    "mae_mean_with_sample_weight": (losses.MeanAbsoluteError(
        reduction="mean_with_sample_weight"), "real_w"),
    "bce": (losses.BinaryCrossentropy(), "prob"),
    "bce_smooth_weighted": (losses.BinaryCrossentropy(label_smoothing=0.2), "prob_w"),
    "bce_logits": (losses.BinaryCrossentropy(from_logits=True), "logit"),
    "bce_logits_smooth": (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                          "logit_w"),
    "cce": (losses.CategoricalCrossentropy(), "cat_prob"),
    "cce_unnormalised_smooth": (losses.CategoricalCrossentropy(label_smoothing=0.1),
                                "cat_unnorm"),
    "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), "cat_logit"),
    "cce_logits_weighted": (losses.CategoricalCrossentropy(
        from_logits=True, reduction="mean_with_sample_weight"), "cat_logit_w"),
    "scce": (losses.SparseCategoricalCrossentropy(), "sparse_prob"),
    "scce_logits": (losses.SparseCategoricalCrossentropy(from_logits=True), "sparse_logit"),
    "scce_ignore": (losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
                    "sparse_ignore"),
}


def _loss_data(kind):
    rng = np.random.default_rng(5)
    n, d = 4, 3
    weight = np.array([1.0, 0.5, 2.0, 0.0]) if kind.endswith("_w") else None
    kind = kind.removesuffix("_w")
    if kind == "real":
        return rng.normal(size=(n, d)), rng.normal(size=(n, d)), weight
    if kind == "prob":
        return (rng.integers(0, 2, size=(n, d)).astype(float),
                rng.uniform(0.05, 0.95, size=(n, d)), weight)
    if kind == "logit":
        return rng.uniform(0, 1, size=(n, d)), rng.normal(scale=2, size=(n, d)), weight
    onehot = np.eye(d)[[0, 2, 1, 2]]
    if kind == "cat_prob":
        p = rng.uniform(0.1, 1.0, size=(n, d))
        return onehot, p / p.sum(-1, keepdims=True), weight
    if kind == "cat_unnorm":
        return onehot, rng.uniform(0.5, 3.0, size=(n, d)), weight
    if kind == "cat_logit":
        return onehot, rng.normal(size=(n, d)), weight
    labels = np.array([0, 2, 1, 2])
    if kind == "sparse_prob":
        p = rng.uniform(0.1, 1.0, size=(n, d))
        return labels, p / p.sum(-1, keepdims=True), weight
    if kind == "sparse_logit":
        return labels, rng.normal(size=(n, d)), weight
    if kind == "sparse_ignore":
        return np.array([0, -1, 1, 2]), rng.normal(size=(n, d)), weight
    raise AssertionError(kind)


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_gradient_matches_finite_difference(case):
    loss, kind = LOSS_CASES[case]
    y_true, y_pred, weight = _loss_data(kind)
    analytic = loss.gradient(y_true, y_pred, sample_weight=weight)
    assert analytic.shape == y_pred.shape
    numeric = numeric_grad(lambda p: loss(y_true, p, sample_weight=weight), y_pred)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weight)
    assert float(value) == pytest.approx(float(loss(y_true, y_pred, sample_weight=weight)))
    np.testing.assert_allclose(grad, analytic)


@pytest.mark.parametrize("name,cls", [
    ("mse", losses.MeanSquaredError), ("mean_squared_error", losses.MeanSquaredError),
    ("mae", losses.MeanAbsoluteError), ("mean_absolute_error", losses.MeanAbsoluteError),
    ("binary_crossentropy", losses.BinaryCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("BinaryCrossentropy", losses.BinaryCrossentropy),
])
def test_loss_names_resolve(name, cls):
    assert type(losses.get(name)) is cls


def test_losses_get_class_instance_and_unknown():
    assert type(losses.get(losses.MeanAbsoluteError)) is losses.MeanAbsoluteError
    instance = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(instance) is instance
    with pytest.raises(ValueError, match="no_such_loss") as info:
        losses.get("no_such_loss")
    assert "MeanSquaredError" in str(info.value) or "mse" in str(info.value)
    with pytest.raises(ValueError):
        losses.MeanSquaredError(reduction="average")


# ============================================================== optimizers


def _w():
    return np.array([1.0, -2.0, 0.5])


G1 = np.array([0.5, 1.0, -2.0])
G2 = np.array([-0.3, 0.2, 1.0])


def test_sgd_plain_step():
    w = _w()
    opt = optimizers.SGD(learning_rate=0.1)
    opt.apply([G1], [w])
    np.testing.assert_allclose(w, [1.0 - 0.05, -2.0 - 0.1, 0.5 + 0.2])
    assert opt.iterations == 1


def test_sgd_momentum_two_steps():
    lr, m = 0.1, 0.9
    w = _w()
    opt = optimizers.SGD(learning_rate=lr, momentum=m)
    opt.apply([G1], [w])
    v1 = -lr * G1
    w1 = _w() + v1
    np.testing.assert_allclose(w, w1)
    opt.apply([G2], [w])
    v2 = m * v1 - lr * G2
    np.testing.assert_allclose(w, w1 + v2)
    assert opt.iterations == 2


def test_sgd_nesterov_two_steps():
    lr, m = 0.1, 0.9
    w = _w()
    opt = optimizers.SGD(learning_rate=lr, momentum=m, nesterov=True)
    opt.apply([G1], [w])
    v1 = -lr * G1
    w1 = _w() + m * v1 - lr * G1
    np.testing.assert_allclose(w, w1)
    opt.apply([G2], [w])
    v2 = m * v1 - lr * G2
    np.testing.assert_allclose(w, w1 + m * v2 - lr * G2)


def test_sgd_weight_decay():
    lr, wd = 0.1, 0.05
    w = _w()
    optimizers.SGD(learning_rate=lr, weight_decay=wd).apply([G1], [w])
    w0 = _w()
    np.testing.assert_allclose(w, w0 - lr * wd * w0 - lr * G1)


def test_clipvalue():
    w = _w()
    optimizers.SGD(learning_rate=1.0, clipvalue=0.6).apply([G1], [w])
    np.testing.assert_allclose(w, _w() - np.array([0.5, 0.6, -0.6]))


def test_clipnorm_is_per_gradient():
    a, b = np.zeros(2), np.zeros(3)
    ga, gb = np.array([3.0, 4.0]), np.array([0.1, 0.2, 0.2])   # norms 5 and 0.3
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply([ga, gb], [a, b])
    np.testing.assert_allclose(a, -np.array([0.6, 0.8]))
    np.testing.assert_allclose(b, -gb)


def test_global_clipnorm():
    a, b = np.zeros(2), np.zeros(1)
    ga, gb = np.array([3.0, 4.0]), np.array([12.0])   # global norm 13
    optimizers.SGD(learning_rate=1.0, global_clipnorm=2.6).apply([ga, gb], [a, b])
    np.testing.assert_allclose(a, -ga * 0.2)
    np.testing.assert_allclose(b, -gb * 0.2)
    c = np.zeros(2)
    optimizers.SGD(learning_rate=1.0, global_clipnorm=100.0).apply([ga], [c])
    np.testing.assert_allclose(c, -ga)


def _adam_reference(grads, lr, b1, b2, eps, amsgrad=False):
    w, m, v, vhat = _w(), np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        denom_v = v
        if amsgrad:
            vhat = np.maximum(vhat, v)
            denom_v = vhat
        w = w - alpha * m / (np.sqrt(denom_v) + eps)
    return w


def test_adam_two_steps():
    w = _w()
    opt = optimizers.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3)
    opt.apply([G1], [w])
    np.testing.assert_allclose(w, _adam_reference([G1], 0.01, 0.8, 0.95, 1e-3), rtol=1e-12)
    opt.apply([G2], [w])
    np.testing.assert_allclose(w, _adam_reference([G1, G2], 0.01, 0.8, 0.95, 1e-3), rtol=1e-12)
    assert opt.iterations == 2


def test_adam_first_step_hand_computed():
    # t = 1: m = 0.1 g, v = 0.001 g², alpha = lr sqrt(0.001) / 0.1: step = lr g / (|g| + eps')
    w = np.array([1.0])
    optimizers.Adam(learning_rate=0.1, epsilon=0.0).apply([np.array([2.0])], [w])
    np.testing.assert_allclose(w, [0.9], rtol=1e-12)


def test_adam_amsgrad():
    big, small = np.array([4.0, -3.0, 2.0]), np.array([0.1, 0.1, -0.1])
    grads = [big, small, small]
    w = _w()
    opt = optimizers.Adam(learning_rate=0.05, beta_2=0.5, amsgrad=True)
    for g in grads:
        opt.apply([g], [w])
    expected = _adam_reference(grads, 0.05, 0.9, 0.5, 1e-7, amsgrad=True)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    plain = _adam_reference(grads, 0.05, 0.9, 0.5, 1e-7, amsgrad=False)
    assert not np.allclose(expected, plain)


def test_updates_are_in_place():
    for opt in (optimizers.SGD(0.1), optimizers.SGD(0.1, momentum=0.5), optimizers.Adam(),
                optimizers.SGD(0.1, weight_decay=0.1), optimizers.Adam(amsgrad=True)):
        w = _w()
        opt.apply([G1], [w])
        assert not np.array_equal(w, _w())       # the caller's array itself was updated
    layer = layers.Dense(2)
    layer(np.ones((1, 3)))
    kernel, bias = layer.kernel, layer.bias
    kernel_before = kernel.copy()
    optimizers.Adam().apply_gradients(zip([np.ones((3, 2)), np.ones(2)], layer.weights))
    assert layer.kernel is kernel and layer.bias is bias
    assert layer.weights[0] is kernel
    assert not np.array_equal(kernel, kernel_before)
    np.testing.assert_allclose(bias, -0.001 * np.ones(2), rtol=1e-5)


def test_schedule_learning_rate():
    def schedule(step):
        return 0.1 / (1 + step)

    w = _w()
    opt = optimizers.SGD(learning_rate=schedule)
    opt.apply([G1], [w])
    opt.apply([G2], [w])
    np.testing.assert_allclose(w, _w() - 0.1 * G1 - 0.05 * G2)
    assert opt.iterations == 2


def test_optimizer_argument_errors():
    with pytest.raises(ValueError):
        optimizers.SGD(learning_rate=-0.1)
    with pytest.raises(ValueError):
        optimizers.Adam(learning_rate=-1e-3)
    with pytest.raises(ValueError):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError):
        optimizers.SGD(momentum=-0.1)
    with pytest.raises(ValueError):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError):
        optimizers.get("no_such_optimizer")
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)


# ============================================================== metrics


def test_binary_accuracy_threshold_and_accumulation():
    m = metrics.BinaryAccuracy()
    m.update_state(np.array([[1], [0]]), np.array([[0.7], [0.2]]))           # 2/2
    m.update_state(np.array([[1], [0], [1], [0]]), np.array([[0.4], [0.6], [0.9], [0.1]]))  # 2/4
    assert float(m.result()) == pytest.approx(4 / 6)
    m.reset_state()
    assert float(m.result()) == 0.0
    m2 = metrics.BinaryAccuracy(threshold=0.3)
    m2.update_state(np.array([1, 0, 1]), np.array([[0.35], [0.25], [0.1]]))
    assert float(m2.result()) == pytest.approx(2 / 3)


def test_categorical_and_sparse_accuracy_accumulate():
    cat = metrics.CategoricalAccuracy()
    cat.update_state(np.eye(3)[[0, 1]], np.array([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1]]))  # 1/2
    cat.update_state(np.eye(3)[[2, 2, 0]], np.array([[0, 0, 1.0], [0, 1.0, 0], [1.0, 0, 0]]))
    assert float(cat.result()) == pytest.approx(3 / 5)

    sparse = metrics.SparseCategoricalAccuracy()
    sparse.update_state(np.array([0, 1]), np.array([[0.6, 0.4], [0.7, 0.3]]))        # 1/2
    sparse.update_state(np.array([[1], [1], [0], [0]]),
                        np.array([[0.1, 0.9], [0.2, 0.8], [0.9, 0.1], [0.3, 0.7]]))  # 3/4
    assert float(sparse.result()) == pytest.approx(4 / 6)
    sparse.reset_state()
    sparse.update_state(np.array([1]), np.array([[0.1, 0.9]]))
    assert float(sparse.result()) == 1.0


def test_mae_mse_metrics_accumulate_over_batches():
    mae, mse = metrics.MeanAbsoluteError(), metrics.MeanSquaredError()
    batches = [
        (np.array([[0.0, 0.0]]), np.array([[1.0, -3.0]])),                     # 2 ; 5
        (np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]]),
         np.array([[1.0, 2.0], [2.0, 2.0], [4.0, 0.0]])),                      # .5 0 2 ; .5 0 8
    ]
    for y, p in batches:
        mae.update_state(y, p)
        mse.update_state(y, p)
    assert float(mae.result()) == pytest.approx((2 + 0.5 + 0 + 2) / 4)
    assert float(mse.result()) == pytest.approx((5 + 0.5 + 0 + 8) / 4)
    assert mae.name == "mean_absolute_error" and mse.name == "mean_squared_error"
    mae.reset_state()
    mae.update_state(*batches[0])
    assert float(mae.result()) == 2.0


def test_mae_mse_metrics_accumulate_sample_weighted():
    mae, mse = metrics.MeanAbsoluteError(), metrics.MeanSquaredError()
    y, p = np.array([[0.0], [1.0], [3.0]]), np.array([[1.0], [1.0], [1.0]])   # errors 1, 0, 2
    weights = np.array([2.0, 1.0, 0.5])
    mae.update_state(y[:2], p[:2], sample_weight=weights[:2])
    mae.update_state(y[2:], p[2:], sample_weight=weights[2:])
    mse.update_state(y, p, sample_weight=weights)
    assert float(mae.result()) == pytest.approx((2 * 1 + 1 * 0 + 0.5 * 2) / 3.5)
    assert float(mse.result()) == pytest.approx((2 * 1 + 1 * 0 + 0.5 * 4) / 3.5)


def test_weighted_metrics_use_the_sample_weights_and_metrics_do_not(float64):
    from layerkit import Input, Sequential

    model = Sequential([Input((1,)), layers.Dense(1, kernel_initializer="ones",
                                                  bias_initializer="zeros")])
    model.compile(loss="mae", metrics=["mae"], weighted_metrics=["mae"])
    x, y = np.array([[0.0], [1.0], [3.0]]), np.array([[1.0], [1.0], [1.0]])  # |err| 1, 0, 2
    weights = np.array([2.0, 1.0, 0.5])
    logs = model.evaluate(x, y, sample_weight=weights, batch_size=2, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx(1.0)                                 # (1 + 0 + 2) / 3
    assert logs["weighted_mae"] == pytest.approx((2 * 1 + 0 + 0.5 * 2) / 3.5)
    assert logs["loss"] == pytest.approx((2 * 1 + 0 + 0.5 * 2) / 3, rel=1e-12)  # per batch mean


@pytest.mark.parametrize("y_shape,pred_shape,cls", [
    ((8,), (8, 1), metrics.BinaryAccuracy),
    ((8, 1), (8, 1), metrics.BinaryAccuracy),
    ((8,), (8, 3), metrics.SparseCategoricalAccuracy),
    ((8, 1), (8, 3), metrics.SparseCategoricalAccuracy),
    ((8, 3), (8, 3), metrics.CategoricalAccuracy),
    ((8, 5, 1), (8, 5, 4), metrics.SparseCategoricalAccuracy),
    ((8, 5), (8, 5, 4), metrics.SparseCategoricalAccuracy),
    ((8, 5, 4), (8, 5, 4), metrics.CategoricalAccuracy),
])
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_resolution_like_keras(y_shape, pred_shape, cls, name):
    # Keras 3 compile_utils.get_metric: binary if y_pred's last dim is 1; else sparse if
    # y_true has lower rank, or y_true's last dim is 1 (and y_pred's is > 1); else categorical.
    metric = metrics.get(name, y_shape, pred_shape)
    assert type(metric) is cls
    assert metric.name == name


def test_metrics_get_names_and_instances():
    m = metrics.get("mae")
    assert isinstance(m, metrics.MeanAbsoluteError) and m.name == "mae"
    m = metrics.get("mean_squared_error")
    assert isinstance(m, metrics.MeanSquaredError) and m.name == "mean_squared_error"
    instance = metrics.BinaryAccuracy(threshold=0.2)
    assert metrics.get(instance) is instance
    with pytest.raises(ValueError, match="no_such_metric"):
        metrics.get("no_such_metric")


# ============================================================== layers


def test_dense_caches_and_computes():
    layer = layers.Dense(4, activation="tanh", dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 3))
    out = layer(x)
    kernel, bias = layer.kernel, layer.bias
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    assert layer.weights[0] is kernel and layer.weights[1] is bias
    z = np.einsum("nf,fu->nu", x, kernel) + bias[None, :]
    np.testing.assert_allclose(layer.X, x)
    np.testing.assert_allclose(layer.Z, z, rtol=1e-12)
    np.testing.assert_allclose(layer.A, np.tanh(z), rtol=1e-12)
    np.testing.assert_allclose(out, np.tanh(z), rtol=1e-12)
    assert layer.count_params() == 3 * 4 + 4


def test_dense_without_bias_and_backward_gradients():
    layer = layers.Dense(2, use_bias=False, dtype="float64")
    x = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    layer(x)
    assert len(layer.weights) == 1 and layer.weight_names == ["kernel"]
    assert layer.use_bias is False and not hasattr(layer, "bias")
    upstream = np.array([[1.0, -1.0], [2.0, 0.5]])
    dx = layer.backward(upstream)
    np.testing.assert_allclose(layer.grads["kernel"], x.T @ upstream)
    np.testing.assert_allclose(dx, upstream @ layer.kernel.T)
    assert "bias" not in layer.grads


def test_dense_on_rank3_input():
    layer = layers.Dense(5, activation="sigmoid", dtype="float64")
    x = np.random.default_rng(1).normal(size=(2, 4, 3))
    out = layer(x)
    assert out.shape == (2, 4, 5)
    assert layer.kernel.shape == (3, 5)
    z = np.einsum("ntf,fu->ntu", x, layer.kernel) + layer.bias
    np.testing.assert_allclose(out, sigmoid64(z), rtol=1e-12)
    upstream = np.random.default_rng(2).normal(size=out.shape)
    dx = layer.backward(upstream)
    dz = upstream * sigmoid64(z) * (1 - sigmoid64(z))
    np.testing.assert_allclose(dx, np.einsum("ntu,fu->ntf", dz, layer.kernel), rtol=1e-10)
    np.testing.assert_allclose(layer.grads["kernel"], np.einsum("ntf,ntu->fu", x, dz),
                               rtol=1e-10)
    np.testing.assert_allclose(layer.grads["bias"], dz.sum(axis=(0, 1)), rtol=1e-10)


def test_activation_layer_caches_z_and_a():
    layer = layers.Activation("relu")
    z = np.array([[-1.0, 2.0, 0.5]], dtype=np.float32)
    out = layer(z)
    np.testing.assert_array_equal(layer.Z, z)
    np.testing.assert_array_equal(layer.A, [[0.0, 2.0, 0.5]])
    np.testing.assert_array_equal(out, layer.A)
    np.testing.assert_array_equal(layer.backward(np.ones_like(z)), [[0.0, 1.0, 1.0]])
    assert layer.weights == []


def test_flatten_shape_and_backward_reshape():
    layer = layers.Flatten()
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    out = layer(x)
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 60)
    grad = np.arange(120, dtype=np.float32).reshape(2, 60)
    back = layer.backward(grad)
    assert back.shape == x.shape
    np.testing.assert_array_equal(back, grad.reshape(2, 3, 4, 5))


def test_layer_called_on_array_builds_it():
    layer = layers.Dense(3)
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 7)))
    assert layer.built
    assert out.shape == (2, 3)
    assert layer.input_shape == (None, 7) and layer.output_shape == (None, 3)
    assert layer.kernel.dtype == np.float32


def test_layer_names_auto_increment_and_clear_session():
    assert [layers.Dense(1).name, layers.Dense(1).name, layers.Dense(1).name] == [
        "dense", "dense_1", "dense_2"]
    assert layers.Activation("relu").name == "activation"
    assert layers.Flatten().name == "flatten"
    assert layers.Dense(1, name="custom").name == "custom"
    backend.clear_session()
    assert layers.Dense(1).name == "dense"
    assert layers.Activation("relu").name == "activation"


def test_backward_never_changes_weights():
    model = layerkit.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                                 layers.Dense(2, activation="softmax")])
    before = model.get_weights()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    model.forward(x, training=True)
    model.backward(np.ones((5, 2), dtype=np.float32))
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert model.layers[0].grads["kernel"].shape == (3, 4)


class Scale(Layer):
    """The example of the Layer docstring: one trainable scalar."""

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(), initializer="ones", name="alpha")

    def forward(self, x, training=False):
        self.X = x
        return self.alpha * x

    def backward(self, grad_output):
        self.grads["alpha"] = np.sum(grad_output * self.X)
        return grad_output * self.alpha


def test_custom_layer_subclass_trains_in_sequential_fit():
    layer = Scale()
    assert layer.name == "scale"
    out = layer(np.ones((2, 3)))
    assert out.shape == (2, 3)
    assert layer.weights[0].shape == ()

    model = layerkit.Sequential([layers.Input((3,)), Scale()])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    model.fit(x, 2.5 * x, epochs=30, batch_size=16, verbose=0)
    assert float(model.layers[0].alpha) == pytest.approx(2.5, abs=1e-3)
    assert model.count_params() == 1


# ============================================================== summary


def _summary(model, **kwargs):
    captured = []
    model.summary(print_fn=captured.append, **kwargs)
    assert len(captured) == 1
    return captured[0]


def _table_lines(text):
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│├└"]


def test_summary_table():
    model = layerkit.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                                 layers.Dense(300), layers.Dense(1)])
    text = _summary(model)
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    lines = text.splitlines()
    rows = {name: next(line for line in lines if name in line)
            for name in ("dense (Dense)", "dense_1 (Dense)", "dense_2 (Dense)")}
    assert "(None, 8)" in rows["dense (Dense)"]
    assert re.search(r"\b40\b", rows["dense (Dense)"])
    assert "(None, 300)" in rows["dense_1 (Dense)"]
    assert "2,700" in rows["dense_1 (Dense)"]            # 8 * 300 + 300
    assert "(None, 1)" in rows["dense_2 (Dense)"]
    assert re.search(r"\b301\b", rows["dense_2 (Dense)"])
    total = re.search(r"Total params: ([\d,]+)", text)
    assert total is not None
    assert int(total.group(1).replace(",", "")) == model.count_params() == 40 + 2700 + 301
    assert "Trainable params: 3,041" in text
    assert "Non-trainable params: 0" in text


@pytest.mark.parametrize("line_length", [60, 100, 120])
def test_summary_line_length_sets_width(line_length):
    # Keras: line_length is the "total length of printed lines".
    model = layerkit.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dense(1)])
    text = _summary(model, line_length=line_length)
    widths = {len(line) for line in _table_lines(text)}
    assert widths == {line_length}


def test_summary_line_length_changes_width():
    model = layerkit.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dense(1)])
    narrow = max(len(line) for line in _table_lines(_summary(model, line_length=60)))
    wide = max(len(line) for line in _table_lines(_summary(model, line_length=120)))
    assert wide - narrow == 60


def test_summary_show_trainable_column():
    model = layerkit.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dense(1)])
    model.layers[1].trainable = False
    plain = _summary(model)
    text = _summary(model, show_trainable=True)
    assert "Trainable" not in _table_lines(plain)[1]
    header = _table_lines(text)[1]
    assert "Trainable" in header
    rows = [line for line in text.splitlines() if "(Dense)" in line]
    assert rows[0].rstrip("│ ").endswith("Y")
    assert rows[1].rstrip("│ ").endswith("N")
    assert "Non-trainable params: 9" in text


def test_summary_unbuilt_model_shows_question_mark():
    model = layerkit.Sequential([layers.Dense(3), layers.Dense(1)])
    text = _summary(model)
    row = next(line for line in text.splitlines() if "dense (Dense)" in line)
    assert "?" in row
    assert "Total params: 0" in text


# ============================================================== Sequential


def test_sequential_add_pop_and_layers_exclude_input():
    model = layerkit.Sequential([layers.Input((4,))])
    assert model.layers == []
    d1 = layers.Dense(3)
    model.add(d1)
    model.add(layers.Dense(2, name="out"))
    assert [layer.name for layer in model.layers] == ["dense", "out"]
    assert not any(isinstance(layer, layers.InputLayer) for layer in model.layers)
    assert model.built and model.output_shape == (None, 2)
    popped = model.pop()
    assert popped.name == "out"
    assert model.layers == [d1]
    assert model.output_shape == (None, 3)
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)
    with pytest.raises(TypeError):
        model.add("not a layer")


def test_sequential_get_layer():
    model = layerkit.Sequential([layers.Input((4,)), layers.Dense(3, name="a"),
                                 layers.Activation("relu", name="b"), layers.Dense(1, name="c")])
    assert model.get_layer("b") is model.layers[1]
    assert model.get_layer(index=0).name == "a"
    assert model.get_layer(index=-1).name == "c"
    with pytest.raises(ValueError, match="nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError):
        model.get_layer(index=3)


def test_sequential_duplicate_names_error():
    with pytest.raises(ValueError, match="twin"):
        layerkit.Sequential([layers.Dense(2, name="twin"), layers.Dense(2, name="twin")])
    model = layerkit.Sequential([layers.Input((2,)), layers.Dense(2, name="twin")])
    with pytest.raises(ValueError, match="twin"):
        model.add(layers.Dense(2, name="twin"))


def test_sequential_callable_equals_predict():
    model = layerkit.Sequential([layers.Input((5,)), layers.Dense(7, activation="relu"),
                                 layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(3).normal(size=(10, 5)).astype(np.float32)
    np.testing.assert_allclose(model(x), model.predict(x, verbose=0), rtol=1e-6)
    # an unbuilt model builds on its first call
    lazy = layerkit.Sequential([layers.Dense(2)])
    out = lazy(x)
    assert out.shape == (10, 2) and lazy.built


def test_sequential_weights_round_trip_and_count_params():
    model = layerkit.Sequential([layers.Input((5,)), layers.Dense(4), layers.Dense(2,
                                                                                   use_bias=False)])
    assert model.count_params() == 5 * 4 + 4 + 4 * 2
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(5, 4), (4,), (4, 2)]
    rng = np.random.default_rng(4)
    new = [rng.normal(size=s).astype(np.float32) for s in shapes]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    copies = model.get_weights()
    copies[0][...] = 0
    assert not np.all(model.layers[0].kernel == 0)      # get_weights returns copies
    x = rng.normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               (x @ new[0] + new[1]) @ new[2], rtol=1e-5)
    with pytest.raises(ValueError):
        model.set_weights(new[:2])
    with pytest.raises(ValueError):
        model.set_weights([new[0], new[1], np.zeros((2, 4))])
