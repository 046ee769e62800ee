"""What the layerkit.ops tests share: finite differences, and random programs of operations.

A *program* is a list of steps, each applying one operation to values chosen at
random among the inputs and the results so far, so that values fan out (are used
by several later steps). The same program runs on layerkit Tensors, on plain arrays
(for finite differences) and on PyTorch tensors, through a namespace ``F`` that
names the operations: ``layerkit.ops`` itself, or an adapter to PyTorch.
"""

import numpy as np
import pytest

from layerkit import ops

FD_RTOL = 1e-6   # relative agreement required with central differences, in float64
SHAPE = (3, 4)   # every input broadcasts to it: (3, 4), (4,), (3, 1)
WEIGHTS = np.linspace(-1.0, 2.0, 12).reshape(SHAPE)
MASK = np.array([[True, False, True, True], [False, True, False, True], [True, True, False, False]])


def numeric_gradient(f, x, h=1e-6):
    """Central differences of the scalar ``f`` at each entry of ``x`` (a float64 array, restored)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        above = f(x)
        x[index] = original - h
        below = f(x)
        x[index] = original
        grad[index] = (above - below) / (2 * h)
    return grad


def relative_error(a, b):
    """``‖a - b‖ / max(‖a‖, ‖b‖)``, 0 when both are zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def check_against_finite_differences(fn, inputs, worst, kind, seed=0):
    """Assert that the tape's gradients of ``fn(*inputs)`` (for a random cotangent) match them.

    ``fn`` must work on Tensors and on plain arrays. Returns the analytic gradients.
    """
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    with ops.GradientTape() as tape:
        watched = tape.watch(inputs)
        output = fn(*watched)
    cotangent = np.random.default_rng(seed).normal(size=np.shape(ops.convert_to_numpy(output)))
    analytic = tape.gradient(output, watched, output_gradients=cotangent)
    for position, x in enumerate(inputs):
        def loss(value, position=position):
            args = list(inputs)
            args[position] = value
            return float(np.sum(fn(*args) * cotangent))

        numeric = numeric_gradient(loss, x)
        got = np.zeros_like(x) if analytic[position] is None else analytic[position]
        err = relative_error(got, numeric)
        worst[kind] = max(worst.get(kind, 0.0), err)
        assert err < FD_RTOL, (f"{kind}, input {position}: relative error {err:.2e}\n"
                               f"tape:    {got!r}\nnumeric: {numeric!r}")
    return analytic


def report(title, worst, bound):
    """A module fixture printing ``worst`` (kind -> error) at the end, with or without ``-s``."""

    @pytest.fixture(scope="module", autouse=True)
    def fixture(request):
        yield
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or capture is None or not worst:  # pragma: no cover
            return
        with capture.global_and_fixture_disabled():
            reporter.write("\n")
            reporter.write_line(f"{title}: worst relative errors measured (bound {bound:.0e})")
            for kind, err in sorted(worst.items(), key=lambda item: -item[1])[:12]:
                reporter.write_line(f"  {kind:<28}{err:.3e}")

    return fixture


# ---------------------------------------------------------------- random programs
def _full(F, a):
    """``a`` broadcast to SHAPE (by adding zeros: differentiable in both frameworks)."""
    return a + F.constant(np.zeros(SHAPE))


STEPS = {  # name: (arity, step(F, *values))
    "add": (2, lambda F, a, b: a + b),
    "subtract": (2, lambda F, a, b: F.subtract(a, b)),
    "rsub": (2, lambda F, a, b: 1.5 - a * b),
    "multiply": (2, lambda F, a, b: a * b),
    "divide": (2, lambda F, a, b: a / (1.5 + F.square(b))),
    "rdivide": (1, lambda F, a: 2.0 / (1 + a * a)),
    "power": (1, lambda F, a: (1 + F.square(a)) ** 1.5),
    "sqrt": (1, lambda F, a: F.sqrt(2 + F.sin(a))),
    "tanh": (1, lambda F, a: F.tanh(a)),
    "sigmoid": (1, lambda F, a: F.sigmoid(a)),
    "softplus": (1, lambda F, a: F.softplus(a)),
    "exp_log1p": (1, lambda F, a: F.log1p(F.exp(F.tanh(a)))),
    "maximum": (2, lambda F, a, b: F.maximum(a, b)),
    "where": (2, lambda F, a, b: F.where(F.constant(MASK), a, b)),
    "mean_rows": (1, lambda F, a: F.mean(_full(F, a), axis=0, keepdims=True)),
    "sum_columns": (1, lambda F, a: F.sum(_full(F, a), axis=1, keepdims=True) / 4),
    "logsumexp": (1, lambda F, a: F.logsumexp(_full(F, a), axis=-1, keepdims=True)),
    "softmax": (1, lambda F, a: F.softmax(_full(F, a), axis=-1)),
    "gram": (2, lambda F, a, b: _full(F, a) @ (_full(F, b).T @ _full(F, a)) / 10),
    "transpose_reshape": (1, lambda F, a: F.reshape(F.transpose(F.reshape(_full(F, a), (4, 3))), SHAPE)),
    "take_rows": (1, lambda F, a: F.take(_full(F, a), F.constant(np.array([2, 0, 0])), axis=0)),
    "index_rows": (1, lambda F, a: _full(F, a)[F.constant(np.array([2, 1, 1]))]),
    "splice": (2, lambda F, a, b: F.concatenate([_full(F, a)[:, :2], _full(F, b)[:, 2:]], axis=1)),
    "stack_mix": (2, lambda F, a, b: F.sum(F.stack([_full(F, a), 2 * _full(F, b)], axis=0), axis=0)),
    "norm_scale": (1, lambda F, a: a / (1 + F.norm(_full(F, a), axis=1, keepdims=True))),
    "var_std": (1, lambda F, a: F.var(_full(F, a), axis=0) + F.std(_full(F, a), axis=1, keepdims=True)),
}


def random_program(seed, steps=8, inputs=3):
    """``[(step name, operand positions)]``: each operand any earlier value (inputs first)."""
    rng = np.random.default_rng(seed)
    names = sorted(STEPS)
    program = []
    for position in range(inputs, inputs + steps):
        name = names[rng.integers(len(names))]
        arity = STEPS[name][0]
        # Favour recent values (a deep chain) while any earlier value may fan out to it.
        operands = [int(min(position - 1, rng.integers(position) + rng.integers(2))) for _ in range(arity)]
        program.append((name, operands))
    return program


def program_inputs(seed):
    """Three float64 inputs of shapes (3, 4), (4,) and (3, 1)."""
    rng = np.random.default_rng(1000 + seed)
    return [rng.normal(size=SHAPE), rng.normal(size=SHAPE[1:]), rng.normal(size=(SHAPE[0], 1))]


def run_program(program, F, inputs):
    """Every value of ``program`` applied to ``inputs`` with the operations of ``F``."""
    values = list(inputs)
    for name, operands in program:
        values.append(STEPS[name][1](F, *(values[i] for i in operands)))
    return values


def program_output(program, F, inputs):
    """One scalar from a program: a weighted sum of its last value plus smaller ones of the others."""
    values = run_program(program, F, inputs)
    total = F.mean(values[-1] * F.constant(WEIGHTS))
    for k, value in enumerate(values[len(inputs):-1]):
        total = total + F.sum(value) * (0.1 / (k + 1))
    return total


class LayerkitOps:
    """``layerkit.ops`` as a program namespace (constants are plain arrays)."""

    def __getattr__(self, name):
        return getattr(ops, name)

    @staticmethod
    def constant(value):
        return value
