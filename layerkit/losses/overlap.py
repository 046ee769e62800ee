"""Overlap losses for segmentation: Dice and Tversky, one minus a soft overlap ratio.

Both reduce over ``axis`` (None: every axis, one value for the whole batch, as
in Keras; ``(1, 2)`` for a value per image of ``(N, H, W)`` masks). A value for
the whole batch cannot take a weight per sample: such a ``sample_weight`` is
refused rather than broadcast.
"""

import numpy as np

from layerkit import backend
from layerkit.losses.arguments import check_axis, check_non_negative, normalize_axes
from layerkit.losses.loss import Loss


class Dice(Loss):
    """Dice loss, ``l = 1 - 2 sum(y ŷ) / (sum(y) + sum(ŷ) + ε)`` over ``axis``.

    With ``I = sum(y ŷ)`` and ``S = sum(y) + sum(ŷ) + ε`` the gradient is
    ``dl/dŷ = -2 (y S - I) / S²``.

    Parameters
    ----------
    reduction, name
        As for :class:`Loss`.
    axis : int, tuple of int or None
        The axes summed over; None (default) sums over all of them.
    dtype
        As for :class:`Loss`.

    Raises
    ------
    ValueError
        If ``axis`` is not an int, a tuple of ints or None.

    Example
    -------
    >>> loss = Dice(axis=1, reduction="none")
    >>> np.round(loss(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [0.5, 0.0]])), 6)
    array([0. , 0.6])
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = check_axis(axis, allow_none=True)

    def reduced_axes(self, ndim):
        return normalize_axes(self.axis, ndim)

    def _sums(self, y_true, y_pred):
        intersection = np.sum(y_true * y_pred, axis=self.axis)
        return intersection, np.sum(y_true, axis=self.axis) + np.sum(
            y_pred, axis=self.axis) + backend.epsilon()

    def call(self, y_true, y_pred):
        intersection, total = self._sums(y_true, y_pred)
        return np.asarray(1 - 2.0 * intersection / total)

    def backward(self, y_true, y_pred):
        intersection, total = self._sums(y_true, y_pred)
        axes = self.reduced_axes(y_pred.ndim)
        intersection, total = np.expand_dims(intersection, axes), np.expand_dims(total, axes)
        return -2.0 * (y_true * total - intersection) / (total * total)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Tversky(Loss):
    """Tversky loss, ``l = 1 - I / (I + α F + β G + ε)`` over ``axis``.

    As in Keras's code: ``I = sum(y ŷ)``, ``F = sum((1 - ŷ) y)`` (weighted by
    ``alpha``) and ``G = sum(ŷ (1 - y))`` (weighted by ``beta``); α = β = ½ is
    the Dice loss. With ``T = I + α F + β G + ε`` the gradient is
    ``dl/dŷ = -(y T - I (y - α y + β (1 - y))) / T²``.

    Parameters
    ----------
    alpha, beta : float
        The weights of the two kinds of error, >= 0, default 0.5.
    reduction, name
        As for :class:`Loss`.
    axis : int, tuple of int or None
        The axes summed over; None (default) sums over all of them.
    dtype
        As for :class:`Loss`.

    Raises
    ------
    ValueError
        For a negative ``alpha`` or ``beta``, or a bad ``axis``.

    Example
    -------
    >>> loss = Tversky(alpha=0.5, beta=0.5, axis=1, reduction="none")
    >>> np.round(loss(np.array([[1.0, 1.0]]), np.array([[0.5, 0.0]])), 6)
    array([0.6])
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha = check_non_negative("alpha", alpha)
        self.beta = check_non_negative("beta", beta)
        self.axis = check_axis(axis, allow_none=True)

    def reduced_axes(self, ndim):
        return normalize_axes(self.axis, ndim)

    def _sums(self, y_true, y_pred):
        intersection = np.sum(y_true * y_pred, axis=self.axis)
        misses = np.sum((1 - y_pred) * y_true, axis=self.axis)
        extras = np.sum(y_pred * (1 - y_true), axis=self.axis)
        return intersection, intersection + misses * self.alpha + extras * self.beta + backend.epsilon()

    def call(self, y_true, y_pred):
        intersection, total = self._sums(y_true, y_pred)
        return np.asarray(1 - intersection / total)

    def backward(self, y_true, y_pred):
        intersection, total = self._sums(y_true, y_pred)
        axes = self.reduced_axes(y_pred.ndim)
        intersection, total = np.expand_dims(intersection, axes), np.expand_dims(total, axes)
        d_total = y_true * (1 - self.alpha) + self.beta * (1 - y_true)
        return -(y_true * total - intersection * d_total) / (total * total)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta, "axis": self.axis}


def dice(y_true, y_pred, axis=None):
    """The Dice loss, ``1 - 2 sum(y ŷ) / (sum(y) + sum(ŷ) + ε)`` over ``axis``.

    Example
    -------
    >>> round(float(dice(np.array([[1.0, 1.0]]), np.array([[0.5, 0.0]]))), 6)
    0.6
    """
    return Dice(axis=axis).values(y_true, y_pred)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """The Tversky loss, ``1 - I / (I + α F + β G + ε)`` over ``axis`` (see :class:`Tversky`).

    Example
    -------
    >>> round(float(tversky(np.array([[1.0, 1.0]]), np.array([[0.5, 0.0]]), alpha=0.7,
    ...                     beta=0.3)), 6)
    0.677419
    """
    return Tversky(alpha=alpha, beta=beta, axis=axis).values(y_true, y_pred)
