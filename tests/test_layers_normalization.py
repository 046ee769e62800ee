"""Normalisation layers: BatchNormalization, LayerNormalization, UnitNormalization, Normalization
(with ``adapt``) and Rescaling. Expected values are computed here from each layer's formula."""

import json

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

from layerkit import Model, Sequential, backend
from layerkit.layers import (
    BatchNormalization,
    Dense,
    Input,
    LayerNormalization,
    Normalization,
    Rescaling,
    UnitNormalization,
)


def _adapted(**kwargs):
    layer = Normalization(**kwargs)
    layer.adapt(np.random.default_rng(3).normal(size=(20, 2, 3)) * 2 + 1)
    return layer


WORST = {}
_report = report_worst("normalisation layers vs finite differences", WORST)

CASES = {
    "batch_norm": LayerCase(lambda: BatchNormalization(), (4,)),
    "batch_norm_axis1_rank3": LayerCase(lambda: BatchNormalization(axis=1, momentum=0.5), (3, 2)),
    "batch_norm_no_center_scale": LayerCase(lambda: BatchNormalization(center=False, scale=False),
                                            (4,)),
    "batch_norm_regularized": LayerCase(lambda: BatchNormalization(gamma_regularizer="l2",
                                                                   beta_regularizer="l1"), (4,)),
    "layer_norm": LayerCase(lambda: LayerNormalization(), (4,)),
    "layer_norm_two_axes": LayerCase(lambda: LayerNormalization(axis=[1, 2], epsilon=0.01), (2, 3)),
    "layer_norm_axis1": LayerCase(lambda: LayerNormalization(axis=1, center=False), (3, 2)),
    "unit_norm": LayerCase(lambda: UnitNormalization(), (4,)),
    "unit_norm_two_axes": LayerCase(lambda: UnitNormalization(axis=[1, 2]), (2, 3)),
    "normalization_adapted": LayerCase(lambda: _adapted(), (2, 3)),
    "normalization_adapted_axis1_invert": LayerCase(lambda: _adapted(axis=1, invert=True), (2, 3)),
    "normalization_given": LayerCase(lambda: Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25]),
                                     (2,)),
    "normalization_axis_none": LayerCase(lambda: Normalization(axis=None, mean=2.0, variance=9.0),
                                         (3,)),
    "rescaling": LayerCase(lambda: Rescaling(0.5, offset=-1.0), (4,)),
    "rescaling_per_channel": LayerCase(lambda: Rescaling(np.array([1.0, -2.0, 3.0]), offset=0.5),
                                       (2, 3)),
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


def test_a_frozen_batch_norm_gradient_check_uses_the_moving_statistics():
    """trainable=False runs BatchNormalization in inference mode, as in Keras (checked through fit)."""
    case = LayerCase(lambda: BatchNormalization(trainable=False), (4,))
    errors = check_gradients_in_model(case, WORST, "batch_norm_frozen")
    assert errors  # the moving statistics' gradients are non-zero and checked


# ---------------------------------------------------------------------------- BatchNormalization
def _bn_by_hand(x, gamma, beta, mean, variance, epsilon, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: np.reshape(v, shape)  # noqa: E731
    return r(gamma) * (x - r(mean)) / np.sqrt(r(variance) + epsilon) + r(beta)


def test_batch_norm_training_uses_the_batch_statistics_and_stages_the_moving_ones(float64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3, 2)) * 3 + 1
    layer = BatchNormalization(axis=1, momentum=0.8, epsilon=0.01)
    layer.build((None, 3, 2))
    layer.gamma[...], layer.beta[...] = [1.0, 2.0, 0.5], [0.0, -1.0, 1.0]
    mean, variance = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, _bn_by_hand(x, layer.gamma, layer.beta, mean, variance, 0.01, 1),
                               rtol=1e-12)
    np.testing.assert_array_equal(layer.moving_mean, 0.0)   # staged, not written yet
    layer.commit_staged_updates()
    np.testing.assert_allclose(layer.moving_mean, 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance, 0.8 + 0.2 * variance, rtol=1e-12)
    y = layer.forward(x, training=False)
    np.testing.assert_allclose(y, _bn_by_hand(x, layer.gamma, layer.beta, layer.moving_mean,
                                              layer.moving_variance, 0.01, 1), rtol=1e-12)


def test_batch_norm_moving_statistics_follow_the_training_steps(float64):
    rng = np.random.default_rng(1)
    model = Sequential([Input((3,)), BatchNormalization(momentum=0.9), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    bn = model.layers[0]
    mean, variance = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(size=(8, 3)) * 2 + 3
        model.train_on_batch(x, rng.normal(size=(8, 1)))
        mean = 0.9 * mean + 0.1 * x.mean(axis=0)
        variance = 0.9 * variance + 0.1 * x.var(axis=0)
        np.testing.assert_allclose(bn.moving_mean, mean, rtol=1e-12)
        np.testing.assert_allclose(bn.moving_variance, variance, rtol=1e-12)
    before = bn.moving_mean.copy()
    model.predict(rng.normal(size=(5, 3)), verbose=0)
    model.evaluate(rng.normal(size=(5, 3)), rng.normal(size=(5, 1)), verbose=0)
    model.compute_gradients(rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))
    np.testing.assert_array_equal(bn.moving_mean, before)    # only applied steps move them


def test_a_step_with_a_non_finite_loss_leaves_the_moving_statistics_unchanged():
    model = Sequential([Input((2,)), BatchNormalization(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    bn, dense = model.layers
    x = np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]])
    model.train_on_batch(x, np.zeros((3, 1)))
    dense.kernel[...] = 1e30                                   # ŷ² overflows float32: loss inf
    saved = [w.copy() for w in model.get_weights()]
    with pytest.warns(RuntimeWarning, match="the loss is inf"):
        model.train_on_batch(x * 7, np.zeros((3, 1)))
    for before, after in zip(saved, model.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not bn.has_staged_updates


def test_a_frozen_batch_norm_runs_in_inference_mode_and_keeps_its_statistics():
    model = Sequential([Input((2,)), BatchNormalization(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    bn = model.layers[0]
    bn.moving_mean[...] = [1.0, -1.0]
    bn.trainable = False
    x = np.random.default_rng(0).normal(size=(4, 2))
    expected = _bn_by_hand(x, bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance, 1e-3, 1)
    np.testing.assert_allclose(bn.forward(x.astype("float32"), training=True), expected, rtol=1e-5)
    model.train_on_batch(x, np.ones((4, 1)))
    np.testing.assert_array_equal(bn.moving_mean, [1.0, -1.0])
    assert bn.weight_names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(model.trainable_weights) == 2                   # the Dense's alone


def test_batch_norm_is_finite_and_silent_at_large_inputs():
    x = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0]], dtype="float32")
    for training in (True, False):
        y = BatchNormalization()(x, training=training)
        assert np.isfinite(y).all()
    y = BatchNormalization()(np.full((4, 2), 1000.0), training=True)   # zero variance
    np.testing.assert_array_equal(y, 0.0)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"axis": 1.5}, ValueError, "`axis` of BatchNormalization must be an integer"),
    ({"momentum": 1.5}, ValueError, r"Received: momentum=1.5"),
    ({"momentum": -0.1}, ValueError, r"Received: momentum=-0.1"),
    ({"epsilon": 0.0}, ValueError, r"Received: epsilon=0.0"),
    ({"epsilon": float("nan")}, ValueError, r"Received: epsilon=nan"),
    ({"synchronized": True}, ValueError, "synchronized=True is only supported with the TensorFlow"),
    ({"renorm": True}, NotImplementedError, "renorm=True"),
    ({"gamma_initializer": "no_such"}, ValueError, "no_such"),
])
def test_batch_norm_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        BatchNormalization(**kwargs)


def test_batch_norm_axis_outside_the_input_is_refused_in_keras_words():
    with pytest.raises(ValueError, match=r"Axis 2 is out of bounds for input shape \(None, 3\)"):
        Sequential([Input((3,)), BatchNormalization(axis=2)])


def test_batch_norm_built_for_one_width_refuses_another():
    layer = BatchNormalization()
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4)))


# ---------------------------------------------------------------------------- LayerNormalization
def test_layer_norm_by_hand(float64):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 2, 3)) * 5
    layer = LayerNormalization(axis=[1, 2], epsilon=0.1)
    y = layer(x)
    gamma, beta = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    layer.set_weights([gamma, beta])
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(layer(x), gamma * (x - mean) / np.sqrt(var + 0.1) + beta, rtol=1e-12)
    assert y.shape == x.shape


def test_layer_norm_rms_scaling_is_keras_s_deprecated_formula(float64):
    x = np.random.default_rng(0).normal(size=(3, 4)) + 2
    with pytest.warns(UserWarning, match="rms_scaling=True"):
        layer = LayerNormalization(rms_scaling=True)
    np.testing.assert_allclose(layer(x), x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3),
                               rtol=1e-12)
    assert layer.weight_names == ["gamma"]


def test_layer_norm_is_finite_at_large_inputs():
    x = np.array([[1000.0, -1000.0, 1000.0], [1000.0, 1000.0, 1000.0]])
    assert np.isfinite(LayerNormalization()(x)).all()


@pytest.mark.parametrize("make, error, message", [
    (lambda: LayerNormalization(axis="x"), TypeError, "Expected an int or a list/tuple of ints"),
    (lambda: LayerNormalization(epsilon=-1.0), ValueError, "Received: epsilon=-1.0"),
    (lambda: UnitNormalization(axis=1.0), TypeError, "Expected an int or a list/tuple of ints"),
])
def test_bad_axes_and_epsilons_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make", [lambda: LayerNormalization(axis=3),
                                  lambda: UnitNormalization(axis=[1, -4])])
def test_axes_outside_the_input_are_refused_when_built(make):
    with pytest.raises(ValueError, match="is out of bounds for input shape"):
        Sequential([Input((2, 3)), make()])


@pytest.mark.parametrize("make", [lambda: LayerNormalization(axis=0), lambda: UnitNormalization(axis=0)])
def test_normalising_across_the_batch_is_refused(make):
    with pytest.raises(ValueError, match="batch axis"):
        Sequential([Input((3,)), make()])


# ---------------------------------------------------------------------------- UnitNormalization
def test_unit_norm_by_hand_and_at_zero():
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1000.0, -1000.0, 1000.0]], dtype="float32")
    y = UnitNormalization()(x)
    np.testing.assert_allclose(y[0], [0.6, 0.8, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(y[1], 0.0)
    np.testing.assert_allclose(y[2], np.array([1, -1, 1]) / np.sqrt(3), rtol=1e-6)


# ---------------------------------------------------------------------------- Normalization
def test_normalization_given_statistics_by_hand():
    layer = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    x = np.array([[3.0, 2.5]])
    np.testing.assert_allclose(layer(x), [[1.0, 0.5 / backend.epsilon()]], rtol=1e-6)
    inverse = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(np.array([[1.0, -1.0]])), [[3.0, -1.0]], rtol=1e-6)


def test_adapt_in_batches_equals_adapt_on_the_whole_array(float64):
    rng = np.random.default_rng(4)
    data = rng.normal(size=(100, 3, 2)) * [1.0, 10.0] + [5.0, -3.0]
    whole = Normalization(axis=-1)
    whole.adapt(data)
    np.testing.assert_allclose(whole.mean, data.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(whole.variance, data.var(axis=(0, 1)), rtol=1e-12)
    batches = Normalization(axis=-1)
    batches.adapt(data[k:k + 17] for k in range(0, 100, 17))        # a generator of batches
    np.testing.assert_allclose(batches.mean, whole.mean, rtol=1e-12)
    np.testing.assert_allclose(batches.variance, whole.variance, rtol=1e-12)
    y = whole(data)
    np.testing.assert_allclose(y.mean(axis=(0, 1)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 1)), 1, rtol=1e-9)


def test_adapt_with_several_kept_axes_and_with_axis_none(float64):
    data = np.random.default_rng(5).normal(size=(30, 2, 3))
    kept = Normalization(axis=(1, 2))
    kept.adapt(data)
    np.testing.assert_allclose(kept.mean, data.mean(axis=0), rtol=1e-12)
    single = Normalization(axis=None)
    single.adapt(data)
    np.testing.assert_allclose(single.variance, data.var(), rtol=1e-12)
    assert single.mean.shape == ()


@pytest.mark.parametrize("data, error, message", [
    ([], ValueError, "empty iterable"),
    (np.zeros((0, 3)), ValueError, "empty"),
    (np.array([[1.0, np.nan, 2.0]]), ValueError, "NaN or inf"),
    ([np.ones((2, 3)), np.array([[np.inf, 0.0, 0.0]])], ValueError, "batch 1 contains NaN or inf"),
    (np.array([["a", "b", "c"]]), TypeError, "numbers"),
    (42, TypeError, "NumPy array or an iterable"),
    ([np.ones((2, 3)), np.ones((2, 4))], ValueError, "incompatible shape"),
])
def test_bad_adapt_data_is_refused_and_changes_nothing(data, error, message):
    layer = Normalization()
    layer.build((None, 3))
    layer.mean[...] = [1.0, 2.0, 3.0]
    with pytest.raises(error, match=message):
        layer.adapt(data)
    np.testing.assert_array_equal(layer.mean, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(layer.variance, 1.0)


def test_adapt_does_not_change_the_callers_array():
    data = np.random.default_rng(0).normal(size=(10, 3))
    before = data.copy()
    Normalization().adapt(data)
    np.testing.assert_array_equal(data, before)


def test_normalization_given_mean_cannot_be_adapted_and_keeps_keras_config():
    layer = Normalization(mean=1.0, variance=2.0)
    with pytest.raises(ValueError, match="cannot change them"):
        layer.adapt(np.ones((3, 1)))
    config = layer.get_config()
    assert (config["mean"], config["variance"], config["axis"]) == (1.0, 2.0, (-1,))
    assert json.loads(json.dumps(Normalization().get_config()))["mean"] is None


@pytest.mark.parametrize("kwargs, message", [
    ({"mean": 1.0}, "both `mean` and `variance` must be set"),
    ({"mean": [1.0, 2.0], "variance": [1.0]}, "must have the same shape"),
    ({"mean": [[1.0]], "variance": [[1.0]]}, r"The rank of `mean` must be less than or equal"),
    ({"mean": 0.0, "variance": -1.0}, "variance >= 0"),
    ({"axis": "x"}, "`axis` of Normalization"),
])
def test_normalization_bad_arguments_are_refused_in_keras_words(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Normalization(**kwargs)


def test_normalization_axis_out_of_range_or_unknown_is_refused():
    with pytest.raises(ValueError, match=r"must be in the range \[-ndim, ndim\)"):
        Sequential([Input((3,)), Normalization(axis=2)])
    with pytest.raises(ValueError, match="must have a known shape"):
        Sequential([Input((None, 3)), Normalization(axis=1)])


def test_normalization_weights_are_non_trainable_in_keras_order():
    layer = _adapted()
    assert layer.weight_names == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3


# ---------------------------------------------------------------------------- Rescaling
def test_rescaling_by_hand_and_config_of_arrays():
    layer = Rescaling(np.array([1.0, 0.5]), offset=np.array([0.0, 1.0]))
    np.testing.assert_allclose(layer(np.array([[2.0, 2.0]])), [[2.0, 2.0]])
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == {"class_name": "__numpy__",
                               "config": {"value": [1.0, 0.5], "dtype": "float64"}}
    np.testing.assert_array_equal(Rescaling.from_config(config).scale, [1.0, 0.5])


@pytest.mark.parametrize("kwargs", [{"scale": "x"}, {"scale": float("nan")},
                                    {"scale": 1.0, "offset": [1.0, np.inf]}])
def test_rescaling_refuses_non_numbers(kwargs):
    with pytest.raises(ValueError, match="of Rescaling must be a finite number"):
        Rescaling(**kwargs)


def test_rescaling_that_does_not_broadcast_is_refused():
    with pytest.raises(ValueError, match="does not broadcast"):
        Sequential([Input((3,)), Rescaling(np.ones(2))])
    with pytest.raises(ValueError, match="does not broadcast"):
        Sequential([Input((3,)), Rescaling(np.ones((2, 3)))])   # would add an axis


def test_normalisation_layers_in_a_trained_graph_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)) * 3 + 2
    y = (x[:, :1] > 2).astype("float32")
    norm = Normalization()
    norm.adapt(x)
    inputs = Input((4,))
    h = Dense(8, activation="relu")(norm(inputs))
    h = LayerNormalization()(BatchNormalization()(h))
    model = Model(inputs, Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (64, 1)
