"""Every layerkit metric and metric function against Keras 3's, on the same random batches.

Both sides get the same float64 batches (Keras's metrics built with
``dtype="float64"`` and ``floatx`` set to float64), batch after batch, with and without sample weights; the
results must agree to a relative error of 1e-6. The worst error of each kind
is printed at the end of the module.

Keras's torch back end sums AUC's per-bucket counts (``segment_sum``) and takes
``ops.mean`` in float32 even for float64 tensors, so the sample weights here are
multiples of 1/8 (exact in float32) and the correlation metrics get correlated
data (a mean of per-sample values far from 0): the comparison then measures
layerkit's arithmetic, not float32 rounding on Keras's side.
"""

import inspect

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer
from test_metrics import CASES, batches, case_id

from layerkit import activations, metrics

keras = import_peer("keras")

# Keras's torch back end converts tensors with np.array(x, copy=False); NumPy 2 deprecates that.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

BOUND = 1e-6
WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _keras_in_float64():
    """Keras's metric state variables follow ``floatx`` (not the metric's dtype): make it float64."""
    floatx = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    yield
    keras.backend.set_floatx(floatx)


@pytest.fixture(scope="module", autouse=True)
def _report_worst(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    lines = [f"metrics vs Keras 3: worst relative errors measured (bound {BOUND:.0e})"]
    lines += [f"  {kind:<34}{err:.3e}" for kind, err in sorted(WORST.items())]
    if reporter is None or capture is None:  # pragma: no cover
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        for line in lines:
            reporter.write_line(line)


def check(kind, ours, theirs, what):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(keras.ops.convert_to_numpy(theirs), dtype=np.float64)
    err = rel_err(ours, theirs)
    WORST[kind] = max(WORST.get(kind, 0.0), err)
    assert err <= BOUND, f"{what}: relative error {err:.3e}\nlayerkit: {ours!r}\nkeras:    {theirs!r}"


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_metric_class_matches_keras_batch_by_batch(case, weighted):
    cls, kwargs, kind = case
    ours = getattr(metrics, cls)(**kwargs)
    theirs = getattr(keras.metrics, cls)(dtype="float64", **kwargs)
    # Without weights, Keras 3.15 counts samples of the ignored class as zeros in the mean (unlike
    # its loss, and unlike its own weighted case); layerkit leaves them out: compare with weights 1.
    ones_for_keras = cls == "SparseCategoricalCrossentropy" and "ignore_class" in kwargs
    for step, (y, p, w) in enumerate(batches(kind, weighted)):
        ours.update_state(y, p, sample_weight=w)
        theirs.update_state(y, p, sample_weight=np.ones(len(y)) if ones_for_keras and w is None else w)
        check(cls, ours.result(), theirs.result(), f"{case_id(case)} after batch {step}")
    ours.reset_state()
    theirs.reset_state()
    y, p, w = batches(kind, weighted, seed=1)[0]
    ours.update_state(y, p, sample_weight=w)
    theirs.update_state(y, p, sample_weight=np.ones(len(y)) if ones_for_keras and w is None else w)
    check(cls, ours.result(), theirs.result(), f"{case_id(case)} after a reset")


def _plain(value):
    """A Keras config value as plain data (AUC's label weights are a tensor there)."""
    return keras.ops.convert_to_numpy(value).tolist() if hasattr(value, "shape") else value


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_config_keys_are_keras_keys_and_a_keras_config_builds_the_same_metric(case):
    cls, kwargs, kind = case
    theirs = getattr(keras.metrics, cls)(dtype="float64", **kwargs)
    keras_config = {key: _plain(value) for key, value in theirs.get_config().items()}
    ours = getattr(metrics, cls).from_config(keras_config)
    extra = {"axis"} if cls == "CosineSimilarity" else set()  # Keras's config loses the axis
    assert set(ours.get_config()) == set(keras_config) | extra
    for y, p, w in batches(kind, True):
        ours.update_state(y, p, sample_weight=w)
        theirs.update_state(y, p, sample_weight=w)
    check(cls, ours.result(), theirs.result(), f"{case_id(case)} built from Keras's config")


def test_every_keras_metric_name_is_known_with_the_same_class():
    from keras.src.metrics import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        assert name in metrics.METRICS, name
        assert metrics.METRICS[name].__name__ == cls.__name__, name


def _parameters(fn):
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values() if p.name != "self"]


@pytest.mark.parametrize("cls", [c.__name__ for c in metrics.CLASSES if c is not metrics.Metric])
def test_constructor_arguments_and_defaults_are_keras_ones(cls):
    assert _parameters(getattr(metrics, cls).__init__) == _parameters(getattr(keras.metrics, cls).__init__)


@pytest.mark.parametrize("name", sorted(set(metrics.FUNCTIONS) - {"accuracy", "cosine_similarity"}))
def test_function_arguments_and_defaults_are_keras_ones(name):
    assert _parameters(metrics.FUNCTIONS[name]) == _parameters(getattr(keras.metrics, name))


# ------------------------------------------------------------------ functions
FUNCTION_CASES = [
    ("binary_accuracy", {}, "binary"),
    ("binary_accuracy", {"threshold": 0.7}, "binary_flat"),
    ("binary_accuracy", {}, "multi_label"),
    ("categorical_accuracy", {}, "onehot"),
    ("sparse_categorical_accuracy", {}, "sparse"),
    ("sparse_categorical_accuracy", {}, "sparse_col"),
    ("top_k_categorical_accuracy", {}, "onehot"),
    ("top_k_categorical_accuracy", {"k": 2}, "onehot"),
    ("sparse_top_k_categorical_accuracy", {"k": 2}, "sparse_col"),
    ("sparse_top_k_categorical_accuracy", {"k": 1, "from_sorted_ids": True}, "sorted_ids"),
    ("mean_squared_error", {}, "regression"),
    ("mean_squared_error", {}, "regression_flat"),
    ("mean_absolute_error", {}, "regression_flat"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("log_cosh", {}, "regression"),
    ("huber", {}, "regression"),
    ("huber", {"delta": 0.3}, "regression"),
    ("pearson_correlation", {}, "correlated"),
    ("concordance_correlation", {}, "correlated"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("binary_crossentropy", {}, "multi_label"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.3}, "logits"),
    ("categorical_crossentropy", {}, "onehot"),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits"),
    ("sparse_categorical_crossentropy", {"ignore_class": 3}, "sparse"),
    ("binary_focal_crossentropy", {}, "multi_label"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                   "from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("categorical_focal_crossentropy", {}, "onehot"),
    ("categorical_focal_crossentropy", {"alpha": 0.7, "gamma": 3.0, "from_logits": True,
                                        "label_smoothing": 0.1}, "onehot_logits"),
    ("hinge", {}, "hinge"),
    ("hinge", {}, "logits"),
    ("squared_hinge", {}, "hinge"),
    ("squared_hinge", {}, "logits"),
    ("categorical_hinge", {}, "onehot"),
]


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=[case_id(c) for c in FUNCTION_CASES])
def test_metric_function_matches_keras(case):
    name, kwargs, kind = case
    y, p, _ = batches(kind, weighted=False)[1]
    ours = getattr(metrics, name)(y, p, **kwargs)
    theirs = getattr(keras.metrics, name)(keras.ops.convert_to_tensor(y), keras.ops.convert_to_tensor(p),
                                          **kwargs)
    assert np.shape(ours) == tuple(theirs.shape), f"{name}: shape {np.shape(ours)} vs {tuple(theirs.shape)}"
    check(name, ours, theirs, case_id(case))


def test_cosine_similarity_function_matches_keras_metric():
    # keras.metrics does not export the metric's function; its module does (the loss is the negative).
    from keras.src.metrics.regression_metrics import cosine_similarity

    y, p, _ = batches("regression", weighted=False)[1]
    check("cosine_similarity", metrics.cosine_similarity(y, p), cosine_similarity(y, p), "cosine")


def test_accuracy_function_matches_keras():
    from keras.src.metrics.accuracy_metrics import accuracy

    y, p, _ = batches("class_ids", weighted=False)[1]
    check("accuracy", metrics.accuracy(y, p), accuracy(y, p), "accuracy")


def test_logits_at_one_thousand_agree_with_keras():
    y = np.array([[0.0, 1.0, 1.0]])
    z = np.array([[1000.0, -1000.0, 1000.0]])
    check("binary_crossentropy", metrics.binary_crossentropy(y, z, from_logits=True),
          keras.metrics.binary_crossentropy(y, z, from_logits=True), "|logits| = 1000")
    ours = metrics.AUC(from_logits=True)
    theirs = keras.metrics.AUC(from_logits=True, dtype="float64")
    ours.update_state(y, z)
    theirs.update_state(y, z)
    check("AUC", ours.result(), theirs.result(), "AUC from logits of 1000")
    assert activations.sigmoid(z).max() == 1.0
