"""Losses at the edges, by name and by config: zeros, huge values, exact matches, bad arguments.

Every loss of ``test_losses.CASES`` is called on zero predictions, on
predictions of ±1e4 (logits ±1000), and on predictions equal to the targets,
with sample weights: value and gradient finite, and no NumPy warning (pytest
turns RuntimeWarning into an error). At the kinks the gradient is the one
Keras gives (checked against Keras in ``test_losses_keras.py``). Then: every
Keras name and alias, the refusal of CTC and Circle, config round trips with
non-default arguments, refused arguments and weight shapes, float32 kept,
inputs never mutated, and training a model with the new losses.
"""

import copy
import json

import numpy as np
import pytest
from test_losses import CASES, EPS

from layerkit import Sequential, losses
from layerkit.layers import Dense, Input
from layerkit.utils import check_gradients

LOGIT_CASES = {name for name, case in CASES.items() if case.kwargs.get("from_logits")}
LABEL_CASES = {"scce", "scce_ignore"}


def _edge_predictions(name, y_pred, edge):
    if edge == "zeros":
        return np.zeros_like(y_pred)
    if edge == "huge":
        big = 1000.0 if name in LOGIT_CASES else 1e4
        return np.where(np.indices(y_pred.shape).sum(axis=0) % 2 == 0, big, -big)
    return None


def _finite_value_and_gradient(loss, y_true, y_pred, weight):
    value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weight)
    return np.isfinite(value) and np.all(np.isfinite(grad)), value, grad


# Out of their domain, two losses give NaN as Keras does (quietly): a negative Poisson rate,
# and a fractional focal power of a negative 1 - p_t (probabilities far outside [0, 1]).
UNDEFINED = {("poisson", "huge"), ("binary_focal_balanced", "huge")}


EDGES = [(name, edge) for name in sorted(CASES) for edge in ("zeros", "huge", "exact")
         if not (edge == "exact" and name in LABEL_CASES)]   # no prediction equals a label


@pytest.mark.parametrize("name,edge", EDGES)
def test_edges_are_finite_and_silent(name, edge):
    case = CASES[name]
    y_true, y_pred = case.draw(2)
    if edge == "exact":
        y_pred = y_true.astype(np.float64)
    else:
        y_pred = _edge_predictions(name, y_pred, edge)
    weight = None if name in ("dice", "tversky") else np.array([1.0, 0.5, 2.0, 0.0])
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", "none"):
        finite, value, grad = _finite_value_and_gradient(case.loss(reduction), y_true, y_pred, weight)
        assert finite == ((name, edge) not in UNDEFINED), (reduction, value, grad)


def test_poisson_rate_domain():
    loss = losses.Poisson()
    y_true = np.array([[1.0, 2.0]])
    value, grad = loss.value_and_gradient(y_true, np.zeros((1, 2)))
    assert value == pytest.approx(-3 * np.log(EPS) / 2)
    np.testing.assert_allclose(grad, (1 - y_true / EPS) / 2)
    value, grad = loss.value_and_gradient(y_true, np.array([[-1e4, 1.0]]))
    assert np.isnan(value) and np.isnan(grad[0, 0]) and grad[0, 1] == pytest.approx(-0.5)


def test_exact_matches_give_keras_subgradients():
    y = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
    for loss in (losses.MeanAbsoluteError(), losses.MeanAbsolutePercentageError(), losses.Huber(),
                 losses.LogCosh(), losses.MeanSquaredError(), losses.SquaredHinge()):
        value, grad = loss.value_and_gradient(y, y.copy())
        assert value == 0 and not grad.any(), type(loss).__name__
    # Hinge at the kink: half of the slope -y / D (then / N), the middle of the subgradient.
    np.testing.assert_allclose(losses.Hinge().gradient(y, y.copy()), -y / 2 / 3 / 2)
    # Categorical hinge, one-hot predictions: margin 0; the max of (1 - y) ŷ is shared by all K.
    one_hot = np.eye(3)[[1, 2]]
    np.testing.assert_allclose(losses.CategoricalHinge().gradient(one_hot, one_hot.copy()),
                               0.5 * ((1 - one_hot) / 3 - one_hot) / 2)
    # Cosine: aligned vectors are the optimum.
    value, grad = losses.CosineSimilarity().value_and_gradient(y, 3 * y)
    assert value == pytest.approx(-1.0) and np.abs(grad).max() < 1e-15
    # Focal losses at exact 0/1 targets: p_t = 1, no gradient, even for gamma < 1.
    bits = np.array([[0.0, 1.0], [1.0, 1.0]])
    for gamma in (0.0, 0.5, 2.0):
        value, grad = losses.BinaryFocalCrossentropy(gamma=gamma).value_and_gradient(bits, bits.copy())
        assert np.isfinite(value) and not grad.any()


def test_cosine_of_zero_predictions_has_keras_floor_gradient():
    y = np.array([[3.0, 4.0]])
    value, grad = losses.CosineSimilarity().value_and_gradient(y, np.zeros((1, 2)))
    assert value == 0
    np.testing.assert_allclose(grad, -(y / 5) / EPS)


def test_log_cosh_is_linear_far_out():
    loss = losses.LogCosh(reduction="none")
    errors = np.array([[1e4, -1e4, 1e300]])
    value = loss(np.zeros_like(errors), errors)
    assert value[0] == pytest.approx((2e4 + 1e300 - 3 * np.log(2)) / 3)
    np.testing.assert_array_equal(loss.backward(np.zeros_like(errors), errors), [[1 / 3, -1 / 3, 1 / 3]])


# ---------------------------------------------------------------------------- names
KERAS_NAMES = {
    "mean_squared_error": "MeanSquaredError", "mse": "MeanSquaredError", "MSE": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError", "mae": "MeanAbsoluteError",
    "MAE": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mape": "MeanAbsolutePercentageError", "MAPE": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
    "msle": "MeanSquaredLogarithmicError", "MSLE": "MeanSquaredLogarithmicError",
    "huber": "Huber", "log_cosh": "LogCosh", "logcosh": "LogCosh",
    "cosine_similarity": "CosineSimilarity", "kl_divergence": "KLDivergence", "kld": "KLDivergence",
    "KLD": "KLDivergence", "kullback_leibler_divergence": "KLDivergence", "poisson": "Poisson",
    "binary_crossentropy": "BinaryCrossentropy", "bce": "BinaryCrossentropy",
    "BCE": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "hinge": "Hinge", "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge",
    "dice": "Dice", "tversky": "Tversky",
}
CLASS_NAMES = sorted(set(KERAS_NAMES.values()))


@pytest.mark.parametrize("name", sorted(KERAS_NAMES) + CLASS_NAMES)
def test_every_keras_name_gives_its_class(name):
    cls = getattr(losses, KERAS_NAMES.get(name, name))
    assert type(losses.get(name)) is cls


@pytest.mark.parametrize("name", [n for n in KERAS_NAMES if n == n.lower() and hasattr(losses, n)])
def test_builtin_functions_give_their_class(name):
    loss = losses.get(getattr(losses, name))
    assert type(loss) is getattr(losses, KERAS_NAMES[name])


@pytest.mark.parametrize("identifier", ["ctc", "CTC", "circle", "Circle"])
def test_ctc_and_circle_are_refused_clearly(identifier):
    with pytest.raises(NotImplementedError, match="not implemented in layerkit"):
        losses.get(identifier)
    function = getattr(losses, identifier.lower())
    with pytest.raises(NotImplementedError, match="not implemented in layerkit"):
        function(np.zeros((1, 2)), np.zeros((1, 2, 3)))


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="huber") as info:
        losses.get("hubber")
    assert "kl_divergence" in str(info.value) and "hubber" in str(info.value)
    assert losses.get(None) is None


# ---------------------------------------------------------------------------- configs
NON_DEFAULT = [
    losses.MeanAbsolutePercentageError(reduction="sum", name="mape_sum"),
    losses.MeanSquaredLogarithmicError(reduction="mean_with_sample_weight", dtype="float64"),
    losses.Huber(delta=0.3, reduction="none", name="h"),
    losses.LogCosh(reduction=None),
    losses.CosineSimilarity(axis=1, name="cos"),
    losses.KLDivergence(reduction="sum"),
    losses.Poisson(name="rate"),
    losses.Hinge(reduction="mean"),
    losses.SquaredHinge(name="sq_hinge"),
    losses.CategoricalHinge(reduction="sum"),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.5, from_logits=True,
                                   label_smoothing=0.1, axis=1, reduction="sum", name="bfc"),
    losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5], gamma=0.5, from_logits=True,
                                        label_smoothing=0.2, axis=1, name="cfc"),
    losses.Dice(reduction="sum", name="d", axis=(1, 2)),
    losses.Tversky(alpha=0.7, beta=0.3, reduction="mean", name="t", axis=1),
]


@pytest.mark.parametrize("loss", NON_DEFAULT, ids=lambda loss: type(loss).__name__)
def test_config_round_trip_keeps_every_argument(loss):
    config = loss.get_config()
    json.dumps(config)
    restored = type(loss).from_config(copy.deepcopy(config))
    assert restored.get_config() == config
    via_module = losses.deserialize(losses.serialize(loss))
    assert type(via_module) is type(loss) and via_module.get_config() == config
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.uniform(0.1, 0.9, size=(2, 3, 3)), rng.uniform(0.1, 0.9, size=(2, 3, 3))
    np.testing.assert_array_equal(restored.gradient(y_true, y_pred), loss.gradient(y_true, y_pred))
    np.testing.assert_array_equal(restored(y_true, y_pred), loss(y_true, y_pred))


@pytest.mark.parametrize("make,match", [
    (lambda: losses.Huber(delta=0), "Received: delta=0"),
    (lambda: losses.Huber(delta=-1.0), "Received: delta=-1.0"),
    (lambda: losses.BinaryFocalCrossentropy(alpha=1.5), "Received: alpha=1.5"),
    (lambda: losses.BinaryFocalCrossentropy(gamma=-1), "Received: gamma=-1"),
    (lambda: losses.BinaryFocalCrossentropy(label_smoothing=2), "Received: label_smoothing=2"),
    (lambda: losses.CategoricalFocalCrossentropy(alpha=[0.5, -0.1]), "Received: alpha=-0.1"),
    (lambda: losses.CategoricalFocalCrossentropy(alpha="x"), "Received: alpha='x'"),
    (lambda: losses.CategoricalFocalCrossentropy(axis=True), "Received: axis=True"),
    (lambda: losses.CosineSimilarity(axis=1.5), "Received: axis=1.5"),
    (lambda: losses.Dice(axis="all"), "Received: axis='all'"),
    (lambda: losses.Tversky(beta=-0.5), "Received: beta=-0.5"),
    (lambda: losses.Poisson(reduction="avg"), "Received: reduction='avg'"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_focal_alpha_list_must_match_the_classes():
    with pytest.raises(ValueError, match=r"2 entries.*3 classes"):
        losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.5])(np.eye(3), np.eye(3))


def test_cosine_axis_out_of_range_is_refused():
    with pytest.raises(ValueError, match="axis 2 is out of"):
        losses.CosineSimilarity(axis=2).gradient(np.ones((2, 3)), np.ones((2, 3)))


# ---------------------------------------------------------------------------- weights and shapes
@pytest.mark.parametrize("values_shape,weight_shape", [
    ((4,), (3,)), ((4,), (4, 1, 1)), ((4,), (4, 2)), ((4, 5), (4,)), ((4, 5), (5, 1)),
    ((4, 5), (4, 5, 2)), ((), (4,)),
])
def test_weights_that_cannot_line_up_are_refused(values_shape, weight_shape):
    loss = losses.MeanSquaredError() if values_shape else losses.Dice()
    shape = values_shape + (3,) if values_shape else (4, 3)
    y = np.ones(shape)
    with pytest.raises(ValueError) as info:
        loss(y, y, sample_weight=np.ones(weight_shape))
    assert str(weight_shape) in str(info.value) and str(values_shape) in str(info.value)
    with pytest.raises(ValueError):
        loss.value_and_gradient(y, y, sample_weight=np.ones(weight_shape))


def test_targets_of_another_shape_are_refused():
    with pytest.raises(ValueError, match=r"y_true.shape=\(4, 2\), y_pred.shape=\(4, 3\)"):
        losses.Huber()(np.ones((4, 2)), np.ones((4, 3)))


def test_targets_and_predictions_are_lined_up_as_keras_does():
    loss = losses.LogCosh(reduction="none")
    y_true, y_pred = np.array([1.0, 2.0, 0.5]), np.array([[0.0], [2.5], [0.5]])
    np.testing.assert_allclose(loss(y_true, y_pred), loss(y_true[:, None], y_pred))
    # (N, T) targets for (N, T, 1) predictions: the predictions lose their last axis, and
    # the values are one per sample (the mean over T), not one per timestep.
    y_true = np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 1.0]])
    assert loss(y_true, y_true[..., None] + 1).shape == (3,)
    value, grad = loss.value_and_gradient(y_true, y_true[..., None] + 1)
    assert grad.shape == (3, 2, 1)
    assert value == pytest.approx(np.log(np.cosh(1.0)))
    np.testing.assert_allclose(grad, np.full((3, 2, 1), np.tanh(1.0) / 2 / 3))


def test_float32_stays_float32_and_inputs_are_not_mutated():
    for name, case in CASES.items():
        y_true, y_pred = case.draw(3 if 3 in case.ranks else 2)
        y_pred = y_pred.astype(np.float32)
        weight = None if name in ("dice", "tversky") else np.ones((y_true.shape[0], 1), np.float32)
        saved = [a.copy() for a in (y_true, y_pred)]
        value, grad = case.loss().value_and_gradient(y_true, y_pred, sample_weight=weight)
        assert grad.dtype == np.float32, name
        assert np.asarray(case.loss("none")(y_true, y_pred)).dtype == np.float32, name
        for before, after in zip(saved, (y_true, y_pred)):
            np.testing.assert_array_equal(before, after)


# ---------------------------------------------------------------------------- training
@pytest.mark.parametrize("loss,activation,targets", [
    ("huber", "linear", "real"), ("log_cosh", "linear", "real"), ("mape", "linear", "real"),
    ("msle", "softplus", "positive"), ("poisson", "exponential", "positive"),
    ("cosine_similarity", "linear", "real"), ("kld", "softmax", "distribution"),
    ("hinge", "tanh", "bits"), ("squared_hinge", "linear", "bits"),
    ("categorical_hinge", "linear", "one_hot"), ("binary_focal_crossentropy", "sigmoid", "bits"),
    ("categorical_focal_crossentropy", "softmax", "one_hot"), ("dice", "sigmoid", "bits"),
    ("tversky", "sigmoid", "bits"),
])
def test_models_train_with_the_new_losses(loss, activation, targets, float64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4))
    y = {"real": rng.normal(size=(12, 3)), "positive": rng.uniform(0.5, 2.0, size=(12, 3)),
         "distribution": rng.dirichlet(np.ones(3), size=12),
         "bits": rng.integers(0, 2, size=(12, 3)).astype(float),
         "one_hot": np.eye(3)[rng.integers(0, 3, size=12)]}[targets]
    weight = rng.uniform(0.5, 1.5, size=12)
    model = Sequential([Input((4,)), Dense(5, activation="tanh"), Dense(3, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    errors = check_gradients(model, x, y, sample_weight=weight if loss not in ("dice", "tversky") else None)
    assert max(errors.values()) < 1e-6, errors
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
