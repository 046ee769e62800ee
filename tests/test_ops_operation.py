"""Custom Operations, the Keras guide's Linear layer, and value_and_grad (JAX's name and argument).

Expected gradients are written from the formulas in each test.
"""

import numpy as np
import pytest

from layerkit import ops


@pytest.fixture
def x():
    return np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


# ---------------------------------------------------------------- custom operations
class Scale(ops.Operation):
    """``y = x · w`` for a (batch, n) x and a (n,) w, with a backward that records what it was asked."""

    asked = []

    def forward(self, x, w):
        self.cached = x * w
        return self.cached

    def backward(self, g):
        Scale.asked.append(self.needs_gradient)
        x, w = self.inputs
        need_x, need_w = self.needs_gradient
        return (g * w if need_x else None, ops.sum(g * x, axis=0) if need_w else None)


def test_operation_records_and_computes_only_the_needed_gradients(x):
    w0 = np.array([1.0, 2.0, 3.0])
    Scale.asked.clear()
    with ops.GradientTape() as tape:
        w = tape.watch(w0)
        t = tape.watch(x)                     # watched, but not a source below
        y = ops.sum(Scale()(x, w) + Scale()(t, w))
    np.testing.assert_allclose(tape.gradient(y, w), 2 * x.sum(axis=0), rtol=1e-15)
    assert Scale.asked == [(False, True), (False, True)]
    plain = Scale()(x, w0)
    assert type(plain) is np.ndarray and np.array_equal(plain, x * w0)


def test_operation_output_from_several_inputs_and_fresh_instances(x):
    with ops.GradientTape() as tape:
        w = tape.watch(np.ones(3))
        first, second = Scale(), Scale()
        first(x, w), second(2 * x, w)
    assert first.cached is not second.cached and np.array_equal(second.cached, 2 * x)


def test_operation_with_its_own_tape_inside_forward(x):
    class InnerTape(ops.Operation):
        """y = Σ tanh(x)², with its gradient from a tape of its own taken during forward."""

        def forward(self, value):
            with ops.GradientTape() as inner:
                t = inner.watch(value)
                y = ops.sum(ops.tanh(t) ** 2)
            self.grad = inner.gradient(y, t)
            return ops.convert_to_numpy(y)

        def backward(self, g):
            return (g * self.grad,)

    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = InnerTape()(t) * 2
    expected = 2 * 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(tape.gradient(y, t), expected, rtol=1e-14)


def test_operation_mistakes_are_named(x):
    class Captures(ops.Operation):
        def forward(self, value):
            return value * self.outside

    class WrongShape(ops.Operation):
        def forward(self, value):
            return value * 2

        def backward(self, g):
            return (g[0],)

    class NotATuple(WrongShape):
        def backward(self, g):
            return g * 2

    with ops.GradientTape() as tape:
        t = tape.watch(x)
        op = Captures()
        op.outside = t
        with pytest.raises(TypeError, match="Captures.forward returned a Tensor"):
            op(t)
    for op_class, error, message in ((WrongShape, ValueError, r"WrongShape.backward.*shape \(3,\)"),
                                     (NotATuple, TypeError, "NotATuple.backward must return a tuple of 1")):
        with ops.GradientTape() as tape:
            t = tape.watch(x)
            y = ops.sum(op_class()(t))
        with pytest.raises(error, match=message):
            tape.gradient(y, t)


def test_operation_with_an_integer_output_carries_no_gradient(x):
    class Rank(ops.Operation):
        def forward(self, value):
            return np.argsort(value, axis=-1)

    with ops.GradientTape() as tape:
        ranks = Rank()(tape.watch(x))
    assert type(ranks) is np.ndarray and ranks.dtype.kind == "i"


# ---------------------------------------------------------------- the Keras guide's Linear layer
def test_linear_layer_math_gives_the_hand_derived_gradients(rng):
    x0, w0, b0 = rng.normal(size=(8, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
    d_out = rng.normal(size=(8, 3))
    with ops.GradientTape() as tape:
        x, w, b = tape.watch([x0, w0, b0])
        out = ops.relu(ops.matmul(x, w) + b)
    dx, dw, db = tape.gradient(out, [x, w, b], output_gradients=d_out)
    z = x0 @ w0 + b0
    dz = d_out * (z > 0)
    for got, expected in ((dw, x0.T @ dz), (db, dz.sum(axis=0)), (dx, dz @ w0.T)):
        assert np.linalg.norm(got - expected) <= 1e-12 * np.linalg.norm(expected)


def test_a_plain_input_gets_no_gradient_computed(rng):
    x0, w0 = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    with ops.GradientTape() as tape:
        w = tape.watch(w0)
        z = ops.matmul(x0, w)
    assert z.node.needs_gradient == (False, True)
    tape.gradient(z, w)
    assert z.node.needs_gradient == (False, True)


# ---------------------------------------------------------------- value_and_grad
def test_value_and_grad_the_two_two_one_network():
    """The primer's 2-2-1 network: every weight's gradient of the squared error, checked by hand."""
    x, y = np.array([-2.0, -1.0]), 1.0
    params = {"w1": np.full((2, 2), 0.1), "b1": np.full(2, 0.1), "w2": np.full(2, 0.1),
              "b2": np.array(0.1)}

    def loss(p, x, y):
        hidden = ops.sigmoid(ops.matmul(x, p["w1"]) + p["b1"])
        return (ops.sigmoid(ops.dot(hidden, p["w2"]) + p["b2"]) - y) ** 2

    value, grads = ops.value_and_grad(loss)(params, x, y)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sigmoid(x @ params["w1"] + params["b1"])
    out = sigmoid(h @ params["w2"] + params["b2"])
    d_out = 2 * (out - y) * out * (1 - out)
    d_hidden = d_out * params["w2"] * h * (1 - h)
    np.testing.assert_allclose(value, (out - y) ** 2, rtol=1e-14)
    np.testing.assert_allclose(grads["w2"], d_out * h, rtol=1e-13)
    np.testing.assert_allclose(grads["b2"], d_out, rtol=1e-13)
    np.testing.assert_allclose(grads["w1"], np.outer(x, d_hidden), rtol=1e-13)
    np.testing.assert_allclose(grads["b1"], d_hidden, rtol=1e-13)


def test_value_and_grad_argnums_aux_and_errors():
    def f(a, b, scale=1.0):
        return ops.sum(a * b) * scale, "aux"

    (value, aux), (da, db) = ops.value_and_grad(f, argnums=(0, 1), has_aux=True)(
        np.array([1.0, 2.0]), np.array([3.0, 4.0]), scale=2.0)
    assert float(value) == 22.0 and aux == "aux"
    np.testing.assert_array_equal(da, [6.0, 8.0])
    np.testing.assert_array_equal(db, [2.0, 4.0])
    _, unused = ops.value_and_grad(lambda a, b: ops.sum(a), argnums=1)(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(unused, np.zeros(3))
    with pytest.raises(TypeError, match="scalar value.*shape \\(2,\\)"):
        ops.value_and_grad(lambda a: a * 2)(np.ones(2))
    with pytest.raises(TypeError, match="argnums"):
        ops.value_and_grad(f, argnums="a")
    with pytest.raises(TypeError, match="argnums=3 but only 2"):
        ops.value_and_grad(f, argnums=3)(np.ones(2), np.ones(2))
