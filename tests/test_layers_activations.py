"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax. Expected values by the formulas."""

import numpy as np
import pytest
from layer_checks import (
    LayerCase,
    check_config_round_trip,
    check_gradients_in_model,
    check_large_inputs,
    check_shared_in_graph,
    check_summary_row,
    check_weights_file_round_trip,
    report_worst,
)

from layerkit import Sequential, losses
from layerkit.layers import ELU, Dense, Input, LeakyReLU, PReLU, ReLU, Softmax

WORST = {}
_report = report_worst("activation layers vs finite differences", WORST)

CASES = {
    "relu": LayerCase(lambda: ReLU(), (4,)),
    "relu_all_options": LayerCase(lambda: ReLU(max_value=0.6, negative_slope=0.2, threshold=0.1),
                                  (5,)),
    "leaky_relu": LayerCase(lambda: LeakyReLU(), (4,)),
    "prelu": LayerCase(lambda: PReLU(), (4,)),
    "prelu_shared_axes": LayerCase(lambda: PReLU(shared_axes=[1], alpha_regularizer="l2",
                                                 alpha_constraint="non_neg"), (3, 2)),
    "elu": LayerCase(lambda: ELU(alpha=0.7), (4,)),
    "softmax": LayerCase(lambda: Softmax(), (4,)),
    "softmax_axis1": LayerCase(lambda: Softmax(axis=1), (3, 2)),
    "softmax_two_axes": LayerCase(lambda: Softmax(axis=[1, 2]), (2, 3)),
}


@pytest.mark.parametrize("inference", [False, True], ids=["training", "inference"])
@pytest.mark.parametrize("name", list(CASES))
def test_gradients_match_finite_differences(name, inference):
    check_gradients_in_model(CASES[name], WORST, f"{name}[{'inference' if inference else 'training'}]",
                             inference=inference)


@pytest.mark.parametrize("name", list(CASES))
def test_config_round_trip(name, rng):
    check_config_round_trip(CASES[name], rng)


@pytest.mark.parametrize("name", list(CASES))
def test_weights_file_round_trip(name, tmp_path, rng):
    check_weights_file_round_trip(CASES[name], tmp_path, rng)


@pytest.mark.parametrize("name", list(CASES))
def test_summary_row(name):
    check_summary_row(CASES[name])


@pytest.mark.parametrize("name", list(CASES))
def test_finite_and_silent_at_large_inputs(name, rng):
    check_large_inputs(CASES[name], rng)


@pytest.mark.parametrize("name", list(CASES))
def test_shared_in_a_graph(name):
    check_shared_in_graph(CASES[name], WORST, f"{name}[shared]")


X = np.array([[-3.0, -0.5, 0.0, 0.05, 0.3, 2.0]])


def test_relu_options_by_hand():
    np.testing.assert_allclose(ReLU()(X), np.maximum(X, 0))
    y = ReLU(max_value=1.0, negative_slope=0.5, threshold=0.1)(X)
    expected = np.where(X > 0.1, np.minimum(X, 1.0), 0.5 * (X - 0.1))
    np.testing.assert_allclose(y, expected, rtol=1e-6)


def test_leaky_relu_elu_by_hand():
    np.testing.assert_allclose(LeakyReLU()(X), np.where(X > 0, X, 0.3 * X), rtol=1e-6)
    np.testing.assert_allclose(ELU(alpha=2.0)(X), np.where(X > 0, X, 2.0 * np.expm1(X)), rtol=1e-6)
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        assert LeakyReLU(alpha=0.1).negative_slope == 0.1


def test_prelu_learns_one_slope_per_channel():
    layer = PReLU(alpha_initializer="ones", shared_axes=1)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    layer(x)
    assert layer.alpha.shape == (1, 4)
    layer.alpha[...] = [[0.1, 0.2, 0.3, 0.4]]
    np.testing.assert_allclose(layer(x), np.where(x > 0, x, layer.alpha * x), rtol=1e-6)
    grad = np.ones_like(x)
    layer.backward(grad)
    np.testing.assert_allclose(layer.grads["alpha"], np.minimum(x, 0).sum(axis=(0, 1))[None],
                               rtol=1e-6)
    assert layer.get_config()["shared_axes"] == [1]


def test_prelu_trains_its_slope_and_keeps_its_constraint():
    model = Sequential([Input((3,)), Dense(4), PReLU(alpha_constraint="non_neg"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    prelu = model.layers[1]
    rng = np.random.default_rng(0)
    for _ in range(5):
        model.train_on_batch(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)) * 5)
    assert (prelu.alpha >= 0).all() and prelu.alpha.any()


def test_softmax_by_hand_and_stable_at_large_logits():
    z = np.array([[1000.0, 999.0, -1000.0]])
    e = np.exp(z - z.max())
    np.testing.assert_allclose(Softmax()(z), e / e.sum(), rtol=1e-6)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    y = Softmax(axis=[1, 2])(x)
    np.testing.assert_allclose(y.sum(axis=(1, 2)), 1.0, rtol=1e-6)


def test_a_softmax_layer_output_takes_the_fused_cross_entropy_gradient():
    loss = losses.CategoricalCrossentropy()
    calls = []
    fused = loss.logits_value_and_gradient
    loss.logits_value_and_gradient = lambda *args, **kwargs: calls.append(1) or fused(*args, **kwargs)
    model = Sequential([Input((3,)), Dense(4), Softmax()])
    model.compile(loss=loss)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), np.eye(4)[rng.integers(0, 4, 5)]
    grads = model.compute_gradients(x, y)
    assert calls, "the fused (A - Y)/N gradient was not used"
    dense = Sequential([Input((3,)), Dense(4, activation="softmax")])
    dense.compile(loss="categorical_crossentropy")
    dense.set_weights(model.get_weights())
    for a, b in zip(grads, dense.compute_gradients(x, y)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert Softmax(axis=1).output_activation() is None


def test_softmax_refuses_a_mask():
    with pytest.raises(NotImplementedError, match="no masks"):
        Softmax()(np.ones((1, 3)), mask=np.ones((1, 3)))


@pytest.mark.parametrize("make, message", [
    (lambda: ReLU(max_value=-1.0), "max_value of a ReLU layer cannot be a negative value"),
    (lambda: ReLU(negative_slope=None), "negative_slope of a ReLU layer cannot be None"),
    (lambda: ReLU(threshold=-0.5), "threshold of a ReLU layer cannot be None or a negative"),
    (lambda: LeakyReLU(negative_slope=-0.1), "negative_slope of a LeakyReLU layer cannot be"),
    (lambda: ELU(alpha="x"), "`alpha` of ELU must be a finite number"),
    (lambda: PReLU(shared_axes=["a"]), "`shared_axes` of PReLU must be integers"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_axes_are_refused_when_built():
    with pytest.raises(ValueError, match="must be axes 1 to 1"):
        Sequential([Input((3,)), PReLU(shared_axes=[2])])
    with pytest.raises(ValueError, match="is out of bounds"):
        Sequential([Input((3,)), Softmax(axis=2)])
    with pytest.raises(TypeError, match="`axis` of Softmax"):
        Softmax(axis="last")
