"""Hinge losses, for maximum-margin classifiers: hinge, squared hinge and categorical hinge.

At a hinge's kink (margin exactly 0) the gradient is the middle of the
subgradient interval, half the slope: what Keras's ``maximum`` gives there.
"""

import numpy as np

from layerkit.losses.loss import Loss


def _signed_labels(y_true):
    """Keras's rule: when every label is 0 or 1, they become -1 and 1; otherwise they are kept."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _flow(margin):
    """How much of ``max(margin, 0)``'s slope flows: 1 above the kink, ½ on it, 0 below."""
    return np.where(margin > 0, 1.0, np.where(margin == 0, 0.5, 0.0)).astype(margin.dtype)


class Hinge(Loss):
    """Hinge loss, ``l = mean(max(1 - y ŷ, 0))`` for labels ``y`` in {-1, 1}.

    Labels in {0, 1} (every label of the batch) are turned into {-1, 1}, as in
    Keras. Per sample ``dl/dŷ = -y / D`` where the margin ``1 - y ŷ`` is
    positive, 0 where it is negative, ``-y / (2D)`` on the kink.

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = Hinge()
    >>> float(loss(np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])))
    0.75
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return np.mean(np.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)

    def backward(self, y_true, y_pred):
        labels = _signed_labels(y_true)
        return -labels * _flow(1.0 - labels * y_pred) / y_pred.shape[-1]


class SquaredHinge(Loss):
    """Squared hinge loss, ``l = mean(max(1 - y ŷ, 0)²)`` for labels in {-1, 1}.

    Labels in {0, 1} become {-1, 1}, as in Keras. Per sample
    ``dl/dŷ = -2 y max(1 - y ŷ, 0) / D``: continuous, no kink.

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = SquaredHinge()
    >>> float(loss(np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])))
    1.125
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        margin = np.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)
        return np.mean(margin * margin, axis=-1)

    def backward(self, y_true, y_pred):
        labels = _signed_labels(y_true)
        return -2.0 * labels * np.maximum(1.0 - labels * y_pred, 0.0) / y_pred.shape[-1]


class CategoricalHinge(Loss):
    """Categorical hinge loss, ``l = max(neg - pos + 1, 0)`` for one-hot targets.

    ``pos = sum(y ŷ)`` is the true class's score and ``neg = max((1 - y) ŷ)``
    the best other score. Per sample ``dl/dŷ = -y + (1 - y) m`` where the
    margin is positive (``m`` is 1 at the best other class, shared equally
    among ties as Keras's ``max`` shares it), 0 where it is negative, and half
    of that on the kink.

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = CategoricalHinge()
    >>> float(loss(np.array([[0.0, 1.0, 0.0]]), np.array([[0.2, 0.7, 0.4]])))
    0.7
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _scores(self, y_true, y_pred):
        others = (1.0 - y_true) * y_pred
        neg = np.max(others, axis=-1, keepdims=True)
        return others, neg, neg[..., 0] - np.sum(y_true * y_pred, axis=-1) + 1.0

    def call(self, y_true, y_pred):
        return np.maximum(self._scores(y_true, y_pred)[2], 0.0)

    def backward(self, y_true, y_pred):
        others, neg, margin = self._scores(y_true, y_pred)
        best = (others == neg).astype(y_pred.dtype)
        best /= best.sum(axis=-1, keepdims=True)
        return _flow(margin)[..., None] * ((1.0 - y_true) * best - y_true)


def hinge(y_true, y_pred):
    """Per-sample hinge loss, ``mean(max(1 - y ŷ, 0), axis=-1)``; {0, 1} labels become {-1, 1}.

    Example
    -------
    >>> hinge(np.array([[-1.0, 1.0]]), np.array([[0.5, 2.0]]))
    array([0.75])
    """
    return Hinge().values(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """Per-sample squared hinge loss, ``mean(max(1 - y ŷ, 0)², axis=-1)``.

    Example
    -------
    >>> squared_hinge(np.array([[-1.0, 1.0]]), np.array([[0.5, 2.0]]))
    array([1.125])
    """
    return SquaredHinge().values(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """Per-sample categorical hinge loss, ``max(max((1 - y) ŷ) - sum(y ŷ) + 1, 0)``.

    Example
    -------
    >>> np.round(categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.3, 0.5]])), 6)
    array([0.8])
    """
    return CategoricalHinge().values(y_true, y_pred)
