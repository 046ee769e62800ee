"""Regression losses: mean squared error and mean absolute error."""

import numpy as np

from layerkit.losses.loss import Loss


def mean_squared_error(y_true, y_pred):
    """Per-sample mean squared error, ``mean((y_pred - y_true)², axis=-1)``.

    Example
    -------
    >>> mean_squared_error(np.array([[0.0, 0.0]]), np.array([[1.0, 3.0]]))
    array([5.])
    """
    diff = np.subtract(y_pred, y_true)
    return (diff * diff).sum(axis=-1) / diff.shape[-1]


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean absolute error, ``mean(|y_pred - y_true|, axis=-1)``.

    Example
    -------
    >>> mean_absolute_error(np.array([[0.0, 0.0]]), np.array([[1.0, -3.0]]))
    array([2.])
    """
    diff = np.subtract(y_pred, y_true)
    return np.abs(diff).sum(axis=-1) / diff.shape[-1]


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
        return mean_squared_error(y_true, y_pred)

    def backward(self, y_true, y_pred):
        return 2 * (y_pred - y_true) / y_pred.shape[-1]


class MeanAbsoluteError(Loss):
    """Mean absolute error, ``L = mean(|ŷ - y|)``; per sample ``dl/dŷ = sign(ŷ - y) / D``.

    Example
    -------
    >>> float(MeanAbsoluteError()(np.array([[1.0], [2.0]]), np.array([[0.0], [4.0]])))
    1.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)

    def backward(self, y_true, y_pred):
        return np.sign(y_pred - y_true) / y_pred.shape[-1]
