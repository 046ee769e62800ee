"""Keras's model utilities: ``split_dataset``, ``normalize``, ``to_categorical`` and ``clone_model``.

Expected values are computed here from the definitions (the Keras comparisons are
in ``test_model_utilities_keras.py``).
"""

import numpy as np
import pytest

import layerkit
from layerkit import Input, Model, Sequential, layers
from layerkit.models import clone_model
from layerkit.utils import normalize, split_dataset, to_categorical


# ------------------------------------------------------------------ split_dataset
@pytest.mark.parametrize("left, right, expected", [
    (0.8, None, (8, 2)), (None, 0.25, (8, 2)),  # round(2.5) == 2: half to even, as Python rounds
    (0.35, None, (4, 6)), (3, None, (3, 7)), (None, 4, (6, 4)),
    (3, 4, (3, 4)), (0.2, 0.3, (2, 3)), (0.5, 2, (5, 2)),
])
def test_split_sizes_from_fractions_or_counts(left, right, expected):
    x = np.arange(20).reshape(10, 2)
    left_part, right_part = split_dataset(x, left_size=left, right_size=right)
    np.testing.assert_array_equal(left_part, x[:expected[0]])  # the first samples ...
    np.testing.assert_array_equal(right_part, x[10 - expected[1]:])  # ... and the last


def test_split_keeps_the_structure_and_pairs_shuffled_samples():
    x, y = np.arange(30.0).reshape(10, 3), np.arange(10)
    kept = (x.copy(), y.copy())
    (x_left, y_left), (x_right, y_right) = split_dataset((x, y), left_size=6, shuffle=True, seed=3)
    assert isinstance(x_left, np.ndarray) and len(y_left) == 6 and len(y_right) == 4
    np.testing.assert_array_equal(x_left[:, 0], 3 * y_left)  # rows stay with their labels
    np.testing.assert_array_equal(x_right[:, 0], 3 * y_right)
    assert sorted(np.concatenate([y_left, y_right]).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate([y_left, y_right]), y)
    order = layerkit.backend.make_generator(3).permutation(10)
    np.testing.assert_array_equal(np.concatenate([y_left, y_right]), order)
    np.testing.assert_array_equal(x, kept[0])
    np.testing.assert_array_equal(y, kept[1])
    left, right = split_dataset({"x": x, "y": y}, right_size=0.3)
    assert sorted(left) == ["x", "y"] and len(right["y"]) == 3
    left, right = split_dataset([x, y], left_size=0.5)
    assert isinstance(left, list) and len(left[0]) == 5


@pytest.mark.parametrize("left, right, error, message", [
    (None, None, ValueError, "At least one of the `left_size` or `right_size` must be specified"),
    (0, 0, ValueError, "Both `left_size` and `right_size` are zero"),
    (1.5, None, ValueError, "`left_size` should be either a positive integer smaller than 10"),
    (-1, None, ValueError, "Received: left_size=-1"),
    (10, None, ValueError, "Received: left_size=10"),
    (None, 0.0, ValueError, "Received: right_size=0.0"),
    (0.7, 0.6, ValueError, "The sum of `left_size` and `right_size` is greater than 1"),
    (6, 5, ValueError, r"should be smaller than the 10\. Received: left_size \+ right_size = 11"),
    (0.01, None, ValueError, "Resulting left side dataset split will be empty"),
    ("half", None, TypeError, "Invalid `left_size` Type"),
    (None, True, TypeError, "Invalid `right_size` Type"),
])
def test_split_sizes_refused_as_keras_refuses_them(left, right, error, message):
    with pytest.raises(error, match=message):
        split_dataset(np.zeros((10, 2)), left_size=left, right_size=right)


def test_split_datasets_that_are_not_arrays_of_one_length_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        split_dataset((np.zeros(5), np.zeros(4)), left_size=2)
    with pytest.raises(ValueError, match="Expected a tuple of `numpy.ndarray` objects"):
        split_dataset((np.zeros(5), [1, 2, 3, 4, 5]), left_size=2)
    with pytest.raises(ValueError, match="empty tuple"):
        split_dataset((), left_size=2)
    with pytest.raises(ValueError, match="Received an empty dataset"):
        split_dataset(np.zeros((0, 2)), left_size=0.5)
    with pytest.raises(TypeError, match="must be a NumPy array, or a list, tuple or dict"):
        split_dataset("data", left_size=2)
    with pytest.raises(ValueError, match="`preferred_backend` must be None"):
        split_dataset(np.zeros(5), left_size=2, preferred_backend="torch")


# ------------------------------------------------------------------ normalize
def _by_formula(x, axis, order):
    norm = np.max(np.abs(x), axis=axis, keepdims=True) if order == np.inf else (
        np.sum(np.abs(x) ** order, axis=axis, keepdims=True) ** (1 / order))
    return x / np.where(norm == 0, 1, norm)


@pytest.mark.parametrize("order", [1, 2, 3, np.inf])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_normalize_divides_by_the_norm_along_the_axis(order, axis, rng):
    x = rng.normal(size=(4, 5, 3))
    x[1, :, 2] = 0.0
    x[:, 2, :] = 0.0
    result = normalize(x, axis=axis, order=order)
    np.testing.assert_allclose(result, _by_formula(x, axis, order), rtol=1e-13, atol=0)
    norms = _by_formula(result, axis, order) - result  # normalizing again changes nothing
    assert np.abs(norms).max() < 1e-13


def test_normalize_is_finite_for_values_whose_squares_overflow():
    for dtype, big in ((np.float64, 1e200), (np.float32, 1e30)):
        x = np.array([[3.0, 4.0], [-big, big]], dtype=dtype)
        result = normalize(x)
        assert result.dtype == dtype and np.isfinite(result).all()
        np.testing.assert_allclose(result, [[0.6, 0.8], [-2 ** -0.5, 2 ** -0.5]], rtol=1e-6)
        np.testing.assert_allclose(normalize(x * 1000 / big), normalize(x), rtol=1e-6)
    assert normalize([3, 4]).dtype == np.float64


@pytest.mark.parametrize("kwargs, error, message", [
    ({"order": 0}, ValueError, "must be an int >= 1"), ({"order": 1.5}, ValueError, "order=1.5"),
    ({"axis": 2}, ValueError, "out of range"), ({"axis": 0.5}, TypeError, "integer"),
])
def test_normalize_arguments_are_checked(kwargs, error, message):
    with pytest.raises(error, match=message):
        normalize(np.ones((2, 2)), **kwargs)
    with pytest.raises(ValueError, match="NaN or inf"):
        normalize(np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match="numeric"):
        normalize(np.array(["a", "b"]))


# ------------------------------------------------------------------ to_categorical
def test_to_categorical_as_keras_encodes():
    np.testing.assert_array_equal(to_categorical([0, 1, 2, 3], num_classes=4), np.eye(4))
    np.testing.assert_array_equal(to_categorical([[1], [2]], 0), np.eye(3)[[1, 2]])
    labels = np.array([[0, 2], [1, 1]])
    assert to_categorical(labels).shape == (2, 2, 3)
    np.testing.assert_array_equal(to_categorical(labels)[1, 0], [0, 1, 0])
    assert to_categorical(np.array([], dtype=int), num_classes=3).shape == (0, 3)
    np.testing.assert_array_equal(to_categorical([1.7, 0.2]), [[0, 1], [1, 0]])  # truncated
    for bad, message in (([-1, 0], r"in \[0, 1\)"), ([0, 3], r"in \[0, 3\)"),
                         ([0.0, np.nan], "finite"), ([], "cannot be inferred")):
        with pytest.raises(ValueError, match=message):
            to_categorical(bad, num_classes=3 if bad == [0, 3] else None)


# ------------------------------------------------------------------ clone_model
def _sequential(seed=4):
    layerkit.utils.set_random_seed(seed)
    return Sequential([Input((3,), name="features"), layers.Dense(4, activation="relu", name="h"),
                       layers.Dense(1, activation="sigmoid", name="p")], name="net")


def test_a_clone_has_the_architecture_and_fresh_weights_from_the_initializers():
    model = _sequential()
    initial = model.get_weights()
    model.set_weights([w + 1.0 for w in initial])  # as if trained
    layerkit.utils.set_random_seed(4)
    clone = clone_model(model)
    assert clone.get_config() == model.get_config()
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    for fresh, first in zip(clone.get_weights(), initial):  # drawn again as the first were
        np.testing.assert_array_equal(fresh, first)
    assert clone.name == "net" and clone.input_names == ["features"] and clone.built


def test_a_compiled_model_gives_a_compiled_clone_with_a_new_optimizer():
    model = _sequential()
    model.compile(optimizer=layerkit.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(np.ones((4, 3)), np.ones(4), verbose=0)
    clone = clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert clone.get_compile_config() == model.get_compile_config()
    assert clone.optimizer.iterations == 0
    assert not clone_model(_sequential()).compiled


def _graph(seed=5):
    layerkit.utils.set_random_seed(seed)
    x = Input((3,), name="x")
    shared = layers.Dense(3, activation="tanh", name="shared")
    inner = Sequential([Input((3,)), layers.Dense(2, name="inner_a"), layers.Dense(3, name="inner_b")],
                       name="block")
    y = layers.Add(name="add")([shared(x), shared(inner(shared(x)))])
    return Model(x, {"out": layers.Dense(1, name="out")(y)}, name="graph")


def test_a_graph_clone_keeps_shared_layers_shared_and_computes_the_same_function():
    model = _graph()
    calls = []

    def clone_function(layer):
        calls.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = clone_model(model, clone_function=clone_function)
    assert sorted(calls) == ["add", "block", "out", "shared"]  # once each; inputs are not cloned
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    shared = clone.get_layer("shared")
    assert sum(node.layer is shared for node in clone.nodes) == 3
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 3))
    result = clone.predict(x, verbose=0)
    assert sorted(result) == ["out"]
    np.testing.assert_allclose(result["out"], model.predict(x, verbose=0)["out"], rtol=1e-6)


def test_recursive_clones_nested_models_layer_by_layer():
    model, calls = _graph(), []

    def clone_function(layer):
        calls.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = clone_model(model, clone_function=clone_function, recursive=True)
    assert sorted(calls) == ["add", "inner_a", "inner_b", "out", "shared"]
    assert clone.get_layer("block").get_layer("inner_a") is not model.get_layer(
        "block").get_layer("inner_a")


def test_call_function_inserts_layers_and_input_tensors_replace_the_inputs():
    layerkit.utils.set_random_seed(1)
    x = Input((2,), name="x")
    model = Model(x, layers.Dense(3, name="d2")(layers.Dense(2, name="d1")(x)))

    def call_function(layer, inputs):
        out = layer(inputs)
        return layers.Activation("relu")(out) if isinstance(layer, layers.Dense) else out

    new_input = Input((2,), name="new")
    clone = clone_model(model, input_tensors=[new_input], call_function=call_function)
    assert [type(layer).__name__ for layer in clone.layers] == [
        "InputLayer", "Dense", "Activation", "Dense", "Activation"]
    assert clone.input_names == ["new"]
    clone.set_weights(model.get_weights())
    data = np.random.default_rng(2).normal(size=(4, 2))
    kernel_1, bias_1, kernel_2, bias_2 = model.get_weights()
    expected = np.maximum(np.maximum(data @ kernel_1 + bias_1, 0) @ kernel_2 + bias_2, 0)
    np.testing.assert_allclose(clone.predict(data, verbose=0), expected, rtol=1e-5)
    sequential_input = Input((3,), name="given")
    assert clone_model(_sequential(), input_tensors=sequential_input).input_names == ["given"]


def test_clone_model_refuses_what_keras_refuses():
    with pytest.raises(ValueError, match="`call_function` argument is not supported with Sequential"):
        clone_model(_sequential(), call_function=lambda layer, x: layer(x))
    with pytest.raises(ValueError, match=r"Unexpected keyword argument\(s\): \('deep',\)"):
        clone_model(_sequential(), deep=True)
    with pytest.raises(ValueError, match="Expected `clone_function` argument to be a callable"):
        clone_model(_sequential(), clone_function="copy")
    with pytest.raises(ValueError, match="must have the same structure as model.input"):
        clone_model(_graph(), input_tensors=[Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match="must be KerasTensors"):
        clone_model(_graph(), input_tensors=[np.zeros((1, 3))])
    hidden = layers.Dense(3)(Input((3,)))
    with pytest.raises(ValueError, match=r"must be a KerasTensor made by `Input\(\)`"):
        clone_model(_sequential(), input_tensors=hidden)
