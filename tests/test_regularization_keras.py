"""Regularized models report the same loss as Keras, and train to the same weights."""

import numpy as np
import pytest
from peers import import_peer

keras = import_peer("keras")

from layerkit import Sequential, layers, optimizers, regularizers  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _pair():
    ours = Sequential([
        layers.Input((4,)),
        layers.Dense(5, activation="tanh", kernel_regularizer=regularizers.L1L2(0.01, 0.02),
                     bias_regularizer="l2", activity_regularizer=regularizers.L2(0.03)),
        layers.Dense(2, kernel_regularizer="l1", activity_regularizer=regularizers.L1(0.01)),
    ])
    theirs = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(5, activation="tanh",
                           kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02),
                           bias_regularizer="l2",
                           activity_regularizer=keras.regularizers.L2(0.03)),
        keras.layers.Dense(2, kernel_regularizer="l1",
                           activity_regularizer=keras.regularizers.L1(0.01)),
    ])
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def test_the_reported_loss_with_penalties_equals_keras():
    ours, theirs = _pair()
    ours.compile(loss="mse")
    theirs.compile(loss="mse")
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=32, verbose=0),
                               theirs.evaluate(x, y, batch_size=32, verbose=0), rtol=1e-6)


def test_sgd_steps_with_penalties_give_keras_weights():
    ours, theirs = _pair()
    ours.compile(optimizer=optimizers.SGD(0.05), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    for _ in range(5):
        ours.train_on_batch(x, y)
        theirs.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
