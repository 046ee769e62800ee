"""Merge layers added here: Maximum, Minimum, Dot, and the functional forms of all merge layers.

Add, Subtract, Multiply, Average and Concatenate have their graph gradient checks in
test_gradient_checks.py; the functional forms are checked here to make those layers.
"""

import json

import numpy as np
import pytest
from layer_checks import report_worst

from layerkit import Model, layers
from layerkit.layers import (
    Add,
    Average,
    Concatenate,
    Dense,
    Dot,
    Flatten,
    Input,
    KerasTensor,
    Maximum,
    Minimum,
    Multiply,
    Reshape,
    Subtract,
)
from layerkit.utils import check_gradients

WORST = {}
_report = report_worst("merge layers vs finite differences", WORST)


def _branches(merge, width=3, shapes=None):
    """Two Dense branches of the input, reshaped to ``shapes``, merged, then a Dense head."""
    x = Input((4,))
    branches = []
    for shape in shapes or [(width,), (width,)]:
        h = Dense(int(np.prod(shape)), activation="tanh")(x)
        branches.append(Reshape(shape)(h) if len(shape) > 1 else h)
    return Model(x, Dense(2)(Flatten()(merge(branches))))


GRAPHS = {
    "maximum": lambda: _branches(Maximum()),
    "minimum_three": lambda: _branches(Minimum(), shapes=[(3,), (3,), (3,)]),
    "dot_vectors": lambda: _branches(Dot(axes=1)),
    "dot_normalized": lambda: _branches(Dot(axes=-1, normalize=True)),
    "dot_rank3_axes_1_2": lambda: _branches(Dot(axes=(1, 2)), shapes=[(2, 3), (4, 2)]),
    "dot_rank3_and_vector": lambda: _branches(Dot(axes=(2, 1)), shapes=[(2, 3), (3,)]),
    "dot_normalized_rank3": lambda: _branches(Dot(axes=[2, 2], normalize=True),
                                              shapes=[(2, 3), (4, 3)]),
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_merge_gradients_match_finite_differences(name):
    rng = np.random.default_rng(0)
    model = GRAPHS[name]()
    model.compile(optimizer="sgd", loss="mse")
    errors = check_gradients(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 2)))
    WORST[name] = max(errors.values())
    assert WORST[name] < 1e-6, errors


def test_maximum_and_minimum_by_hand_with_ties_shared():
    a, b = np.array([[1.0, 5.0, 2.0]]), np.array([[3.0, 2.0, 2.0]])
    layer = Maximum()
    np.testing.assert_array_equal(layer([a, b]), [[3.0, 5.0, 2.0]])
    da, db = layer.backward(np.ones((1, 3)))
    np.testing.assert_array_equal(da, [[0.0, 1.0, 0.5]])
    np.testing.assert_array_equal(db, [[1.0, 0.0, 0.5]])
    np.testing.assert_array_equal(Minimum()([a, b]), [[1.0, 2.0, 2.0]])


def test_dot_by_hand_in_every_layout():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 3))
    np.testing.assert_allclose(Dot(axes=(1, 2), dtype="float64")([x, y]),
                               np.einsum("nka,nbk->nab", x, y), rtol=1e-12)
    u, v = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    np.testing.assert_allclose(Dot(axes=1, dtype="float64")([u, v]), (u * v).sum(1, keepdims=True),
                               rtol=1e-12)
    cosine = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    np.testing.assert_allclose(Dot(axes=1, normalize=True, dtype="float64")([u, v])[:, 0], cosine,
                               rtol=1e-12)
    np.testing.assert_allclose(Dot(axes=(2, 1), dtype="float64")([x, rng.normal(size=(2, 4))]).shape,
                               (2, 3))
    assert Dot(axes=(1, 2)).compute_output_shape([(None, 3, 4), (None, 5, 3)]) == (None, 4, 5)


def test_dot_of_a_zero_vector_stays_finite_when_normalized():
    out = Dot(axes=1, normalize=True)([np.zeros((1, 3)), np.ones((1, 3))])
    np.testing.assert_array_equal(out, [[0.0]])


@pytest.mark.parametrize("axes, error, message", [
    ("x", TypeError, "should be a list or an int"),
    ((1, 2, 3), ValueError, "should contain two elements"),
    ((1, 1.5), ValueError, "list elements should be integers"),
])
def test_dot_bad_axes_are_refused_in_keras_words(axes, error, message):
    with pytest.raises(error, match=message):
        Dot(axes=axes)


def test_dot_refuses_the_batch_axis_mismatched_sizes_and_other_counts():
    a, b = Input((3,)), Input((4,))
    with pytest.raises(ValueError, match="Cannot perform batch_dot over axis 0"):
        Dot(axes=0)([a, a])
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 3 \(at axis 1\) "
                                         r"!= 4 \(at axis 1\)"):
        Dot(axes=1)([a, b])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Dot(axes=1)([a, a, a])


def test_maximum_refuses_inputs_of_different_shapes():
    with pytest.raises(ValueError, match="needs inputs of one shape"):
        Maximum()([Input((3,)), Input((4,))])


FUNCTIONS = {
    "add": (layers.add, Add, {}),
    "subtract": (layers.subtract, Subtract, {}),
    "multiply": (layers.multiply, Multiply, {}),
    "average": (layers.average, Average, {}),
    "maximum": (layers.maximum, Maximum, {}),
    "minimum": (layers.minimum, Minimum, {}),
    "concatenate": (layers.concatenate, Concatenate, {"axis": -1}),
    "dot": (layers.dot, Dot, {"axes": -1}),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functional_forms_make_the_layer_on_tensors_and_on_arrays(name):
    function, cls, defaults = FUNCTIONS[name]
    a, b = Input((3,)), Input((3,))
    out = function([a, b], name=f"my_{name}")
    assert isinstance(out, KerasTensor) and type(out.layer) is cls
    assert out.layer.name == f"my_{name}"
    for key, value in defaults.items():
        assert getattr(out.layer, key) == value
    model = Model([a, b], out)
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    direct = function([xa, xb])
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), direct, rtol=1e-6)
    np.testing.assert_allclose(direct, cls(**defaults)([xa, xb]), rtol=1e-6)
    config = json.loads(json.dumps(layers.serialize(out.layer)))
    assert type(layers.deserialize(config)) is cls


@pytest.mark.parametrize("name", list(GRAPHS))
def test_merge_graphs_round_trip_config_weights_file_and_summary(name, tmp_path):
    rng = np.random.default_rng(3)
    model = GRAPHS[name]()
    rebuilt = Model.from_config(json.loads(json.dumps(model.get_config())))
    model.save_weights(tmp_path / "m.weights.h5")
    rebuilt.load_weights(tmp_path / "m.weights.h5")
    x = rng.normal(size=(4, 4))
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))
    merge = next(layer for layer in model.layers if isinstance(layer, (Maximum, Minimum, Dot)))
    assert type(merge).from_config(merge.get_config()).get_config() == merge.get_config()
    lines = []
    model.summary(print_fn=lines.append, line_length=160)
    row = next(line for line in "\n".join(lines).splitlines() if f"({type(merge).__name__})" in line)
    assert str(merge.output_shape) in row


def test_merge_layers_are_finite_at_large_inputs():
    a, b = np.full((2, 3), 1000.0), np.full((2, 3), -1000.0)
    for layer in (Maximum(), Minimum(), Dot(axes=1), Dot(axes=1, normalize=True)):
        out = layer([a, b])
        grads = layer.backward(np.ones_like(out))
        assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)
