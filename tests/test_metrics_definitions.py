"""Each metric and metric function against its definition, computed here by hand.

Confusion counts are counted with loops over samples and thresholds, AUC is the
trapezoid rule on those counts, R² comes from its formula on weighted means...
No expected value is typed in: each comes from the definition in the test.
"""

import math

import numpy as np
import pytest
from test_metrics import batches

from layerkit import activations, backend, metrics

EPS = backend.epsilon()


def weighted_mean(values, weights=None):
    weights = np.ones(len(values)) if weights is None else weights
    return sum(w * v for v, w in zip(values, weights)) / sum(weights)


def run(metric, parts):
    for y, p, w in parts:
        metric.update_state(y, p, sample_weight=w)
    return np.asarray(metric.result())


def whole(parts):
    ys, ps, ws = zip(*parts)
    return np.concatenate(ys), np.concatenate(ps), None if ws[0] is None else np.concatenate(ws)


# ------------------------------------------------------------------ accuracy
def test_accuracy_functions_by_hand():
    y, p, _ = batches("multi_label", False)[1]
    expected = [[float(int(p[i, j] > 0.3) == y[i, j]) for j in range(4)] for i in range(len(y))]
    np.testing.assert_array_equal(metrics.binary_accuracy(y, p, threshold=0.3), expected)
    y, p, _ = batches("onehot", False)[1]
    expected = [float(list(y[i]).index(1.0) == max(range(5), key=lambda j: p[i, j])) for i in range(len(y))]
    np.testing.assert_array_equal(metrics.categorical_accuracy(y, p), expected)
    labels = [list(row).index(1.0) for row in y]
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(np.array(labels), p), expected)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(np.array(labels)[:, None], p), expected)
    np.testing.assert_array_equal(metrics.accuracy([1, 2, 3, 4], [1, 0, 3, 0]), [1.0, 0.0, 1.0, 0.0])


def test_binary_accuracy_compares_with_targets_not_their_rounding():
    # Keras: (p > t) must equal the target itself; a soft target 0.7 never matches.
    np.testing.assert_array_equal(metrics.binary_accuracy([[0.7], [1.0]], [[0.9], [0.9]]), [[0.0], [1.0]])


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_top_k_by_hand(k):
    y, p, _ = batches("onehot", False)[2]
    labels = [list(row).index(1.0) for row in y]
    # in the top k: fewer than k scores are strictly above the label's
    expected = [float(sum(s > row[c] for s in row) < k) for row, c in zip(p, labels)]
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(y, p, k=k), expected)
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(np.array(labels), p, k=k),
                                  expected)
    ids = np.argsort(-p, axis=-1)
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(np.array(labels), ids, k=k, from_sorted_ids=True),
        [float(c in list(row[:k])) for row, c in zip(ids, labels)])


def test_top_k_counts_ties_in():
    scores = np.array([[0.3, 0.3, 0.3, 0.1]])
    assert metrics.sparse_top_k_categorical_accuracy([2], scores, k=1)[0] == 1.0


@pytest.mark.parametrize("cls, fn, kind", [
    ("BinaryAccuracy", "binary_accuracy", "multi_label"),
    ("CategoricalAccuracy", "categorical_accuracy", "onehot"),
    ("SparseCategoricalAccuracy", "sparse_categorical_accuracy", "sparse"),
    ("TopKCategoricalAccuracy", "top_k_categorical_accuracy", "onehot"),
])
def test_accuracy_classes_are_the_weighted_mean_of_their_function(cls, fn, kind):
    parts = batches(kind, True)
    y, p, w = whole(parts)
    per_sample = getattr(metrics, fn)(y, p)
    if per_sample.ndim > 1:
        per_sample = per_sample.mean(axis=1)
    expected = weighted_mean(per_sample, w)
    assert float(run(getattr(metrics, cls)(), parts)) == pytest.approx(expected, rel=1e-13)


# ------------------------------------------------------------------ confusion counts
def counts_by_hand(y, p, thresholds, w=None):
    """(tp, fp, tn, fn) per threshold, one sample at a time."""
    y, p = np.asarray(y, float).ravel(), np.asarray(p, float).ravel()
    w = np.ones(len(y)) if w is None else np.broadcast_to(w, len(y))
    out = {key: [] for key in ("tp", "fp", "tn", "fn")}
    for t in thresholds:
        tp = fp = tn = fn = 0.0
        for yi, pi, wi in zip(y, p, w):
            positive, predicted = yi != 0, pi > t
            tp += wi * (positive and predicted)
            fp += wi * (not positive and predicted)
            tn += wi * (not positive and not predicted)
            fn += wi * (positive and not predicted)
        for key, value in zip(out, (tp, fp, tn, fn)):
            out[key].append(value)
    return {key: np.array(value) for key, value in out.items()}


def test_confusion_count_metrics_by_hand():
    parts = batches("binary", True)
    y, p, w = whole(parts)
    thresholds = [0.1, 0.5, 0.65, 0.9]
    hand = counts_by_hand(y, p, thresholds, w)
    for cls, key in (("TruePositives", "tp"), ("FalsePositives", "fp"), ("TrueNegatives", "tn"),
                     ("FalseNegatives", "fn")):
        np.testing.assert_allclose(run(getattr(metrics, cls)(thresholds=thresholds), parts), hand[key],
                                   rtol=1e-13)
        assert float(run(getattr(metrics, cls)(), parts)) == pytest.approx(
            counts_by_hand(y, p, [0.5], w)[key][0], rel=1e-13)


def test_precision_and_recall_by_hand():
    parts = batches("multi_label", True)
    y, p, w = whole(parts)
    w4 = np.repeat(w, 4)                      # a sample's weight applies to each of its labels
    thresholds = [0.7, 0.2, 0.5]
    hand = counts_by_hand(y, p, thresholds, w4)
    np.testing.assert_allclose(run(metrics.Precision(thresholds=thresholds), parts),
                               hand["tp"] / (hand["tp"] + hand["fp"]), rtol=1e-13)
    np.testing.assert_allclose(run(metrics.Recall(thresholds=thresholds), parts),
                               hand["tp"] / (hand["tp"] + hand["fn"]), rtol=1e-13)


def test_precision_recall_of_one_class_and_of_the_top_k():
    parts = batches("onehot", True)
    y, p, w = whole(parts)
    column = counts_by_hand(y[:, 2], p[:, 2], [0.2], w)
    assert column["tp"][0] > 0 and column["fp"][0] > 0
    assert float(run(metrics.Precision(thresholds=0.2, class_id=2), parts)) == pytest.approx(
        column["tp"][0] / (column["tp"][0] + column["fp"][0]), rel=1e-13)
    # top_k=2: a prediction is positive when it is one of the 2 highest of its row
    in_top = np.array([[sum(s > row[j] for s in row) < 2 for j in range(5)] for row in p])
    tp = np.sum(w[:, None] * (in_top & (y == 1)))
    fp = np.sum(w[:, None] * (in_top & (y == 0)))
    fn = np.sum(w[:, None] * (~in_top & (y == 1)))
    assert float(run(metrics.Precision(top_k=2), parts)) == pytest.approx(tp / (tp + fp), rel=1e-13)
    assert float(run(metrics.Recall(top_k=2), parts)) == pytest.approx(tp / (tp + fn), rel=1e-13)


def test_precision_with_no_positive_prediction_is_zero():
    assert float(run(metrics.Precision(), [([1, 1], [0.1, 0.2], None)])) == 0.0
    assert float(run(metrics.Recall(), [([0, 0], [0.9, 0.2], None)])) == 0.0


# ------------------------------------------------------------------ AUC
def auc_thresholds(n):
    return [-EPS] + [i / (n - 1) for i in range(1, n - 1)] + [1 + EPS]


def trapezoid(x, y):
    return sum((x[i] - x[i + 1]) * (y[i] + y[i + 1]) / 2 for i in range(len(x) - 1))


@pytest.mark.parametrize("n", [3, 10, 200])
def test_roc_auc_is_the_trapezoid_rule_on_the_counts(n):
    parts = batches("binary", True)
    y, p, w = whole(parts)
    c = counts_by_hand(y, p, auc_thresholds(n), w)
    fpr, tpr = c["fp"] / (c["fp"] + c["tn"]), c["tp"] / (c["tp"] + c["fn"])
    assert float(run(metrics.AUC(num_thresholds=n), parts)) == pytest.approx(trapezoid(fpr, tpr), rel=1e-12)


def test_roc_auc_with_many_thresholds_is_the_probability_of_ranking_a_positive_first():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 60)
    p = rng.integers(1, 100, 60) / 100 - 0.005     # distinct bins of a 100-threshold grid: no ties lost
    pairs = [(pi > pj) + 0.5 * (pi == pj) for pi, yi in zip(p, y) if yi for pj, yj in zip(p, y) if not yj]
    assert float(run(metrics.AUC(num_thresholds=101), [(y, p, None)])) == pytest.approx(np.mean(pairs),
                                                                                        rel=1e-12)


@pytest.mark.parametrize("method", ["minoring", "majoring"])
def test_pr_auc_step_sums(method):
    parts = batches("binary", True)
    y, p, w = whole(parts)
    c = counts_by_hand(y, p, auc_thresholds(50), w)
    recall = c["tp"] / (c["tp"] + c["fn"])
    predicted = c["tp"] + c["fp"]
    precision = np.divide(c["tp"], predicted, out=np.zeros_like(predicted), where=predicted > 0)
    pick = min if method == "minoring" else max
    expected = sum((recall[i] - recall[i + 1]) * pick(precision[i], precision[i + 1]) for i in range(49))
    assert float(run(metrics.AUC(num_thresholds=50, curve="PR", summation_method=method), parts)) == \
        pytest.approx(expected, rel=1e-12)


def test_interpolated_pr_auc_integrates_precision_between_interpolated_counts():
    # Davis & Goadrich: between two thresholds TP and TP + FP move linearly; integrate TP/(TP+FP)
    # against recall = TP/P numerically (midpoint rule) on each interval.
    parts = batches("binary", True)
    y, p, w = whole(parts)
    c = counts_by_hand(y, p, auc_thresholds(20), w)
    tp, pp, positives = c["tp"], c["tp"] + c["fp"], c["tp"][0] + c["fn"][0]
    s = (np.arange(20000) + 0.5) / 20000
    area = 0.0
    for i in range(19):
        if tp[i] == tp[i + 1]:
            continue                              # recall does not move: no area
        tps, pps = tp[i + 1] + s * (tp[i] - tp[i + 1]), pp[i + 1] + s * (pp[i] - pp[i + 1])
        area += np.mean(tps / pps) * (tp[i] - tp[i + 1]) / positives
    assert float(run(metrics.AUC(num_thresholds=20, curve="PR"), parts)) == pytest.approx(area, rel=1e-6)


def test_multi_label_auc_is_the_mean_of_the_labels_aucs():
    parts = batches("multi_label", True)
    y, p, w = whole(parts)
    single = []
    for j in range(4):
        single.append(float(run(metrics.AUC(num_thresholds=30), [(y[:, j], p[:, j], w)])))
    assert float(run(metrics.AUC(num_thresholds=30, multi_label=True), parts)) == pytest.approx(
        np.mean(single), rel=1e-12)
    label_weights = np.array([1.0, 0.5, 2.0, 0.0])
    assert float(run(metrics.AUC(num_thresholds=30, multi_label=True, label_weights=label_weights),
                     parts)) == pytest.approx(np.dot(single, label_weights) / label_weights.sum(), rel=1e-12)


def test_pooled_auc_with_label_weights_weights_each_column():
    parts = batches("multi_label", True)
    y, p, w = whole(parts)
    label_weights = np.array([1.0, 0.5, 2.0, 0.0])
    c = counts_by_hand(y, p, auc_thresholds(15), (w[:, None] * label_weights).ravel())
    fpr, tpr = c["fp"] / (c["fp"] + c["tn"]), c["tp"] / (c["tp"] + c["fn"])
    assert float(run(metrics.AUC(num_thresholds=15, label_weights=label_weights), parts)) == \
        pytest.approx(trapezoid(fpr, tpr), rel=1e-12)


def test_auc_from_logits_is_the_auc_of_their_sigmoid():
    y, z, w = batches("logits", True)[1]
    from_logits = run(metrics.AUC(from_logits=True), [(y, z, w)])
    assert float(from_logits) == float(run(metrics.AUC(), [(y, activations.sigmoid(z), w)]))


def test_auc_of_perfect_and_reversed_rankings():
    y, p = [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]
    assert float(run(metrics.AUC(), [(y, p, None)])) == pytest.approx(1.0)
    assert float(run(metrics.AUC(), [(y, 1 - np.array(p), None)])) == pytest.approx(0.0)


# ------------------------------------------------------------------ at-X metrics
@pytest.mark.parametrize("cls, arg, constrained, dependent", [
    ("PrecisionAtRecall", "recall", "recall", "precision"),
    ("RecallAtPrecision", "precision", "precision", "recall"),
    ("SensitivityAtSpecificity", "specificity", "specificity", "recall"),
    ("SpecificityAtSensitivity", "sensitivity", "recall", "specificity"),
])
@pytest.mark.parametrize("value", [0.0, 0.4, 0.8, 1.0])
def test_best_rate_where_the_other_reaches_its_target(cls, arg, constrained, dependent, value):
    parts = batches("binary", True)
    y, p, w = whole(parts)
    thresholds = [i / 39 for i in range(40)]
    c = counts_by_hand(y, p, thresholds, w)
    rates = {"recall": c["tp"] / (c["tp"] + c["fn"]), "specificity": c["tn"] / (c["tn"] + c["fp"])}
    predicted = c["tp"] + c["fp"]
    rates["precision"] = np.divide(c["tp"], predicted, out=np.zeros_like(predicted), where=predicted > 0)
    feasible = [rates[dependent][i] for i in range(40) if rates[constrained][i] >= value]
    expected = max(feasible, default=0.0)
    assert float(run(getattr(metrics, cls)(**{arg: value}, num_thresholds=40), parts)) == pytest.approx(
        expected, rel=1e-13, abs=0)


def test_a_rate_of_exactly_one_is_reached_with_any_float_weights():
    # Each count is summed over its own samples (fn is not total - tp), so a recall of 1 is exactly 1.
    rng = np.random.default_rng(12)
    y, p, w = rng.integers(0, 2, 40), rng.uniform(0.01, 0.99, 40), rng.uniform(0.1, 1.0, 40)
    c = counts_by_hand(y, p, [i / 199 for i in range(200)], w)
    recall = c["tp"] / (c["tp"] + c["fn"])
    expected = max(c["tp"][i] / (c["tp"][i] + c["fp"][i]) for i in range(200) if recall[i] >= 1.0)
    assert float(run(metrics.PrecisionAtRecall(1.0), [(y, p, w)])) == pytest.approx(expected, rel=1e-13)


# ------------------------------------------------------------------ F-scores
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta, threshold", [(1.0, None), (2.0, 0.4), (0.5, 0.25)])
def test_f_beta_by_hand(average, beta, threshold):
    parts = batches("multi_label", True)
    y, p, w = whole(parts)
    if threshold is None:
        predicted = (p == p.max(axis=1, keepdims=True)).astype(float)
    else:
        predicted = (p > threshold).astype(float)
    tp = (w[:, None] * predicted * y).sum(0)
    fp = (w[:, None] * predicted * (1 - y)).sum(0)
    fn = (w[:, None] * (1 - predicted) * y).sum(0)
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + EPS)
    if average == "macro":
        score = score.mean()
    elif average == "weighted":
        support = (w[:, None] * y).sum(0)
        score = np.sum(score * support / (support.sum() + EPS))
    metric = metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    np.testing.assert_allclose(run(metric, parts), score, rtol=1e-12)
    if beta == 1.0:
        np.testing.assert_allclose(run(metrics.F1Score(average=average, threshold=threshold), parts), score,
                                   rtol=1e-12)


# ------------------------------------------------------------------ IoU
def confusion_matrix_by_hand(true, pred, num_classes, w, ignore=None):
    cm = np.zeros((num_classes, num_classes))
    for t, q, wi in zip(true, pred, w):
        if 0 <= t < num_classes and 0 <= q < num_classes and t != ignore:
            cm[int(t), int(q)] += wi
    return cm


def iou_by_hand(cm, ids):
    values = []
    for c in ids:
        union = cm[c, :].sum() + cm[:, c].sum() - cm[c, c]
        if union > 0:
            values.append(cm[c, c] / (union + EPS))
    return sum(values) / (len(values) + EPS)


@pytest.mark.parametrize("ignore", [None, 1])
def test_iou_and_mean_iou_by_hand(ignore):
    parts = batches("class_ids", True)
    y, p, w = whole(parts)
    cm = confusion_matrix_by_hand(y, p, 4, w, ignore)
    assert float(run(metrics.MeanIoU(4, ignore_class=ignore), parts)) == pytest.approx(
        iou_by_hand(cm, range(4)), rel=1e-13)
    assert float(run(metrics.IoU(4, [0, 2], ignore_class=ignore), parts)) == pytest.approx(
        iou_by_hand(cm, [0, 2]), rel=1e-13)


def test_binary_and_one_hot_iou_by_hand():
    parts = batches("binary_labels", True)
    y, p, w = whole(parts)
    cm = confusion_matrix_by_hand(y, (p >= 0.3).astype(int), 2, w)
    assert float(run(metrics.BinaryIoU(threshold=0.3), parts)) == pytest.approx(iou_by_hand(cm, [0, 1]),
                                                                               rel=1e-13)
    parts = batches("onehot", True)
    y, p, w = whole(parts)
    cm = confusion_matrix_by_hand(y.argmax(1), p.argmax(1), 5, w)
    assert float(run(metrics.OneHotMeanIoU(5), parts)) == pytest.approx(iou_by_hand(cm, range(5)),
                                                                       rel=1e-13)
    assert float(run(metrics.OneHotIoU(5, [1, 3]), parts)) == pytest.approx(iou_by_hand(cm, [1, 3]),
                                                                           rel=1e-13)


def test_iou_ignores_ids_out_of_range():
    metric = metrics.MeanIoU(2)
    metric.update_state([0, 1, 5, -1], [0, 1, 1, 0])
    assert float(metric.result()) == pytest.approx(1.0, rel=1e-6)


# ------------------------------------------------------------------ regression
@pytest.mark.parametrize("fn, per_element", [
    ("mean_squared_error", lambda t, q: (t - q) ** 2),
    ("mean_absolute_error", lambda t, q: abs(t - q)),
    ("mean_absolute_percentage_error", lambda t, q: 100 * abs(t - q) / max(abs(t), EPS)),
    ("mean_squared_logarithmic_error",
     lambda t, q: (math.log(1 + max(q, EPS)) - math.log(1 + max(t, EPS))) ** 2),
    ("log_cosh", lambda t, q: math.log(math.cosh(q - t))),
    ("huber", lambda t, q: 0.5 * (q - t) ** 2 if abs(q - t) <= 1 else abs(q - t) - 0.5),
    ("poisson", lambda t, q: q - t * math.log(q + EPS)),
    ("hinge", lambda t, q: max(1 - t * q, 0.0)),
    ("squared_hinge", lambda t, q: max(1 - t * q, 0.0) ** 2),
])
def test_elementwise_functions_by_hand(fn, per_element):
    kind = "hinge" if "hinge" in fn else "positive"
    y, p, _ = batches(kind, False)[1]
    expected = [np.mean([per_element(t, q) for t, q in zip(yr, pr)]) for yr, pr in zip(y, p)]
    np.testing.assert_allclose(getattr(metrics, fn)(y, p), expected, rtol=1e-12)


def test_hinge_converts_zero_one_targets():
    y, p = np.array([[0.0, 1.0]]), np.array([[0.3, -0.4]])
    np.testing.assert_allclose(metrics.hinge(y, p), [np.mean([max(1 - (-1) * 0.3, 0), max(1 - 1 * -0.4, 0)])])


def test_categorical_hinge_cosine_kl_by_hand():
    y, p, _ = batches("onehot", False)[1]
    expected = [max(max((1 - t) * q for t, q in zip(yr, pr)) - sum(t * q for t, q in zip(yr, pr)) + 1, 0)
                for yr, pr in zip(y, p)]
    np.testing.assert_allclose(metrics.categorical_hinge(y, p), expected, rtol=1e-12)
    y, p, _ = batches("regression", False)[1]
    expected = [np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)) for a, b in zip(y, p)]
    np.testing.assert_allclose(metrics.cosine_similarity(y, p), expected, rtol=1e-12)
    y, p, _ = batches("distribution", False)[1]
    expected = [sum(t * math.log(t / q) for t, q in zip(yr, pr)) for yr, pr in zip(y, p)]
    np.testing.assert_allclose(metrics.kl_divergence(y, p), expected, rtol=1e-12)


def test_root_mean_squared_error_by_hand():
    parts = batches("regression", True)
    y, p, w = whole(parts)
    expected = math.sqrt(weighted_mean([np.mean((a - b) ** 2) for a, b in zip(y, p)], w))
    assert float(run(metrics.RootMeanSquaredError(), parts)) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
@pytest.mark.parametrize("num_regressors", [0, 3])
def test_r2_score_by_its_formula(aggregation, num_regressors):
    parts = batches("regression", True)
    y, p, w = whole(parts)
    ww = w[:, None]
    mean = (ww * y).sum(0) / ww.sum()
    ss_tot = (ww * (y - mean) ** 2).sum(0)
    ss_res = (ww * (y - p) ** 2).sum(0)
    scores = 1 - ss_res / ss_tot
    if aggregation == "uniform_average":
        scores = scores.mean()
    elif aggregation == "variance_weighted_average":
        scores = np.sum(ss_tot * scores) / ss_tot.sum()
    if num_regressors:
        n = y.size
        scores = 1 - (1 - scores) * (n - 1) / (n - num_regressors - 1)
    metric = metrics.R2Score(class_aggregation=aggregation, num_regressors=num_regressors)
    np.testing.assert_allclose(run(metric, parts), scores, rtol=1e-11)


def test_r2_score_of_constant_targets_and_too_many_regressors():
    metric = metrics.R2Score()
    metric.update_state([[1.0], [1.0]], [[1.0], [2.0]])
    assert float(metric.result()) == 0.0                  # SS_tot = 0: Keras's convention
    metric = metrics.R2Score(num_regressors=5)
    metric.update_state([[1.0], [2.0], [4.0]], [[1.0], [2.0], [3.0]])
    with pytest.warns(UserWarning, match="More independent predictors"):
        assert float(metric.result()) == pytest.approx(1 - 1 / (14 / 3), rel=1e-12)


# ------------------------------------------------------------------ probabilistic
def test_crossentropies_by_hand():
    y, p, _ = batches("multi_label", False)[1]
    expected = [-np.mean([t * math.log(q) + (1 - t) * math.log(1 - q) for t, q in zip(yr, pr)])
                for yr, pr in zip(y, p)]
    np.testing.assert_allclose(metrics.binary_crossentropy(y, p), expected, rtol=1e-12)
    y, p, _ = batches("onehot", False)[1]
    expected = [-sum(t * math.log(q / sum(pr)) for t, q in zip(yr, pr)) for yr, pr in zip(y, p)]
    np.testing.assert_allclose(metrics.categorical_crossentropy(y, p), expected, rtol=1e-12)
    labels = y.argmax(1)
    np.testing.assert_allclose(metrics.sparse_categorical_crossentropy(labels, p), expected, rtol=1e-12)
    z = np.log(p)                                 # logits whose softmax is p
    np.testing.assert_allclose(metrics.categorical_crossentropy(y, z, from_logits=True), expected, rtol=1e-12)


def test_sparse_crossentropy_leaves_the_ignored_class_out():
    parts = batches("sparse", True)
    y, p, w = whole(parts)
    kept = y != 2
    values = [-math.log(row[int(c)] / row.sum()) for row, c in zip(p[kept], y[kept])]
    metric = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    assert float(run(metric, parts)) == pytest.approx(weighted_mean(values, w[kept]), rel=1e-12)
    assert float(run(metrics.SparseCategoricalCrossentropy(ignore_class=2),
                     [(a, b, None) for a, b, _ in parts])) == pytest.approx(np.mean(values), rel=1e-12)
    assert np.all(metrics.sparse_categorical_crossentropy(y, p, ignore_class=2)[~kept] == 0)


@pytest.mark.parametrize("gamma, balancing", [(0.0, False), (2.0, False), (1.5, True)])
def test_binary_focal_crossentropy_by_hand(gamma, balancing):
    y, p, _ = batches("multi_label", False)[1]

    def element(t, q):
        bce = -(t * math.log(q) + (1 - t) * math.log(1 - q))
        p_t = t * q + (1 - t) * (1 - q)
        weight = (0.3 * t + 0.7 * (1 - t)) if balancing else 1.0
        return weight * (1 - p_t) ** gamma * bce

    expected = [np.mean([element(t, q) for t, q in zip(yr, pr)]) for yr, pr in zip(y, p)]
    values = metrics.binary_focal_crossentropy(y, p, apply_class_balancing=balancing, alpha=0.3, gamma=gamma)
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_categorical_focal_crossentropy_by_hand():
    y, p, _ = batches("onehot", False)[1]
    expected = [sum(0.25 * (1 - q / sum(pr)) ** 2 * -t * math.log(q / sum(pr)) for t, q in zip(yr, pr))
                for yr, pr in zip(y, p)]
    np.testing.assert_allclose(metrics.categorical_focal_crossentropy(y, p), expected, rtol=1e-12)


# ------------------------------------------------------------------ correlation
def test_correlations_by_hand():
    y, p, _ = batches("correlated", False)[1]
    np.testing.assert_allclose(metrics.pearson_correlation(y, p),
                               [np.corrcoef(a, b)[0, 1] for a, b in zip(y, p)], rtol=1e-12)
    expected = []
    for a, b in zip(y, p):   # Keras's concordance: covariance centred on mean(ŷ) for both factors
        norm = a.var() + b.var() + (a.mean() - b.mean()) ** 2
        expected.append(np.mean(2 * (a - b.mean()) * (b - b.mean()) / (norm + EPS)))
    np.testing.assert_allclose(metrics.concordance_correlation(y, p), expected, rtol=1e-12)
