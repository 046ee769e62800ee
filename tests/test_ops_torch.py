"""layerkit.ops against torch.autograd, in float64: values and gradients to 1e-9 relative.

The random programs of ``ops_programs`` (each operation applied to earlier values,
with fan-out) run on layerkit Tensors and on PyTorch tensors through the same code;
then single operations whose conventions matter (ties, bounds, 1-d operands,
activations) are compared one by one.
"""

import numpy as np
import pytest
from ops_programs import STEPS, LayerkitOps, program_inputs, program_output, random_program
from parity import WorstErrors, report_worst_errors, single_torch_thread
from peers import import_peer

from layerkit import ops

torch = import_peer("torch")
functional = torch.nn.functional

WORST = WorstErrors()
_report = report_worst_errors("layerkit.ops vs torch.autograd (float64)", WORST)
_threads = single_torch_thread(torch)


class TorchOps:
    """The operations a program uses, in PyTorch (Keras's argument names)."""

    subtract = staticmethod(torch.subtract)
    square = staticmethod(torch.square)
    sqrt = staticmethod(torch.sqrt)
    sin = staticmethod(torch.sin)
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)
    exp = staticmethod(torch.exp)
    log1p = staticmethod(torch.log1p)
    softplus = staticmethod(functional.softplus)
    maximum = staticmethod(torch.maximum)
    where = staticmethod(torch.where)

    @staticmethod
    def constant(value):
        return torch.from_numpy(np.asarray(value))

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return x.mean() if axis is None else x.mean(dim=axis, keepdim=keepdims)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum() if axis is None else x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def logsumexp(x, axis, keepdims=False):
        return torch.logsumexp(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def softmax(x, axis=-1):
        return torch.softmax(x, dim=axis)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def transpose(x):
        return x.T

    @staticmethod
    def take(x, indices, axis):
        return torch.index_select(x, axis, indices)

    @staticmethod
    def concatenate(xs, axis):
        return torch.cat(xs, dim=axis)

    @staticmethod
    def stack(xs, axis):
        return torch.stack(xs, dim=axis)

    @staticmethod
    def norm(x, axis, keepdims):
        return torch.linalg.vector_norm(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def var(x, axis, keepdims=False):
        return torch.var(x, dim=axis, keepdim=keepdims, correction=0)

    @staticmethod
    def std(x, axis, keepdims=False):
        return torch.std(x, dim=axis, keepdim=keepdims, correction=0)


def _compare(kind, what, fn_layerkit, fn_torch, inputs, seed=0):
    """Values of ``fn(*inputs)`` and gradients of a random projection of it, both frameworks."""
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    with ops.GradientTape() as tape:
        watched = tape.watch(inputs)
        output = fn_layerkit(*watched)
    value = ops.convert_to_numpy(output)
    cotangent = np.random.default_rng(seed).normal(size=value.shape)
    grads = tape.gradient(output, watched, output_gradients=cotangent)

    tensors = [torch.tensor(x, requires_grad=True) for x in inputs]
    expected = fn_torch(*tensors)
    (expected * torch.from_numpy(cotangent)).sum().backward()
    WORST.check(f"{kind} value", value, expected.detach().numpy(), what)
    for position, (grad, tensor) in enumerate(zip(grads, tensors)):
        expected_grad = tensor.grad.numpy() if tensor.grad is not None else np.zeros_like(inputs[position])
        got = np.zeros_like(inputs[position]) if grad is None else grad
        WORST.check(f"{kind} gradient", got, expected_grad, f"{what}, input {position}")


@pytest.mark.parametrize("seed", range(60))
def test_random_program_matches_torch(seed):
    program = random_program(seed, steps=10)
    _compare("random program", f"random program {seed}: {program}",
             lambda *xs: program_output(program, LayerkitOps(), xs),
             lambda *xs: program_output(program, TorchOps, xs), program_inputs(seed), seed)


@pytest.mark.parametrize("step", sorted(STEPS))
def test_each_program_step_matches_torch(step):
    program = [(step, [0, 1][:STEPS[step][0]])]
    _compare("program step", f"program step {step}",
             lambda *xs: program_output(program, LayerkitOps(), xs),
             lambda *xs: program_output(program, TorchOps, xs), program_inputs(7))


def _ties(rng):
    return np.round(rng.normal(size=(3, 4)))  # many exact ties


SINGLE = {  # id: (layerkit, torch, input makers)
    "max_ties": (lambda x: ops.max(x, axis=1), lambda x: torch.amax(x, dim=1), [_ties]),
    "min_ties_all": (lambda x: ops.min(x), lambda x: torch.amin(x), [_ties]),
    "maximum_ties": (ops.maximum, torch.maximum, [_ties, _ties]),
    "minimum_ties": (ops.minimum, torch.minimum, [_ties, _ties]),
    "clip_bounds": (lambda x: ops.clip(x, -1.0, 1.0), lambda x: torch.clamp(x, -1.0, 1.0), [_ties]),
    "clip_tensor_bounds": (ops.clip, torch.clamp,
                           [_ties, lambda rng: np.array([-1.0, 0.0, -2.0, 1.0]),
                            lambda rng: np.array([[1.5], [0.5], [2.5]])]),  # a bound above the other
    "abs_at_zero": (ops.abs, torch.abs, [_ties]),
    "matmul_vector_batch": (ops.matmul, torch.matmul,
                            [lambda rng: rng.normal(size=4), lambda rng: rng.normal(size=(2, 4, 3))]),
    "matmul_broadcast": (ops.matmul, torch.matmul,
                         [lambda rng: rng.normal(size=(2, 1, 3, 4)), lambda rng: rng.normal(size=(5, 4, 2))]),
    "dot_nd": (ops.dot, lambda a, b: torch.tensordot(a, b, dims=([1], [1])),
               [lambda rng: rng.normal(size=(3, 4)), lambda rng: rng.normal(size=(2, 4, 5))]),
    "norm_inf_ties": (lambda x: ops.norm(x, ord=np.inf, axis=1),
                      lambda x: torch.linalg.vector_norm(x, ord=float("inf"), dim=1), [_ties]),
    "norm_ord3": (lambda x: ops.norm(x, ord=3, axis=0), lambda x: torch.linalg.vector_norm(x, ord=3, dim=0),
                  [lambda rng: rng.normal(size=(3, 4))]),
    "std_var": (lambda x: ops.std(x, axis=0) + ops.var(x, axis=0),
                lambda x: torch.std(x, dim=0, correction=0) + torch.var(x, dim=0, correction=0),
                [lambda rng: rng.normal(size=(5, 3))]),
    "logsumexp_large": (lambda x: ops.logsumexp(x, axis=1), lambda x: torch.logsumexp(x, dim=1),
                        [lambda rng: 1000 * rng.normal(size=(3, 4))]),
    "log_softmax_large": (lambda x: ops.log_softmax(x), lambda x: torch.log_softmax(x, dim=-1),
                          [lambda rng: 1000 * rng.normal(size=(3, 4))]),
    "softmax_axis0": (lambda x: ops.softmax(x, axis=0), lambda x: torch.softmax(x, dim=0),
                      [lambda rng: rng.normal(size=(3, 4))]),
    "logaddexp": (ops.logaddexp, torch.logaddexp,
                  [lambda rng: rng.normal(size=(3, 4)), lambda rng: rng.normal(size=4)]),
    "erf": (ops.erf, torch.erf, [lambda rng: rng.normal(size=(3, 4))]),
    "power_both": (ops.power, torch.pow,
                   [lambda rng: 0.5 + rng.random(size=(3, 4)), lambda rng: rng.normal(size=4)]),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[0, 0], [2, 1], [3, 3]]), axis=1),
                        lambda x: torch.take_along_dim(x, torch.tensor([[0, 0], [2, 1], [3, 3]]), dim=1),
                        [lambda rng: rng.normal(size=(3, 4))]),
    "getitem_repeats": (lambda x: x[[0, 0, 2], 1:], lambda x: x[[0, 0, 2], 1:],
                        [lambda rng: rng.normal(size=(3, 4))]),
    "getitem_mask": (lambda x: x[x.value > 0] if isinstance(x, ops.Tensor) else x[x > 0],
                     lambda x: x[x > 0], [lambda rng: rng.normal(size=(3, 4))]),
}


@pytest.mark.parametrize("case", sorted(SINGLE))
def test_operation_matches_torch(case):
    ours, theirs, makers = SINGLE[case]
    rng = np.random.default_rng(3)
    _compare("operation", case, ours, theirs, [make(rng) for make in makers])


ACTIVATIONS = {  # Keras ops name: the PyTorch function
    "relu": functional.relu, "relu6": functional.relu6, "elu": functional.elu, "selu": functional.selu,
    "celu": functional.celu, "leaky_relu": lambda x: functional.leaky_relu(x, 0.2),
    "gelu": lambda x: functional.gelu(x, approximate="tanh"), "silu": functional.silu,
    "softplus": functional.softplus, "softsign": functional.softsign, "log_sigmoid": functional.logsigmoid,
    # PyTorch's own hardsigmoid and hardswish use a float32 1/6 in their backward, even in float64
    "hard_sigmoid": lambda x: torch.clamp(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * torch.clamp(x / 6 + 0.5, 0, 1),
    "hard_tanh": functional.hardtanh, "hard_shrink": functional.hardshrink,
    "soft_shrink": functional.softshrink, "tanh_shrink": functional.tanhshrink,
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "glu": functional.glu,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name):
    x = 4 * np.random.default_rng(5).normal(size=(3, 6))
    _compare("activation", f"activation {name}", getattr(ops, name), ACTIVATIONS[name], [x])
