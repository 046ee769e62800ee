"""``call()`` layers and subclassed models: their derived backward checked two ways.

Against the hand-written backward (a Dense written as a ``call()`` layer gives the
built-in Dense's gradients to 1e-12) and against finite differences (custom layers,
nested layers, shared inner layers, layers with several outputs, subclassed models).
"""

import numpy as np
import pytest
from parity import report_worst_errors

from layerkit import Input, Model, Sequential, activations, layers, ops
from layerkit.utils import check_gradients

WORST = {}


_report = report_worst_errors("call() layers vs finite differences and the built-in Dense", WORST,
                              bound=1e-6)


def _worst(kind, value):
    WORST[kind] = max(WORST.get(kind, 0.0), value)


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


class CallDense(layers.Layer):
    """Dense written the Keras way: ``activation(x @ w + b)`` with ops."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = ops.matmul(inputs, self.w) + self.b
        return z if self.activation is None else ops.activation(self.activation, z)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "softplus", "gelu", None])
def test_a_call_dense_stack_gives_the_built_in_gradients_to_1e_12(float64, activation):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 5)), rng.normal(size=(32, 2))
    built_in = Sequential([Input((5,)), layers.Dense(7, activation=activation),
                           layers.Dense(6, activation=activation), layers.Dense(2)])
    written = Sequential([Input((5,)), CallDense(7, activation), CallDense(6, activation),
                          CallDense(2)])
    written.set_weights(built_in.get_weights())
    for model in (built_in, written):
        model.compile(loss="mse")
    grads_a, dx_a = built_in.compute_gradients(x, y, wrt_inputs=True)
    grads_b, dx_b = written.compute_gradients(x, y, wrt_inputs=True)
    for a, b in zip(grads_a + [dx_a], grads_b + [dx_b]):
        err = _rel(a, b)
        _worst("built-in Dense (<1e-12)", err)
        assert err < 1e-12


class KerasStyleDense(layers.Layer):
    """Dense as Keras's own code writes it: ``self.activation = activations.get(...)``."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.w) + self.b)


class ReluBlock(layers.Layer):
    """The guide's MLPBlock: ``activations.relu(x)`` called on what the inner layers return."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_1, self.linear_2 = CallDense(7), CallDense(2)

    def call(self, inputs):
        return self.linear_2(activations.relu(self.linear_1(inputs)))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "softmax", "gelu"])
def test_activations_called_on_recorded_tensors_are_differentiated(float64, activation):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 5)), rng.normal(size=(16, 2))
    built_in = Sequential([Input((5,)), layers.Dense(6, activation=activation), layers.Dense(2)])
    written = Sequential([Input((5,)), KerasStyleDense(6, activation), KerasStyleDense(2)])
    written.set_weights(built_in.get_weights())
    for model in (built_in, written):
        model.compile(loss="mse")
    for a, b in zip(built_in.compute_gradients(x, y), written.compute_gradients(x, y)):
        assert _rel(a, b) < 1e-12


def test_a_block_calling_activations_relu_trains_like_its_built_in_twin(float64):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(16, 5)), rng.normal(size=(16, 2))
    built_in = Sequential([Input((5,)), layers.Dense(7, activation="relu"), layers.Dense(2)])
    written = Sequential([Input((5,)), ReluBlock()])
    written.set_weights(built_in.get_weights())
    for model in (built_in, written):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(built_in.get_weights(), written.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


class Gated(layers.Layer):
    """A layer with an inner Dense used twice, a weight of its own, and an added loss."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation="tanh")

    def build(self, input_shape):
        self.gate = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gate")

    def call(self, inputs, training=None):
        h = self.inner(inputs * ops.sigmoid(self.gate))
        again = self.inner(ops.tanh(inputs))              # the same Dense, a second time
        self.add_loss(0.01 * ops.mean(ops.square(h)))
        return h * again + ops.maximum(h, 0.1 * again)


class TwoHeads(layers.Layer):
    """A layer with two outputs, as the Keras guide's Encoder."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mean, self.scale = layers.Dense(3), layers.Dense(3)

    def call(self, inputs):
        return self.mean(inputs), ops.softplus(self.scale(inputs))


class Combined(Model):
    def __init__(self):
        super().__init__()
        self.gated = Gated(4)
        self.heads = TwoHeads()
        self.out = layers.Dense(2)

    def call(self, inputs):
        mean, scale = self.heads(self.gated(inputs))
        self.add_loss(0.001 * ops.sum(ops.square(scale)))
        return self.out(ops.concatenate([mean, mean * scale], axis=-1))


def _check(model, x, y, kind):
    errors = check_gradients(model, x, y)
    _worst(kind, max(errors.values()))
    assert max(errors.values()) < 1e-6, errors


def test_custom_layers_in_a_sequential_model_match_finite_differences(float64):
    rng = np.random.default_rng(1)
    model = Sequential([Input((5,)), Gated(4), layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy")
    x, y = rng.normal(size=(6, 5)), np.eye(3)[rng.integers(0, 3, 6)]
    _check(model, x, y, "custom layers (Sequential)")


def test_a_subclassed_model_matches_finite_differences(float64):
    rng = np.random.default_rng(2)
    model = Combined()
    model.compile(loss="mse")
    x, y = rng.normal(size=(6, 5)), rng.normal(size=(6, 2))
    _check(model, x, y, "subclassed model")
    assert len(model.losses) == 2    # the two added losses of the last call


def test_custom_layers_in_a_graph_model_match_finite_differences(float64):
    rng = np.random.default_rng(3)
    inputs = Input((5,))
    shared = Gated(4)
    merged = layers.Add()([shared(inputs), shared(layers.Dense(5)(inputs))])
    model = Model(inputs, layers.Dense(1)(merged))
    model.compile(loss="mse")
    _check(model, rng.normal(size=(6, 5)), rng.normal(size=(6, 1)), "custom layers (graph)")


def test_a_lambda_layer_matches_finite_differences(float64):
    rng = np.random.default_rng(4)
    model = Sequential([Input((3,)), layers.Dense(4),
                        layers.Lambda(lambda t: np.tanh(t) * t + ops.square(t)),
                        layers.Dense(1)])
    model.compile(loss="mse")
    _check(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 1)), "Lambda")


def test_a_custom_loss_function_matches_finite_differences(float64):
    def smooth_l1(y_true, y_pred):
        diff = ops.abs(y_true - y_pred)
        return ops.mean(ops.where(diff < 1.0, 0.5 * diff ** 2, diff - 0.5), axis=-1)

    rng = np.random.default_rng(5)
    model = Sequential([Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
    model.compile(loss=smooth_l1)
    _check(model, rng.normal(size=(8, 3)), 2 * rng.normal(size=(8, 2)), "custom loss function")


def test_numpy_functions_without_an_operation_are_refused_in_a_call():
    class Sorting(layers.Layer):
        def call(self, inputs):
            return np.sort(inputs, axis=-1)

    model = Sequential([Input((3,)), layers.Dense(3), Sorting()])
    model.compile(loss="mse")
    x = np.ones((2, 3))
    np.testing.assert_array_equal(model.predict(x, verbose=0).shape, (2, 3))  # no tape: fine
    with pytest.raises(TypeError, match="sort"):
        model.fit(x, np.ones((2, 3)), verbose=0)


def test_inference_records_nothing_and_returns_plain_arrays():
    layer = Gated(3)
    out = layer(np.ones((2, 3)))
    assert type(out) is np.ndarray
    assert layer.call_record is None


def test_a_call_layer_shared_twice_sums_its_weight_gradients(float64):
    rng = np.random.default_rng(6)
    dense = CallDense(3, "tanh")
    inputs = Input((3,))
    model = Model(inputs, dense(dense(inputs)))
    model.compile(loss="mse")
    _check(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), "call layer used twice")
