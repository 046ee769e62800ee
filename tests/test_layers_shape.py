"""Shape layers: Reshape, Permute, RepeatVector, Identity (Flatten has its own tests)."""

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

from layerkit import Model, Sequential
from layerkit.layers import Dense, Identity, Input, Permute, RepeatVector, Reshape

WORST = {}
_report = report_worst("shape layers vs finite differences", WORST)

CASES = {
    "reshape": LayerCase(lambda: Reshape((3, 2)), (6,)),
    "reshape_minus_one": LayerCase(lambda: Reshape((-1, 2)), (2, 3)),
    "permute": LayerCase(lambda: Permute((2, 1)), (2, 3)),
    "permute_rank4": LayerCase(lambda: Permute((3, 1, 2)), (2, 3, 4)),
    "repeat_vector": LayerCase(lambda: RepeatVector(3), (4,)),
    "identity": LayerCase(lambda: Identity(), (2, 3)),
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


# ---------------------------------------------------------------------------- values by hand
def test_reshape_keeps_the_order_of_the_values():
    x = np.arange(12.0).reshape(2, 6)
    y = Reshape((3, -1))(x)
    np.testing.assert_array_equal(y, x.reshape(2, 3, 2))
    assert Reshape((3, -1)).compute_output_shape((None, 6)) == (None, 3, 2)
    assert Reshape((3, -1)).compute_output_shape((None, None)) == (None, 3, None)


def test_permute_moves_the_axes_and_backward_moves_them_back():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    layer = Permute((3, 1, 2))
    y = layer(x)
    np.testing.assert_allclose(y, np.transpose(x, (0, 3, 1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(layer.backward(np.transpose(x, (0, 3, 1, 2))), x)


def test_repeat_vector_copies_and_backward_sums_the_copies():
    layer = RepeatVector(3)
    y = layer(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(y, [[[1.0, 2.0]] * 3])
    grad = np.arange(6.0).reshape(1, 3, 2)
    np.testing.assert_array_equal(layer.backward(grad), [[6.0, 9.0]])


def test_identity_in_a_graph_and_a_sequential():
    x = Input((3,))
    model = Model(x, Dense(1)(Identity()(x)))
    assert model.predict(np.ones((2, 3)), verbose=0).shape == (2, 1)
    stack = Sequential([Input((2, 3)), Identity(), Permute((2, 1)), Reshape((6,)), RepeatVector(2)])
    assert stack.output_shape == (None, 2, 6)


# ---------------------------------------------------------------------------- adversarial
@pytest.mark.parametrize("target, message", [
    ((3, -2), "must be a non-negative integer, or `-1`"),
    ((-1, -1), "at most one unknown dimension"),
    ((2.5,), "must be a non-negative integer"),
])
def test_bad_target_shapes_are_refused_in_keras_words(target, message):
    with pytest.raises(ValueError, match=message):
        Reshape(target)


@pytest.mark.parametrize("target, message", [((4,), "must be unchanged"),
                                             ((4, -1), "cannot by divided")])
def test_a_target_of_another_size_is_refused(target, message):
    with pytest.raises(ValueError, match=message):
        Sequential([Input((6,)), Reshape(target)])


@pytest.mark.parametrize("dims", [(1, 1), (0, 1), (2, 3), (1, 3)])
def test_permute_dims_must_be_a_permutation_of_one_to_n(dims):
    with pytest.raises(ValueError, match="must be consecutive and start from 1"):
        Permute(dims)


def test_permute_and_repeat_vector_check_the_input_rank():
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        Sequential([Input((3,)), Permute((2, 1))])
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        Sequential([Input((2, 3)), RepeatVector(2)])


@pytest.mark.parametrize("n, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError),
                                      (True, TypeError)])
def test_repeat_vector_needs_a_positive_integer(n, error):
    with pytest.raises(error, match="`n`"):
        RepeatVector(n)
