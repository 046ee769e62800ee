"""Numerical stability at extreme logits, and the fused output gradient (A - Y) / N.

For logits of +-1000 (and mixes such as [-1000, 0, 1000]), in float32 and in
float64, these tests show that sigmoid, softmax, log_softmax, softplus (and the
other activations, exponential excepted) and the binary / categorical / sparse
cross-entropies, from logits and through the fused sigmoid/softmax output of a
model, give finite values equal to the exact ones and finite gradients, with no
NumPy warning. "No warning" means: every warning is an error and NumPy's
overflow, divide-by-zero and invalid-operation checks raise; underflow (e.g.
exp(-1000) -> 0, the correct result) is left at NumPy's default, ignored.

They also show that with a sigmoid (softmax) output and BCE (CE) the gradient at
Z is (A - Y) / N, both from ``loss.logits_value_and_gradient`` and through a
model's ``compute_gradients``, against values computed independently here.
"""

import contextlib
import functools
import warnings

import numpy as np
import pytest

from layerkit import Sequential, activations, backend, losses
from layerkit.layers import Dense, Input

DTYPES = ["float32", "float64"]
BCE, CE = losses.BinaryCrossentropy, losses.CategoricalCrossentropy
SCE = losses.SparseCategoricalCrossentropy
LOG2, LOG3 = np.log(2.0), np.log(3.0)


@contextlib.contextmanager
def silent_numpy():
    """Any warning is an error; NumPy overflow, divide and invalid raise (underflow: default)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def _tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-14}


def _assert_finite(*arrays):
    for array in arrays:
        assert np.all(np.isfinite(array)), array


# ---------------------------------------------------------------------------- activations
X_EXTREME = np.array([[-1000.0, 0.0, 1000.0],
                      [1000.0, 1000.0, -1000.0],
                      [-1000.0, -1000.0, -1000.0]])


def _expected_activation(name):
    """Exact values of the activation at X_EXTREME, and its derivative's action on g."""
    x = X_EXTREME
    step = np.where(x > 0, 1.0, np.where(x < 0, 0.0, 0.5))      # sigmoid(+-1000) is 0 or 1
    if name == "sigmoid":
        return step, lambda g: g * step * (1 - step)
    if name == "softplus":
        return np.where(x > 0, x, np.where(x < 0, 0.0, LOG2)), lambda g: g * step
    softmax = np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    if name == "softmax":
        return softmax, lambda g: softmax * (g - (g * softmax).sum(axis=1, keepdims=True))
    log_softmax = np.array([[-2000.0, -1000.0, 0.0],
                            [-LOG2, -LOG2, -2000.0 - LOG2],
                            [-LOG3, -LOG3, -LOG3]])
    return log_softmax, lambda g: g - softmax * g.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "softplus", "softmax", "log_softmax"])
def test_stable_activations_at_extreme_logits(name, dtype):
    f = activations.get(name)
    x = X_EXTREME.astype(dtype)
    g = np.random.default_rng(0).normal(size=x.shape).astype(dtype)
    expected, expected_backward = _expected_activation(name)
    with silent_numpy():
        y = f(x)
        dx = activations.backward_of(f)(g, x, y)
    _assert_finite(y, dx)
    assert y.dtype == x.dtype and dx.dtype == x.dtype
    np.testing.assert_allclose(y, expected, **_tol(dtype))
    np.testing.assert_allclose(dx, expected_backward(g.astype(np.float64)), **_tol(dtype))


EVERY_ACTIVATION = [n for n in activations.names() if n not in ("exponential", "glu", "threshold")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", EVERY_ACTIVATION)
def test_every_activation_is_finite_and_silent_at_1000(name, dtype):
    """exponential is left out: e^1000 overflows, as its docstring says it must."""
    f = activations.get(name)
    x = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]], dtype=dtype)
    with silent_numpy():
        y = f(x)
        dx = activations.backward_of(f)(np.ones_like(x), x, y)
    _assert_finite(y, dx)


# ---------------------------------------------------------------------------- losses from logits
def _log_sigmoid(z):
    """log(sigmoid(z)) for any z, written as -softplus(-z)."""
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


Z_BINARY = np.array([[1000.0, -1000.0, 0.0],
                     [1000.0, 1000.0, -1000.0],
                     [-1000.0, 0.0, 1000.0],
                     [0.0, -1000.0, -1000.0]])
Y_BINARY = np.array([[0.0, 0.0, 1.0],
                     [1.0, 0.0, 1.0],
                     [0.0, 1.0, 0.0],
                     [1.0, 1.0, 0.0]])
Z_CLASSES = np.array([[-1000.0, 0.0, 1000.0],
                      [1000.0, -1000.0, 0.0],
                      [1000.0, 1000.0, -1000.0],
                      [-1000.0, -1000.0, -1000.0]])
LABELS = np.array([0, 2, 1, 2])


def _expected_bce(y, z, smoothing=0.0):
    y = y * (1 - smoothing) + smoothing / 2
    n, d = z.shape
    values = -(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z)).mean(axis=1)
    return values.mean(), (_sigmoid(z) - y) / (n * d)


def _expected_ce(y, z, smoothing=0.0):
    y = y * (1 - smoothing) + smoothing / z.shape[1]
    values = -(y * _log_softmax(z)).sum(axis=1)
    return values.mean(), (_softmax(z) - y) / z.shape[0]


LOGIT_CASES = {
    "bce": (lambda: BCE(from_logits=True), Y_BINARY, Z_BINARY, _expected_bce),
    "bce_smoothing": (lambda: BCE(from_logits=True, label_smoothing=0.1), Y_BINARY, Z_BINARY,
                      functools.partial(_expected_bce, smoothing=0.1)),
    "ce": (lambda: CE(from_logits=True), np.eye(3)[LABELS], Z_CLASSES, _expected_ce),
    "ce_smoothing": (lambda: CE(from_logits=True, label_smoothing=0.2), np.eye(3)[LABELS],
                     Z_CLASSES, functools.partial(_expected_ce, smoothing=0.2)),
    "sparse_ce": (lambda: SCE(from_logits=True), LABELS, Z_CLASSES,
                  lambda y, z: _expected_ce(np.eye(3)[y], z)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(LOGIT_CASES))
def test_losses_from_logits_at_extreme_logits(name, dtype):
    make_loss, y, z, expected = LOGIT_CASES[name]
    loss = make_loss()
    z = z.astype(dtype)
    expected_value, expected_grad = expected(y, z.astype(np.float64))
    with silent_numpy():
        value = loss(y, z)
        value2, grad = loss.value_and_gradient(y, z)
    _assert_finite(value, value2, grad)
    assert grad.dtype == z.dtype
    assert value == value2
    np.testing.assert_allclose(value, expected_value, rtol=1e-6 if dtype == "float32" else 1e-12)
    np.testing.assert_allclose(grad, expected_grad, **_tol(dtype))


def test_extreme_logit_loss_values_are_the_exact_ones():
    """Spelled out: BCE(y=0, z=1000) = 1000 and CE([-1000, 0, 1000], class 0) = 2000."""
    with silent_numpy():
        assert float(BCE(from_logits=True)(np.array([[0.0]]), np.array([[1000.0]]))) == 1000.0
        assert float(BCE(from_logits=True)(np.array([[1.0]]), np.array([[-1000.0]]))) == 1000.0
        assert float(BCE(from_logits=True)(np.array([[1.0]]), np.array([[1000.0]]))) == 0.0
        z = np.array([[-1000.0, 0.0, 1000.0]])
        assert float(CE(from_logits=True)(np.array([[1.0, 0.0, 0.0]]), z)) == 2000.0
        assert float(SCE(from_logits=True)(np.array([1]), z)) == 1000.0
        assert float(SCE(from_logits=True)(np.array([2]), z)) == 0.0


PROBABILITY_CASES = {
    "bce": (BCE, np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 1.0], [0.0, 0.0]])),
    "ce": (CE, np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
           np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])),
    "sparse_ce": (SCE, np.array([0, 2]), np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(PROBABILITY_CASES))
def test_probability_losses_at_exact_zero_and_one_are_clipped(name, dtype):
    """Saturated probabilities (sigmoid/softmax of +-1000) stay finite through the clipping."""
    loss_cls, y, p = PROBABILITY_CASES[name]
    p = p.astype(dtype)
    with silent_numpy():
        value, grad = loss_cls().value_and_gradient(y, p)
    _assert_finite(value, grad)
    eps = backend.epsilon()
    clipped = np.clip(p, np.array(eps, dtype), np.array(1 - eps, dtype)).astype(np.float64)
    if name == "bce":
        expected = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)).mean()
    else:
        onehot = y if name == "ce" else np.eye(3)[y]
        expected = -(onehot * np.log(clipped)).sum(axis=1).mean()
    assert expected > 8       # each batch holds a confidently wrong prediction
    np.testing.assert_allclose(value, expected, rtol=1e-6)


# ---------------------------------------------------------------------------- models at Z = +-1000
X_MODEL = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.0], [0.0, 0.0]])


def _extreme_model(kind, fused, dtype):
    """A one-Dense model whose Z is +-1000, 0 or a mix, with targets and its loss."""
    backend.set_floatx(dtype)
    if kind == "bce":
        units, activation, loss = 1, activations.sigmoid, BCE()
        kernel, bias = np.array([[1000.0], [-1000.0]]), np.array([0.0])
        y = np.array([[0.0], [0.0], [1.0], [1.0], [1.0]])
    else:
        units, activation = 3, activations.softmax
        loss = CE() if kind == "ce" else SCE()
        kernel = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, -1000.0]])
        bias = np.array([0.0, 0.0, 1000.0])
        y = np.array([1, 0, 2, 1, 2])
        y = np.eye(3)[y] if kind == "ce" else y
    if not fused:
        activation = functools.partial(activation)
    model = Sequential([Input((2,)), Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    model.set_weights([kernel, bias])
    return model, y, kernel, bias


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["bce", "ce", "sparse_ce"])
def test_fused_model_at_extreme_logits(kind, dtype):
    model, y, kernel, bias = _extreme_model(kind, True, dtype)
    x = X_MODEL.astype(dtype)
    z = X_MODEL @ kernel + bias
    assert np.abs(z).max() == 1000.0 and (z == 0).any()
    if kind == "bce":
        a = _sigmoid(z)
        value, grad_z = _expected_bce(y, z)
    else:
        a = _softmax(z)
        onehot = y if kind == "ce" else np.eye(3)[y]
        value, grad_z = _expected_ce(onehot, z)
        np.testing.assert_allclose(grad_z, (a - onehot) / len(x))
    with silent_numpy():
        loss = model.test_on_batch(x, y)
        grads, input_grad = model.compute_gradients(x, y, wrt_inputs=True)
        model.train_on_batch(x, y)
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, value, rtol=1e-6)
    _assert_finite(input_grad, *grads, *model.get_weights())
    assert not model.stop_training
    assert [g.dtype for g in grads] == [np.dtype(dtype)] * 2
    np.testing.assert_allclose(grads[0], X_MODEL.T @ grad_z, **_tol(dtype))
    np.testing.assert_allclose(grads[1], grad_z.sum(axis=0), **_tol(dtype))
    tol = _tol(dtype)      # dX = dZ Wᵀ sums terms of size |W| = 1000: scale atol with it
    np.testing.assert_allclose(input_grad, grad_z @ kernel.T, rtol=tol["rtol"],
                               atol=tol["atol"] * 1000)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["bce", "ce", "sparse_ce"])
def test_unfused_model_at_extreme_logits_stays_finite(kind, dtype):
    """The same saturated outputs through the probability path: clipped, finite, silent."""
    model, y, _, _ = _extreme_model(kind, False, dtype)
    x = X_MODEL.astype(dtype)
    with silent_numpy():
        loss = model.test_on_batch(x, y)
        grads, input_grad = model.compute_gradients(x, y, wrt_inputs=True)
        model.train_on_batch(x, y)
    assert np.isfinite(loss) and loss > 0
    _assert_finite(input_grad, *grads, *model.get_weights())
    assert not model.stop_training


# ---------------------------------------------------------------------------- (A - Y) / N
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["bce_1", "bce_3", "ce", "sparse_ce"])
def test_fused_gradient_at_z_is_a_minus_y_over_n(kind, dtype, weighted):
    rng = np.random.default_rng(7)
    n = 6
    units = 3 if kind != "bce_1" else 1
    z64 = rng.normal(size=(n, units)) * 2
    z64[0] = 1000.0 * np.sign(rng.normal(size=units))       # one saturated row
    w = rng.uniform(0.2, 2.0, size=n) if weighted else np.ones(n)
    if kind.startswith("bce"):
        loss = BCE()
        a64 = _sigmoid(z64)
        y = rng.integers(0, 2, size=(n, units)).astype(float)
        onehot = y
        expected = (a64 - y) * w[:, None] / (n * units)        # the mean over D units too
    else:
        loss = CE() if kind == "ce" else SCE()
        a64 = _softmax(z64)
        labels = rng.integers(0, units, size=n)
        onehot = np.eye(units)[labels]
        y = onehot if kind == "ce" else labels
        expected = (a64 - onehot) * w[:, None] / n
    z, a = z64.astype(dtype), a64.astype(dtype)
    assert loss.fuses_with(activations.sigmoid if kind.startswith("bce") else activations.softmax)
    with silent_numpy():
        value, grad = loss.logits_value_and_gradient(y, z, a, w if weighted else None)
    _assert_finite(value, grad)
    assert grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(grad, expected, **_tol(dtype))
    if kind.startswith("bce"):
        per_sample = -(onehot * _log_sigmoid(z64) + (1 - onehot) * _log_sigmoid(-z64)).mean(1)
    else:
        per_sample = -(onehot * _log_softmax(z64)).sum(axis=1)
    np.testing.assert_allclose(value, (w * per_sample).sum() / n,
                               rtol=1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("kind", ["bce", "ce", "sparse_ce"])
def test_fused_gradient_equals_the_chain_rule_through_the_activation(kind):
    """Away from saturation, (A - Y)/N is dL/dA (the probability path) times dA/dZ."""
    rng = np.random.default_rng(8)
    z = rng.normal(size=(5, 3))
    if kind == "bce":
        loss, a = BCE(), _sigmoid(z)
        y = rng.integers(0, 2, size=z.shape).astype(float)
        chained = loss.gradient(y, a) * a * (1 - a)
    else:
        loss, a = (CE() if kind == "ce" else SCE()), _softmax(z)
        labels = rng.integers(0, 3, size=5)
        y = np.eye(3)[labels] if kind == "ce" else labels
        g = loss.gradient(y, a)
        chained = a * (g - (g * a).sum(axis=1, keepdims=True))     # softmax's Jacobian
    fused = loss.logits_value_and_gradient(y, z, a)[1]
    np.testing.assert_allclose(fused, chained, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["bce", "ce", "sparse_ce"])
def test_model_output_gradients_are_a_minus_y_over_n(kind, dtype):
    """compute_gradients of the last Dense: db = sum(A - Y)/N, dW = Hᵀ(A - Y)/N."""
    backend.set_floatx(dtype)
    rng = np.random.default_rng(9)
    n, units = 8, (1 if kind == "bce" else 3)
    activation = "sigmoid" if kind == "bce" else "softmax"
    model = Sequential([Input((4,)), Dense(5, activation="tanh"),
                        Dense(units, activation=activation)])
    model.compile(loss={"bce": "binary_crossentropy", "ce": "categorical_crossentropy",
                        "sparse_ce": "sparse_categorical_crossentropy"}[kind])
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    x = (rng.normal(size=(n, 4)) * 0.5).astype(dtype)
    W1, b1, W2, b2 = (w.astype(np.float64) for w in model.get_weights())
    h = np.tanh(x.astype(np.float64) @ W1 + b1)
    z = h @ W2 + b2
    if kind == "bce":
        y = rng.integers(0, 2, size=(n, 1)).astype(float)
        a, onehot = _sigmoid(z), y
    else:
        labels = rng.integers(0, units, size=n)
        a, onehot = _softmax(z), np.eye(units)[labels]
        y = onehot if kind == "ce" else labels
    a_minus_y = (a - onehot) / n
    with silent_numpy():
        grads = model.compute_gradients(x, y)
    assert [g.dtype for g in grads] == [np.dtype(dtype)] * 4
    tol = {"rtol": 1e-4, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-14}
    np.testing.assert_allclose(grads[3], a_minus_y.sum(axis=0), **tol)
    np.testing.assert_allclose(grads[2], h.T @ a_minus_y, **tol)
