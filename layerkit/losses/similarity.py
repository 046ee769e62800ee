"""Cosine similarity as a loss: minus the cosine of the angle between target and prediction."""

import numpy as np

from layerkit import backend
from layerkit.losses.arguments import check_axis, normalize_axes
from layerkit.losses.loss import Loss


def _inverse_norm(x, axis):
    """``(r, flow)``: Keras's ``r = min(1/||x||, 1/ε)`` and how much of ``dr/dx`` flows (1, ½ or 0)."""
    square_sum = np.sum(x * x, axis=axis, keepdims=True)
    root = np.sqrt(square_sum)
    inverse = np.divide(1.0, root, out=np.full_like(root, np.inf), where=root > 0)
    cap = 1.0 / backend.epsilon()
    flow = np.where(inverse < cap, 1.0, np.where(inverse == cap, 0.5, 0.0)).astype(x.dtype)
    return np.minimum(inverse, cap), flow


class CosineSimilarity(Loss):
    """Cosine similarity loss, ``l = -sum(ŷ/||ŷ|| · y/||y||)`` along ``axis``.

    Between -1 (same direction) and 1 (opposite); 0 when either vector is zero.
    As in Keras each vector is scaled by ``min(1/||x||, 1/ε)`` (ε =
    ``backend.epsilon()``), so vectors shorter than ε are not blown up. With
    ``u = ŷ/||ŷ||`` the gradient is ``dl/dŷ = -(t - (t·u) u) / ||ŷ||`` (t the
    normalised target): 0 when the vectors are aligned, and ``-t / ε`` below
    the ε floor, where Keras's scale is the constant ``1/ε``.

    Parameters
    ----------
    axis : int
        The axis along which the cosine is taken (the features axis), default -1.
    reduction, name, dtype
        As for :class:`Loss`.

    Raises
    ------
    ValueError
        If ``axis`` is not an int.

    Example
    -------
    >>> loss = CosineSimilarity(reduction="none")
    >>> loss(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [-1.0, -1.0]]))
    array([-1.,  1.])
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = check_axis(axis)

    def reduced_axes(self, ndim):
        return normalize_axes(self.axis, ndim)

    def call(self, y_true, y_pred):
        target = y_true * _inverse_norm(y_true, self.axis)[0]
        return -np.sum(target * y_pred * _inverse_norm(y_pred, self.axis)[0], axis=self.axis)

    def backward(self, y_true, y_pred):
        target = y_true * _inverse_norm(y_true, self.axis)[0]
        inverse, flow = _inverse_norm(y_pred, self.axis)
        unit = y_pred * inverse
        cosine = np.sum(target * unit, axis=self.axis, keepdims=True)
        return -inverse * (target - flow * cosine * unit)

    def get_config(self):
        # Keras 3.15 leaves `axis` out of its config (a round trip loses it); it is kept here.
        return {**super().get_config(), "axis": self.axis}


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample cosine similarity loss, ``-sum(l2_normalize(y) · l2_normalize(ŷ), axis)``.

    Example
    -------
    >>> np.round(cosine_similarity(np.array([[0.0, 1.0], [1.0, 1.0]]),
    ...                            np.array([[1.0, 0.0], [1.0, 1.0]])), 6) + 0.0
    array([ 0., -1.])
    """
    return CosineSimilarity(axis=axis).values(y_true, y_pred)
