"""Top-k accuracy: how often the target class is among the ``k`` highest predictions.

A class is in the top ``k`` when its score is at least the k-th largest score
(ties count in, as in Keras); with ``k`` at least the number of classes every
class is.
"""

import numbers

import numpy as np

from layerkit.metrics.reduction import MeanMetricWrapper, metric_function


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"Argument `k` must be a positive integer. Received: k={k!r}")
    return int(k)


def in_top_k(labels, scores, k):
    """Whether each integer label is among the ``k`` highest of its row of ``scores``.

    Parameters
    ----------
    labels : ndarray of int, shape (N,)
    scores : ndarray, shape (N, C)
    k : int

    Raises
    ------
    ValueError
        For a label outside ``[0, C)``.

    Example
    -------
    >>> in_top_k(np.array([0, 1]), np.array([[0.5, 0.2, 0.3], [0.5, 0.2, 0.3]]), 2)
    array([ True, False])
    """
    num_classes = scores.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"Labels must be in [0, {num_classes}) for predictions of {num_classes} "
                         f"classes. Received label {bad}.")
    if k >= num_classes:
        return np.ones(labels.shape, dtype=bool)
    kth_largest = np.partition(scores, num_classes - k, axis=-1)[:, num_classes - k]
    return np.take_along_axis(scores, labels[:, None], axis=-1)[:, 0] >= kth_largest


@metric_function
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot target's class is among the ``k`` highest predictions, per sample.

    Example
    -------
    >>> top_k_categorical_accuracy(np.array([[0, 0, 1], [0, 1, 0]]),
    ...                            np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]), k=1)
    array([0., 1.])
    """
    labels = np.argmax(y_true, axis=-1)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    matches = in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), _check_k(k))
    return matches.reshape(labels.shape).astype(np.float64)


@metric_function
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where the integer label is among the ``k`` highest predictions, per sample.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted from the
    highest score down, and the label must be among its first ``k``.

    Example
    -------
    >>> sparse_top_k_categorical_accuracy(np.array([2, 1]),
    ...                                   np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]), k=1)
    array([0., 1.])
    """
    k = _check_k(k)
    y_pred = np.asarray(y_pred)
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        y_true = np.asarray(y_true, dtype=y_pred.dtype)
        matches = np.any(y_true.reshape(-1)[:, None] == y_pred[:, :k], axis=1)
    else:
        y_true = np.asarray(y_true).astype(np.int64)
        matches = in_top_k(y_true.reshape(-1), y_pred.astype(np.float64), k)
    return matches.reshape(y_true.shape).astype(np.float64)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target's class is among the ``k`` highest predictions.

    Parameters
    ----------
    k : int
        How many of the highest predictions count (5).
    name, dtype
        As for :class:`Metric`.

    Raises
    ------
    ValueError
        If ``k`` is not a positive integer.

    Example
    -------
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=_check_k(k))
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Parameters
    ----------
    k : int
        How many of the highest predictions count (5).
    name, dtype
        As for :class:`Metric`.
    from_sorted_ids : bool
        Whether ``y_pred`` holds the top class ids, best first, rather than scores.

    Raises
    ------
    ValueError
        If ``k`` is not a positive integer.

    Example
    -------
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=_check_k(k),
                         from_sorted_ids=from_sorted_ids)
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
