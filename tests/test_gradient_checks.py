"""Backpropagation agrees with central finite differences, for every layer, activation and loss.

``layerkit.utils.check_gradients`` compares the engine's analytic gradients with
central differences in float64. The tests below *declare* cases (a stack of
layers, a loss, the kind of targets); one helper, :func:`_check`, builds the
model, draws weights and data away from kinks (ReLU thresholds, MAE at
y_pred == y, probability clipping), checks which loss gradient the engine used
(fused at Z, or the loss's own ``backward``), and requires every relative error
(each weight array and the input) to stay below 1e-6. Twenty seeded random
networks, graph models (merge layers, shared layers, several inputs or outputs),
the loss reductions' values, and ``Model.compute_gradients`` (same numbers,
nothing changed) are covered too. The worst relative error measured is
printed at the end of the module (run with ``-s`` to see it).
"""

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from layerkit import Model, Sequential, activations, backend, losses
from layerkit.layers import (
    Activation,
    Add,
    Average,
    Concatenate,
    Dense,
    Flatten,
    Input,
    Multiply,
    Subtract,
)
from layerkit.utils import check_gradients, relative_error

BOUND = 1e-6      # every relative error must stay below this
MARGIN = 1e-3     # minimum distance of the data from any kink or clipping edge
ATTEMPTS = 8      # draws of weights and data allowed to get away from kinks
_WORST = {}       # test id -> worst relative error of that test


@pytest.fixture(scope="module", autouse=True)
def _report_worst_error():
    yield
    if _WORST:
        name = max(_WORST, key=_WORST.get)
        print(f"\n[test_gradient_checks] {len(_WORST)} gradient checks, worst relative "
              f"error {_WORST[name]:.3e} in {name}")


# ---------------------------------------------------------------------------- activations
_partial = functools.partial
ACTIVATIONS = [
    *sorted(set(activations.names()) - {"glu", "threshold"}),  # glu halves Z; threshold needs args
    _partial(activations.relu, negative_slope=0.1),
    _partial(activations.relu, max_value=0.3),
    _partial(activations.relu, threshold=0.2),
    _partial(activations.relu, negative_slope=0.2, max_value=0.4, threshold=-0.1),
    _partial(activations.leaky_relu, negative_slope=0.05),
    _partial(activations.elu, alpha=0.5),
    _partial(activations.elu, alpha=2.0),
]


def _act_id(act):
    if isinstance(act, str):
        return act
    args = ",".join(f"{k}={v}" for k, v in act.keywords.items())
    return f"{act.func.__name__}({args})"


def _kinks(act):
    """Points where ``act`` (a name, function or partial) is not twice differentiable."""
    keywords = {}
    act = activations.get(act)
    if isinstance(act, functools.partial):
        keywords, act = act.keywords, act.func
    if act is activations.relu:
        points = [keywords.get("threshold", 0.0)]
        if keywords.get("max_value") is not None:
            points.append(keywords["max_value"])
        return points
    name = act.__name__
    kinks = {"leaky_relu": [0.0], "elu": [0.0], "selu": [0.0], "celu": [0.0], "softsign": [0.0],
             "relu6": [0.0, 6.0], "hard_sigmoid": [-3.0, 3.0], "hard_silu": [-3.0, 3.0],
             "hard_tanh": [-1.0, 1.0], "sparse_plus": [-1.0, 1.0], "sparse_sigmoid": [-1.0, 1.0],
             "soft_shrink": [-0.5, 0.5], "hard_shrink": [-0.5, 0.5]}
    return kinks.get(name, [])


def test_activation_parametrization_covers_every_registered_activation():
    names = {a for a in ACTIVATIONS if isinstance(a, str)}
    assert names == set(activations.names()) - {"glu", "threshold"}
    assert {"silu", "swish"} <= names


# ---------------------------------------------------------------------------- the one helper
@dataclass(frozen=True)
class Case:
    """A gradient-check case: fresh layers, a fresh loss, and the kind of targets.

    ``layers()`` gives a list (stacked in a ``Sequential`` after ``Input(input_shape)``)
    or a whole graph model; a graph model with several inputs takes ``input_shape``
    as a list of shapes, one with several outputs takes ``loss()`` as a list and
    ``targets`` and ``path`` as tuples, one entry per output. ``path`` is the output
    gradient the engine must use: ``"fused"`` (the loss's ``logits_value_and_gradient``
    at Z) or ``"unfused"`` (the loss's ``backward``).
    """

    layers: Callable[[], list | Model]
    loss: Callable[[], losses.Loss | list] = losses.MeanSquaredError
    input_shape: tuple | list = (3,)
    targets: str | tuple = "real"
    sample_weight: bool = False
    path: str | tuple = "unfused"
    compile_kwargs: dict = field(default_factory=dict)
    batch: int = 5
    max_entries: int | None = None


def _randomize_weights(model, rng):
    for layer, name in model.weight_slots():
        value = getattr(layer, name)
        scale = 1 / np.sqrt(value.shape[0]) if name == "kernel" else 0.3
        value[...] = rng.normal(size=value.shape) * scale


def _targets(kind, output_shape, batch, loss, rng):
    shape = (batch, *output_shape[1:])
    classes = shape[-1]
    if kind == "real":
        return rng.normal(size=shape) * 0.5
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float)
    if kind == "soft_binary":
        return rng.uniform(0.05, 0.95, size=shape)
    if kind == "onehot":
        return np.eye(classes)[rng.integers(0, classes, size=shape[:-1])]
    if kind == "soft_onehot":
        return rng.dirichlet(np.ones(classes), size=shape[:-1])
    if kind in ("sparse", "sparse_ignore"):
        labels = rng.integers(0, classes, size=shape[:-1])
        if kind == "sparse_ignore":
            labels.reshape(-1)[::3] = loss.ignore_class
        return labels
    raise ValueError(kind)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _distance_to_kinks(model, xs, ys, loss_list):
    """How close the data comes to a kink of an activation or of a loss."""
    y_preds = _as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
    distances = [np.inf]
    for layer in model.layers:
        if getattr(layer, "Z", None) is not None and hasattr(layer, "activation"):
            for point in _kinks(layer.activation):
                distances.append(np.min(np.abs(layer.Z - point)))
    for loss, y, y_pred in zip(loss_list, ys, y_preds):
        y_pred = y_pred.astype(np.float64)
        if isinstance(loss, losses.MeanAbsoluteError):
            distances.append(np.min(np.abs(y_pred - np.reshape(y, y_pred.shape))))
        probability_space = not getattr(loss, "from_logits", True)
        if isinstance(loss, losses.BinaryCrossentropy) and probability_space:
            distances.append(np.min(np.minimum(y_pred, 1 - y_pred)))
        if isinstance(loss, (losses.CategoricalCrossentropy,
                             losses.SparseCategoricalCrossentropy)) and probability_space:
            p = y_pred / y_pred.sum(axis=-1, keepdims=True)
            distances.append(np.min(np.minimum(p, 1 - p)))
    return float(min(distances))


def _spy_on_loss_paths(loss):
    """Count the calls of the fused (at Z) and unfused (``backward``) output gradients."""
    calls = {"fused": 0, "unfused": 0}

    def counting(method, key):
        def wrapper(*args, **kwargs):
            calls[key] += 1
            return method(*args, **kwargs)
        return wrapper

    if hasattr(loss, "logits_value_and_gradient"):
        loss.logits_value_and_gradient = counting(loss.logits_value_and_gradient, "fused")
    loss.backward = counting(loss.backward, "unfused")
    return calls


def _build(case):
    built = case.layers()
    if isinstance(built, Model):
        return built
    return Sequential([Input(case.input_shape), *built])


def _check(case, label, seed=0):
    """Build ``case``, check its gradients, record and bound the worst relative error."""
    rng = np.random.default_rng(seed)
    input_shapes = case.input_shape if isinstance(case.input_shape, list) else [case.input_shape]
    for _ in range(ATTEMPTS):
        backend.clear_session()
        model = _build(case)
        loss = case.loss()
        loss_list = _as_list(loss)
        model.compile(optimizer="sgd", loss=loss, **case.compile_kwargs)
        _randomize_weights(model, rng)
        xs = [rng.normal(size=(case.batch, *shape)) * 0.5 for shape in input_shapes]
        output_shapes = model.output_shape if len(loss_list) > 1 else [model.output_shape]
        ys = [_targets(kind, shape, case.batch, one_loss, rng) for kind, shape, one_loss in
              zip(_as_list(case.targets), output_shapes, loss_list)]
        x = xs if len(xs) > 1 else xs[0]
        y = ys if len(ys) > 1 else ys[0]
        sample_weight = None
        if case.sample_weight:
            sample_weight = rng.uniform(0.2, 2.0, size=case.batch)
            sample_weight[1] = 0.0
        grads, input_grads = model.compute_gradients(x, y, wrt_inputs=True,
                                                     sample_weight=sample_weight)
        non_trivial = all(np.linalg.norm(g) > 0 for g in [*grads, *_as_list(input_grads)])
        if non_trivial and _distance_to_kinks(model, xs, ys, loss_list) > MARGIN:
            break
    else:
        pytest.fail(f"{label}: no draw of weights and data away from kinks with non-zero "
                    f"gradients in {ATTEMPTS} attempts")

    calls = [_spy_on_loss_paths(one_loss) for one_loss in loss_list]
    errors = check_gradients(model, x, y, sample_weight=sample_weight,
                             max_entries=case.max_entries)
    input_keys = {"input"} if len(xs) == 1 else {f"input/{n}" for n in model.input_names}
    assert set(errors) == {f"{layer.name}/{name}" for layer, name in model.weight_slots()} | (
        input_keys)
    for path, counts in zip(_as_list(case.path), calls):
        other = "unfused" if path == "fused" else "fused"
        assert counts[path] > 0 and counts[other] == 0, (
            f"{label}: expected the {path} output gradient, got calls {counts}")
    worst = max(errors.values())
    _WORST[label] = worst
    assert worst < BOUND, f"{label}: relative errors {errors}"
    return errors


# ---------------------------------------------------------------------------- layers x activations
LAYOUTS = {
    "dense_hidden_bias": lambda a: [Dense(4, activation=a), Dense(2)],
    "dense_hidden_nobias": lambda a: [Dense(4, activation=a, use_bias=False), Dense(2)],
    "dense_output_bias": lambda a: [Dense(3, activation=a)],
    "dense_output_nobias": lambda a: [Dense(3, activation=a, use_bias=False)],
    "activation_hidden": lambda a: [Dense(4), Activation(a), Dense(2)],
    "activation_output": lambda a: [Dense(3), Activation(a)],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("act", ACTIVATIONS, ids=_act_id)
def test_layer_and_activation_gradients(act, layout, request):
    _check(Case(layers=lambda: LAYOUTS[layout](act)), request.node.name)


FLATTEN_CASES = {
    "flatten_dense": Case(lambda: [Flatten(), Dense(2)], input_shape=(2, 3)),
    "dense_rank3_flatten_dense": Case(lambda: [Dense(4, activation="tanh"), Flatten(), Dense(2)],
                                      input_shape=(2, 3)),
    "flatten_rank4_softmax_ce": Case(lambda: [Flatten(), Dense(3, activation="softmax")],
                                     losses.CategoricalCrossentropy, input_shape=(2, 2, 3),
                                     targets="onehot", path="fused"),
    "dense_sigmoid_then_flatten_bce": Case(lambda: [Dense(1, activation="sigmoid"), Flatten()],
                                           losses.BinaryCrossentropy, input_shape=(4, 2),
                                           targets="binary", path="unfused"),
    "dense_rank3_output_mse": Case(lambda: [Dense(3, activation="elu")], input_shape=(2, 3)),
    "dense_rank3_output_sparse_ce": Case(lambda: [Dense(3, activation="softmax")],
                                         losses.SparseCategoricalCrossentropy,
                                         input_shape=(2, 3), targets="sparse", path="fused"),
}


@pytest.mark.parametrize("name", list(FLATTEN_CASES))
def test_flatten_and_higher_rank_gradients(name, request):
    _check(FLATTEN_CASES[name], request.node.name)


# ---------------------------------------------------------------------------- graph models
def _two_branches(merge, units=4):
    def build():
        x = Input((3,))
        left = Dense(units, activation="tanh")(x)
        right = Dense(units, activation="softplus")(x)
        return Model(x, Dense(2)(merge()([left, right])))
    return build


def _concatenate_rank3():
    x = Input((2, 3))
    joined = Concatenate(axis=1)([Dense(4, activation="tanh")(x), Dense(4)(x)])
    return Model(x, Dense(2)(Flatten()(joined)))


def _shared_layer_two_inputs():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(4, activation="tanh")
    return Model([a, b], Dense(1, activation="sigmoid")(Subtract()([shared(a), shared(b)])))


def _fan_out_into_one_merge():
    x = Input((3,))
    h = Dense(3, activation="tanh")(x)
    return Model(x, Dense(2)(Multiply()([h, h])))


def _two_fused_heads():
    x = Input((3,))
    h = Dense(4, activation="tanh")(x)
    return Model(x, [Dense(1, activation="sigmoid")(h), Dense(3, activation="softmax")(h)])


def _output_that_feeds_another_layer():
    x = Input((3,))
    probabilities = Dense(3, activation="softmax")(Dense(4, activation="elu")(x))
    return Model(x, [probabilities, Dense(1)(probabilities)])


GRAPH_CASES = {
    "add": Case(_two_branches(Add)),
    "subtract": Case(_two_branches(Subtract)),
    "multiply": Case(_two_branches(Multiply)),
    "average": Case(_two_branches(Average)),
    "concatenate": Case(_two_branches(Concatenate, units=3)),
    "concatenate_axis1_rank3": Case(_concatenate_rank3, input_shape=(2, 3)),
    "shared_layer_two_inputs": Case(_shared_layer_two_inputs, losses.BinaryCrossentropy,
                                    input_shape=[(3,), (3,)], targets="binary", path="fused"),
    "fan_out_into_one_merge": Case(_fan_out_into_one_merge),
    "two_fused_heads_loss_weights": Case(
        _two_fused_heads, lambda: [losses.BinaryCrossentropy(), losses.CategoricalCrossentropy()],
        targets=("binary", "onehot"), path=("fused", "fused"), sample_weight=True,
        compile_kwargs={"loss_weights": [0.3, 1.5]}),
    "output_feeding_another_layer_is_not_fused": Case(
        _output_that_feeds_another_layer,
        lambda: [losses.CategoricalCrossentropy(), losses.MeanSquaredError()],
        targets=("onehot", "real"), path=("unfused", "unfused")),
}


@pytest.mark.parametrize("name", list(GRAPH_CASES))
def test_graph_model_gradients(name, request):
    _check(GRAPH_CASES[name], request.node.name)


# ---------------------------------------------------------------------------- losses
BCE, CE = losses.BinaryCrossentropy, losses.CategoricalCrossentropy
SCE = losses.SparseCategoricalCrossentropy
sigmoid_partial = _partial(activations.sigmoid)   # not `is` sigmoid: never fused
softmax_partial = _partial(activations.softmax)

LOSS_CASES = {
    # regression
    "mse": Case(lambda: [Dense(4, activation="tanh"), Dense(2)]),
    "mse_sample_weight": Case(lambda: [Dense(4, activation="tanh"), Dense(2)],
                              sample_weight=True),
    "mae": Case(lambda: [Dense(4, activation="tanh"), Dense(2)], losses.MeanAbsoluteError),
    "mae_sample_weight": Case(lambda: [Dense(4, activation="tanh"), Dense(2)],
                              losses.MeanAbsoluteError, sample_weight=True),
    "mse_loss_weight": Case(lambda: [Dense(2, activation="silu")],
                            compile_kwargs={"loss_weights": 0.5}),
    # binary cross-entropy: fused behind sigmoid
    "bce_fused": Case(lambda: [Dense(4, activation="tanh"), Dense(1, activation="sigmoid")],
                      BCE, targets="binary", path="fused"),
    "bce_fused_multilabel": Case(lambda: [Dense(3, activation="sigmoid")], BCE,
                                 targets="binary", path="fused"),
    "bce_fused_soft_targets": Case(lambda: [Dense(3, activation="sigmoid")], BCE,
                                   targets="soft_binary", path="fused"),
    "bce_fused_activation_layer": Case(lambda: [Dense(2), Activation("sigmoid")], BCE,
                                      targets="binary", path="fused"),
    "bce_fused_label_smoothing": Case(lambda: [Dense(2, activation="sigmoid")],
                                      lambda: BCE(label_smoothing=0.1), targets="binary",
                                      path="fused"),
    "bce_fused_sample_weight": Case(lambda: [Dense(2, activation="sigmoid")], BCE,
                                    targets="binary", sample_weight=True, path="fused"),
    # binary cross-entropy: from logits
    "bce_logits": Case(lambda: [Dense(4, activation="relu"), Dense(1)],
                       lambda: BCE(from_logits=True), targets="binary"),
    "bce_logits_multilabel_smoothing": Case(lambda: [Dense(3)],
                                            lambda: BCE(from_logits=True, label_smoothing=0.2),
                                            targets="binary"),
    "bce_logits_sample_weight": Case(lambda: [Dense(2)], lambda: BCE(from_logits=True),
                                     targets="soft_binary", sample_weight=True),
    "bce_logits_behind_sigmoid": Case(lambda: [Dense(2, activation="sigmoid")],
                                      lambda: BCE(from_logits=True), targets="binary"),
    # binary cross-entropy: probabilities through the loss's own backward
    "bce_unfused_partial_sigmoid": Case(lambda: [Dense(4, activation="tanh"),
                                                 Dense(1, activation=sigmoid_partial)],
                                        BCE, targets="binary"),
    "bce_unfused_sigmoid_then_linear": Case(lambda: [Dense(2, activation="sigmoid"),
                                                     Activation("linear")],
                                            BCE, targets="binary"),
    "bce_unfused_label_smoothing": Case(lambda: [Dense(2, activation=sigmoid_partial)],
                                        lambda: BCE(label_smoothing=0.1), targets="binary"),
    "bce_unfused_sample_weight": Case(lambda: [Dense(2, activation=sigmoid_partial)], BCE,
                                      targets="soft_binary", sample_weight=True),
    # categorical cross-entropy
    "ce_fused": Case(lambda: [Dense(4, activation="tanh"), Dense(3, activation="softmax")],
                     CE, targets="onehot", path="fused"),
    "ce_fused_activation_layer": Case(lambda: [Dense(3), Activation("softmax")], CE,
                                      targets="onehot", path="fused"),
    "ce_fused_soft_targets": Case(lambda: [Dense(4, activation="softmax")], CE,
                                  targets="soft_onehot", path="fused"),
    "ce_fused_label_smoothing": Case(lambda: [Dense(3, activation="softmax")],
                                     lambda: CE(label_smoothing=0.2), targets="onehot",
                                     path="fused"),
    "ce_fused_sample_weight": Case(lambda: [Dense(3, activation="softmax")], CE,
                                   targets="onehot", sample_weight=True, path="fused"),
    "ce_logits": Case(lambda: [Dense(4, activation="elu"), Dense(3)],
                      lambda: CE(from_logits=True), targets="onehot"),
    "ce_logits_soft_smoothing": Case(lambda: [Dense(4)],
                                     lambda: CE(from_logits=True, label_smoothing=0.1),
                                     targets="soft_onehot"),
    "ce_logits_sample_weight": Case(lambda: [Dense(3)], lambda: CE(from_logits=True),
                                    targets="onehot", sample_weight=True),
    "ce_unfused_partial_softmax": Case(lambda: [Dense(3, activation=softmax_partial)], CE,
                                       targets="onehot"),
    "ce_unfused_unnormalized_sigmoid": Case(lambda: [Dense(3, activation="sigmoid")], CE,
                                            targets="soft_onehot"),
    "ce_unfused_label_smoothing": Case(lambda: [Dense(3, activation=softmax_partial)],
                                       lambda: CE(label_smoothing=0.1), targets="onehot"),
    # sparse categorical cross-entropy
    "sce_fused": Case(lambda: [Dense(4, activation="tanh"), Dense(3, activation="softmax")],
                      SCE, targets="sparse", path="fused"),
    "sce_fused_sample_weight": Case(lambda: [Dense(3, activation="softmax")], SCE,
                                    targets="sparse", sample_weight=True, path="fused"),
    "sce_logits": Case(lambda: [Dense(3)], lambda: SCE(from_logits=True), targets="sparse"),
    "sce_unfused": Case(lambda: [Dense(3, activation=softmax_partial)], SCE, targets="sparse"),
    "sce_fused_ignore_class_outside": Case(lambda: [Dense(3, activation="softmax")],
                                           lambda: SCE(ignore_class=-1),
                                           targets="sparse_ignore", path="fused", batch=7),
    "sce_fused_ignore_class_inside": Case(lambda: [Dense(3, activation="softmax")],
                                          lambda: SCE(ignore_class=1),
                                          targets="sparse_ignore", path="fused", batch=7),
    "sce_logits_ignore_class": Case(lambda: [Dense(3)],
                                    lambda: SCE(from_logits=True, ignore_class=-1),
                                    targets="sparse_ignore", batch=7),
    "sce_unfused_ignore_class": Case(lambda: [Dense(3, activation=softmax_partial)],
                                     lambda: SCE(ignore_class=2), targets="sparse_ignore",
                                     batch=7),
    "sce_ignore_class_sample_weight": Case(lambda: [Dense(3, activation="softmax")],
                                           lambda: SCE(ignore_class=-1),
                                           targets="sparse_ignore", sample_weight=True,
                                           path="fused", batch=7),
}


@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_loss_gradients(name, request):
    _check(LOSS_CASES[name], request.node.name)


# One set-up per loss family, each under every reduction, with and without sample weights.
REDUCTION_SETUPS = {
    "mse": (lambda: [Dense(2, activation="tanh")], losses.MeanSquaredError, "real", "unfused"),
    "mae": (lambda: [Dense(2, activation="tanh")], losses.MeanAbsoluteError, "real", "unfused"),
    "bce_fused": (lambda: [Dense(2, activation="sigmoid")], BCE, "binary", "fused"),
    "bce_logits": (lambda: [Dense(2)], _partial(BCE, from_logits=True), "binary", "unfused"),
    "bce_unfused": (lambda: [Dense(2, activation=sigmoid_partial)], BCE, "binary", "unfused"),
    "ce_fused": (lambda: [Dense(3, activation="softmax")], CE, "onehot", "fused"),
    "ce_logits": (lambda: [Dense(3)], _partial(CE, from_logits=True), "onehot", "unfused"),
    "ce_unfused": (lambda: [Dense(3, activation=softmax_partial)], CE, "onehot", "unfused"),
    "sce_fused": (lambda: [Dense(3, activation="softmax")], SCE, "sparse", "fused"),
    "sce_ignore": (lambda: [Dense(3, activation="softmax")], _partial(SCE, ignore_class=0),
                   "sparse_ignore", "fused"),
}
REDUCTIONS = ["sum", "sum_over_batch_size", "mean", "mean_with_sample_weight"]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("setup", list(REDUCTION_SETUPS))
def test_loss_reduction_gradients(setup, reduction, weighted, request):
    layers, loss, targets, path = REDUCTION_SETUPS[setup]
    case = Case(layers, lambda: loss(reduction=reduction), targets=targets,
                sample_weight=weighted, path=path, batch=6)
    _check(case, request.node.name)


# ---------------------------------------------------------------------------- random networks
LOSS_KINDS = ["mse", "mae", "bce", "ce", "sparse_ce"]


def _random_case(seed):
    """A seeded random Sequential stack, its loss, and a matching output layer."""
    rng = np.random.default_rng(1000 + seed)
    kind = LOSS_KINDS[seed % len(LOSS_KINDS)]
    spec = []
    input_shape = (2, 3) if rng.random() < 0.3 else (int(rng.integers(1, 6)),)
    if len(input_shape) == 2:
        spec.append(("flatten",))
    for _ in range(int(rng.integers(0, 4))):            # 0-3 hidden layers, 1-4 Dense in all
        act = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
        if rng.random() < 0.25:
            spec += [("dense", int(rng.integers(1, 6)), None, bool(rng.random() < 0.8)),
                     ("activation", act)]
        else:
            spec.append(("dense", int(rng.integers(1, 6)), act, bool(rng.random() < 0.8)))
    from_logits = bool(rng.random() < 0.4)
    if kind in ("mse", "mae"):
        out_act = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
        spec.append(("dense", int(rng.integers(1, 4)), out_act, True))
        loss = losses.MeanSquaredError if kind == "mse" else losses.MeanAbsoluteError
        targets = "real"
    elif kind == "bce":
        smoothing = float(rng.choice([0.0, 0.1]))
        spec.append(("dense", int(rng.integers(1, 4)), None if from_logits else "sigmoid", True))
        loss = _partial(BCE, from_logits=from_logits, label_smoothing=smoothing)
        targets = "binary"
    else:
        spec.append(("dense", int(rng.integers(2, 5)), None if from_logits else "softmax", True))
        loss = _partial(CE if kind == "ce" else SCE, from_logits=from_logits)
        targets = "onehot" if kind == "ce" else "sparse"

    def layers():
        built = []
        for entry in spec:
            if entry[0] == "flatten":
                built.append(Flatten())
            elif entry[0] == "activation":
                built.append(Activation(entry[1]))
            else:
                built.append(Dense(entry[1], activation=entry[2], use_bias=entry[3]))
        return built

    path = "fused" if kind in ("bce", "ce", "sparse_ce") and not from_logits else "unfused"
    return Case(layers, loss, input_shape=input_shape, targets=targets, path=path,
                sample_weight=bool(rng.random() < 0.3), batch=6), spec


@pytest.mark.parametrize("seed", range(20))
def test_random_network_gradients(seed, request):
    case, spec = _random_case(seed)
    assert 1 <= sum(entry[0] == "dense" for entry in spec) <= 4
    layout = " ".join(f"{e[0]}({','.join(_act_id(a) if callable(a) else str(a) for a in e[1:])})"
                      for e in spec)
    _check(case, f"{request.node.name} {layout}", seed=seed)


def test_random_networks_cover_every_loss_and_both_paths():
    cases = [_random_case(seed)[0] for seed in range(20)]
    names = {getattr(c.loss, "func", c.loss).__name__ for c in cases}
    assert names == {"MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
                     "CategoricalCrossentropy", "SparseCategoricalCrossentropy"}
    assert {c.path for c in cases} == {"fused", "unfused"}


def test_max_entries_checks_a_wide_layer():
    errors = _check(Case(lambda: [Dense(40, activation="tanh"), Dense(3, activation="softmax")],
                         CE, input_shape=(30,), targets="onehot", path="fused",
                         max_entries=25), "wide_layer_max_entries")
    assert len(errors) == 5


def test_gradient_check_detects_a_wrong_backward(monkeypatch):
    """The bound is not vacuous: a backward off by 1 % fails it."""
    backend.clear_session()
    model = Sequential([Input((3,)), Dense(2, activation="tanh")])
    model.compile(loss="mse")
    rng = np.random.default_rng(0)
    _randomize_weights(model, rng)
    x, y = rng.normal(size=(4, 3)) * 0.5, rng.normal(size=(4, 2))
    layer = model.layers[0]
    right = layer.activation_backward
    monkeypatch.setattr(layer, "activation_backward", lambda g, z, a: 1.01 * right(g, z, a))
    errors = check_gradients(model, x, y)
    assert min(errors.values()) > 1e-3


# ---------------------------------------------------------------------------- reduced values
def _mse_values(y, p):
    return ((p - y) ** 2).mean(axis=-1)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "mean",
                                       "mean_with_sample_weight"])
def test_reduced_loss_values_match_formulas(reduction):
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    w = rng.uniform(0.1, 2.0, size=5)
    values = _mse_values(y, p)
    expected = {"sum": (w * values).sum(), "sum_over_batch_size": (w * values).sum() / 5,
                "mean": (w * values).sum() / 5,
                "mean_with_sample_weight": (w * values).sum() / w.sum()}[reduction]
    loss = losses.MeanSquaredError(reduction=reduction)
    np.testing.assert_allclose(loss(y, p, sample_weight=w), expected, rtol=1e-12)
    expected_grad = {"sum": w, "sum_over_batch_size": w / 5, "mean": w / 5,
                     "mean_with_sample_weight": w / w.sum()}[reduction][:, None] * (p - y)
    np.testing.assert_allclose(loss.gradient(y, p, sample_weight=w), expected_grad, rtol=1e-12)


def test_sparse_ignore_class_averages_over_the_kept_samples():
    z = np.array([[0.3, -1.0, 2.0], [1.0, 0.5, -0.5], [0.0, 0.2, 0.1], [-1.0, 1.0, 0.0]])
    labels = np.array([2, -1, 1, -1])
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -(log_p[0, 2] + log_p[2, 1]) / 2
    loss = SCE(from_logits=True, ignore_class=-1)
    np.testing.assert_allclose(loss(labels, z), expected, rtol=1e-12)
    grad = loss.gradient(labels, z)
    softmax = np.exp(log_p)
    np.testing.assert_allclose(grad[[1, 3]], 0, atol=1e-15)
    np.testing.assert_allclose(grad[0], (softmax[0] - np.eye(3)[2]) / 2, rtol=1e-12)


def test_label_smoothing_values_match_formulas():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    z = np.array([[0.4, -0.3], [1.2, 0.1]])
    s = 0.2
    yb = y * (1 - s) + s / 2
    sig = 1 / (1 + np.exp(-z))
    bce = -(yb * np.log(sig) + (1 - yb) * np.log(1 - sig)).mean()
    np.testing.assert_allclose(BCE(from_logits=True, label_smoothing=s)(y, z), bce, rtol=1e-12)
    yc = y * (1 - s) + s / 2      # K = 2 classes
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = -(yc * log_p).sum(axis=1).mean()
    np.testing.assert_allclose(CE(from_logits=True, label_smoothing=s)(y, z), ce, rtol=1e-12)


# ---------------------------------------------------------------------------- compute_gradients
def _finite_difference(loss_at, array, h=1e-6):
    flat, grad = array.reshape(-1), np.zeros(array.size)
    for i in range(array.size):
        saved = flat[i]
        flat[i] = saved + h
        plus = loss_at()
        flat[i] = saved - h
        minus = loss_at()
        flat[i] = saved
        grad[i] = (plus - minus) / (2 * h)
    return grad.reshape(array.shape)


def test_compute_gradients_closed_form_linear_mse(float64):
    rng = np.random.default_rng(5)
    model = Sequential([Input((3,)), Dense(2)])
    model.compile(loss="mse")
    _randomize_weights(model, rng)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    W, b = model.get_weights()
    grads, dx = model.compute_gradients(x, y, wrt_inputs=True)
    dz = 2 * (x @ W + b - y) / (4 * 2)
    assert [g.shape for g in grads] == [W.shape, b.shape]
    np.testing.assert_allclose(grads[0], x.T @ dz, rtol=1e-12)
    np.testing.assert_allclose(grads[1], dz.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dx, dz @ W.T, rtol=1e-12)


COMPUTE_CASES = {
    "tanh_sigmoid_bce": (lambda: [Dense(4, activation="tanh"), Dense(1, activation="sigmoid")],
                         BCE, "binary", (3,), False),
    "flatten_softmax_ce": (lambda: [Flatten(), Dense(3, activation="softmax")], CE, "onehot",
                           (2, 3), False),
    "relu_mse_weighted": (lambda: [Dense(4, activation="leaky_relu", use_bias=False), Dense(2)],
                          losses.MeanSquaredError, "real", (3,), True),
    "sparse_logits": (lambda: [Dense(3, activation="selu"), Dense(3)],
                      _partial(SCE, from_logits=True), "sparse", (2,), False),
}


@pytest.mark.parametrize("name", list(COMPUTE_CASES))
def test_compute_gradients_matches_finite_differences(name, float64):
    layers, loss_cls, kind, input_shape, weighted = COMPUTE_CASES[name]
    rng = np.random.default_rng(11)
    model = Sequential([Input(input_shape), *layers()])
    loss = loss_cls()
    model.compile(loss=loss)
    _randomize_weights(model, rng)
    x = rng.normal(size=(5, *input_shape)) * 0.5
    y = _targets(kind, model.output_shape, 5, loss, rng)
    sample_weight = rng.uniform(0.5, 1.5, size=5) if weighted else None
    assert _distance_to_kinks(model, [x], [y], [loss]) > MARGIN
    grads, input_grad = model.compute_gradients(x, y, wrt_inputs=True,
                                                sample_weight=sample_weight)
    weights = model.get_weights()
    assert len(grads) == len(weights)
    assert [g.shape for g in grads] == [w.shape for w in weights]
    assert input_grad.shape == x.shape

    def loss_at():       # the plain Loss.__call__ on predict's output: not the training path
        return float(losses.get(loss)(y, model.predict(x, verbose=0), sample_weight))

    for (layer, weight_name), grad in zip(model.weight_slots(), grads):
        numeric = _finite_difference(loss_at, getattr(layer, weight_name))
        assert relative_error(grad, numeric) < BOUND, f"{layer.name}/{weight_name}"
    assert relative_error(input_grad, _finite_difference(loss_at, x)) < BOUND
    errors = check_gradients(model, x, y, sample_weight=sample_weight)
    assert max(errors.values()) < BOUND


def test_compute_gradients_changes_no_weight_and_no_optimizer_state():
    rng = np.random.default_rng(2)
    model = Sequential([Input((3,)), Dense(4, activation="tanh"), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = rng.normal(size=(6, 3)).astype(np.float32)
    y = np.eye(2)[rng.integers(0, 2, size=6)]
    model.train_on_batch(x, y)                 # the optimizer now has state
    live = model.weights
    before = model.get_weights()
    state = copy.deepcopy(model.optimizer.variables)
    iterations = model.optimizer.iterations
    x_before = x.copy()
    prediction = model.predict(x, verbose=0)

    first = model.compute_gradients(x, y)
    second, input_grad = model.compute_gradients(x, y, wrt_inputs=True)

    assert all(a is b for a, b in zip(model.weights, live))
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert model.optimizer.iterations == iterations
    for old, new in zip(state, model.optimizer.variables):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(model.predict(x, verbose=0), prediction)
    assert len(first) == len(second) == len(before)
    for a, b, w in zip(first, second, before):
        np.testing.assert_array_equal(a, b)
        assert a.shape == w.shape and a.dtype == w.dtype
        assert np.any(a != 0)
    assert input_grad.shape == x.shape and np.any(input_grad != 0)


def test_compute_gradients_one_array_per_weight_with_a_frozen_layer():
    rng = np.random.default_rng(4)
    frozen = Dense(3, activation="tanh", trainable=False)
    model = Sequential([Input((2,)), frozen, Dense(1)])
    model.compile(loss="mse")
    _randomize_weights(model, rng)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    grads = model.compute_gradients(x, y)
    assert len(model.trainable_weights) == 2
    assert [g.shape for g in grads] == [w.shape for w in model.get_weights()]
    frozen.trainable = True
    reference = model.compute_gradients(x, y)
    for g, r in zip(grads[2:], reference[2:]):
        np.testing.assert_allclose(g, r, rtol=1e-6)


def test_check_gradients_restores_the_original_weights():
    rng = np.random.default_rng(6)
    model = Sequential([Input((3,)), Dense(3, activation="softplus"), Dense(1)])
    model.compile(loss="mae")
    _randomize_weights(model, rng)
    live, before = model.weights, model.get_weights()
    x = rng.normal(size=(4, 3)).astype(np.float32)
    x_before = x.copy()
    check_gradients(model, x, rng.normal(size=(4, 1)) + 5.0)
    assert all(a is b for a, b in zip(model.weights, live))
    for old, new in zip(before, model.get_weights()):
        assert new.dtype == np.float32
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(x, x_before)
    assert all(layer.dtype == "float32" for layer in model.layers)
