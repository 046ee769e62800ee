"""Bad input fails early and clearly, and leaves the model exactly as it was.

Every test of an error runs the failing call inside ``unchanged(model)``, which
checks afterwards that every weight (``get_weights()``) and the optimizer
state (``iterations`` and the momentum buffers) are bit-identical to what they
were before the call. The last section covers a loss or an update that stops
being finite during ``fit``.
"""

import contextlib
import math
import re
import warnings

import numpy as np
import pytest

import layerkit
from layerkit import Sequential, callbacks, layers, optimizers

N_FEATURES = 3


# --------------------------------------------------------------------------- helpers
def snapshot(model):
    """Copies of everything a failed call must not change."""
    optimizer = model.optimizer
    return {
        "weights": model.get_weights(),
        "optimizer": optimizer,
        "iterations": None if optimizer is None else optimizer.iterations,
        "optimizer_variables": [] if optimizer is None else
        [np.array(v, copy=True) for v in optimizer.variables],
    }


def assert_same_state(before, after):
    assert after["optimizer"] is before["optimizer"]
    assert after["iterations"] == before["iterations"]
    assert len(after["weights"]) == len(before["weights"])
    for old, new in zip(before["weights"], after["weights"]):
        assert new.dtype == old.dtype
        assert np.array_equal(old, new)
    assert len(after["optimizer_variables"]) == len(before["optimizer_variables"])
    for old, new in zip(before["optimizer_variables"], after["optimizer_variables"]):
        assert np.array_equal(old, new)


@contextlib.contextmanager
def unchanged(model):
    """Assert that the block changes no weight and no optimizer state of ``model``."""
    before = snapshot(model)
    yield
    assert_same_state(before, snapshot(model))


def data_for(kind, n=20, n_features=N_FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features))
    if kind == "bce":
        y = (x[:, 0] > 0).astype(np.float64)
    elif kind == "mse":
        y = x.sum(axis=1, keepdims=True)
    elif kind == "cce":
        y = np.eye(3)[rng.integers(0, 3, size=n)]
    elif kind == "sparse":
        y = rng.integers(0, 3, size=n)
    else:
        raise AssertionError(kind)
    return x, y


_HEADS = {
    "bce": (1, "sigmoid", "binary_crossentropy"),
    "mse": (1, None, "mse"),
    "cce": (3, "softmax", "categorical_crossentropy"),
    "sparse": (3, "softmax", "sparse_categorical_crossentropy"),
}


def make_model(kind="bce", with_input=True, compile_model=True, metrics=None):
    units, activation, loss = _HEADS[kind]
    stack = [layers.Input((N_FEATURES,))] if with_input else []
    stack += [layers.Dense(4, activation="relu"), layers.Dense(units, activation=activation)]
    model = Sequential(stack)
    if compile_model:
        model.compile(optimizer=optimizers.SGD(learning_rate=0.05, momentum=0.9), loss=loss,
                      metrics=metrics)
    return model


def trained_model(kind="bce", with_input=True, metrics=None):
    """A compiled model that has taken a few steps: weights moved, momentum buffers filled."""
    model = make_model(kind, with_input=with_input, metrics=metrics)
    x, y = data_for(kind)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.optimizer.iterations == 3
    slots = model.optimizer.variables[2:]  # after the step count and the learning rate
    assert slots and any(np.any(s != 0) for s in slots), "momentum buffers should be non-zero"
    return model, x, y


def call(model, method, x, y=None, **kwargs):
    if method == "fit":
        return model.fit(x, y, verbose=0, **kwargs)
    if method == "evaluate":
        return model.evaluate(x, y, verbose=0, **kwargs)
    if method == "predict":
        return model.predict(x, verbose=0, **kwargs)
    if method == "train_on_batch":
        return model.train_on_batch(x, y, **kwargs)
    if method == "test_on_batch":
        return model.test_on_batch(x, y, **kwargs)
    raise AssertionError(method)


DATA_METHODS = ["fit", "evaluate", "train_on_batch", "test_on_batch"]


# --------------------------------------------------------------------------- call order
@pytest.mark.parametrize("method", DATA_METHODS)
def test_training_calls_before_compile_raise_runtime_error(method):
    model = make_model(compile_model=False)
    x, y = data_for("bce")
    with unchanged(model), pytest.raises(RuntimeError,
                                         match=rf"compile\(\).*before `{method}\(\)`"):
        call(model, method, x, y)
    assert model.optimizer is None


def test_compile_without_loss_then_fit_raises_runtime_error():
    model = make_model(compile_model=False)
    model.compile(optimizer="sgd")
    x, y = data_for("bce")
    with unchanged(model), pytest.raises(RuntimeError, match=r"without a loss.*`loss=`"):
        model.fit(x, y, verbose=0)


# --------------------------------------------------------------------------- lengths and shapes
@pytest.mark.parametrize("method", DATA_METHODS)
def test_x_and_y_of_different_lengths(method):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"x has 20, y has 19"):
        call(model, method, x, y[:19])


def test_sample_weight_of_different_length():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"sample_weight has 5"):
        model.fit(x, y, sample_weight=np.ones(5), verbose=0)


@pytest.mark.parametrize("method", DATA_METHODS + ["predict"])
def test_wrong_feature_count_for_model_with_input(method):
    model, x, y = trained_model(with_input=True)
    bad = np.ones((len(x), N_FEATURES + 1))
    first = model.layers[0].name
    with unchanged(model), pytest.raises(
            ValueError, match=rf"{first}.*expected shape \(None, {N_FEATURES}\).*"
                              rf"{method}\(\) received input with shape \(20, {N_FEATURES + 1}\)"):
        call(model, method, bad, y)


@pytest.mark.parametrize("method", DATA_METHODS + ["predict"])
def test_wrong_feature_count_for_model_built_by_a_previous_fit(method):
    model, x, y = trained_model(with_input=False)
    bad = np.ones((len(x), N_FEATURES - 1))
    with unchanged(model), pytest.raises(
            ValueError, match=rf"expected shape \(None, {N_FEATURES}\).*"
                              rf"received input with shape \(20, {N_FEATURES - 1}\)"):
        call(model, method, bad, y)


def test_wrong_feature_count_in_validation_data():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=r"validation_data.*received input with shape \(20, 2\)"):
        model.fit(x, y, validation_data=(x[:, :2], y), verbose=0)


def test_wrong_rank_x():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=r"expected shape \(None, 3\).*received input with shape \(20, 3, 1\)"):
        model.fit(x[:, :, None], y, verbose=0)


def test_one_dimensional_x_for_an_unbuilt_model_is_a_clear_error():
    """A model without Input, never built: x of shape (N,) has no feature axis."""
    model = make_model(with_input=False)
    x, y = data_for("bce")
    with unchanged(model), pytest.raises(ValueError, match=r"`x`.*\(20,\)"):
        model.fit(x[:, 0], y, verbose=0)
    assert not model.built


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize("method", DATA_METHODS)
@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize("bad", [np.array([["a", "b", "c"]] * 20),
                                 np.array([[1.0, None, 2.0]] * 20, dtype=object),
                                 np.array([[1 + 2j, 0, 0]] * 20)],
                         ids=["strings", "objects", "complex"])
def test_non_numeric_x_or_y(method, which, bad):
    model, x, y = trained_model()
    if which == "y":
        bad = bad[:, 0]
        x_arg, y_arg = x, bad
    else:
        x_arg, y_arg = bad, y
    with unchanged(model), pytest.raises(
            TypeError, match=rf"`{which}` of {method}\(\) must be numeric.*{bad.dtype}"):
        call(model, method, x_arg, y_arg)


def test_non_numeric_x_in_predict():
    model, x, _ = trained_model()
    with unchanged(model), pytest.raises(TypeError, match=r"`x` of predict\(\) must be numeric"):
        model.predict(np.array([["a", "b", "c"]]), verbose=0)


def test_ragged_x():
    model, _, _ = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"`x` of fit\(\) is not a rectangular"):
        model.fit([[1.0, 2.0, 3.0], [1.0, 2.0]], [0.0, 1.0], verbose=0)


@pytest.mark.parametrize("method", DATA_METHODS)
@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_x_or_y(method, which, value):
    model, x, y = trained_model("mse")
    x, y = x.copy(), y.copy()
    target = x if which == "x" else y
    target[7, 0] = value
    with unchanged(model), pytest.raises(
            ValueError, match=rf"`{which}` of {method}\(\) contains NaN or inf.*\(7, 0\).*"
                              rf"{re.escape(str(value))}"):
        call(model, method, x, y)


def test_nan_in_x_of_predict():
    model, x, _ = trained_model()
    x = x.copy()
    x[3, 2] = np.nan
    with unchanged(model), pytest.raises(ValueError, match=r"`x` of predict\(\) contains NaN"):
        model.predict(x, verbose=0)


def test_nan_in_sample_weight():
    model, x, y = trained_model()
    weights = np.ones(len(x))
    weights[4] = np.nan
    with unchanged(model), pytest.raises(ValueError, match=r"`sample_weight`.*NaN"):
        model.fit(x, y, sample_weight=weights, verbose=0)


@pytest.mark.parametrize("bad_weights", [-np.ones(20), np.ones((20, 2))], ids=["negative", "2d"])
def test_bad_sample_weight(bad_weights):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"`sample_weight` of fit\(\)"):
        model.fit(x, y, sample_weight=bad_weights, verbose=0)


@pytest.mark.parametrize("method", DATA_METHODS)
@pytest.mark.parametrize("bad_label", [2.0, -1.0, 1.25])
def test_binary_crossentropy_labels_outside_unit_interval(method, bad_label):
    model, x, y = trained_model("bce")
    y = y.copy()
    y[5] = bad_label
    with unchanged(model), pytest.raises(
            ValueError, match=rf"binary_crossentropy.*\[0, 1\].*{re.escape(str(bad_label))}"):
        call(model, method, x, y)


@pytest.mark.parametrize("method", DATA_METHODS)
@pytest.mark.parametrize("bad_label", [3, -1, 7, 1.5])
def test_sparse_labels_outside_range_or_not_integer(method, bad_label):
    model, x, y = trained_model("sparse")
    y = y.astype(np.float64)
    y[5] = bad_label
    with unchanged(model), pytest.raises(
            ValueError, match=rf"integer labels in \[0, 3\).*Received label "
                              rf"{re.escape(str(float(bad_label)))}"):
        call(model, method, x, y)


def test_categorical_targets_that_are_not_distributions():
    model, x, y = trained_model("cce")
    y = y * 2
    with unchanged(model), pytest.raises(ValueError, match=r"categorical_crossentropy.*sum"):
        model.fit(x, y, verbose=0)


def test_class_weight_missing_a_class():
    model, x, y = trained_model("bce")
    with unchanged(model), pytest.raises(ValueError, match=r"`class_weight`.*classes \[1\]"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)


# --------------------------------------------------------------------------- target shapes
@pytest.mark.parametrize("kind", ["bce", "mse"])
@pytest.mark.parametrize("method", DATA_METHODS)
def test_targets_with_too_many_columns_for_a_single_output(kind, method):
    model, x, _ = trained_model(kind)
    y = np.zeros((len(x), 3))
    with unchanged(model), pytest.raises(
            ValueError, match=r"Targets of shape \(20, 3\).*output shape \(None, 1\)"):
        call(model, method, x, y)


@pytest.mark.parametrize("method", DATA_METHODS)
def test_one_dimensional_targets_for_three_outputs_under_categorical_crossentropy(method):
    model, x, _ = trained_model("cce")
    y = np.zeros(len(x))
    with unchanged(model), pytest.raises(
            ValueError, match=r"Targets of shape \(20,\).*output shape \(None, 3\)"):
        call(model, method, x, y)


def test_two_dimensional_sparse_labels_for_three_outputs():
    model, x, _ = trained_model("sparse")
    y = np.zeros((len(x), 2))
    with unchanged(model), pytest.raises(ValueError, match=r"integer labels.*shape \(20, 2\)"):
        model.fit(x, y, verbose=0)


def test_one_dimensional_targets_for_one_output_match_column_targets_without_broadcasting(
        float64):
    """y of shape (N,) against an output (N, 1) is the column (N, 1), never an (N, N) grid."""
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(9, 2))
    y = rng.normal(size=9) * 5
    pred = model.predict(x, verbose=0)
    assert pred.shape == (9, 1)
    expected = np.mean((pred[:, 0] - y) ** 2)
    broadcast = np.mean((pred - y[None, :]) ** 2)   # what a silent (N, N) broadcast would give
    assert not np.isclose(expected, broadcast, rtol=1e-3)

    flat = model.evaluate(x, y, batch_size=4, verbose=0)
    column = model.evaluate(x, y[:, None], batch_size=4, verbose=0)
    np.testing.assert_allclose(flat, expected, rtol=1e-10)
    np.testing.assert_allclose(column, expected, rtol=1e-10)

    grads_flat = model.compute_gradients(x, y)
    grads_column = model.compute_gradients(x, y[:, None])
    for a, b in zip(grads_flat, grads_column):
        assert np.array_equal(a, b)

    before = model.get_weights()
    first_loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(first_loss, expected, rtol=1e-10)
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# --------------------------------------------------------------------------- empty data
@pytest.mark.parametrize("method", DATA_METHODS + ["predict"])
def test_empty_x(method):
    model, _, _ = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=rf"`x` of {method}\(\) is empty"):
        call(model, method, np.zeros((0, N_FEATURES)), np.zeros((0,)))


def test_scalar_x():
    model, _, _ = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"`x` of predict\(\).*batch axis"):
        model.predict(np.float64(1.0), verbose=0)


def test_missing_y():
    model, x, _ = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"fit\(\) needs `y`.*y=None"):
        model.fit(x, None, verbose=0)


# --------------------------------------------------------------------------- loop arguments
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "32"])
def test_batch_size_must_be_a_positive_integer(method, batch_size):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=rf"`batch_size` of {method}\(\).*integer >= 1.*"
                              rf"batch_size={re.escape(repr(batch_size))}"):
        call(model, method, x, y, batch_size=batch_size)


@pytest.mark.parametrize("argument, value", [
    ("validation_batch_size", -1), ("validation_batch_size", 2.5),
    ("validation_steps", 0), ("validation_steps", -2), ("steps_per_epoch", 0),
    ("validation_freq", 0),
])
def test_bad_validation_arguments_fail_before_training(argument, value):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            (ValueError, TypeError), match=rf"`{argument}`.*{argument}={re.escape(repr(value))}"):
        model.fit(x, y, validation_split=0.25, epochs=2, verbose=0, **{argument: value})


@pytest.mark.parametrize("method", ["evaluate", "predict"])
@pytest.mark.parametrize("steps", [0, -1, 1.5])
def test_steps_must_be_a_positive_integer(method, steps):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            (ValueError, TypeError), match=rf"`steps`.*steps={re.escape(repr(steps))}"):
        call(model, method, x, y, steps=steps)


@pytest.mark.parametrize("epochs", [-1, -5, 1.5, None, True])
def test_epochs_must_be_a_non_negative_integer(epochs):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=rf"`epochs`.*>= 0.*epochs={re.escape(repr(epochs))}"):
        model.fit(x, y, epochs=epochs, verbose=0)


@pytest.mark.parametrize("initial_epoch", [-1, 0.5])
def test_initial_epoch_must_be_a_non_negative_integer(initial_epoch):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=rf"initial_epoch={re.escape(repr(initial_epoch))}"):
        model.fit(x, y, epochs=3, initial_epoch=initial_epoch, verbose=0)


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5, float("nan")])
def test_validation_split_outside_unit_interval(split):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=rf"`validation_split` must be in \[0, 1\).*"
                              rf"validation_split={re.escape(repr(split))}"):
        model.fit(x, y, validation_split=split, verbose=0)


def test_validation_split_that_is_not_a_number_names_the_argument():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises((TypeError, ValueError),
                                         match=r"validation_split.*'0\.1'"):
        model.fit(x, y, validation_split="0.1", verbose=0)


def test_validation_split_none_means_no_split_as_in_keras():
    model, x, y = trained_model()
    history = model.fit(x, y, validation_split=None, epochs=1, verbose=0)
    assert "val_loss" not in history.history


def test_validation_split_that_leaves_no_training_sample():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"validation_split=0.5.*no training"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)


def test_malformed_validation_data():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"`validation_data` must be"):
        model.fit(x, y, validation_data=(x,), verbose=0)


@pytest.mark.parametrize("verbose", [3, -1, "yes", True])
def test_bad_verbose(verbose):
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=rf"`verbose`.*verbose={re.escape(repr(verbose))}"):
        model.fit(x, y, verbose=verbose)


def test_callbacks_that_are_not_callbacks():
    model, x, y = trained_model()
    with unchanged(model), pytest.raises(TypeError, match=r"`callbacks`.*Received: 'print'"):
        model.fit(x, y, callbacks=["print"], verbose=0)


def test_callbacks_that_are_not_callbacks_leave_an_unbuilt_model_unbuilt():
    """The argument error comes before the model builds (and draws its initial weights)."""
    model = make_model(with_input=False)
    x, y = data_for("bce")
    with unchanged(model), pytest.raises(TypeError, match=r"`callbacks`.*Received: 'print'"):
        model.fit(x, y, callbacks=["print"], verbose=0)
    assert not model.built and model.get_weights() == []


# --------------------------------------------------------------------------- layer arguments
@pytest.mark.parametrize("units", [0, -3, 2.5, "8", None, True])
def test_dense_units_must_be_a_positive_integer(units):
    model, _, _ = trained_model()
    with unchanged(model), pytest.raises(
            ValueError, match=rf"`units`.*positive integer.*units={re.escape(repr(units))}"):
        model.add(layers.Dense(units))
    assert len(model.layers) == 2


def test_dense_units_accepts_numpy_integers():
    assert layers.Dense(np.int64(8)).units == 8


# --------------------------------------------------------------------------- unknown names
def test_unknown_activation_lists_valid_names():
    model, _, _ = trained_model()
    with unchanged(model), pytest.raises(ValueError, match=r"Unknown activation: 'relux'") as info:
        model.add(layers.Dense(2, activation="relux"))
    for valid in ("relu", "sigmoid", "softmax"):
        assert f"'{valid}'" in str(info.value)


def test_unknown_initializer_lists_valid_names():
    model, _, _ = trained_model()
    with unchanged(model), pytest.raises(ValueError,
                                         match=r"Unknown initializer: 'glorot_unifrm'") as info:
        model.add(layers.Dense(2, kernel_initializer="glorot_unifrm"))
    for valid in ("glorot_uniform", "zeros", "he_normal"):
        assert f"'{valid}'" in str(info.value)


@pytest.mark.parametrize("argument, name, kind, valid_names", [
    ("loss", "binary_crossentropyy", "loss", ("binary_crossentropy", "mse")),
    ("optimizer", "sgdd", "optimizer", ("sgd", "adam")),
    ("metrics", ["accuracy", "maee"], "metric", ("mae", "accuracy")),
    ("weighted_metrics", ["msee"], "metric", ("mse", "mean_squared_error")),
])
def test_unknown_compile_names_list_valid_names_and_leave_the_compiled_state(
        argument, name, kind, valid_names):
    model, x, y = trained_model(metrics=["mse"])
    loss = model.loss
    kwargs = {"optimizer": model.optimizer, "loss": "binary_crossentropy", argument: name}
    bad = name[-1] if isinstance(name, list) else name
    with unchanged(model), pytest.raises(ValueError, match=rf"Unknown {kind}: '{bad}'") as info:
        model.compile(**kwargs)
    for valid in valid_names:
        assert f"'{valid}'" in str(info.value)
    # compile is all or nothing: the previous compilation still stands
    assert model.loss is loss
    assert set(model.fit(x, y, epochs=1, verbose=0).history) == {"loss", "mse"}


@pytest.mark.parametrize("loss_weights", ["x", [0.5, 0.5]])
def test_compile_with_bad_loss_weights_changes_nothing(loss_weights):
    model, x, y = trained_model()
    optimizer, loss = model.optimizer, model.loss
    with unchanged(model), pytest.raises((ValueError, TypeError), match=r"loss_weights"):
        model.compile(optimizer="adam", loss="mse", loss_weights=loss_weights)
    assert model.optimizer is optimizer and model.loss is loss


def test_unknown_loss_in_compile_before_any_compile():
    model = make_model(compile_model=False)
    with unchanged(model), pytest.raises(ValueError, match=r"Unknown loss: 'crossentropy'"):
        model.compile(loss="crossentropy")
    assert not model.compiled


# --------------------------------------------------------------------------- set_weights
def test_set_weights_with_wrong_count():
    model, _, _ = trained_model()
    weights = model.get_weights()
    shapes = [w.shape for w in weights]
    with unchanged(model), pytest.raises(
            ValueError, match=rf"expected {len(weights)} weight arrays, but received "
                              rf"{len(weights) - 1}.*{re.escape(str(shapes))}"):
        model.set_weights(weights[:-1])
    with unchanged(model), pytest.raises(ValueError, match=rf"received {len(weights) + 1}"):
        model.set_weights(weights + [weights[0]])


def test_set_weights_with_wrong_shape_changes_nothing_even_if_only_the_last_is_wrong():
    model, _, _ = trained_model()
    replacement = [w + 1 for w in model.get_weights()]
    replacement[-1] = np.zeros(replacement[-1].shape + (2,))
    last = model.layers[-1].name
    with unchanged(model), pytest.raises(
            ValueError, match=rf"Layer '{last}' weight 'bias': expected shape \(1,\), "
                              rf"received \(1, 2\)"):
        model.set_weights(replacement)


def test_set_weights_with_non_numeric_arrays():
    model, _, _ = trained_model()
    replacement = model.get_weights()
    replacement[0] = np.full(replacement[0].shape, "a")
    with unchanged(model), pytest.raises(TypeError, match=r"weight 'kernel'.*non-numeric"):
        model.set_weights(replacement)


def test_layer_set_weights_with_wrong_shape():
    model, _, _ = trained_model()
    layer = model.layers[0]
    with unchanged(model), pytest.raises(
            ValueError, match=rf"Layer '{layer.name}' weight 'kernel': expected shape \(3, 4\)"):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])


# --------------------------------------------------------------------------- non-finite loss
class WeightRecorder(callbacks.Callback):
    """Records (optimizer iterations, weights) after every training batch."""

    def __init__(self):
        super().__init__()
        self.records = []

    def on_train_batch_end(self, batch, logs=None):
        self.records.append((self.model.optimizer.iterations, self.model.get_weights(),
                             (logs or {}).get("loss")))


def _regression(scale=1.0, n=40):
    rng = np.random.default_rng(0)
    x = scale * rng.normal(size=(n, 3))
    return x, x.sum(axis=1)


def _diverging_fit(learning_rate, x, y, momentum=0.0):
    """Fit until the loss stops being finite.

    NumPy's own overflow warnings are silenced here (``np.errstate``) so that these
    tests look at layerkit's behaviour alone; the project's pytest configuration turns
    every RuntimeWarning into an error, and whether NumPy's warnings leak out of a
    diverging fit is checked separately below.
    """
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate, momentum=momentum), loss="mse")
    initial = model.get_weights()
    recorder = WeightRecorder()
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(
            RuntimeWarning, match=r"Training of model '\w+' stopped at step \d+"):
        history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[recorder])
    return model, initial, recorder, history


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_huge_learning_rate_stops_training_at_the_last_finite_step(momentum):
    x, y = _regression()
    model, initial, recorder, history = _diverging_fit(1e15, x, y, momentum)
    steps = model.optimizer.iterations
    assert steps >= 1, "at least one finite step was applied"
    assert len(recorder.records) == steps + 1, "training stopped right after the bad step"
    assert len(history.epoch) == 1
    assert not np.isfinite(recorder.records[-1][2])
    final = model.get_weights()
    assert all(np.isfinite(w).all() for w in final)
    assert not all(np.array_equal(a, b) for a, b in zip(initial, final))
    iterations, last_finite, loss = recorder.records[steps - 1]
    assert iterations == steps and np.isfinite(loss)
    for a, b in zip(last_finite, final):
        assert np.array_equal(a, b)

    # the same run, stopped by hand after the finite steps, ends at the same weights
    layerkit.backend.clear_session()
    layerkit.utils.set_random_seed(1234)
    again = Sequential([layers.Input((3,)), layers.Dense(1)])
    again.compile(optimizer=optimizers.SGD(1e15, momentum=momentum), loss="mse")
    again.fit(x, y, batch_size=4, epochs=1, steps_per_epoch=steps, verbose=0)
    for a, b in zip(again.get_weights(), final):
        assert np.array_equal(a, b)


def test_loss_overflow_from_data_stops_before_any_step():
    x, y = _regression(scale=1e20)
    model, initial, recorder, history = _diverging_fit(0.01, x, y)
    assert model.optimizer.iterations == 0
    assert len(recorder.records) == 1
    for a, b in zip(initial, model.get_weights()):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_update_that_overflows_the_weights_is_not_applied(momentum):
    """Loss and gradients are finite, but lr * gradient overflows float32: the step must
    be undone, weights and optimizer state alike."""
    x, y = _regression(scale=100.0)
    model, initial, recorder, history = _diverging_fit(1e38, x, y, momentum)
    final = model.get_weights()
    assert all(np.isfinite(w).all() for w in final), f"weights became non-finite: {final}"
    assert model.optimizer.iterations == 0
    assert all(not np.any(slot) for slot in model.optimizer.variables[2:])
    for a, b in zip(initial, final):
        assert np.array_equal(a, b)
    assert len(recorder.records) == 1 and len(history.epoch) == 1

    # with a sane learning rate, training can go on from there
    model.optimizer.learning_rate = 1e-6
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert model.optimizer.iterations == math.ceil(len(x) / 4)


def test_large_but_finite_weights_are_not_mistaken_for_overflow():
    """Every weight is finite (1e38 < float32 max); only their sum would overflow."""
    model = Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    big = np.full((4, 1), 1e38, dtype=np.float32)
    model.set_weights([big, np.zeros(1, dtype=np.float32)])
    x, y = np.zeros((2, 4)), np.zeros(2)     # zero loss, zero gradient: a harmless step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train_on_batch(x, y)
    assert model.optimizer.iterations == 1
    assert not model.stop_training
    assert np.array_equal(model.get_weights()[0], big)


def test_non_finite_loss_warns_only_through_layerkit():
    """The project's own pytest configuration turns RuntimeWarnings into errors: a
    diverging fit must stop with layerkit's warning, not leak NumPy's overflow warnings."""
    x, y = _regression()
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(1e15), loss="mse")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=4, epochs=5, verbose=0)
    messages = [str(w.message) for w in record if issubclass(w.category, RuntimeWarning)]
    assert any("stopped at step" in m for m in messages)
    leaked = [m for m in messages if "stopped at step" not in m]
    assert leaked == []


def test_diverging_fit_with_runtime_warnings_as_errors_stops_with_layerkit_error():
    x, y = _regression()
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(1e15), loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match=r"stopped at step"):
            model.fit(x, y, batch_size=4, epochs=5, verbose=0)
