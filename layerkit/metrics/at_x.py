"""Best value of one rate where another reaches a target: precision at recall, and the like.

The four counts are accumulated at ``num_thresholds`` thresholds spread evenly
over [0, 1]; ``result`` takes, among the thresholds where the constrained rate
reaches its target, the largest value of the other rate (0 when none does).
"""

import numbers

import numpy as np

from layerkit.metrics.confusion import check_class_id, confusion_counts
from layerkit.metrics.metric import Metric, divide_no_nan


def _check_rate(argument, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"Argument `{argument}` must be in the range [0, 1]. "
                         f"Received: {argument}={value!r}")
    return value


class SensitivitySpecificityBase(Metric):
    """The four counts at evenly spread thresholds, and the constrained maximum over them.

    Parameters
    ----------
    value : float
        The target of the constrained rate, in [0, 1].
    num_thresholds : int
        How many thresholds (200): 0, 1/(n-1), ..., 1, or 0.5 alone when 1.
    class_id : int, optional
        Measure the column ``class_id`` of multi-class predictions alone.
    name, dtype
        As for :class:`Metric`.

    Raises
    ------
    ValueError
        If ``num_thresholds`` is not a positive integer.
    """

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if (isinstance(num_thresholds, bool) or not isinstance(num_thresholds, numbers.Integral)
                or num_thresholds <= 0):
            raise ValueError("Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds!r}")
        self.value, self.class_id = value, check_class_id(class_id)
        self.thresholds = ([0.5] if num_thresholds == 1 else
                           [i / (num_thresholds - 1) for i in range(num_thresholds)])
        for count in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.declare_state(count, (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's four counts at each threshold."""
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                          class_id=self.class_id)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _rates(self):
        """``(recall = sensitivity, specificity, precision)`` at each threshold."""
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        return divide_no_nan(tp, tp + fn), divide_no_nan(tn, tn + fp), divide_no_nan(tp, tp + fp)

    def _max_where_reached(self, constrained, dependent):
        """``max(dependent where constrained >= value)``, 0 when nowhere."""
        return self.as_result(np.max(np.where(constrained >= self.value, dependent, 0.0), initial=0.0))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) where specificity ``TN / (TN + FP)`` is at least ``specificity``.

    Parameters
    ----------
    specificity : float
        In [0, 1].
    num_thresholds, class_id, name, dtype
        As for :class:`SensitivitySpecificityBase`.

    Example
    -------
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.5
    """

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.specificity = _check_rate("specificity", specificity)
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        sensitivity, specificity, _ = self._rates()
        return self._max_where_reached(specificity, sensitivity)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity where sensitivity (recall) is at least ``sensitivity``.

    Parameters
    ----------
    sensitivity : float
        In [0, 1].
    num_thresholds, class_id, name, dtype
        As for :class:`SensitivitySpecificityBase`.

    Example
    -------
    >>> m = SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.6666666666666666
    """

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.sensitivity = _check_rate("sensitivity", sensitivity)
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        sensitivity, specificity, _ = self._rates()
        return self._max_where_reached(sensitivity, specificity)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision where recall is at least ``recall``.

    Parameters
    ----------
    recall : float
        In [0, 1].
    num_thresholds, class_id, name, dtype
        As for :class:`SensitivitySpecificityBase`.

    Example
    -------
    >>> m = PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.5
    """

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.recall = _check_rate("recall", recall)
        self.num_thresholds = num_thresholds
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        recall, _, precision = self._rates()
        return self._max_where_reached(recall, precision)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall where precision is at least ``precision`` (0 if never reached).

    Parameters
    ----------
    precision : float
        In [0, 1].
    num_thresholds, class_id, name, dtype
        As for :class:`SensitivitySpecificityBase`.

    Example
    -------
    >>> m = RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); float(m.result())
    0.5
    """

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.precision = _check_rate("precision", precision)
        self.num_thresholds = num_thresholds
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        recall, _, precision = self._rates()
        return self._max_where_reached(precision, recall)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}
