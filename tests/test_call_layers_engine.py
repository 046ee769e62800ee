"""What tracing keeps from one ``call()`` to the next, and that it never keeps a stale answer.

A traced layer's weight names, trained weights and inner layers are found once and
kept while the structure of the layers and the layer's attributes stay the same
(``tracing.plan_of``). These tests change each of them between two training steps
and check the gradients and the updates that follow.
"""

import numpy as np
import pytest

from layerkit import Sequential, layers, ops
from layerkit.layers import Input, tracing
from layerkit.ops import Variable
from layerkit.utils import check_gradients


class Scale(layers.Layer):
    """``inputs * scale``, plus ``extra(inputs)`` once an inner layer is set as ``extra``."""

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")

    def call(self, inputs):
        out = inputs * self.scale
        extra = getattr(self, "extra", None)
        return out if extra is None else out + extra(inputs)


def _model(layer):
    model = Sequential([Input((3,)), layer, layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)), rng.normal(size=(8, 1))


def test_freezing_and_unfreezing_a_call_layer_between_steps(float64):
    layer = Scale()
    model = _model(layer)
    x, y = _data()
    model.train_on_batch(x, y)
    layer.trainable = False
    frozen = layer.scale.copy()
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(layer.scale, frozen)
    layer.trainable = True
    model.train_on_batch(x, y)
    assert not np.array_equal(layer.scale, frozen)


def test_an_inner_layer_set_after_the_first_step_is_trained_and_differentiated(float64):
    layer = Scale()
    model = _model(layer)
    x, y = _data()
    model.train_on_batch(x, y)
    layer.extra = layers.Dense(3, kernel_initializer="ones")   # a new attribute: a new plan
    model.train_on_batch(x, y)
    assert not np.array_equal(layer.extra.kernel, np.ones((3, 3)))
    assert max(check_gradients(model, x, y).values()) < 1e-6


class Fussy(Scale):
    """Refuses to have its ``alias`` attribute read as a Variable."""

    def build(self, input_shape):
        super().build(input_shape)
        self.alias = self.scale

    def __setattr__(self, name, value):
        if name == "alias" and isinstance(value, Variable):
            raise TypeError("alias must stay an array")
        super().__setattr__(name, value)


def test_a_weight_that_cannot_be_swapped_leaves_every_attribute_an_array(float64):
    layer = Fussy()
    layer.build((None, 3))
    with pytest.raises(TypeError, match="alias must stay an array"):
        tracing.traced_forward(layer, np.ones((2, 3)), True)
    assert type(layer.scale) is np.ndarray and layer.alias is layer.scale


def test_the_tape_lists_what_it_recorded_in_the_order_it_ran():
    with ops.GradientTape() as tape:
        x = tape.watch(np.array([1.0, 2.0]))
        y = ops.exp(x)
        with tape.stop_recording():
            ops.sin(x)                       # not recorded
        z = ops.sum(y * x)
    assert [type(op).__name__ for op in tape.operations] == ["Exp", "Multiply", "Sum"]
    assert tape.operations[-1] is z.node
