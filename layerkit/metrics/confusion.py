"""Thresholded confusion counts, and the ``TruePositives`` ... ``FalseNegatives`` metrics.

At a threshold ``t`` a prediction ``p`` is positive when ``p > t`` and a target
is positive when it is not 0; each sample adds its weight to one of the four
counts. :func:`confusion_counts` gives the four counts at many thresholds at
once (a sort and a cumulative sum, not a threshold-by-prediction table), and
``Precision``, ``Recall``, ``AUC`` and the at-X metrics are all built on it.
"""

import numbers

import numpy as np

from layerkit import backend
from layerkit.metrics.metric import Metric, squeeze_or_expand_to_same_rank

NEG_INF = -1e10  # the default threshold with ``top_k``: every kept prediction is positive


def parse_thresholds(thresholds, default_threshold=0.5):
    """``thresholds`` (a number or a list, each in [0, 1]) as a list; ``[default]`` for None.

    Raises
    ------
    ValueError
        For a threshold outside [0, 1], or an empty list.

    Example
    -------
    >>> parse_thresholds(0.3), parse_thresholds(None)
    ([0.3], [0.5])
    """
    if thresholds is None:
        return [default_threshold]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if isinstance(t, bool) or not isinstance(t, numbers.Real)
               or not 0 <= t <= 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    if not values:
        raise ValueError("Argument `thresholds` must hold at least one threshold. Received: []")
    return [float(t) for t in values]


def check_class_id(class_id):
    """``class_id`` checked: None or a non-negative integer."""
    if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, numbers.Integral)
                                 or class_id < 0):
        raise ValueError(f"Argument `class_id` must be a non-negative integer. Received: "
                         f"class_id={class_id!r}")
    return class_id


def is_evenly_distributed(thresholds):
    """Whether ``thresholds`` are ``0, 1/(n-1), ..., 1`` (n >= 3), within ``epsilon``."""
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n) / (n - 1), atol=backend.epsilon()))


def _filter_top_k(y_pred, k):
    """``y_pred`` with all but the ``k`` largest of each row set to ``NEG_INF``."""
    if k >= y_pred.shape[-1]:
        return y_pred
    top = np.argpartition(-y_pred, k - 1, axis=-1)[..., :k]
    keep = np.zeros(y_pred.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, y_pred, NEG_INF)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None):
    """The weighted true/false positives/negatives at each threshold.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets (positive where not 0) and scores, of the same shape (a last
        axis of 1 may be missing from either).
    thresholds : sequence of float
        Predictions above a threshold are positive at it. When they are evenly
        spread over [0, 1] (AUC's), predictions are first clipped to [0, 1], as Keras does.
    sample_weight : array_like, optional
        Broadcastable to the targets (one per sample, or one per element).
    top_k : int, optional
        Only the ``top_k`` highest predictions of each row can be positive.
    class_id : int, optional
        Count the column ``class_id`` alone.
    multi_label : bool
        Count each column (label) of 2-D inputs separately.
    label_weights : array_like, optional
        One weight per column (not with ``multi_label``).

    Returns
    -------
    (tp, fp, tn, fn) : ndarrays of shape (T,), or (T, L) with ``multi_label``

    Raises
    ------
    ValueError
        For a ``class_id`` outside the classes, or 1-D predictions with ``class_id``.

    Example
    -------
    >>> tp, fp, tn, fn = confusion_counts([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], [0.0, 0.5])
    >>> tp, fp, tn, fn
    (array([2., 1.]), array([2., 1.]), array([0., 1.]), array([0., 1.]))
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    y_pred, y_true = squeeze_or_expand_to_same_rank(np.asarray(y_pred, dtype=np.float64),
                                                    np.asarray(y_true, dtype=np.float64))
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)[..., None]
        _, weights = squeeze_or_expand_to_same_rank(y_true, weights, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        if class_id >= y_pred.shape[-1]:
            raise ValueError(f"`class_id` must be in [0, {y_pred.shape[-1]}) for predictions of "
                             f"{y_pred.shape[-1]} classes. Received: class_id={class_id}")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    if is_evenly_distributed(thresholds):
        y_pred = np.clip(y_pred, 0.0, 1.0)
    weights = np.ones(y_pred.shape) if weights is None else np.broadcast_to(weights, y_pred.shape)
    if label_weights is not None:
        weights = weights * np.broadcast_to(np.asarray(label_weights, dtype=np.float64), y_pred.shape)
    positive = y_true != 0
    if not multi_label:
        y_pred, positive, weights = y_pred.reshape(-1, 1), positive.reshape(-1, 1), weights.reshape(-1, 1)
    num_labels = y_pred.shape[-1]

    # A prediction is positive at the thresholds below it: count them with one sort.
    order = np.argsort(thresholds, kind="stable")
    num_below = np.searchsorted(thresholds[order], y_pred, side="left")
    num_below[np.isnan(y_pred)] = 0                       # NaN > t is false, as in Keras
    index = (num_below * num_labels + np.arange(num_labels)).ravel()
    size = (len(thresholds) + 1) * num_labels

    def above_and_below(w):
        """Weight predicted positive (above) and negative (at or below) at each threshold."""
        by_count = np.bincount(index, weights=w.ravel(), minlength=size).reshape(-1, num_labels)
        above = np.cumsum(by_count[::-1], axis=0)[::-1][1:]   # more than j thresholds below
        below = np.cumsum(by_count, axis=0)[:-1]               # at most j thresholds below
        unsorted_above, unsorted_below = np.empty_like(above), np.empty_like(below)
        unsorted_above[order], unsorted_below[order] = above, below
        return unsorted_above, unsorted_below

    tp, fn = above_and_below(np.where(positive, weights, 0.0))
    fp, tn = above_and_below(np.where(positive, 0.0, weights))
    if not multi_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return tp, fp, tn, fn


class ConfusionCount(Metric):
    """Base of the four counts: one accumulator per threshold.

    Parameters
    ----------
    thresholds : float or list of float, optional
        In [0, 1]; 0.5 by default. With one threshold the result is a scalar,
        else one count per threshold.
    name, dtype
        As for :class:`Metric`.
    """

    #: Which of ``confusion_counts``'s four results (0: tp, 1: fp, 2: tn, 3: fn) is counted.
    count_index = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds)
        self.declare_state("accumulator", (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's weighted count at each threshold."""
        self.accumulator += confusion_counts(y_true, y_pred, self.thresholds,
                                             sample_weight)[self.count_index]

    def result(self):
        return self.as_result(self.accumulator[0] if len(self.thresholds) == 1 else self.accumulator)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(ConfusionCount):
    """The (weighted) number of positive targets predicted above the threshold.

    Parameters
    ----------
    thresholds, name, dtype
        As for :class:`ConfusionCount`.

    Example
    -------
    >>> m = TruePositives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(m.result())
    2.0
    """

    count_index = 0


class FalsePositives(ConfusionCount):
    """The (weighted) number of negative targets predicted above the threshold.

    Parameters
    ----------
    thresholds, name, dtype
        As for :class:`ConfusionCount`.

    Example
    -------
    >>> m = FalsePositives(); m.update_state([0, 1, 0, 0], [0, 0, 1, 1]); float(m.result())
    2.0
    """

    count_index = 1


class TrueNegatives(ConfusionCount):
    """The (weighted) number of negative targets predicted at or below the threshold.

    Parameters
    ----------
    thresholds, name, dtype
        As for :class:`ConfusionCount`.

    Example
    -------
    >>> m = TrueNegatives(); m.update_state([0, 1, 0, 0], [1, 1, 0, 0]); float(m.result())
    2.0
    """

    count_index = 2


class FalseNegatives(ConfusionCount):
    """The (weighted) number of positive targets predicted at or below the threshold.

    Parameters
    ----------
    thresholds, name, dtype
        As for :class:`ConfusionCount`.

    Example
    -------
    >>> m = FalseNegatives(); m.update_state([0, 1, 1, 1], [0, 1, 0, 0]); float(m.result())
    2.0
    """

    count_index = 3
