"""Tensors with Python's operators and NumPy's functions: recorded, or refused by name.

A NumPy function with no layerkit.ops operation must never compute silently on a
recorded Tensor (that would cut it from the gradient); after the tape stops, or
for a Tensor of no tape, everything computes plainly.
"""

import numpy as np
import pytest

from layerkit import ops

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B = np.array([[1.0, 2.0], [-0.5, 0.5], [3.0, -1.0]])
ROW = np.array([0.1, -0.2, 0.3])


@pytest.fixture
def recording():
    with ops.GradientTape() as tape:
        yield tape


def test_operators_work_both_ways(recording):
    t = recording.watch(A)
    cases = {
        "t @ B": (t @ B, A @ B), "B @ t": (B @ t, B @ A), "2 * t": (2 * t, 2 * A),
        "t * 2": (t * 2, A * 2), "1 - t": (1 - t, 1 - A), "t - ROW": (t - ROW, A - ROW),
        "ROW + t": (ROW + t, ROW + A), "t / 2": (t / 2, A / 2), "2 / t": (2 / t, 2 / A),
        "t ** 2": (t ** 2, A ** 2), "2 ** t": (2 ** t, 2 ** A), "-t": (-t, -A), "+t": (+t, A),
        "abs(t)": (abs(t), abs(A)), "t.T": (t.T, A.T), "t[1, :2]": (t[1, :2], A[1, :2]),
        "t[t > 0]": (t[t > 0], A[A > 0]), "t.reshape(3, 2)": (t.reshape(3, 2), A.reshape(3, 2)),
        "t.sum(0)": (t.sum(0), A.sum(0)), "t.mean()": (t.mean(), A.mean()),
        "t.max(1)": (t.max(axis=1), A.max(axis=1)), "t.min()": (t.min(), A.min()),
    }
    for name, (got, expected) in cases.items():
        assert isinstance(got, ops.Tensor), name
        np.testing.assert_allclose(got.value, expected, rtol=1e-15, err_msg=name)


def test_comparisons_give_plain_boolean_arrays(recording):
    t = recording.watch(A)
    for got, expected in ((t > 0, A > 0), (0 < t, 0 < A), (t >= ROW, A >= ROW), (t < 1, A < 1),
                          (t <= 1, A <= 1), (t == A, A == A), (t != 0.5, A != 0.5),
                          (ROW < t, ROW < A), (ops.greater(t, ROW), A > ROW)):
        assert type(got) is np.ndarray and got.dtype == bool
        np.testing.assert_array_equal(got, expected)


def test_numpy_functions_on_a_tensor_are_recorded(recording):
    t = recording.watch(A)
    cases = {
        "np.tanh": (np.tanh(t), np.tanh(A)), "np.sum": (np.sum(t, axis=0), A.sum(axis=0)),
        "np.matmul": (np.matmul(B, t), B @ A), "np.mean": (np.mean(t, axis=1, keepdims=True),
                                                          A.mean(axis=1, keepdims=True)),
        "np.concatenate": (np.concatenate([t, A]), np.concatenate([A, A])),
        "np.stack": (np.stack([t, t], axis=-1), np.stack([A, A], axis=-1)),
        "np.max": (np.max(t), A.max()), "np.amin": (np.amin(t, axis=0), A.min(axis=0)),
        "np.clip": (np.clip(t, -0.5, 0.5), np.clip(A, -0.5, 0.5)),
        "np.where": (np.where(A > 0, t, 0.0), np.where(A > 0, A, 0.0)),
        "np.reshape": (np.reshape(t, (3, 2)), A.reshape(3, 2)), "np.transpose": (np.transpose(t), A.T),
        "np.expand_dims": (np.expand_dims(t, 0), A[None]), "np.squeeze": (np.squeeze(t[None]), A),
        "np.dot": (np.dot(t, B), A @ B), "np.take": (np.take(t, [0, 0]), np.take(A, [0, 0])),
        "np.linalg.norm": (np.linalg.norm(t, axis=0), np.linalg.norm(A, axis=0)),
        "np.exp": (np.exp(t), np.exp(A)), "np.maximum": (np.maximum(t, 0), np.maximum(A, 0)),
        "np.square": (np.square(t), A ** 2), "np.abs": (np.abs(t), np.abs(A)),
        "np.var": (np.var(t), A.var()), "np.logaddexp": (np.logaddexp(t, 0), np.logaddexp(A, 0)),
    }
    for name, (got, expected) in cases.items():
        assert isinstance(got, ops.Tensor), name
        np.testing.assert_allclose(got.value, expected, rtol=1e-15, err_msg=name)
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert type(np.zeros_like(t)) is np.ndarray and type(np.argmax(t)) is np.int64


REFUSED = {  # id: (what the message names, a call NumPy cannot make on a recorded Tensor)
    "fft": ("numpy.fft.fft()", lambda t: np.fft.fft(t)),
    "sort": ("numpy.sort()", lambda t: np.sort(t)),
    "inv": ("numpy.linalg.inv()", lambda t: np.linalg.inv(t[:, :2])),
    "cumsum": ("numpy.cumsum()", lambda t: np.cumsum(t)),
    "reduce": ("numpy.add.reduce()", lambda t: np.add.reduce(t)),
    "floor": ("numpy.floor()", lambda t: np.floor(t)),
    "asarray": ("np.asarray()", lambda t: np.asarray(t)),
    "array": ("np.array()", lambda t: np.array(t)),
    "list_of_tensors": ("np.asarray()", lambda t: np.sum([t, t])),  # the list becomes an array first
    "where_argument": ("numpy.sum(..., where=...)", lambda t: np.sum(t, where=A > 0)),
    "ddof": ("numpy.var(..., ddof=...)", lambda t: np.var(t, ddof=1)),
    "out": ("numpy.add(..., out=...)", lambda t: np.add(t, 1, out=np.empty((2, 3)))),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_numpy_functions_without_an_operation_are_refused_by_name(case, recording):
    t = recording.watch(A)
    name, call = REFUSED[case]
    with pytest.raises(TypeError) as error:
        call(t)
    assert name in str(error.value)


def test_the_refusals_say_how_to_get_a_value(recording):
    t = recording.watch(A)
    with pytest.raises(TypeError, match=r"ops.convert_to_numpy\(x\).*ops.stop_gradient\(x\)"):
        np.asarray(t)
    with pytest.raises(TypeError, match=r"ops.stop_gradient\(x\).*ops.Operation"):
        np.sort(t)
    with pytest.raises(TypeError, match="cannot be modified in place"):
        t[0, 0] = 1.0
    with pytest.raises(TypeError, match="unhashable"):
        hash(t)


def test_a_stale_or_tapeless_tensor_is_a_constant():
    with ops.GradientTape() as tape:
        t = tape.watch(A)
    for stale in (t, ops.Tensor(A)):
        for result in (np.sort(stale), np.asarray(stale), stale * 2, ops.relu(stale), np.cumsum(stale),
                       np.add(stale, 1, out=np.empty((2, 3)))):
            assert type(result) is np.ndarray
        np.testing.assert_array_equal(np.sort(stale), np.sort(A))
