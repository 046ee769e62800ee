"""Categorical inputs: Embedding, CategoryEncoding, Discretization, and integer Inputs.

Indices are refused when they are not whole numbers or out of range, whatever their
dtype; the gradient checks of layers fed with indices perturb the weights only.
"""

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

from layerkit import Model, Sequential, initializers
from layerkit.layers import (
    CategoryEncoding,
    Dense,
    Discretization,
    Embedding,
    Flatten,
    Input,
    InputLayer,
)

WORST = {}
_report = report_worst("categorical layers vs finite differences", WORST)

CASES = {
    "embedding": LayerCase(lambda: Embedding(6, 3), (4,), integers=6),
    "embedding_rank3_regularized": LayerCase(
        lambda: Embedding(5, 2, embeddings_regularizer="l2", activity_regularizer="l1"), (2, 3),
        integers=5),
    "category_one_hot": LayerCase(lambda: CategoryEncoding(4, output_mode="one_hot"), (3,),
                                  integers=4),
    "category_multi_hot": LayerCase(lambda: CategoryEncoding(5), (3,), integers=5),
    "category_count": LayerCase(lambda: CategoryEncoding(5, output_mode="count"), (4,), integers=5),
    "discretization_int": LayerCase(lambda: Discretization([-0.5, 0.0, 0.7]), (4,),
                                    differentiable=False),
    "discretization_one_hot": LayerCase(lambda: Discretization([-0.5, 0.5], output_mode="one_hot"),
                                        (3,), differentiable=False),
    "discretization_count": LayerCase(lambda: Discretization([0.0], output_mode="count"), (5,),
                                      differentiable=False),
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


# ---------------------------------------------------------------------------- Embedding
def test_embedding_looks_up_rows_and_scatters_the_gradient_back():
    table = np.arange(12.0).reshape(4, 3)
    layer = Embedding(4, 3, weights=table, dtype="float64")
    indices = np.array([[1, 3, 1], [0, 1, 2]])
    np.testing.assert_array_equal(layer(indices), table[indices])
    grad = np.random.default_rng(0).normal(size=(2, 3, 3))
    dx = layer.backward(grad)
    expected = np.zeros((4, 3))
    for n in range(2):
        for t in range(3):
            expected[indices[n, t]] += grad[n, t]
    np.testing.assert_allclose(layer.grads["embeddings"], expected, rtol=1e-12)
    np.testing.assert_array_equal(dx, 0.0)
    assert layer.backward(grad, input_gradient=False) is None


def test_embedding_default_initializer_is_keras_uniform():
    layer = Embedding(50, 40)
    layer.build(None)
    assert isinstance(layer.embeddings_initializer, initializers.RandomUniform)
    assert np.abs(layer.embeddings).max() <= 0.05 and layer.embeddings.std() > 0.02


def test_embedding_trains_in_a_sequential_and_a_graph_with_an_int32_input():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 8, size=(64, 3))
    y = (x.sum(axis=1, keepdims=True) > 10).astype("float32")
    inputs = Input((3,), dtype="int32")
    assert inputs.dtype == "int32"
    graph = Model(inputs, Dense(1, activation="sigmoid")(Flatten()(Embedding(8, 4)(inputs))))
    stack = Sequential([Input((3,), dtype="int32"), Embedding(8, 4), Flatten(),
                        Dense(1, activation="sigmoid")])
    for model in (graph, stack):
        model.compile(optimizer="adam", loss="binary_crossentropy")
        history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]


def test_an_int32_input_round_trips_its_config():
    layer = InputLayer(shape=(3,), dtype="int32")
    assert InputLayer.from_config(layer.get_config()).dtype == "int32"
    with pytest.raises(ValueError, match="floating point only"):
        Dense(2, dtype="int32")                                # the layers stay floating point


@pytest.mark.parametrize("bad, message", [
    (np.array([[0, 6]]), r"received index 6 at position \(0, 1\), outside the valid range "
                         r"\[0, input_dim=6\)"),
    (np.array([[-1, 0]]), r"received index -1"),
    (np.array([[0.0, 1.5]]), r"received 1.5 at position \(0, 1\), which is not a whole number"),
    (np.array([[0.0, np.nan]]), r"received nan"),
])
def test_bad_indices_are_refused_with_the_value_and_its_position(bad, message):
    with pytest.raises(ValueError, match=message):
        Embedding(6, 2)(bad)


def test_out_of_range_indices_in_fit_leave_the_model_unchanged():
    model = Sequential([Input((2,)), Embedding(5, 2), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    x = np.array([[0, 1], [2, 9]])
    with pytest.raises(ValueError, match="received index 9"):
        model.fit(x, np.zeros((2, 1)), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"input_dim": 0, "output_dim": 2}, ValueError, r"`input_dim` must be a positive integer. "
                                                    r"Received: input_dim=0 \(of type int\)"),
    ({"input_dim": 3, "output_dim": -1}, ValueError, "Received: output_dim=-1"),
    ({"input_dim": 3.0, "output_dim": 2}, ValueError, r"of type float"),
    ({"input_dim": 3, "output_dim": 2, "mask_zero": True}, NotImplementedError, "no masks"),
    ({"input_dim": 3, "output_dim": 2, "lora_rank": 2}, NotImplementedError, "lora_rank"),
])
def test_embedding_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        Embedding(**kwargs)


def test_embedding_input_length_is_deprecated_as_in_keras():
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):
        Embedding(3, 2, input_length=5)


# ---------------------------------------------------------------------------- CategoryEncoding
def test_category_encoding_modes_by_hand():
    x = np.array([[0, 2, 2], [1, 1, 3]])
    eye = np.eye(4)
    np.testing.assert_array_equal(CategoryEncoding(4, "one_hot")(x), eye[x])
    np.testing.assert_array_equal(CategoryEncoding(4, "one_hot")(x[:, :1]), eye[x[:, 0]])
    np.testing.assert_array_equal(CategoryEncoding(4)(x), [[1, 0, 1, 0], [0, 1, 0, 1]])
    np.testing.assert_array_equal(CategoryEncoding(4, "count")(x), [[1, 0, 2, 0], [0, 2, 0, 1]])
    assert CategoryEncoding(4, "binary").output_mode == "multi_hot"


@pytest.mark.parametrize("kwargs, message", [
    ({}, "num_tokens must be set"),
    ({"num_tokens": 0}, r"`num_tokens` must be >= 1. Received: num_tokens=0"),
    ({"num_tokens": 3, "output_mode": "int"}, "Unknown arg for output_mode: int"),
    ({"num_tokens": 3, "sparse": True}, "sparse=True"),
])
def test_category_encoding_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CategoryEncoding(**kwargs)


def test_category_encoding_refuses_bad_tokens_and_ranks():
    with pytest.raises(ValueError, match=r"outside the valid range \[0, num_tokens=3\)"):
        CategoryEncoding(3)(np.array([[0, 3]]))
    with pytest.raises(ValueError, match="takes inputs of shape \\(batch, tokens\\)"):
        Sequential([Input((2, 2)), CategoryEncoding(3)])


# ---------------------------------------------------------------------------- Discretization
def test_discretization_bins_by_hand():
    layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.5]])
    np.testing.assert_array_equal(layer(x), [[0, 1, 1, 2, 3]])
    one_hot = Discretization([0.0, 1.0, 2.0], output_mode="one_hot")(x)
    np.testing.assert_array_equal(one_hot, np.eye(4)[[[0, 1, 1, 2, 3]]])
    count = Discretization([0.0, 1.0, 2.0], output_mode="count")(x)
    np.testing.assert_array_equal(count, [[1, 2, 1, 1]])


def test_discretization_adapt_puts_boundaries_at_the_quantiles_and_round_trips():
    data = np.random.default_rng(0).uniform(0, 10, size=(5000, 1))
    layer = Discretization(num_bins=4)
    layer.adapt(data)
    np.testing.assert_allclose(layer.bin_boundaries, [2.5, 5.0, 7.5], atol=0.2)
    restored = Discretization.from_config(layer.get_config())
    assert restored.bin_boundaries == layer.bin_boundaries and restored.num_bins == 4
    counts = Discretization(layer.bin_boundaries, output_mode="count")(data.reshape(1, -1))
    np.testing.assert_allclose(counts / data.size, 0.25, atol=0.02)


def test_discretization_adapt_reads_batches_and_steps():
    rng = np.random.default_rng(1)
    batches = [rng.normal(size=(50, 2)) for _ in range(6)]
    all_batches, two = Discretization(num_bins=3), Discretization(num_bins=3)
    all_batches.adapt(iter(batches))
    two.adapt(batches, steps=2)
    reference = Discretization(num_bins=3)
    reference.adapt(batches[:2])
    assert two.bin_boundaries == reference.bin_boundaries != all_batches.bin_boundaries


@pytest.mark.parametrize("data, message", [([], "empty iterable"),
                                           (np.array([[1.0, np.nan]]), "NaN or inf"),
                                           (np.zeros((0, 2)), "empty")])
def test_discretization_bad_adapt_data_keeps_the_boundaries(data, message):
    layer = Discretization(num_bins=2)
    layer.adapt(np.array([[0.0], [1.0], [2.0], [3.0]]))
    before = list(layer.bin_boundaries)
    with pytest.raises(ValueError, match=message):
        layer.adapt(data)
    assert layer.bin_boundaries == before


@pytest.mark.parametrize("kwargs, message", [
    ({}, "either `num_bins` or `bin_boundaries`"),
    ({"num_bins": 3, "bin_boundaries": [0.0]}, "should not be set"),
    ({"num_bins": 0}, "`num_bins` must be an integer >= 1"),
    ({"bin_boundaries": [1.0, 0.0]}, "sorted in increasing order"),
    ({"bin_boundaries": [0.0, np.inf]}, "must be finite"),
    ({"bin_boundaries": [0.0], "output_mode": "bad"}, "Unknown value for `output_mode` argument"),
    ({"num_bins": 2, "epsilon": 0.0}, "`epsilon` must be a number in"),
])
def test_discretization_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Discretization(**kwargs)


def test_discretization_refuses_use_before_adapt_and_nan_inputs():
    with pytest.raises(ValueError, match="call `adapt"):
        Discretization(num_bins=3)(np.ones((1, 2)))
    with pytest.raises(ValueError, match="Cannot adapt a Discretization layer"):
        Discretization([0.0]).adapt(np.ones((3, 1)))
    with pytest.raises(ValueError, match="NaN"):
        Discretization([0.0])(np.array([[np.nan]]))
