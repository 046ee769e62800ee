"""F-beta and F1 scores, per class or averaged, from counts accumulated over every batch.

``F_β = (1 + β²) · P · R / (β² · P + R)`` with ``P = TP / (TP + FP + ε)`` and
``R = TP / (TP + FN + ε)``. Inputs are 2-D ``(samples, classes)``: one-hot
(or multi-label) targets and scores.
"""

import numbers

import numpy as np

from layerkit import backend
from layerkit.metrics.metric import Metric

AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score: the weighted harmonic mean of precision and recall.

    Parameters
    ----------
    average : str, optional
        None (one score per class), ``"micro"`` (counts pooled over classes),
        ``"macro"`` (mean of the class scores) or ``"weighted"`` (mean weighted
        by each class's number of positive targets).
    beta : float
        Recall counts ``beta`` times as much as precision (1.0); > 0.
    threshold : float, optional
        In (0, 1]: predictions above it are positive. None: the highest score
        of each row is (when it is not 0).
    name, dtype
        As for :class:`Metric`.

    Raises
    ------
    ValueError
        For an unknown ``average``, ``beta`` <= 0, or a threshold outside (0, 1].

    Example
    -------
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.6], [0.2, 0.7]]))
    >>> np.round(m.result(), 4)             # class 0: P = 1, R = 1/2; class 1: P = 1/2, R = 1
    array([0.5556, 0.8333])
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in AVERAGES:
            raise ValueError("Invalid `average` argument value. Expected one of: "
                             f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average!r}")
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta > 0:
            raise ValueError(f"Invalid `beta` argument value. It should be a float > 0. "
                             f"Received: beta={beta!r}")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, numbers.Real)
                                      or not 0 < threshold <= 1):
            raise ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                             f"Received: threshold={threshold!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape (batch_size, "
                             f"output_dim). Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for count in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            self.declare_state(count, shape)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's true positives, false positives, false negatives and positive targets."""
        y_true = np.asarray(y_true, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.float64)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:  # the row's maximum is positive, unless it is 0
            predicted = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        weights = 1.0 if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1, 1)

        def weighted_sum(values):
            return np.sum(values * weights, axis=self.axis)

        self.true_positives += weighted_sum(predicted * y_true)
        self.false_positives += weighted_sum(predicted * (1 - y_true))
        self.false_negatives += weighted_sum((1 - predicted) * y_true)
        self.intermediate_weights += weighted_sum(y_true)

    def result(self):
        if not self._built:
            return self.as_result(0.0)
        eps = backend.epsilon()
        tp = np.asarray(self.true_positives)
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta2 = self.beta ** 2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + eps)
        if self.average == "weighted":
            weights = self.intermediate_weights / (np.sum(self.intermediate_weights) + eps)
            score = np.sum(score * weights)
        elif self.average is not None:
            score = np.mean(score)
        return self.as_result(score)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score, ``2 · P · R / (P + R)``: :class:`FBetaScore` with ``beta = 1``.

    Parameters
    ----------
    average, threshold, name, dtype
        As for :class:`FBetaScore`.

    Example
    -------
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.6], [0.2, 0.7]]))
    >>> np.round(m.result(), 4)             # class 0: P = 1, R = 1/2; class 1: P = 1/2, R = 1
    array([0.6667, 0.6667])
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
