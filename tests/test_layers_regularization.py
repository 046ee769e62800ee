"""Regularisation and noise layers: Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout,
AlphaDropout, ActivityRegularization.

The random layers draw from ``numpy.random.default_rng(seed)`` when given a seed, so the
expected outputs below are computed in the test from that generator and the layer's
formula; ``hold_noise`` fixes the noise for the gradient checks.
"""

import math

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

from layerkit import Sequential, backend
from layerkit.layers import (
    ActivityRegularization,
    AlphaDropout,
    Dense,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    Input,
    SpatialDropout1D,
    hold_noise,
)
from layerkit.utils import check_gradients

WORST = {}
_report = report_worst("regularisation layers vs finite differences", WORST)

CASES = {
    "dropout": LayerCase(lambda: Dropout(0.4), (4,)),
    "dropout_seed_noise_shape": LayerCase(lambda: Dropout(0.5, noise_shape=(None, 1, 3), seed=3),
                                          (2, 3)),
    "spatial_dropout1d": LayerCase(lambda: SpatialDropout1D(0.3, seed=1), (3, 2)),
    "gaussian_noise": LayerCase(lambda: GaussianNoise(0.5), (4,)),
    "gaussian_dropout": LayerCase(lambda: GaussianDropout(0.3, seed=2), (4,)),
    "alpha_dropout": LayerCase(lambda: AlphaDropout(0.3), (4,)),
    "alpha_dropout_noise_shape": LayerCase(lambda: AlphaDropout(0.2, noise_shape=(None, 1, 2)),
                                           (3, 2)),
    "activity_regularization": LayerCase(lambda: ActivityRegularization(l1=0.05, l2=0.1), (4,)),
}


# ---------------------------------------------------------------------------- the shared checks
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


# ---------------------------------------------------------------------------- values by hand
def test_dropout_with_a_seed_is_inverted_dropout_with_that_seeds_mask():
    x = np.random.default_rng(5).normal(size=(6, 7)).astype("float32")
    layer = Dropout(0.25, seed=11)
    y = layer(x, training=True)
    keep = np.random.default_rng(11).random((6, 7)) >= 0.25
    np.testing.assert_allclose(y, x * keep / 0.75, rtol=1e-6)
    grad = np.ones_like(x)
    np.testing.assert_allclose(layer.backward(grad), keep / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(layer(x), x)                       # inference: identity
    assert not np.array_equal(layer(x, training=True), y)             # the next draw differs


def test_dropout_noise_shape_shares_the_mask_along_axes_of_size_one():
    layer = Dropout(0.5, noise_shape=(None, 1, 4), seed=0)
    y = layer(np.ones((3, 5, 4)), training=True)
    keep = np.random.default_rng(0).random((3, 1, 4)) >= 0.5
    np.testing.assert_allclose(y, np.broadcast_to(keep * 2.0, (3, 5, 4)))


def test_dropout_drops_the_rate_and_keeps_the_mean_on_average():
    backend.set_random_seed(0)
    y = Dropout(0.3)(np.ones((400, 500)), training=True)
    dropped = float((y == 0).mean())
    assert abs(dropped - 0.3) < 5 * math.sqrt(0.3 * 0.7 / y.size)
    assert abs(float(y.mean()) - 1.0) < 0.01


def test_unseeded_layers_follow_set_random_seed():
    x = np.ones((4, 5))
    backend.set_random_seed(7)
    first = Dropout(0.5)(x, training=True)
    backend.set_random_seed(7)
    np.testing.assert_array_equal(Dropout(0.5)(x, training=True), first)


def test_rate_zero_and_inference_are_the_identity():
    x = np.random.default_rng(0).normal(size=(3, 4))
    for layer in (Dropout(0.0), GaussianDropout(0.0), AlphaDropout(0.0), GaussianNoise(0.0)):
        np.testing.assert_array_equal(layer(x, training=True), x.astype("float32"))
    for layer in (Dropout(0.9), GaussianDropout(0.5), AlphaDropout(0.5), GaussianNoise(1.0)):
        np.testing.assert_array_equal(layer(x), x.astype("float32"))


def test_spatial_dropout_drops_whole_channels():
    layer = SpatialDropout1D(0.5, seed=4)
    y = layer(np.ones((2, 6, 3)), training=True)
    keep = np.random.default_rng(4).random((2, 1, 3)) >= 0.5
    np.testing.assert_allclose(y, np.broadcast_to(keep * 2.0, (2, 6, 3)))


def test_gaussian_noise_adds_the_seeds_normal_noise():
    x = np.zeros((3, 4), dtype="float32")
    y = GaussianNoise(0.2, seed=9)(x, training=True)
    np.testing.assert_allclose(y, np.random.default_rng(9).normal(0.0, 0.2, (3, 4)), rtol=1e-6)


def test_gaussian_dropout_multiplies_by_the_seeds_noise():
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    layer = GaussianDropout(0.2, seed=9)
    noise = np.random.default_rng(9).normal(1.0, math.sqrt(0.2 / 0.8), (3, 4))
    np.testing.assert_allclose(layer(x, training=True), x * noise, rtol=1e-6)
    np.testing.assert_allclose(layer.backward(np.ones((3, 4))), noise, rtol=1e-6)


def test_alpha_dropout_by_the_formula_and_its_moments():
    rate, alpha, scale = 0.2, 1.6732632423543772, 1.0507009873554805
    alpha_p = -alpha * scale
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    x = np.random.default_rng(0).normal(size=(4, 5))
    keep = np.random.default_rng(3).random((4, 5)) >= rate
    y = AlphaDropout(rate, seed=3)(x, training=True)
    np.testing.assert_allclose(y, a * np.where(keep, x, alpha_p) + b, rtol=1e-6)
    backend.set_random_seed(0)
    big = AlphaDropout(rate)(np.random.default_rng(1).normal(size=(500, 400)), training=True)
    assert abs(float(big.mean())) < 0.02 and abs(float(big.std()) - 1) < 0.02  # self-normalising


def test_hold_noise_fixes_the_masks_of_every_random_layer_in_a_model():
    model = Sequential([Input((6,)), Dropout(0.5), GaussianNoise(0.3), Dense(2)])
    x = np.ones((3, 6))
    with hold_noise(model):
        first = model.forward(x, training=True)
        np.testing.assert_array_equal(model.forward(x, training=True), first)
    assert not np.array_equal(model.forward(x, training=True), first)


def test_without_hold_noise_the_gradient_check_fails_so_the_bound_is_not_vacuous():
    model = Sequential([Input((4,)), Dense(6), Dropout(0.5), Dense(2)])
    model.compile(loss="mse")
    rng = np.random.default_rng(0)
    errors = check_gradients(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 2)))
    assert max(errors.values()) > 1e-3


def test_activity_regularization_adds_its_penalty_to_the_loss():
    model = Sequential([Input((3,)), Dense(2, kernel_initializer="ones"),
                        ActivityRegularization(l1=0.1, l2=0.2)])
    model.compile(loss="mse")
    x, y = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]]), np.zeros((2, 2))
    h = x.sum(axis=1, keepdims=True).repeat(2, axis=1)
    expected = (h ** 2).mean() + (0.1 * np.abs(h).sum() + 0.2 * (h ** 2).sum()) / 2
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-6)
    assert ActivityRegularization(l1=0.1).get_config()["l1"] == 0.1
    assert "activity_regularizer" not in ActivityRegularization().get_config()


# ---------------------------------------------------------------------------- adversarial
@pytest.mark.parametrize("cls", [Dropout, GaussianDropout, AlphaDropout, SpatialDropout1D])
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "0.5", None, True])
def test_rates_outside_zero_one_are_refused_in_keras_words(cls, rate):
    with pytest.raises(ValueError, match=r"Invalid value received for argument `rate`.*Received: rate="):
        cls(rate)


@pytest.mark.parametrize("stddev", [-1.0, 1.5, float("inf"), "x"])
def test_gaussian_noise_stddev_outside_zero_one_is_refused(stddev):
    with pytest.raises(ValueError, match="Received: stddev="):
        GaussianNoise(stddev)


@pytest.mark.parametrize("noise_shape, message", [
    ("abc", "Expected a tuple or list of integers"),
    (3, "Expected an iterable of integers"),
    ((None, 1.5), "Expected all elements to be integers or None"),
    ((None, 0), "Received negative or zero value at index 1: 0"),
])
def test_malformed_noise_shapes_are_refused_in_keras_words(noise_shape, message):
    with pytest.raises(ValueError, match=message):
        Dropout(0.5, noise_shape=noise_shape)


def test_a_noise_shape_that_does_not_fit_the_input_is_refused_when_called():
    with pytest.raises(ValueError, match="does not fit inputs of shape"):
        Dropout(0.5, noise_shape=(None, 3))(np.ones((2, 4)), training=True)
    with pytest.raises(ValueError, match="does not fit"):
        Sequential([Input((2, 4)), Dropout(0.5, noise_shape=(None, 1))])


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="Received: seed="):
        Dropout(0.5, seed=seed)


def test_spatial_dropout_needs_rank_3_inputs():
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        Sequential([Input((4,)), SpatialDropout1D(0.5)])


def test_negative_activity_factors_are_refused():
    with pytest.raises(ValueError, match="l1"):
        ActivityRegularization(l1=-0.1)


def test_random_layers_never_write_into_the_callers_array():
    x = np.random.default_rng(0).normal(size=(4, 5))
    before = x.copy()
    for layer in (Dropout(0.5), GaussianNoise(0.5), GaussianDropout(0.5), AlphaDropout(0.5)):
        layer.forward(x, training=True)
        layer.backward(x)
    np.testing.assert_array_equal(x, before)
