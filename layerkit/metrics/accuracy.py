"""Accuracy metrics: how often predictions equal, or fall on the side of, the targets.

Each function gives one 0/1 value per element or sample (float64), as Keras's
does; each class is the running mean of its function.
"""

import numbers

import numpy as np

from layerkit.metrics.metric import squeeze_or_expand_to_same_rank
from layerkit.metrics.reduction import MeanMetricWrapper, metric_function


@metric_function
def accuracy(y_true, y_pred):
    """1 where ``y_pred == y_true`` exactly, elementwise.

    Example
    -------
    >>> accuracy(np.array([1, 2, 3]), np.array([1, 2, 4]))
    array([1., 1., 0.])
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(np.asarray(y_true, dtype=np.float64),
                                                    np.asarray(y_pred, dtype=np.float64))
    return (y_true == y_pred).astype(np.float64)


@metric_function
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where ``(y_pred > threshold)`` equals the 0/1 target, elementwise.

    Example
    -------
    >>> binary_accuracy(np.array([[1], [0]]), np.array([[0.7], [0.6]]))
    array([[1.],
           [0.]])
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(np.asarray(y_true, dtype=np.float64),
                                                    np.asarray(y_pred, dtype=np.float64))
    return (y_true == (y_pred > threshold)).astype(np.float64)


@metric_function
def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == argmax(y_true)`` (one-hot targets), per sample.

    Example
    -------
    >>> categorical_accuracy(np.array([[0, 1], [1, 0]]), np.array([[0.3, 0.7], [0.4, 0.6]]))
    array([1., 0.])
    """
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


@metric_function
def sparse_categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred)`` equals the integer label, per sample.

    Labels of shape ``(N,)`` or ``(N, 1)`` both give ``(N,)``.

    Example
    -------
    >>> sparse_categorical_accuracy(np.array([[1], [0]]), np.array([[0.3, 0.7], [0.4, 0.6]]))
    array([1., 0.])
    """
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true, dtype=np.float64)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true == np.argmax(y_pred, axis=-1)).astype(np.float64)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal the targets exactly, ``mean(y_pred == y_true)``.

    (In ``compile``, the string ``"accuracy"`` picks binary, categorical or
    sparse categorical accuracy from the shapes instead, as in Keras.)

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = Accuracy(); m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 targets, ``mean([ŷ > t] == y)``.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    threshold : float
        The prediction counts as 1 above it (0.5).

    Raises
    ------
    ValueError
        If ``threshold`` is not a number.

    Example
    -------
    >>> m = BinaryAccuracy(); m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise ValueError(f"Argument `threshold` must be a number. Received: threshold={threshold!r}")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction is the one-hot target's class.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction is the integer label.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
