"""Losses between distributions and rates: Kullback-Leibler divergence and Poisson."""

import numpy as np

from layerkit import backend
from layerkit.losses.loss import Loss


class KLDivergence(Loss):
    """Kullback-Leibler divergence, ``l = sum(y log(y / ŷ))`` over the last axis.

    Both ``y`` and ``ŷ`` are clipped to ``[ε, 1]`` first (ε = ``backend.epsilon()``),
    as in Keras, so zeros and values above 1 stay finite. Per sample
    ``dl/dŷ = -y / ŷ`` where ``ε ≤ ŷ ≤ 1`` and 0 outside (the clip's gradient,
    the bounds included as in Keras).

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = KLDivergence()
    >>> round(float(loss(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]))), 6)
    0.143841
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        eps = backend.epsilon()
        target = np.clip(y_true, eps, 1)
        return np.sum(target * np.log(target / np.clip(y_pred, eps, 1)), axis=-1)

    def backward(self, y_true, y_pred):
        eps = backend.epsilon()
        inside = (y_pred >= eps) & (y_pred <= 1)
        return np.where(inside, -np.clip(y_true, eps, 1) / np.clip(y_pred, eps, 1), 0.0)


class Poisson(Loss):
    """Poisson loss, ``l = mean(ŷ - y log(ŷ + ε))``, for a predicted rate ``ŷ ≥ 0``.

    Per sample ``dl/dŷ = (1 - y / (ŷ + ε)) / D``. A zero rate is fine (the ε);
    below ``-ε`` the logarithm is undefined and the value and gradient are NaN
    (as in Keras), quietly: training then stops on the non-finite loss.

    Parameters
    ----------
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = Poisson()
    >>> round(float(loss(np.array([[2.0]]), np.array([[1.0]]))), 6)
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        shifted = y_pred + backend.epsilon()
        log_rate = np.log(shifted, out=np.full_like(shifted, np.nan), where=shifted > 0)
        return np.mean(y_pred - y_true * log_rate, axis=-1)

    def backward(self, y_true, y_pred):
        shifted = y_pred + backend.epsilon()
        ratio = np.divide(y_true, shifted, out=np.full_like(shifted, np.nan), where=shifted > 0)
        return (1 - ratio) / y_pred.shape[-1]


def kl_divergence(y_true, y_pred):
    """Per-sample KL divergence, ``sum(y log(y / ŷ), axis=-1)``, both clipped to ``[ε, 1]``.

    Example
    -------
    >>> np.round(kl_divergence(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])), 6)
    array([0.693147])
    """
    return KLDivergence().values(y_true, y_pred)


def poisson(y_true, y_pred):
    """Per-sample Poisson loss, ``mean(ŷ - y log(ŷ + ε), axis=-1)``.

    Example
    -------
    >>> np.round(poisson(np.array([[1.0, 0.0]]), np.array([[1.0, 2.0]])), 6)
    array([1.5])
    """
    return Poisson().values(y_true, y_pred)
