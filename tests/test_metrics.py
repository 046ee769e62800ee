"""The metrics package as a whole: accumulation over batches, configs, names, and hostile inputs.

The property every stateful metric must have: updating batch by batch ends
exactly where one update with the whole set ends (with and without sample
weights). ``CASES`` and ``batches`` are shared with the Keras peer module.
"""

import copy
import json
import warnings

import numpy as np
import pytest

from layerkit import backend, metrics

BATCH_SIZES = (5, 12, 9)


# ------------------------------------------------------------------ shared random batches
def _probs(rng, n, k):
    p = rng.uniform(0.02, 1.0, size=(n, k))
    return p / p.sum(axis=-1, keepdims=True)


def make_data(kind, rng, n):
    """One batch ``(y_true, y_pred)`` of the given kind, float64."""
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype(float), rng.uniform(0.01, 0.99, (n, 1))
    if kind == "binary_flat":                      # targets (n,) against predictions (n, 1)
        return rng.integers(0, 2, n).astype(float), rng.uniform(0.01, 0.99, (n, 1))
    if kind == "multi_label":
        return rng.integers(0, 2, (n, 4)).astype(float), rng.uniform(0.01, 0.99, (n, 4))
    if kind == "logits":
        return rng.integers(0, 2, (n, 3)).astype(float), rng.normal(0, 3, (n, 3))
    if kind == "onehot":
        return np.eye(5)[rng.integers(0, 5, n)], _probs(rng, n, 5)
    if kind == "onehot_logits":
        return np.eye(5)[rng.integers(0, 5, n)], rng.normal(0, 2, (n, 5))
    if kind == "sparse":
        return rng.integers(0, 5, n).astype(float), _probs(rng, n, 5)
    if kind == "sparse_col":
        return rng.integers(0, 5, (n, 1)).astype(float), _probs(rng, n, 5)
    if kind == "sparse_logits":
        return rng.integers(0, 5, n).astype(float), rng.normal(0, 2, (n, 5))
    if kind == "sorted_ids":
        return (rng.integers(0, 5, n).astype(float),
                np.argsort(-rng.normal(size=(n, 5)), axis=-1).astype(float))
    if kind == "regression":
        return rng.normal(0, 1, (n, 3)), rng.normal(0, 1, (n, 3))
    if kind == "regression_flat":                  # (n,) against (n, 1)
        return rng.normal(0, 1, n), rng.normal(0, 1, (n, 1))
    if kind == "correlated":                       # predictions that track the targets
        y = rng.normal(0, 1, (n, 4))
        return y, y + rng.normal(0, 0.7, (n, 4))
    if kind == "positive":
        return rng.uniform(0.0, 3.0, (n, 3)), rng.uniform(0.1, 3.0, (n, 3))
    if kind == "distribution":
        return _probs(rng, n, 4), _probs(rng, n, 4)
    if kind == "hinge":
        return rng.choice([-1.0, 1.0], (n, 3)), rng.normal(0, 1, (n, 3))
    if kind == "class_ids":
        return rng.integers(0, 4, n).astype(float), rng.integers(0, 4, n).astype(float)
    if kind == "binary_labels":
        return rng.integers(0, 2, n).astype(float), rng.uniform(0.0, 1.0, n)
    raise AssertionError(kind)


def batches(kind, weighted, seed=0, sizes=BATCH_SIZES):
    """``[(y_true, y_pred, sample_weight or None), ...]``; weights are multiples of 1/8."""
    rng = np.random.default_rng(seed)
    out = []
    for n in sizes:
        y, p = make_data(kind, rng, n)
        out.append((y, p, rng.integers(0, 17, n) / 8 if weighted else None))
    return out


#: (class name, constructor arguments, kind of data) for every stateful metric.
CASES = [
    ("Accuracy", {}, "class_ids"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary_flat"),
    ("BinaryAccuracy", {}, "multi_label"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_col"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.7]}, "binary"),
    ("TrueNegatives", {"thresholds": 0.35}, "multi_label"),
    ("FalseNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_flat"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.7, 0.2, 0.5]}, "multi_label"),
    ("Precision", {"top_k": 2}, "multi_label"),
    ("Precision", {"class_id": 2}, "onehot"),
    ("Precision", {"top_k": 1, "class_id": 1}, "onehot"),
    ("Recall", {}, "binary_flat"),
    ("Recall", {"thresholds": [0.3, 0.6]}, "multi_label"),
    ("Recall", {"top_k": 2, "class_id": 3}, "onehot"),
    ("AUC", {}, "binary"),
    ("AUC", {"num_thresholds": 7}, "multi_label"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "multi_label"),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 11}, "binary"),
    ("AUC", {"curve": "PRGAIN", "num_thresholds": 25}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.4, 0.45, 0.9]}, "binary"),
    ("AUC", {"multi_label": True}, "multi_label"),
    ("AUC", {"multi_label": True, "num_labels": 4, "label_weights": [1.0, 0.5, 2.0, 0.0]}, "multi_label"),
    ("AUC", {"label_weights": [1.0, 0.5, 2.0, 0.0]}, "multi_label"),
    ("AUC", {"from_logits": True}, "logits"),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 1}, "multi_label"),
    ("RecallAtPrecision", {"precision": 0.5}, "multi_label"),
    ("SensitivityAtSpecificity", {"specificity": 0.4}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "class_id": 1}, "onehot"),
    ("F1Score", {}, "onehot"),
    ("F1Score", {"average": "micro", "threshold": 0.5}, "multi_label"),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.4}, "multi_label"),
    ("FBetaScore", {"beta": 0.5, "average": "weighted"}, "onehot"),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "class_ids"),
    ("MeanIoU", {"num_classes": 4}, "class_ids"),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 1}, "class_ids"),
    ("BinaryIoU", {}, "binary_labels"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary_labels"),
    ("OneHotIoU", {"num_classes": 5, "target_class_ids": [1, 3]}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": 5}, "onehot"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "regression_flat"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression_flat"),
    ("LogCoshError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"class_aggregation": None, "num_regressors": 2}, "regression"),
    ("PearsonCorrelation", {}, "correlated"),
    ("ConcordanceCorrelation", {}, "correlated"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "multi_label"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_col"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse"),
    ("Hinge", {}, "hinge"),
    ("Hinge", {}, "logits"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "onehot"),
]


def case_id(case):
    cls, kwargs, kind = case
    return f"{cls}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'default'}-{kind}"


def _whole(parts):
    ys, ps, ws = zip(*parts)
    return (np.concatenate(ys), np.concatenate(ps), None if ws[0] is None else np.concatenate(ws))


def test_every_metric_class_has_a_case():
    stateful = {cls.__name__ for cls in metrics.CLASSES} - {"Metric", "Mean", "Sum", "MeanMetricWrapper"}
    assert stateful == {cls for cls, _, _ in CASES}


# ------------------------------------------------------------------ batches add up to the whole
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_batch_by_batch_equals_the_whole_set_at_once(case, weighted):
    cls, kwargs, kind = case
    parts = batches(kind, weighted)
    by_batch, at_once = getattr(metrics, cls)(**kwargs), getattr(metrics, cls)(**kwargs)
    for y, p, w in parts:
        by_batch.update_state(y, p, sample_weight=w)
    y, p, w = _whole(parts)
    at_once.update_state(y, p, sample_weight=w)
    expected = np.asarray(at_once.result())
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(by_batch.result(), expected, rtol=1e-12, atol=1e-14)


# The adjusted R2's n counts the target values seen, not their weights (as in Keras).
UNWEIGHTED_N = [c for c in CASES if not (c[0] == "R2Score" and c[1].get("num_regressors"))]


@pytest.mark.parametrize("case", UNWEIGHTED_N, ids=[case_id(c) for c in UNWEIGHTED_N])
def test_an_integer_weight_counts_like_that_many_copies_of_the_sample(case):
    cls, kwargs, kind = case
    y, p, _ = _whole(batches(kind, False))
    counts = np.random.default_rng(7).integers(0, 4, len(y))      # 0 drops the sample
    weighted, repeated = getattr(metrics, cls)(**kwargs), getattr(metrics, cls)(**kwargs)
    weighted.update_state(y, p, sample_weight=counts.astype(float))
    repeated.update_state(np.repeat(y, counts, axis=0), np.repeat(p, counts, axis=0))
    np.testing.assert_allclose(weighted.result(), repeated.result(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_reset_state_forgets_everything(case):
    cls, kwargs, kind = case
    first, second = batches(kind, True, seed=3)[:2]
    metric, fresh = getattr(metrics, cls)(**kwargs), getattr(metrics, cls)(**kwargs)
    metric.update_state(first[0], first[1], sample_weight=first[2])
    metric.reset_state()
    metric.update_state(second[0], second[1], sample_weight=second[2])
    fresh.update_state(second[0], second[1], sample_weight=second[2])
    np.testing.assert_array_equal(metric.result(), fresh.result())


def test_mean_and_sum_accumulate_like_the_whole():
    rng = np.random.default_rng(4)
    values = [rng.normal(size=(n, 3)) for n in BATCH_SIZES]
    weights = [rng.uniform(0, 2, n) for n in BATCH_SIZES]
    mean, total = metrics.Mean(), metrics.Sum()
    for v, w in zip(values, weights):
        mean.update_state(v, sample_weight=w)
        total.update_state(v, sample_weight=w)
    v, w = np.concatenate(values), np.concatenate(weights)
    # Keras's reduction: each sample's values are averaged (Mean) or summed (Sum) over its axes.
    assert float(mean.result()) == pytest.approx(np.sum(w * v.mean(axis=1)) / np.sum(w), rel=1e-13)
    assert float(total.result()) == pytest.approx(np.sum(w * v.sum(axis=1)), rel=1e-13)


def test_mean_fast_path_for_the_training_loss():
    mean = metrics.Mean(name="loss")
    mean.update_state(0.5, sample_weight=32)
    mean.update_state(2.0, sample_weight=8)
    assert mean.count == 40
    assert float(mean.result()) == pytest.approx((0.5 * 32 + 2.0 * 8) / 40, rel=1e-15)
    same = metrics.Mean()
    same.update_state(np.full(32, 0.5))
    same.update_state(np.full(8, 2.0))
    assert float(same.result()) == float(mean.result())


def test_mean_with_per_element_weights_is_the_weighted_mean_of_the_elements():
    rng = np.random.default_rng(5)
    v, w = rng.normal(size=(6, 3)), rng.uniform(0, 1, (6, 3))
    mean = metrics.Mean()
    mean.update_state(v, sample_weight=w)
    assert float(mean.result()) == pytest.approx(np.sum(v * w) / np.sum(w), rel=1e-13)


def test_a_metric_with_nothing_seen_reads_zero():
    for cls in (metrics.Mean, metrics.Precision, metrics.AUC, metrics.R2Score, metrics.F1Score):
        assert float(np.sum(cls().result())) == 0.0


def test_result_dtype_follows_dtype():
    metric = metrics.MeanSquaredError(dtype="float32")
    metric.update_state([[0.0]], [[1.0 / 3.0]])
    assert metric.result().dtype == np.float32 and metric.result().shape == ()
    assert metrics.MeanSquaredError().result().dtype == np.float64


def test_call_updates_and_returns_the_result():
    metric = metrics.BinaryAccuracy()
    assert float(metric([[1], [0]], [[0.9], [0.8]])) == 0.5
    assert float(metric([[1]], [[0.9]])) == pytest.approx(2 / 3)


def test_variables_are_the_state():
    metric = metrics.Precision(thresholds=[0.3, 0.6])
    metric.update_state([1, 0, 1], [0.5, 0.7, 0.9])
    tp, fp = metric.variables
    np.testing.assert_array_equal(tp, [2, 1])   # 0.5, 0.9 > 0.3; 0.9 > 0.6
    np.testing.assert_array_equal(fp, [1, 1])   # 0.7 above both


# ------------------------------------------------------------------ configs
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_config_round_trip_gives_the_same_metric(case):
    cls, kwargs, kind = case
    metric = getattr(metrics, cls)(name="custom_name", dtype="float64", **kwargs)
    config = metric.get_config()
    restored = type(metric).from_config(copy.deepcopy(config))
    via_module = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    via_get = metrics.get(metrics.serialize(metric))
    for other in (restored, via_module, via_get):
        assert type(other) is type(metric) and other.get_config() == config
    for y, p, w in batches(kind, True):
        for m in (metric, restored, via_module):
            m.update_state(y, p, sample_weight=w)
    np.testing.assert_array_equal(restored.result(), metric.result())
    np.testing.assert_array_equal(via_module.result(), metric.result())


def test_mean_metric_wrapper_of_a_built_in_function_round_trips():
    metric = metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, name="top2", k=2)
    config = metric.get_config()
    assert config == {"name": "top2", "dtype": None, "fn": "top_k_categorical_accuracy", "k": 2}
    restored = metrics.MeanMetricWrapper.from_config(json.loads(json.dumps(config)))
    y, p, _ = batches("onehot", False)[1]
    metric.update_state(y, p)
    restored.update_state(y, p)
    assert float(restored.result()) == float(metric.result())


def test_every_class_keeps_its_keras_default_name():
    backend.clear_session()
    names = {cls.__name__: cls for cls in metrics.CLASSES}
    assert names["AUC"]().name == "auc"
    assert names["Precision"]().name == "precision"
    assert names["Precision"]().name == "precision_1"          # made unique, as Keras does
    assert names["LogCoshError"]().name == "logcosh"
    assert names["FBetaScore"]().name == "fbeta_score"
    assert names["BinaryIoU"]().name == "binary_io_u"
    assert names["TopKCategoricalAccuracy"]().name == "top_k_categorical_accuracy"


@pytest.mark.parametrize("name, cls", [
    ("precision", "Precision"), ("recall", "Recall"), ("auc", "AUC"), ("AUC", "AUC"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
    ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"),
    ("root_mean_squared_error", "RootMeanSquaredError"), ("r2_score", "R2Score"),
    ("f1_score", "F1Score"), ("f_beta_score", "FBetaScore"), ("true_positives", "TruePositives"),
    ("log_cosh_error", "LogCoshError"), ("kl_divergence", "KLDivergence"), ("poisson", "Poisson"),
    ("hinge", "Hinge"), ("categorical_hinge", "CategoricalHinge"), ("mape", "MeanAbsolutePercentageError"),
    ("msle", "MeanSquaredLogarithmicError"), ("bce", "BinaryCrossentropy"), ("MAE", "MeanAbsoluteError"),
    ("cosine_similarity", "CosineSimilarity"), ("pearson_correlation", "PearsonCorrelation"),
])
def test_get_by_keras_string_name(name, cls):
    metric = metrics.get(name)
    assert type(metric).__name__ == cls and metric.name == name


def test_get_resolves_functions_classes_dicts_and_instances():
    wrapped = metrics.get(metrics.mean_absolute_percentage_error)
    assert type(wrapped) is metrics.MeanMetricWrapper and wrapped.name == "mean_absolute_percentage_error"
    assert type(metrics.get(metrics.AUC)) is metrics.AUC
    auc = metrics.get({"class_name": "AUC", "config": {"num_thresholds": 5, "curve": "PR"}})
    assert auc.num_thresholds == 5 and auc.curve == "PR"
    instance = metrics.Recall(thresholds=0.2)
    assert metrics.get(instance) is instance


# ------------------------------------------------------------------ hostile inputs
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_inputs_are_never_modified(case):
    cls, kwargs, kind = case
    y, p, w = batches(kind, True)[1]
    saved = [a.copy() for a in (y, p, w)]
    for a in (y, p, w):
        a.setflags(write=False)                  # any write into them raises
    metric = getattr(metrics, cls)(**kwargs)
    metric.update_state(y, p, sample_weight=w)
    metric.result()
    for a, b in zip((y, p, w), saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(metrics.FUNCTIONS))
def test_functions_are_finite_and_silent_at_one_thousand(name):
    fn = metrics.FUNCTIONS[name]
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = np.array([0.0, 1.0])
    big = np.array([[1000.0, -1000.0, 1000.0], [-1000.0, 1000.0, -1000.0]])
    kwargs = {"from_logits": True} if "crossentropy" in name else {}
    targets = labels if name.startswith("sparse") else y
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pred in (big, -big, np.zeros_like(big)):
            if name == "pearson_correlation" and not pred.any():
                continue                         # a constant row has no correlation
            if name == "poisson":
                pred = np.abs(pred)              # rates are >= 0 (a negative one gives NaN)
            values = fn(targets, pred, **kwargs)
            assert np.all(np.isfinite(values)), f"{name}: {values}"


@pytest.mark.parametrize("cls", ["AUC", "Precision", "Recall", "BinaryAccuracy", "TruePositives",
                                 "PrecisionAtRecall", "BinaryIoU"])
def test_thresholded_metrics_accept_predictions_outside_zero_one(cls):
    kwargs = {"recall": 0.5} if cls == "PrecisionAtRecall" else {}
    metric = getattr(metrics, cls)(**kwargs)
    metric.update_state([1, 0, 1, 0], [1000.0, -1000.0, 3.0, -2.0])
    assert np.all(np.isfinite(metric.result()))


def test_nan_predictions_make_a_mean_metric_nan_rather_than_vanish():
    metric = metrics.MeanSquaredError()
    metric.update_state([[0.0], [1.0]], [[np.nan], [1.0]])
    assert np.isnan(metric.result())


def test_targets_of_shape_n_against_predictions_n_by_1_are_not_broadcast():
    y, p = np.array([1.0, 0.0, 0.0]), np.array([[1.0], [0.0], [3.0]])
    assert metrics.mean_squared_error(y, p).shape == (3,)
    metric = metrics.MeanSquaredError()
    metric.update_state(y, p)
    assert float(metric.result()) == pytest.approx(3.0)   # (0 + 0 + 9) / 3, not an (3, 3) broadcast


def test_sample_weight_that_does_not_fit_is_a_clear_error():
    metric = metrics.MeanAbsoluteError()
    with pytest.raises(ValueError, match=r"sample_weight.*cannot be broadcast"):
        metric.update_state(np.zeros((4, 2)), np.ones((4, 2)), sample_weight=np.ones(3))
