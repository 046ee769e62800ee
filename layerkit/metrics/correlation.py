"""Agreement of each sample's target and prediction vectors: correlations and cosine similarity.

Each sample's targets and predictions (a row of outputs) are compared along
``axis``; the metric is the running mean of those per-sample values.
"""

import numpy as np

from layerkit import backend
from layerkit.metrics.metric import as_float_pair
from layerkit.metrics.reduction import MeanMetricWrapper, metric_function


@metric_function
def pearson_correlation(y_true, y_pred, axis=-1):
    """Per-sample Pearson correlation ``mean(z(y) · z(ŷ))`` along ``axis`` (NaN for a constant row).

    Example
    -------
    >>> pearson_correlation(np.array([[1.0, 2.0, 3.0]]), np.array([[2.0, 4.0, 7.0]])).round(4)
    array([0.9934])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    y_true = y_true - np.mean(y_true, axis=axis, keepdims=True)
    y_pred = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant row has no correlation: NaN
        y_true = y_true / np.std(y_true, axis=axis, keepdims=True)
        y_pred = y_pred / np.std(y_pred, axis=axis, keepdims=True)
    return np.mean(y_true * y_pred, axis=axis)


@metric_function
def concordance_correlation(y_true, y_pred, axis=-1):
    """Per-sample concordance correlation, as Keras computes it, along ``axis``.

    ``mean(2 (y - mean ŷ)(ŷ - mean ŷ)) / (var y + var ŷ + (mean y - mean ŷ)² + ε)``
    (Keras centres ``y`` on the mean of ``ŷ`` in the covariance; kept for parity).

    Example
    -------
    >>> concordance_correlation(np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 3.0]])).round(4)
    array([1.])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    true_mean = np.mean(y_true, axis=axis, keepdims=True)
    pred_mean = np.mean(y_pred, axis=axis, keepdims=True)
    norm = np.var(y_true, axis=axis, keepdims=True) + np.var(y_pred, axis=axis, keepdims=True) + (
        true_mean - pred_mean) ** 2
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    return np.mean(2 * covariance / (norm + backend.epsilon()), axis=axis)


def _l2_normalize(x, axis):
    return x / np.maximum(np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), backend.epsilon())


@metric_function
def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample cosine of the angle between target and prediction, ``Σ ŷ·y / (|ŷ| |y|)``.

    (The loss of the same name is its negative.) A zero vector gives 0.

    Example
    -------
    >>> cosine_similarity(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [2.0, 2.0]]))
    array([0., 1.])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return np.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Mean over samples of the Pearson correlation of each sample's targets and predictions.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    axis : int
        The axis correlated along (-1).

    Example
    -------
    >>> m = PearsonCorrelation(); m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])
    >>> round(float(m.result()), 4)
    0.9934
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Mean over samples of the concordance correlation of each sample's targets and predictions.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    axis : int
        The axis correlated along (-1).

    Example
    -------
    >>> m = ConcordanceCorrelation(); m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between targets and predictions, ``mean(Σ ŷ·y / (|ŷ| |y|))``.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    axis : int
        The axis the vectors lie along (-1). (Kept in the config, which Keras's omits.)

    Example
    -------
    >>> m = CosineSimilarity(); m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
