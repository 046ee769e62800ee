"""Bad arguments and bad inputs to metrics: refused at once, with Keras's words and the value received."""

import re

import numpy as np
import pytest

from layerkit import metrics


@pytest.mark.parametrize("cls", ["Precision", "Recall", "TruePositives", "FalseNegatives"])
@pytest.mark.parametrize("thresholds, bad", [
    (1.5, "[1.5]"), (-0.1, "[-0.1]"), ([0.2, 2.0, -1.0], "[2.0, -1.0]"), ("0.5", "['0.5']"),
    ([0.5, None], "[None]"), (True, "[True]"),
])
def test_thresholds_must_be_in_zero_one(cls, thresholds, bad):
    message = r"Threshold values must be in \[0, 1\]. Received: " + re.escape(bad)
    with pytest.raises(ValueError, match=message):
        getattr(metrics, cls)(thresholds=thresholds)


def test_thresholds_may_not_be_empty():
    with pytest.raises(ValueError, match=r"at least one threshold. Received: \[\]"):
        metrics.Precision(thresholds=[])


@pytest.mark.parametrize("top_k", [0, -2, 1.5, True, "2"])
def test_top_k_must_be_a_positive_integer(top_k):
    with pytest.raises(ValueError, match=rf"`top_k` must be a positive integer. Received: top_k={top_k!r}"):
        metrics.Recall(top_k=top_k)


@pytest.mark.parametrize("cls", ["Precision", "Recall", "PrecisionAtRecall"])
@pytest.mark.parametrize("class_id", [-1, 1.0, "a", True])
def test_class_id_must_be_a_non_negative_integer(cls, class_id):
    kwargs = {"recall": 0.5} if cls == "PrecisionAtRecall" else {}
    with pytest.raises(ValueError, match=rf"`class_id` must be a non-negative integer. "
                                         rf"Received: class_id={class_id!r}"):
        getattr(metrics, cls)(class_id=class_id, **kwargs)


def test_class_id_beyond_the_classes_is_refused_at_update_and_counts_nothing():
    metric = metrics.Precision(class_id=3)
    with pytest.raises(ValueError, match=r"`class_id` must be in \[0, 3\).*Received: class_id=3"):
        metric.update_state(np.eye(3), np.eye(3))
    assert float(metric.result()) == 0.0 and not metric.true_positives.any()
    with pytest.raises(ValueError, match="y_pred must be a 2D array"):
        metric.update_state([0, 1], [0.2, 0.8])


@pytest.mark.parametrize("k", [0, -1, 2.5, None])
def test_k_must_be_a_positive_integer(k):
    with pytest.raises(ValueError, match=rf"`k` must be a positive integer. Received: k={k!r}"):
        metrics.TopKCategoricalAccuracy(k=k)
    with pytest.raises(ValueError, match=r"`k` must be a positive integer"):
        metrics.SparseTopKCategoricalAccuracy(k=k)
    with pytest.raises(ValueError, match=r"`k` must be a positive integer"):
        metrics.top_k_categorical_accuracy(np.eye(3), np.eye(3), k=k)


def test_labels_outside_the_classes_are_refused_by_top_k():
    with pytest.raises(ValueError, match=r"Labels must be in \[0, 3\).*Received label 3"):
        metrics.sparse_top_k_categorical_accuracy([0, 3], np.eye(3)[:2], k=1)


@pytest.mark.parametrize("threshold", ["0.5", None, True])
def test_binary_accuracy_threshold_must_be_a_number(threshold):
    with pytest.raises(ValueError, match=rf"`threshold` must be a number. Received: threshold={threshold!r}"):
        metrics.BinaryAccuracy(threshold=threshold)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_thresholds": 1}, r"`num_thresholds` must be an integer > 1. Received: num_thresholds=1"),
    ({"num_thresholds": 20.5}, r"`num_thresholds` must be an integer > 1. Received: num_thresholds=20.5"),
    ({"curve": "DET"}, r'Invalid AUC curve value: "DET". Expected values are \["PR", "ROC", "PRGAIN"\]'),
    ({"curve": "Roc"}, r'Invalid AUC curve value: "Roc"'),
    ({"summation_method": "simpson"}, r'Invalid AUC summation method value: "simpson". Expected values are '
                                      r'\["interpolation", "majoring", "minoring"\]'),
    ({"thresholds": [0.2, 1.2]}, r"Threshold values must be in \[0, 1\]. Received: \[1.2\]"),
    ({"num_labels": 3}, r"`num_labels` is needed only when `multi_label` is True."),
    ({"label_weights": [1.0, -1.0]}, r"`label_weights` must be a list of non-negative weights"),
])
def test_auc_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.AUC(**kwargs)


def test_multi_label_auc_needs_2d_predictions_of_a_fixed_width():
    metric = metrics.AUC(multi_label=True, num_labels=3)
    with pytest.raises(ValueError, match=r"rank 2 when `multi_label=True`.*\(3\). Received shape \(2, 4\)"):
        metric.update_state(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"rank 2 when `multi_label=True`"):
        metrics.AUC(multi_label=True).update_state(np.zeros(4), np.zeros(4))
    for multi_label in (True, False):
        metric = metrics.AUC(multi_label=multi_label, label_weights=[1.0, 2.0])
        with pytest.raises(ValueError, match=r"`label_weights` holds 2 weights.*shape \(5, 3\)"):
            metric.update_state(np.zeros((5, 3)), np.zeros((5, 3)))


@pytest.mark.parametrize("cls, arg", [("PrecisionAtRecall", "recall"), ("RecallAtPrecision", "precision"),
                                      ("SensitivityAtSpecificity", "specificity"),
                                      ("SpecificityAtSensitivity", "sensitivity")])
@pytest.mark.parametrize("value", [-0.1, 1.5, "0.5", None])
def test_at_x_targets_must_be_in_zero_one(cls, arg, value):
    message = rf"`{arg}` must be in the range \[0, 1\]. Received: {arg}={value!r}"
    with pytest.raises(ValueError, match=message):
        getattr(metrics, cls)(value)


@pytest.mark.parametrize("num_thresholds", [0, -3, 2.0])
def test_at_x_num_thresholds_must_be_positive(num_thresholds):
    with pytest.raises(ValueError, match=r"`num_thresholds` must be an integer > 0"):
        metrics.PrecisionAtRecall(0.5, num_thresholds=num_thresholds)


@pytest.mark.parametrize("kwargs, message", [
    ({"average": "samples"}, r"Invalid `average` argument value.*Received: average='samples'"),
    ({"beta": 0.0}, r"Invalid `beta` argument value. It should be a float > 0. Received: beta=0.0"),
    ({"beta": "1"}, r"Invalid `beta` argument value"),
    ({"threshold": 0.0}, r"0 < threshold <= 1. Received: threshold=0.0"),
    ({"threshold": 1.5}, r"0 < threshold <= 1. Received: threshold=1.5"),
])
def test_f_beta_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.FBetaScore(**kwargs)


def test_f_score_and_r2_need_2d_inputs():
    with pytest.raises(ValueError, match=r"F1Score expects 2D inputs"):
        metrics.F1Score().update_state(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))


@pytest.mark.parametrize("kwargs, message", [
    ({"class_aggregation": "median"}, r"`class_aggregation`.*Received: class_aggregation='median'"),
    ({"num_regressors": -1}, r"`num_regressors`. Expected a value >= 0. Received: num_regressors=-1"),
])
def test_r2_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.R2Score(**kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda: metrics.IoU(3, [0, 3]), r"Target class id 3 is out of range, which is \[0, 3\)."),
    (lambda: metrics.IoU(3, []), r"`target_class_ids` must name at least one class"),
    (lambda: metrics.IoU(3, [-1]), r"`target_class_ids` must be an integer >= 0. Received: "
                                   r"target_class_ids=-1"),
    (lambda: metrics.MeanIoU(0), r"`num_classes` must be an integer >= 1. Received: num_classes=0"),
    (lambda: metrics.BinaryIoU(threshold="high"), r"`threshold` must be a number"),
])
def test_iou_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown metric: 'precison'") as info:
        metrics.get("precison")
    for valid in ("'precision'", "'auc'", "'accuracy'", "'mae'", "'r2_score'"):
        assert valid in str(info.value)
    with pytest.raises(ValueError, match=r"Unknown metric: 'NoSuchMetric'"):
        metrics.deserialize({"class_name": "NoSuchMetric", "config": {}})


def test_a_metric_that_needs_arguments_cannot_be_got_by_name_alone():
    with pytest.raises(ValueError, match=r"MeanIoU needs the arguments \['num_classes'\]"):
        metrics.get("mean_io_u")
    with pytest.raises(ValueError, match=r"PrecisionAtRecall needs the arguments \['recall'\]"):
        metrics.get(metrics.PrecisionAtRecall)


def test_accuracy_by_name_needs_the_shapes():
    with pytest.raises(ValueError, match=r"'accuracy' needs the shapes"):
        metrics.get("accuracy")


def test_what_is_not_a_metric_is_a_type_error():
    with pytest.raises(TypeError, match=r"Could not interpret metric identifier: 3"):
        metrics.get(3)
    with pytest.raises(TypeError, match=r"`fn` must be callable. Received: fn='mse'"):
        metrics.MeanMetricWrapper("mse")


def test_unknown_wrapped_function_in_a_config_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Unknown metric function 'my_fn'.*register_keras_serializable"):
        metrics.MeanMetricWrapper.from_config({"name": "m", "dtype": None, "fn": "my_fn"})
