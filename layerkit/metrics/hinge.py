"""Hinge metrics: the running means of the hinge, squared hinge and categorical hinge.

Hinge targets are -1 or 1; a batch whose targets are all 0 or 1 is converted
to -1/1 first (``2y - 1``), as Keras does.
"""

import numpy as np

from layerkit.metrics.reduction import MeanMetricWrapper, metric_function


def _hinge_pair(y_true, y_pred):
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)
    if np.all((y_true == 0) | (y_true == 1)):
        y_true = 2.0 * y_true - 1.0
    return y_true, y_pred


@metric_function
def hinge(y_true, y_pred):
    """Per-sample ``mean(max(1 - y·ŷ, 0), axis=-1)``.

    Example
    -------
    >>> hinge(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))
    array([1.])
    """
    y_true, y_pred = _hinge_pair(y_true, y_pred)
    return np.mean(np.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@metric_function
def squared_hinge(y_true, y_pred):
    """Per-sample ``mean(max(1 - y·ŷ, 0)², axis=-1)``.

    Example
    -------
    >>> squared_hinge(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))
    array([1.25])
    """
    y_true, y_pred = _hinge_pair(y_true, y_pred)
    return np.mean(np.maximum(1.0 - y_true * y_pred, 0.0) ** 2, axis=-1)


@metric_function
def categorical_hinge(y_true, y_pred):
    """Per-sample ``max(neg - pos + 1, 0)``, ``pos = Σ y·ŷ``, ``neg = max((1 - y)·ŷ)`` (one-hot y).

    Example
    -------
    >>> categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.3, 0.6]]))
    array([0.7])
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)
    positive = np.sum(y_true * y_pred, axis=-1)
    negative = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(negative - positive + 1.0, 0.0)


class Hinge(MeanMetricWrapper):
    """Mean hinge ``max(1 - y·ŷ, 0)`` (targets -1/1, or 0/1 converted).

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = Hinge(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]); float(m.result())
    1.3
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SquaredHinge(MeanMetricWrapper):
    """Mean squared hinge ``max(1 - y·ŷ, 0)²`` (targets -1/1, or 0/1 converted).

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = SquaredHinge(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 6)
    1.86
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class CategoricalHinge(MeanMetricWrapper):
    """Mean categorical hinge ``max(max_{wrong} ŷ - ŷ_{right} + 1, 0)`` for one-hot targets.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = CategoricalHinge(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 6)
    1.4
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
