"""Regression metrics: the running means of per-sample errors, and the root mean squared error.

Each function aligns the targets' rank with the predictions' (``(N,)`` against
``(N, 1)``) as Keras does, computes in float64 and averages over the last axis.
"""

import numpy as np

from layerkit import activations, backend
from layerkit.metrics.metric import as_float_pair
from layerkit.metrics.reduction import Mean, MeanMetricWrapper, metric_function


@metric_function
def mean_squared_error(y_true, y_pred):
    """Per-sample ``mean((y_true - y_pred)², axis=-1)``.

    Example
    -------
    >>> mean_squared_error(np.array([1.0, 0.0]), np.array([[0.5], [2.0]]))
    array([0.25, 4.  ])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return np.mean((y_true - y_pred) ** 2, axis=-1)


@metric_function
def mean_absolute_error(y_true, y_pred):
    """Per-sample ``mean(|y_true - y_pred|, axis=-1)``.

    Example
    -------
    >>> mean_absolute_error(np.array([[0.0, 0.0]]), np.array([[1.0, -3.0]]))
    array([2.])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


@metric_function
def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample ``100 · mean(|y_true - y_pred| / max(|y_true|, ε), axis=-1)``.

    Example
    -------
    >>> mean_absolute_percentage_error(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]]))
    array([37.5])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return 100.0 * np.mean(np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), backend.epsilon())),
                           axis=-1)


@metric_function
def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample ``mean((log(1 + max(y_pred, ε)) - log(1 + max(y_true, ε)))², axis=-1)``.

    Example
    -------
    >>> np.round(mean_squared_logarithmic_error(np.array([[0.0]]), np.array([[np.e - 1]])), 6)
    array([1.])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    eps = backend.epsilon()
    return np.mean((np.log1p(np.maximum(y_pred, eps)) - np.log1p(np.maximum(y_true, eps))) ** 2, axis=-1)


@metric_function
def log_cosh(y_true, y_pred):
    """Per-sample ``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2``.

    Example
    -------
    >>> log_cosh(np.array([[0.0]]), np.array([[1000.0]]))
    array([999.30685282])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    error = y_pred - y_true
    return np.mean(error + activations.softplus(-2.0 * error) - np.log(2.0), axis=-1)


@metric_function
def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber error: ``½e²`` where ``|e| <= delta``, else ``delta·|e| - ½delta²``; mean over -1.

    Example
    -------
    >>> huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
    array([1.3125])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    error = np.abs(y_pred - y_true)
    return np.mean(np.where(error <= delta, 0.5 * error ** 2, delta * error - 0.5 * delta ** 2), axis=-1)


class MeanSquaredError(MeanMetricWrapper):
    """Mean squared error, ``mean((y_true - y_pred)²)`` over every sample seen.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = MeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]); float(m.result())
    0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean absolute error, ``mean(|y_true - y_pred|)`` over every sample seen.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = MeanAbsoluteError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]); float(m.result())
    0.25
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean absolute percentage error, ``100 · mean(|y_true - y_pred| / max(|y_true|, ε))``.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = MeanAbsolutePercentageError(); m.update_state([[2.0, 4.0]], [[1.0, 5.0]]); float(m.result())
    37.5
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean squared logarithmic error, ``mean((log(1 + ŷ) - log(1 + y))²)`` (values below ε raised to ε).

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = MeanSquaredLogarithmicError(); m.update_state([[0.0]], [[np.e - 1]]); round(float(m.result()), 6)
    1.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """Root mean squared error, ``sqrt(mean((y_pred - y_true)²))`` over every element seen.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = RootMeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]]); float(m.result())
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's squared errors to the running mean."""
        y_true, y_pred = as_float_pair(y_true, y_pred)
        super().update_state((y_pred - y_true) ** 2, sample_weight=sample_weight)

    def result(self):
        return self.as_result(np.sqrt(super().result()))


class LogCoshError(MeanMetricWrapper):
    """Mean of ``log(cosh(y_pred - y_true))``: quadratic near 0, linear far away.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = LogCoshError(); m.update_state([[0.0]], [[1000.0]]); float(m.result())
    999.3068528194401
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
