"""Probabilistic metrics: cross-entropies, KL divergence and Poisson, as running means.

The cross-entropy functions are :mod:`layerkit.losses`'s, computed in float64
(probabilities clipped to ``[ε, 1 - ε]``, logits through a stable log-softmax).
"""

import numpy as np

from layerkit import backend, losses
from layerkit.metrics.metric import as_float_pair, squeeze_or_expand_to_same_rank
from layerkit.metrics.reduction import MeanMetricWrapper, metric_function


@metric_function
def kl_divergence(y_true, y_pred):
    """Per-sample Kullback-Leibler divergence ``Σ y log(y / ŷ)``, both clipped to ``[ε, 1]``.

    Example
    -------
    >>> np.round(kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])), 4)
    array([0.1438])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    y_true = np.clip(y_true, backend.epsilon(), 1)
    y_pred = np.clip(y_pred, backend.epsilon(), 1)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


@metric_function
def poisson(y_true, y_pred):
    """Per-sample Poisson deviance term ``mean(ŷ - y log(ŷ + ε), axis=-1)`` (NaN for ``ŷ < -ε``).

    Example
    -------
    >>> np.round(poisson(np.array([[1.0, 0.0]]), np.array([[1.0, 2.0]])), 4)
    array([1.5])
    """
    y_true, y_pred = as_float_pair(y_true, y_pred)
    with np.errstate(invalid="ignore"):  # a negative rate has no logarithm: NaN, as in Keras
        return np.mean(y_pred - y_true * np.log(y_pred + backend.epsilon()), axis=-1)


@metric_function
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy ``-mean(y log p + (1 - y) log(1 - p), axis=-1)``.

    Example
    -------
    >>> np.round(binary_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.4, 0.6]])), 4)
    array([0.5108])
    """
    return losses.binary_crossentropy(y_true, np.asarray(y_pred, dtype=np.float64), from_logits=from_logits,
                                      label_smoothing=label_smoothing, axis=axis)


@metric_function
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical cross-entropy ``-Σ y log p`` for one-hot (or soft) targets.

    Example
    -------
    >>> np.round(categorical_crossentropy(np.array([[0, 1, 0]]), np.array([[0.05, 0.95, 0.0]])), 4)
    array([0.0513])
    """
    return losses.categorical_crossentropy(y_true, np.asarray(y_pred, dtype=np.float64),
                                           from_logits=from_logits, label_smoothing=label_smoothing,
                                           axis=axis)


def _labels_and_kept(y_true, y_pred, ignore_class):
    """Integer labels of shape ``y_pred.shape[:-1]`` and where they are not ``ignore_class``."""
    labels = np.asarray(y_true)
    if labels.ndim == np.ndim(y_pred) and labels.shape[-1] == 1:
        labels = labels[..., 0]
    kept = np.ones(labels.shape, dtype=bool) if ignore_class is None else labels != ignore_class
    return labels, kept


@metric_function
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample cross-entropy ``-log p[label]`` for integer labels; 0 for ``ignore_class``.

    Example
    -------
    >>> np.round(sparse_categorical_crossentropy(np.array([1, 2]), np.array([[0.05, 0.95, 0.0],
    ...          [0.1, 0.8, 0.1]]), ignore_class=2), 4)
    array([0.0513, 0.    ])
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    labels, kept = _labels_and_kept(y_true, y_pred, ignore_class)
    values = losses.sparse_categorical_crossentropy(np.where(kept, labels, 0), y_pred,
                                                    from_logits=from_logits, axis=axis)
    return np.where(kept, values, 0.0)


class KLDivergence(MeanMetricWrapper):
    """Mean Kullback-Leibler divergence ``Σ y log(y / ŷ)`` of predictions from targets.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = KLDivergence(); m.update_state([[0.5, 0.5]], [[0.25, 0.75]]); round(float(m.result()), 4)
    0.1438
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class Poisson(MeanMetricWrapper):
    """Mean Poisson term ``ŷ - y log ŷ`` (predictions are rates, >= 0).

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = Poisson(); m.update_state([[1.0, 0.0]], [[1.0, 2.0]]); round(float(m.result()), 4)
    1.5
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean binary cross-entropy, ``-mean(y log p + (1 - y) log(1 - p))``.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    from_logits : bool
        Whether predictions are logits.
    label_smoothing : float
        In [0, 1]: targets become ``y (1 - s) + s / 2``.

    Example
    -------
    >>> m = BinaryCrossentropy(); m.update_state([[0.0, 1.0]], [[0.4, 0.6]]); round(float(m.result()), 4)
    0.5108
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean categorical cross-entropy ``-Σ y log p`` for one-hot (or soft) targets.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    from_logits : bool
        Whether predictions are logits.
    label_smoothing : float
        In [0, 1]: targets become ``y (1 - s) + s / K``.
    axis : int
        The class axis (only -1).

    Example
    -------
    >>> m = CategoricalCrossentropy(); m.update_state([[0, 1, 0]], [[0.05, 0.95, 0]])
    >>> round(float(m.result()), 4)
    0.0513
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
                 axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean cross-entropy ``-log p[label]`` for integer labels.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.
    from_logits : bool
        Whether predictions are logits.
    ignore_class : int, optional
        Samples with this label are left out of the mean (with or without
        sample weights; Keras leaves them out only when weights are given).
    axis : int
        The class axis (only -1).

    Example
    -------
    >>> m = SparseCategoricalCrossentropy(ignore_class=2)
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]); round(float(m.result()), 4)
    0.0513
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's cross-entropies; ignored samples weigh nothing."""
        if self.ignore_class is not None:
            _, kept = _labels_and_kept(y_true, y_pred, self.ignore_class)
            kept = kept.astype(np.float64)
            if sample_weight is not None:
                kept, weights = squeeze_or_expand_to_same_rank(kept, np.asarray(sample_weight, np.float64))
                kept = kept * weights
            sample_weight = kept
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}
