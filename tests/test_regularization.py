"""Regularizers, constraints and staged updates in training: what the engine does with them.

Weight penalties and activity penalties are part of the loss that ``fit`` minimises and
reports (as Keras reports them), and their gradients are part of the weights'; a
constraint projects its weight after each update; a value a layer stages during a
training forward pass (BatchNormalization's moving statistics) is written with the step,
whole or not at all.
"""

import numpy as np
import pytest

from layerkit import Sequential, backend, constraints, layers, optimizers, regularizers
from layerkit.utils import check_gradients


def _data(seed=0, n=16):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return x, np.tanh(x @ rng.normal(size=(4, 2)))


def _regularized_model():
    return Sequential([
        layers.Input((4,)),
        layers.Dense(5, activation="tanh", kernel_regularizer=regularizers.L1L2(0.01, 0.02),
                     bias_regularizer="l2", activity_regularizer=regularizers.L2(0.03)),
        layers.Dense(2, kernel_regularizer="l1", activity_regularizer=regularizers.L1(0.01)),
    ])


def test_gradients_with_every_kind_of_penalty_match_finite_differences(float64):
    model = _regularized_model()
    model.compile(loss="mse")
    x, y = _data()
    errors = check_gradients(model, x, y)
    assert max(errors.values()) < 1e-6, errors


def test_the_reported_loss_includes_the_penalties_computed_by_hand(float64):
    model = _regularized_model()
    model.compile(loss="mse")
    x, y = _data()
    first, second = model.layers
    hidden = np.tanh(x @ first.kernel + first.bias)
    output = hidden @ second.kernel + second.bias
    mse = np.mean((output - y) ** 2)
    weights = (0.01 * np.abs(first.kernel).sum() + 0.02 * (first.kernel ** 2).sum()
               + 0.01 * (first.bias ** 2).sum() + 0.01 * np.abs(second.kernel).sum())
    activity = 0.03 * (hidden ** 2).sum() / len(x) + 0.01 * np.abs(output).sum() / len(x)
    expected = mse + weights + activity
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=len(x), verbose=0), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(model.compute_loss(x, y), expected, rtol=1e-12)
    assert len(model.losses) == 3    # the weights' penalties, as Keras's layer.losses
    np.testing.assert_allclose(sum(model.losses), weights, rtol=1e-12)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-12)


def test_frozen_weights_are_not_regularized():
    model = _regularized_model()
    model.compile(loss="mse")
    model.layers[0].trainable = False
    x, y = _data()
    plain = Sequential([layers.Input((4,)), layers.Dense(5, activation="tanh", trainable=False),
                        layers.Dense(2, kernel_regularizer="l1")])
    plain.set_weights(model.get_weights())
    plain.compile(loss="mse")
    activity = model.evaluate(x, y, verbose=0, batch_size=16) - plain.evaluate(
        x, y, verbose=0, batch_size=16)
    hidden = np.tanh(x @ model.layers[0].kernel + model.layers[0].bias)
    output = hidden @ model.layers[1].kernel + model.layers[1].bias
    expected = 0.03 * (hidden ** 2).sum() / 16 + 0.01 * np.abs(output).sum() / 16
    np.testing.assert_allclose(activity, expected, rtol=1e-5)


def test_an_activity_regularized_output_is_not_fused():
    model = Sequential([layers.Input((3,)),
                        layers.Dense(1, activation="sigmoid", activity_regularizer="l2")])
    model.compile(loss="binary_crossentropy")
    backend.set_floatx("float64")
    try:
        model64 = Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid",
                                                               activity_regularizer="l2")])
        model64.compile(loss="binary_crossentropy")
        x = np.random.default_rng(0).normal(size=(6, 3))
        errors = check_gradients(model64, x, np.array([0, 1, 1, 0, 1, 0]))
    finally:
        backend.set_floatx("float32")
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("constraint", [constraints.MaxNorm(0.5), constraints.NonNeg(),
                                        constraints.UnitNorm(), constraints.MinMaxNorm(0.2, 0.4)])
def test_constraints_hold_after_every_update(constraint):
    model = Sequential([layers.Input((4,)), layers.Dense(3, kernel_constraint=constraint,
                                                         bias_constraint=constraints.NonNeg())])
    model.compile(optimizer=optimizers.SGD(0.5, momentum=0.9), loss="mse")
    x, y = _data()
    seen = []
    for _ in range(5):
        model.train_on_batch(x, y[:, :1].repeat(3, axis=1) * 10)
        kernel = model.layers[0].kernel
        np.testing.assert_allclose(kernel, constraint(kernel), rtol=1e-6, atol=1e-7)
        assert (model.layers[0].bias >= 0).all()
        seen.append(kernel.copy())
    assert not np.array_equal(seen[0], seen[-1])


def test_penalty_configs_round_trip():
    layer = layers.Dense(3, kernel_regularizer=regularizers.L1L2(0.1, 0.2),
                         activity_regularizer="l1", kernel_constraint=constraints.MaxNorm(2.0))
    again = layers.Dense.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    assert isinstance(again.kernel_regularizer, regularizers.L1L2)
    assert isinstance(again.activity_regularizer, regularizers.L1)


class Counting(layers.Layer):
    """Counts the samples it saw in training, through a staged non-trainable update."""

    cache_names = ()

    def build(self, input_shape):
        self.add_weight((), initializer="zeros", trainable=False, name="seen")

    def forward(self, x, training=False):
        if training:
            self.stage_update("seen", self.seen + len(x))
        return x

    def backward(self, grad_output, input_gradient=True):
        return grad_output


def _counting_model():
    model = Sequential([layers.Input((4,)), Counting(name="counter"), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_staged_updates_are_written_with_each_applied_step():
    model = _counting_model()
    x, y = _data()
    model.fit(x, y, batch_size=5, epochs=2, verbose=0)
    assert float(model.get_layer("counter").seen) == 32
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    model.compute_gradients(x, y)
    model.compute_loss(x, y)
    assert float(model.get_layer("counter").seen) == 32


def test_staged_updates_of_a_step_not_applied_are_discarded():
    model = _counting_model()
    x, y = _data()
    y = y.copy()
    y[0, 0] = 1e30                 # a finite target whose loss overflows
    with pytest.warns(RuntimeWarning, match="stopped at step 1"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert float(model.get_layer("counter").seen) == 0


def test_a_layer_called_on_its_own_writes_its_staged_update_at_once():
    layer = Counting()
    layer(np.ones((3, 4)), training=True)
    layer(np.ones((2, 4)), training=True)
    layer(np.ones((7, 4)))
    assert float(layer.seen) == 5
