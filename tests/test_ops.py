"""layerkit.ops without gradients: NumPy's results on plain arrays, Tensors, dtypes, refusals.

(The gradients are checked in test_ops_gradients.py, the tape in test_ops_tape.py.)
"""

import numpy as np
import pytest

from layerkit import activations, backend, ops
from layerkit.ops.operation import Operation

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B = np.array([[1.0, 2.0], [-0.5, 0.5], [3.0, -1.0]])
ROW = np.array([0.1, -0.2, 0.3])

PLAIN = {  # id: (ops call, NumPy call), on plain arrays
    "add": (lambda: ops.add(A, ROW), lambda: A + ROW),
    "subtract": (lambda: ops.subtract(ROW, A), lambda: ROW - A),
    "multiply": (lambda: ops.multiply(A, 2.0), lambda: A * 2.0),
    "divide": (lambda: ops.divide(A, ROW), lambda: A / ROW),
    "power": (lambda: ops.power(np.abs(A), ROW), lambda: np.abs(A) ** ROW),
    "matmul": (lambda: ops.matmul(A, B), lambda: A @ B),
    "dot": (lambda: ops.dot(A, B), lambda: np.dot(A, B)),
    "exp": (lambda: ops.exp(A), lambda: np.exp(A)),
    "tanh": (lambda: ops.tanh(A), lambda: np.tanh(A)),
    "maximum": (lambda: ops.maximum(A, 0.0), lambda: np.maximum(A, 0.0)),
    "clip": (lambda: ops.clip(A, -0.5, 0.5), lambda: np.clip(A, -0.5, 0.5)),
    "where": (lambda: ops.where(A > 0, A, ROW), lambda: np.where(A > 0, A, ROW)),
    "sum": (lambda: ops.sum(A, axis=[0]), lambda: np.sum(A, axis=0)),
    "max": (lambda: ops.max(A, axis=1, keepdims=True), lambda: np.max(A, axis=1, keepdims=True)),
    "var": (lambda: ops.var(A, axis=0), lambda: np.var(A, axis=0)),
    "norm": (lambda: ops.norm(A, axis=1), lambda: np.linalg.norm(A, axis=1)),
    "reshape": (lambda: ops.reshape(A, (3, 2)), lambda: A.reshape(3, 2)),
    "transpose": (lambda: ops.transpose(A), lambda: A.T),
    "concatenate": (lambda: ops.concatenate([A, A], axis=1), lambda: np.concatenate([A, A], axis=1)),
    "stack": (lambda: ops.stack([A, A]), lambda: np.stack([A, A])),
    "getitem": (lambda: ops.getitem(A, (slice(None), [0, 0])), lambda: A[:, [0, 0]]),
    "take": (lambda: ops.take(A, [1, 0], axis=1), lambda: np.take(A, [1, 0], axis=1)),
    "logsumexp": (lambda: ops.logsumexp(A, axis=1),
                  lambda: np.log(np.sum(np.exp(A), axis=1))),
    "relu": (lambda: ops.relu(A), lambda: np.maximum(A, 0)),
    "softmax": (lambda: ops.softmax(A), lambda: np.exp(A) / np.exp(A).sum(axis=-1, keepdims=True)),
    "sigmoid": (lambda: ops.sigmoid(A), lambda: 1 / (1 + np.exp(-A))),
}


@pytest.mark.parametrize("case", sorted(PLAIN))
def test_plain_arrays_give_numpys_result_as_a_plain_array(case):
    before = (A.copy(), B.copy(), ROW.copy())
    ours, numpys = PLAIN[case]
    result = ours()
    assert type(result) is np.ndarray
    np.testing.assert_allclose(result, numpys(), rtol=1e-15, atol=1e-16)
    for array, copy in zip((A, B, ROW), before):
        np.testing.assert_array_equal(array, copy)  # the caller's arrays are untouched


def test_plain_arrays_make_no_operation(monkeypatch):
    def refuse(*args):
        raise AssertionError("an Operation was applied to plain arrays")

    monkeypatch.setattr(Operation, "__call__", refuse)
    for ours, _ in PLAIN.values():
        ours()


@pytest.fixture
def recording():
    with ops.GradientTape() as tape:
        yield tape


def test_tensor_reads_like_an_array(recording):
    t = recording.watch(A)
    assert (t.shape, t.dtype, t.ndim, t.size, len(t)) == ((2, 3), A.dtype, 2, 6, 2)
    assert float(t[0, 0]) == 0.5 and int(t[1, 0]) == 1 and bool(t[0, 0])
    rows = list(t)
    assert len(rows) == 2 and all(isinstance(row, ops.Tensor) for row in rows)
    assert repr(t).startswith("Tensor(array([[ 0.5") and "op=Leaf" in repr(t)
    assert ops.convert_to_numpy(t) is not A and np.array_equal(ops.convert_to_numpy(t), A)
    assert ops.stop_gradient(t) is A


FLOAT32_CASES = {  # float32 in, float32 out: Python numbers do not promote
    "arithmetic": lambda t: (2.5 * t + 1) / 3.0 - t ** 2,
    "power": lambda t: ops.power(ops.abs(t) + 1, 0.5),
    "exp_log": lambda t: ops.log1p(ops.exp(t)) + ops.expm1(t) + ops.log(ops.abs(t) + 1),
    "trigonometric": lambda t: ops.sin(t) * ops.cos(t) + ops.erf(t),
    "choosing": lambda t: ops.where(t > 0, ops.maximum(t, 0.5), ops.clip(t, -1.0, 1.0)),
    "reductions": lambda t: ops.mean(t, axis=0) + ops.std(t, axis=0) + ops.logsumexp(t, axis=0)
    + ops.max(t, axis=0) + ops.var(t, axis=0) + ops.norm(t, axis=0),
    "products": lambda t: ops.dot(t, t.T) + ops.matmul(t, t.T),
    "activations": lambda t: ops.softmax(t) + ops.sigmoid(t) + ops.relu(t) + ops.softplus(t) + ops.gelu(t),
    "indexing": lambda t: ops.take(t, [0, 0], axis=1) + t[:, 1:]
    + ops.take_along_axis(t, np.ones((2, 2), int), 1),
    "rearranging": lambda t: ops.concatenate([t, t], 0).reshape(3, 4)
    + ops.stack([t[0], t[1]]).reshape(-1)[:4],
    "cast_round_trip": lambda t: ops.cast(ops.cast(t, "float64"), "float32") * 2,
}


@pytest.mark.parametrize("case", sorted(FLOAT32_CASES))
def test_float32_stays_float32_in_values_and_gradients(case):
    x = A.astype(np.float32)
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = FLOAT32_CASES[case](t)
    assert y.dtype == np.float32
    grad = tape.gradient(y, t)
    assert grad.dtype == np.float32 and np.all(np.isfinite(grad))
    assert FLOAT32_CASES[case](x).dtype == np.float32  # the plain path too


def test_integer_results_carry_no_gradient(recording):
    t = recording.watch(A)
    for plain in (ops.argmax(t, axis=1), ops.cast(t, "int32"), ops.one_hot(np.array([1, 0]), 3),
                  ops.zeros_like(t), ops.where(t > 0), ops.shape(t)):
        assert not isinstance(plain, ops.Tensor)


STABLE = {  # functions that must stay finite, and warning-free, for |x| = 1000
    "sigmoid": ops.sigmoid, "softplus": ops.softplus, "log_sigmoid": ops.log_sigmoid,
    "softmax": ops.softmax, "log_softmax": ops.log_softmax, "logaddexp": lambda t: ops.logaddexp(t, -t),
    "logsumexp": lambda t: ops.logsumexp(t, axis=-1), "silu": ops.silu, "gelu": ops.gelu,
    "tanh": ops.tanh, "elu": ops.elu, "selu": ops.selu,
}


@pytest.mark.parametrize("name", sorted(STABLE))
def test_stable_for_huge_inputs(name):
    x = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 999.0, -1000.0]], dtype=np.float32)
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = STABLE[name](t)
    assert np.all(np.isfinite(y.value)) and np.all(np.isfinite(tape.gradient(y, t)))


def test_keras_ops_names_compute_layerkits_activations():
    x = np.linspace(-4, 4, 12).reshape(2, 6)
    for name in ("relu", "relu6", "elu", "selu", "gelu", "silu", "softsign", "hard_sigmoid",
                 "log_sigmoid", "softmax", "log_softmax", "sparsemax", "glu", "hard_tanh"):
        try:
            expected = activations.get(name)(x, **({"approximate": True} if name == "gelu" else {}))
        except ValueError:
            continue  # not in this version of layerkit.activations
        np.testing.assert_array_equal(getattr(ops, name)(x), expected, err_msg=name)
    np.testing.assert_array_equal(ops.swish(x), ops.silu(x))
    np.testing.assert_array_equal(ops.leaky_relu(x, negative_slope=0.1), np.where(x > 0, x, 0.1 * x))
    with pytest.raises(NotImplementedError, match="layerkit.activations.no_such"):
        ops.activation("no_such", x)


def test_values_in_and_out():
    backend.set_floatx("float64")
    assert ops.zeros((2,)).dtype == np.float64
    backend.set_floatx("float32")
    assert ops.ones((2, 2)).dtype == ops.full((2,), 3.0).dtype == ops.eye(3).dtype == np.float32
    assert ops.arange(3).dtype == np.int32 and ops.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(ops.arange(1, 7, 2), [1, 3, 5])
    np.testing.assert_array_equal(ops.eye(2, 3, k=1), np.eye(2, 3, k=1))
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32 and ops.convert_to_tensor(A) is A
    assert ops.convert_to_tensor(A, dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match="sparse=True"):
        ops.convert_to_tensor(A, sparse=True)
    np.testing.assert_array_equal(ops.cast(np.array([1.7, -1.7]), "int32"), [1, -1])
    assert ops.shape(A) == (2, 3) and ops.ndim(A) == 2 and ops.size(A) == 6
    np.testing.assert_array_equal(ops.full_like(A, 7.0), np.full((2, 3), 7.0))
    np.testing.assert_array_equal(ops.ones_like(A, dtype="int32"), np.ones((2, 3), dtype=np.int32))


def test_one_hot_as_keras():
    labels = np.array([[0, 2], [-1, 1]])
    encoded = ops.one_hot(labels, 3)
    assert encoded.shape == (2, 2, 3) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded[1, 0], [0, 0, 0])  # a negative label: no class
    np.testing.assert_array_equal(encoded[0, 1], [0, 0, 1])
    np.testing.assert_array_equal(ops.one_hot(labels, 3, axis=0), np.moveaxis(encoded, -1, 0))
    with pytest.raises(ValueError, match="sparse=True"):
        ops.one_hot(labels, 3, sparse=True)


def test_bad_arguments_are_refused_with_what_was_received(recording):
    t = recording.watch(A)
    with pytest.raises(ValueError, match="`x1` and `x2` must be given together.*x2=None"):
        ops.where(A > 0, t)
    np.testing.assert_array_equal(ops.where(t > 0)[0], np.where(A > 0)[0])
    with pytest.raises(NotImplementedError, match="ord=2.*2 axes"):
        ops.norm(t, ord=2)
    with pytest.raises(NotImplementedError, match="ord=0.5"):
        ops.norm(t, ord=0.5, axis=1)
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        ops.matmul(t, t)
