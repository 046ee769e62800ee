"""Precision and recall, from the confusion counts accumulated over every batch.

``precision = TP / (TP + FP)`` and ``recall = TP / (TP + FN)``, each 0 when
its denominator is 0. Because the counts are summed before dividing, the value
over many batches is the value over their union.
"""

import numbers

from layerkit.metrics.confusion import (
    NEG_INF,
    check_class_id,
    confusion_counts,
    parse_thresholds,
)
from layerkit.metrics.metric import Metric, divide_no_nan


class _ThresholdedRatio(Metric):
    """What Precision and Recall share: thresholds, ``top_k``, ``class_id`` and two counts."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral)
                                  or top_k < 1):
            raise ValueError(f"Argument `top_k` must be a positive integer. Received: top_k={top_k!r}")
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = check_class_id(class_id)
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self.declare_state("true_positives", (len(self.thresholds),))

    def _counts(self, y_true, y_pred, sample_weight):
        return confusion_counts(y_true, y_pred, self.thresholds, sample_weight, top_k=self.top_k,
                                class_id=self.class_id)

    def _ratio(self, other):
        ratio = divide_no_nan(self.true_positives, self.true_positives + other)
        return self.as_result(ratio[0] if len(self.thresholds) == 1 else ratio)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ThresholdedRatio):
    """The share of positive predictions that are right, ``TP / (TP + FP)``.

    Parameters
    ----------
    thresholds : float or list of float, optional
        In [0, 1]: a prediction above one is positive there; 0.5 by default
        (with ``top_k``, every prediction in the top k is positive). With
        several thresholds the result has one precision per threshold.
    top_k : int, optional
        Only the ``top_k`` highest predictions of each sample can be positive.
    class_id : int, optional
        Measure the column ``class_id`` of multi-class predictions alone.
    name, dtype
        As for :class:`Metric`.

    Raises
    ------
    ValueError
        For a threshold outside [0, 1], or a ``top_k``/``class_id`` that is not a
        positive/non-negative integer.

    Example
    -------
    >>> m = Precision(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(m.result())
    0.6666666666666666
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)
        self.declare_state("false_positives", (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's true and false positives at each threshold."""
        tp, fp, _, _ = self._counts(y_true, y_pred, sample_weight)
        self.true_positives += tp
        self.false_positives += fp

    def result(self):
        return self._ratio(self.false_positives)


class Recall(_ThresholdedRatio):
    """The share of positive targets that are predicted positive, ``TP / (TP + FN)``.

    Parameters
    ----------
    thresholds, top_k, class_id, name, dtype
        As for :class:`Precision`.

    Raises
    ------
    ValueError
        As for :class:`Precision`.

    Example
    -------
    >>> m = Recall(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(m.result())
    0.6666666666666666
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)
        self.declare_state("false_negatives", (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's true positives and false negatives at each threshold."""
        tp, _, _, fn = self._counts(y_true, y_pred, sample_weight)
        self.true_positives += tp
        self.false_negatives += fn

    def result(self):
        return self._ratio(self.false_negatives)
