"""Regression losses on the error ``ŷ - y``: squared, absolute, percentage and squared-log errors."""

import numpy as np

from layerkit import backend
from layerkit.losses.loss import Loss


class MeanSquaredError(Loss):
    """Mean squared error, ``L = mean((ŷ - y)²)``; per sample ``dl/dŷ = 2(ŷ - y) / D``.

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = MeanSquaredError()
    >>> float(loss(np.array([[1.0], [2.0]]), np.array([[1.0], [4.0]])))
    2.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        diff = y_pred - y_true
        return (diff * diff).sum(axis=-1) / diff.shape[-1]

    def backward(self, y_true, y_pred):
        return 2 * (y_pred - y_true) / y_pred.shape[-1]


class MeanAbsoluteError(Loss):
    """Mean absolute error, ``L = mean(|ŷ - y|)``; per sample ``dl/dŷ = sign(ŷ - y) / D``.

    At ``ŷ = y`` the gradient is 0, as in Keras.

    Example
    -------
    >>> float(MeanAbsoluteError()(np.array([[1.0], [2.0]]), np.array([[0.0], [4.0]])))
    1.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return np.abs(y_pred - y_true).sum(axis=-1) / y_pred.shape[-1]

    def backward(self, y_true, y_pred):
        return np.sign(y_pred - y_true) / y_pred.shape[-1]


class MeanAbsolutePercentageError(Loss):
    """Mean absolute percentage error, ``l = 100 mean(|y - ŷ| / max(|y|, ε))``.

    ε is ``backend.epsilon()`` (1e-7), so a zero target weighs ``1/ε``, as in
    Keras. Per sample ``dl/dŷ = 100 sign(ŷ - y) / (D max(|y|, ε))``, 0 at ``ŷ = y``.

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = MeanAbsolutePercentageError()
    >>> round(float(loss(np.array([[100.0, 200.0]]), np.array([[90.0, 210.0]]))), 4)
    7.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return 100.0 * np.mean(np.abs((y_true - y_pred) / _safe_magnitude(y_true)), axis=-1)

    def backward(self, y_true, y_pred):
        return 100.0 * np.sign(y_pred - y_true) / (_safe_magnitude(y_true) * y_pred.shape[-1])


def _safe_magnitude(y_true):
    """``max(|y|, ε)``: MAPE's divisor."""
    return np.maximum(np.abs(y_true), backend.epsilon())


class MeanSquaredLogarithmicError(Loss):
    """Mean squared logarithmic error, ``l = mean((log(1 + max(ŷ, ε)) - log(1 + max(y, ε)))²)``.

    Values at or below ε (``backend.epsilon()``) are replaced by ε, as in Keras,
    so ``dl/dŷ = 2 (log(1 + ŷ) - log(1 + y')) / (D (1 + ŷ))`` for ``ŷ > ε``, 0
    below, and half of it at ``ŷ = ε`` exactly (Keras's ``maximum`` tie).

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = MeanSquaredLogarithmicError()
    >>> round(float(loss(np.array([[np.e - 1]]), np.array([[0.0]]))), 4)
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _log_gap(self, y_true, y_pred):
        eps = backend.epsilon()
        return np.log1p(np.maximum(y_pred, eps)) - np.log1p(np.maximum(y_true, eps))

    def call(self, y_true, y_pred):
        gap = self._log_gap(y_true, y_pred)
        return np.mean(gap * gap, axis=-1)

    def backward(self, y_true, y_pred):
        eps = backend.epsilon()
        passes = np.where(y_pred > eps, 1.0, np.where(y_pred == eps, 0.5, 0.0)).astype(y_pred.dtype)
        return 2 * self._log_gap(y_true, y_pred) * passes / ((1 + np.maximum(y_pred, eps))
                                                              * y_pred.shape[-1])


def mean_squared_error(y_true, y_pred):
    """Per-sample mean squared error, ``mean((y_pred - y_true)², axis=-1)``.

    Example
    -------
    >>> mean_squared_error(np.array([[0.0, 0.0]]), np.array([[1.0, 3.0]]))
    array([5.])
    """
    return MeanSquaredError().values(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean absolute error, ``mean(|y_pred - y_true|, axis=-1)``.

    Example
    -------
    >>> mean_absolute_error(np.array([[0.0, 0.0]]), np.array([[1.0, -3.0]]))
    array([2.])
    """
    return MeanAbsoluteError().values(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample MAPE, ``100 mean(|y - ŷ| / max(|y|, ε), axis=-1)``.

    Example
    -------
    >>> mean_absolute_percentage_error(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]]))
    array([37.5])
    """
    return MeanAbsolutePercentageError().values(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample MSLE, ``mean((log(1 + max(ŷ, ε)) - log(1 + max(y, ε)))², axis=-1)``.

    Example
    -------
    >>> np.round(mean_squared_logarithmic_error(np.array([[0.0]]), np.array([[np.e - 1]])), 4)
    array([1.])
    """
    return MeanSquaredLogarithmicError().values(y_true, y_pred)
