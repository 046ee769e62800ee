"""Area under the ROC or precision-recall curve, from confusion counts at many thresholds.

The counts are accumulated at ``num_thresholds`` thresholds (``-ε``, then
``1/(n-1) ... (n-2)/(n-1)``, then ``1 + ε``); the curve joins the points they
give, and its area is a Riemann sum over them: the trapezoid rule
(``"interpolation"``) or the lower/upper step (``"minoring"``/``"majoring"``).
The PR curve with interpolation follows Davis & Goadrich (2006), as Keras does.
"""

import numbers

import numpy as np

from layerkit import activations, backend
from layerkit.metrics.confusion import confusion_counts
from layerkit.metrics.metric import Metric, divide_no_nan

CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
SUMMATION_METHODS = ("interpolation", "minoring", "majoring")


def _parse_curve(curve):
    if not isinstance(curve, str) or curve.lower() not in CURVES or curve not in (
            curve.lower(), CURVES[curve.lower()]):
        raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                         '["PR", "ROC", "PRGAIN"]')
    return CURVES[curve.lower()]


def _parse_summation_method(method):
    if not isinstance(method, str) or method.lower() not in SUMMATION_METHODS or method not in (
            method.lower(), method.capitalize()):
        raise ValueError(f'Invalid AUC summation method value: "{method}". Expected values are '
                         '["interpolation", "majoring", "minoring"]')
    return method.lower()


class AUC(Metric):
    """Area under the ROC curve (true against false positive rate) or the PR curve.

    Parameters
    ----------
    num_thresholds : int
        How many thresholds discretise the curve (200; at least 2).
    curve : str
        ``"ROC"`` (default), ``"PR"`` (precision against recall) or ``"PRGAIN"``.
    summation_method : str
        ``"interpolation"`` (trapezoids), ``"minoring"`` or ``"majoring"``.
    name, dtype
        As for :class:`Metric`.
    thresholds : list of float, optional
        Thresholds in [0, 1] to use instead (``num_thresholds`` becomes their number + 2).
    multi_label : bool
        With 2-D inputs, one AUC per column, averaged (else the columns are pooled).
    num_labels : int, optional
        The number of columns with ``multi_label`` (else taken from the first batch).
    label_weights : list of float, optional
        Non-negative weights: of each label's AUC in the average with
        ``multi_label``, else of each column's predictions in the pooled counts.
    from_logits : bool
        Whether predictions are logits (a sigmoid is applied first).

    Raises
    ------
    ValueError
        For an unknown curve or summation method, ``num_thresholds`` < 2,
        thresholds outside [0, 1], negative label weights, or ``num_labels``
        without ``multi_label``.

    Example
    -------
    >>> m = AUC(num_thresholds=3); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())       # fpr = [1, 0, 0], tpr = [1, 0.5, 0]: (1 + 0.5) / 2 * 1
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        self.curve = _parse_curve(curve)
        self.summation_method = _parse_summation_method(summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(thresholds)
            invalid = [t for t in thresholds if not isinstance(t, numbers.Real) or not 0 <= t <= 1]
            if invalid:
                raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
            self.num_thresholds = len(thresholds) + 2
            inner = [float(t) for t in thresholds]
        else:
            if (isinstance(num_thresholds, bool) or not isinstance(num_thresholds, numbers.Integral)
                    or num_thresholds <= 1):
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds!r}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds = np.array([0.0 - backend.epsilon()] + inner + [1.0 + backend.epsilon()])
        super().__init__(name=name, dtype=dtype)
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None
        if label_weights is not None:
            self.label_weights = np.asarray(label_weights, dtype=np.float64)
            if self.label_weights.ndim != 1 or not np.all(self.label_weights >= 0):
                raise ValueError("Argument `label_weights` must be a list of non-negative weights, "
                                 f"one per label. Received: label_weights={label_weights!r}")
        self.from_logits = bool(from_logits)
        if not self.multi_label and num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self._built = False
        if not self.multi_label:
            self._build(None)
        elif num_labels:
            self._build(num_labels)

    @property
    def thresholds(self):
        """The thresholds the counts are taken at, endpoints included."""
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        for count in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.declare_state(count, shape)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's four counts at each threshold (per label with ``multi_label``).

        Raises
        ------
        ValueError
            With ``multi_label``, for predictions that are not 2-D, or whose
            number of columns differs from the first batch's (or ``num_labels``);
            for predictions without one column per label weight.
        """
        y_pred = np.asarray(y_pred, dtype=np.float64)
        weights = self.label_weights
        if weights is not None and (y_pred.ndim < 2 or y_pred.shape[-1] != len(weights)):
            raise ValueError(f"`label_weights` holds {len(weights)} weights, one per label, but "
                             f"the predictions have shape {y_pred.shape}.")
        if self.multi_label:
            expected = self.true_positives.shape[1] if self._built else None
            if y_pred.ndim != 2 or (expected is not None and y_pred.shape[1] != expected):
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`, with one column "
                                 f"per label ({expected or 'any number'}). Received shape {y_pred.shape}")
            if not self._built:
                self._build(y_pred.shape[1])
        if self.from_logits:
            y_pred = activations.sigmoid(y_pred)
        tp, fp, tn, fn = confusion_counts(
            y_true, y_pred, self._thresholds, sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _average_over_labels(self, by_label):
        if self.label_weights is None:
            return np.mean(by_label)
        return divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights))

    def _interpolate_pr_auc(self):
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich)."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(np.where(p_ratio > 0, p_ratio, 1.0))
        increments = divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))
        return increments.sum(axis=0)

    def _curve(self):
        """The curve's ``(x, y)`` at each threshold."""
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, divide_no_nan(tp, tp + fp)
        scale = divide_no_nan(tp + fn, tn + fp)  # PRGAIN: recall and precision gains
        recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * divide_no_nan(fn, tp))
        precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
        return np.maximum(recall_gain, 0.0), precision_gain

    def result(self):
        if not self._built:
            return self.as_result(0.0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            by_label = self._interpolate_pr_auc()
        else:
            x, y = self._curve()
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            by_label = ((x[:-1] - x[1:]) * heights).sum(axis=0)
        return self.as_result(self._average_over_labels(by_label) if self.multi_label else by_label)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                  "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
