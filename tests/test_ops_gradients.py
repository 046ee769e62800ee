"""Every differentiable operation of layerkit.ops against central differences (float64, < 1e-6).

Each case runs an operation on Tensors, asks the tape for the gradient of a random
projection of its output, and compares it with finite differences of the same
operation on plain arrays: every input, several shapes, broadcasting both ways,
``axis``/``keepdims`` variants; then every activation of ``layerkit.activations``
under its Keras ops name, and random programs of operations with fan-out.
"""

import zlib

import numpy as np
import pytest
from ops_programs import (
    FD_RTOL,
    LayerkitOps,
    check_against_finite_differences,
    program_inputs,
    program_output,
    random_program,
    report,
)

from layerkit import activations, ops

WORST = {}
_report = report("layerkit.ops vs central differences", WORST, FD_RTOL)


def normal(*shape):
    return lambda rng: rng.normal(size=shape)


def positive(*shape):
    return lambda rng: 0.5 + rng.random(size=shape)


def away_from_zero(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * (0.2 + rng.random(size=shape))


MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])

CASES = {  # id: (function of the inputs, one maker per input)
    # arithmetic, with broadcasting both ways
    "add": (lambda a, b: ops.add(a, b), [normal(3, 4), normal(3, 4)]),
    "add_row": (lambda a, b: a + b, [normal(3, 4), normal(4)]),
    "add_both_broadcast": (lambda a, b: a + b, [normal(3, 1), normal(1, 4)]),
    "add_leading_axes": (lambda a, b: ops.add(a, b), [normal(3, 1), normal(2, 3, 4)]),
    "add_scalar": (lambda a: 2.5 + a, [normal(3)]),
    "subtract": (lambda a, b: a - b, [normal(3, 4), normal(4)]),
    "subtract_reflected": (lambda a, b: ops.subtract(a, b), [normal(4), normal(3, 4)]),
    "rsub": (lambda a: 1.0 - a, [normal(2, 3)]),
    "multiply": (lambda a, b: a * b, [normal(3, 4), normal(3, 1)]),
    "multiply_constant": (lambda a: ops.multiply(np.arange(4.0), a), [normal(3, 4)]),
    "divide": (lambda a, b: a / b, [normal(3, 4), positive(4)]),
    "divide_reflected": (lambda a, b: ops.divide(a, b), [normal(4), positive(3, 4)]),
    "true_divide": (lambda a, b: ops.true_divide(a, b), [normal(2, 3), positive(2, 1)]),
    "rtruediv": (lambda a: 2.0 / a, [positive(5)]),
    "negative": (lambda a: -a, [normal(3, 4)]),
    "power": (lambda a, b: a ** b, [positive(3, 4), normal(4)]),
    "power_int": (lambda a: ops.power(a, 3), [normal(2, 3)]),
    "power_half": (lambda a: a ** 0.5, [positive(4)]),
    "rpow": (lambda a: 2.0 ** a, [normal(2, 3)]),
    "square": (lambda a: ops.square(a), [normal(2, 3)]),
    "sqrt": (lambda a: ops.sqrt(a), [positive(2, 3)]),
    # exponentials, logarithms and other elementwise functions
    "exp": (lambda a: ops.exp(a), [normal(2, 3)]),
    "log": (lambda a: ops.log(a), [positive(2, 3)]),
    "log1p": (lambda a: ops.log1p(a), [positive(2, 3)]),
    "expm1": (lambda a: ops.expm1(a), [normal(2, 3)]),
    "logaddexp": (lambda a, b: ops.logaddexp(a, b), [normal(3, 4), normal(4)]),
    "abs": (lambda a: abs(a), [away_from_zero(2, 3)]),
    "absolute": (lambda a: ops.absolute(a), [away_from_zero(2, 3)]),
    "sign": (lambda a: ops.sign(a) * a, [away_from_zero(2, 3)]),
    "sin": (lambda a: ops.sin(a), [normal(2, 3)]),
    "cos": (lambda a: ops.cos(a), [normal(2, 3)]),
    "erf": (lambda a: ops.erf(a), [normal(2, 3)]),
    # choosing
    "maximum": (lambda a, b: ops.maximum(a, b), [normal(3, 4), normal(4)]),
    "minimum": (lambda a, b: ops.minimum(a, b), [normal(3, 1), normal(3, 4)]),
    "maximum_self": (lambda a: ops.maximum(a, a), [normal(3)]),
    "clip": (lambda a: ops.clip(a, -0.5, 0.5), [lambda rng: np.array([-1.0, -0.3, 0.1, 0.4, 0.9])]),
    "clip_tensor_bounds": (lambda a, lo, hi: ops.clip(a, lo, hi),
                           [lambda rng: np.array([[-2.0, 0.1, 2.0], [0.3, -0.2, 1.5]]),
                            lambda rng: np.array([-1.0, -0.5, 0.0]), lambda rng: np.array([[1.0], [0.5]])]),
    "clip_one_side": (lambda a: ops.clip(a, None, 0.0), [away_from_zero(2, 3)]),
    "where": (lambda a, b: ops.where(MASK, a, b), [normal(3, 4), normal(4)]),
    "where_scalar": (lambda a: ops.where(MASK, a, 0.0), [normal(3, 4)]),
    # products and norms
    "matmul": (lambda a, b: a @ b, [normal(3, 4), normal(4, 2)]),
    "matmul_vector_left": (lambda a, b: ops.matmul(a, b), [normal(4), normal(4, 2)]),
    "matmul_vector_right": (lambda a, b: ops.matmul(a, b), [normal(3, 4), normal(4)]),
    "matmul_vectors": (lambda a, b: ops.matmul(a, b), [normal(4), normal(4)]),
    "matmul_batched": (lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 5)]),
    "matmul_batch_broadcast": (lambda a, b: a @ b, [normal(2, 1, 3, 4), normal(5, 4, 2)]),
    "matmul_vector_batched": (lambda a, b: ops.matmul(a, b), [normal(4), normal(2, 4, 3)]),
    "rmatmul_constant": (lambda a: np.arange(6.0).reshape(2, 3) @ a, [normal(3, 2)]),
    "dot_matrices": (lambda a, b: ops.dot(a, b), [normal(3, 4), normal(4, 2)]),
    "dot_vectors": (lambda a, b: ops.dot(a, b), [normal(4), normal(4)]),
    "dot_nd": (lambda a, b: ops.dot(a, b), [normal(2, 3, 4), normal(4, 5)]),
    "dot_nd_right": (lambda a, b: ops.dot(a, b), [normal(3, 4), normal(2, 4, 5)]),
    "dot_vector_nd": (lambda a, b: ops.dot(a, b), [normal(3), normal(2, 3, 4)]),
    "dot_scalar": (lambda a, b: ops.dot(a, b), [normal(), normal(2, 3)]),
    "norm": (lambda a: ops.norm(a), [normal(3, 4)]),
    "norm_axis": (lambda a: ops.norm(a, axis=1), [normal(3, 4)]),
    "norm_keepdims": (lambda a: ops.norm(a, axis=0, keepdims=True), [normal(3, 4)]),
    "norm_ord1": (lambda a: ops.norm(a, ord=1, axis=-1), [away_from_zero(3, 4)]),
    "norm_ord3": (lambda a: ops.norm(a, ord=3, axis=1), [away_from_zero(3, 4)]),
    "norm_inf": (lambda a: ops.norm(a, ord=np.inf, axis=1), [normal(3, 4)]),
    "norm_minus_inf": (lambda a: ops.norm(a, ord=-np.inf), [normal(5)]),
    "norm_fro": (lambda a: ops.norm(a, ord="fro", axis=(0, 2)), [normal(2, 3, 4)]),
    # reductions
    "sum": (lambda a: ops.sum(a), [normal(3, 4)]),
    "sum_axis": (lambda a: ops.sum(a, axis=1), [normal(3, 4)]),
    "sum_axes_keepdims": (lambda a: ops.sum(a, axis=(0, 2), keepdims=True), [normal(2, 3, 4)]),
    "sum_negative_axis": (lambda a: ops.sum(a, axis=[-1, 0]), [normal(2, 3, 4)]),
    "mean": (lambda a: ops.mean(a), [normal(3, 4)]),
    "mean_axis_keepdims": (lambda a: ops.mean(a, axis=-1, keepdims=True), [normal(2, 3, 4)]),
    "max": (lambda a: ops.max(a), [normal(3, 4)]),
    "max_axis": (lambda a: ops.max(a, axis=0), [normal(3, 4)]),
    "max_keepdims": (lambda a: ops.max(a, axis=(1, 2), keepdims=True), [normal(2, 3, 4)]),
    "max_initial": (lambda a: ops.max(a, axis=1, initial=0.0), [away_from_zero(3, 4)]),
    "min": (lambda a: ops.min(a, axis=-1), [normal(3, 4)]),
    "min_ties": (lambda a: ops.min(ops.concatenate([a, a], axis=0), axis=0), [normal(3)]),
    "var": (lambda a: ops.var(a), [normal(3, 4)]),
    "var_axis": (lambda a: ops.var(a, axis=0, keepdims=True), [normal(3, 4)]),
    "std": (lambda a: ops.std(a, axis=1), [normal(3, 4)]),
    "std_all": (lambda a: ops.std(a), [normal(2, 3, 4)]),
    "logsumexp": (lambda a: ops.logsumexp(a), [normal(3, 4)]),
    "logsumexp_axis": (lambda a: ops.logsumexp(a, axis=0, keepdims=True), [normal(3, 4)]),
    # rearranging
    "reshape": (lambda a: ops.reshape(a, (2, 6)), [normal(3, 4)]),
    "reshape_flat": (lambda a: a.reshape(-1), [normal(3, 4)]),
    "transpose": (lambda a: ops.transpose(a), [normal(2, 3, 4)]),
    "transpose_axes": (lambda a: ops.transpose(a, (-1, 0, 1)), [normal(2, 3, 4)]),
    "T": (lambda a: a.T, [normal(3, 4)]),
    "expand_dims": (lambda a: ops.expand_dims(a, 1), [normal(3, 4)]),
    "expand_dims_axes": (lambda a: ops.expand_dims(a, (0, -1)), [normal(3, 4)]),
    "squeeze": (lambda a: ops.squeeze(a), [normal(3, 1, 4)]),
    "squeeze_axis": (lambda a: ops.squeeze(a, axis=1), [normal(3, 1, 1)]),
    "concatenate": (lambda a, b, c: ops.concatenate([a, b, c], axis=0),
                    [normal(1, 4), normal(3, 4), normal(2, 4)]),
    "concatenate_last": (lambda a, b: ops.concatenate([a, b], axis=-1), [normal(3, 2), normal(3, 4)]),
    "concatenate_constant": (lambda a: ops.concatenate([np.ones((3, 1)), a], axis=1), [normal(3, 4)]),
    "concatenate_flat": (lambda a, b: ops.concatenate([a, b], axis=None), [normal(2, 2), normal(3)]),
    "stack": (lambda a, b: ops.stack([a, b]), [normal(3, 4), normal(3, 4)]),
    "stack_last": (lambda a, b: ops.stack([a, b, a], axis=-1), [normal(3, 4), normal(3, 4)]),
    # indexing
    "slice": (lambda a: a[1:, ::2], [normal(3, 4)]),
    "slice_reversed": (lambda a: a[::-1, 1], [normal(3, 4)]),
    "index_int": (lambda a: a[1], [normal(3, 4)]),
    "index_ellipsis_newaxis": (lambda a: a[None, ..., 0], [normal(2, 3, 4)]),
    "index_repeated": (lambda a: a[[0, 0, 2, -1]], [normal(3, 4)]),
    "index_mixed": (lambda a: a[[0, 2], 1:], [normal(3, 4)]),
    "index_mask": (lambda a: a[MASK], [normal(3, 4)]),
    "index_arrays": (lambda a: a[np.array([0, 1, 1]), np.array([3, 0, 0])], [normal(3, 4)]),
    "iterate": (lambda a: ops.stack(list(a)[::-1]), [normal(3, 2)]),
    "take_flat": (lambda a: ops.take(a, np.array([[0, 5], [5, 11]])), [normal(3, 4)]),
    "take_axis0": (lambda a: ops.take(a, [2, 0, 2, -1], axis=0), [normal(3, 4)]),
    "take_axis1": (lambda a: ops.take(a, np.array([[1, 1], [3, 0]]), axis=1), [normal(3, 4)]),
    "take_middle": (lambda a: ops.take(a, [2, 2], axis=-2), [normal(2, 3, 4)]),
    "take_along_axis": (lambda a: ops.take_along_axis(a, np.array([[0, 0], [2, 1], [3, 3]]), axis=1),
                        [normal(3, 4)]),
    "take_along_axis0": (lambda a: ops.take_along_axis(a, np.array([[2, 0, 0, 1]]), axis=0), [normal(3, 4)]),
    "take_along_axis_broadcast": (lambda a: ops.take_along_axis(a, np.array([[1], [0], [1]]), axis=0),
                                  [normal(2, 1)]),
    "take_along_flat": (lambda a: ops.take_along_axis(a, np.array([1, 1, 5]), axis=None), [normal(2, 3)]),
    # NumPy's functions on Tensors are the same operations
    "numpy_functions": (lambda a, b: np.tanh(np.sum(a, axis=0) @ np.transpose(b)) + np.exp(np.mean(a)),
                        [normal(3, 4), normal(2, 4)]),
    "numpy_array_left": (lambda a: np.arange(3.0) @ a + np.arange(4.0) * a, [normal(3, 4)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_operation_gradient_matches_finite_differences(case):
    fn, makers = CASES[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    check_against_finite_differences(fn, [make(rng) for make in makers], WORST, case)


KINKS = np.array([-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0])
ACTIVATION_CASES = [  # (Keras ops name, its arguments): every activation op, with argument variants
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.1}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("hard_sigmoid", {}), ("hard_silu", {}), ("hard_swish", {}), ("hard_tanh", {}),
    ("sigmoid", {}), ("tanh", {}), ("softplus", {}), ("softsign", {}), ("silu", {}), ("swish", {}),
    ("log_sigmoid", {}), ("gelu", {}), ("gelu", {"approximate": False}), ("glu", {}), ("glu", {"axis": 0}),
    ("softmax", {}), ("softmax", {"axis": 0}), ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("sparsemax", {}), ("hard_shrink", {}), ("hard_shrink", {"threshold": 1.0}), ("soft_shrink", {}),
    ("tanh_shrink", {}), ("threshold", {"threshold": 0.5, "default_value": -1.0}), ("sparse_sigmoid", {}),
    ("sparse_plus", {}), ("squareplus", {}), ("squareplus", {"b": 1.0}),
]
_ACTIVATION_NAME = {"swish": "silu", "hard_swish": "hard_silu"}


def _available(name):
    try:
        activations.get(_ACTIVATION_NAME.get(name, name))
    except ValueError:
        return False
    return True


def _activation_id(case):
    name, kwargs = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items())


@pytest.mark.parametrize("case", [c for c in ACTIVATION_CASES if _available(c[0])], ids=_activation_id)
def test_activation_gradient_matches_finite_differences(case):
    name, kwargs = case
    rng = np.random.default_rng(len(name))
    x = 3 * rng.normal(size=(4, 6))
    nearest = KINKS[np.argmin(np.abs(x[..., None] - KINKS), axis=-1)]
    x = np.where(np.abs(x - nearest) < 0.05, nearest + np.where(x >= nearest, 0.05, -0.05), x)
    check_against_finite_differences(lambda t: getattr(ops, name)(t, **kwargs), [x], WORST,
                                     "activation " + _activation_id(case))


def test_every_activation_of_the_module_is_checked():
    checked = {_ACTIVATION_NAME.get(name, name) for name, _ in ACTIVATION_CASES}
    missing = [name for name in ("relu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax", "elu",
                                 "selu", "leaky_relu", "silu") if name not in checked]
    assert not missing


@pytest.mark.parametrize("seed", range(60))
def test_random_program_gradient_matches_finite_differences(seed):
    program = random_program(seed)
    check_against_finite_differences(lambda *xs: program_output(program, LayerkitOps(), xs),
                                     program_inputs(seed), WORST, "random programs")
