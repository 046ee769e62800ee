"""Activations along an axis: softmax, log_softmax, sparsemax, and glu (which halves it).

Their Jacobians are not diagonal, so each backward contracts ``grad_output`` along
``axis``: softmax ``y (g - Σ g y)``, log_softmax ``g - e^y Σ g``, sparsemax
``s (g - Σ s g / Σ s)`` on its support ``s``; glu's backward maps a gradient of
length d along the axis back to length 2d.
"""

import numpy as np

from layerkit.activations._attach import backward_for
from layerkit.activations.squashing import sigmoid


def softmax(x, axis=-1):
    """Softmax along ``axis``, ``f(x)_i = e^(x_i - max x) / Σ_j e^(x_j - max x)``.

    Subtracting the maximum first keeps every exponent <= 0: no overflow.

    Parameters
    ----------
    x : ndarray
    axis : int
        The axis that sums to one.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@backward_for(softmax)
def _softmax_backward(grad_output, x, y, axis=-1):
    return y * (grad_output - (grad_output * y).sum(axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """Log of the softmax, ``x - max x - log Σ e^(x - max x)``, stable.

    Parameters
    ----------
    x : ndarray
    axis : int
        The axis whose exponentials sum to one.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, at most 0.

    Example
    -------
    >>> np.round(np.exp(log_softmax(np.array([[0.0, 0.0]]))), 3)
    array([[0.5, 0.5]])
    """
    x = np.asarray(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@backward_for(log_softmax)
def _log_softmax_backward(grad_output, x, y, axis=-1):
    return grad_output - np.exp(y) * grad_output.sum(axis=axis, keepdims=True)


def sparsemax(x, axis=-1):
    """Sparsemax (Martins and Astudillo, 2016): the projection of ``x`` onto the simplex.

    ``f(x) = max(x - τ, 0)``, with τ chosen so that the outputs sum to one along
    ``axis``: with ``z`` sorted in decreasing order, ``k`` the largest index with
    ``1 + k z_k > Σ_{j<=k} z_j``, ``τ = (Σ_{j<=k} z_j - 1) / k``. Keras 3.15.1
    computes τ wrongly when more than one entry is positive (keras-team/keras#23425);
    this is the paper's function.

    Parameters
    ----------
    x : ndarray
    axis : int
        The axis that sums to one.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, non-negative, often exactly 0.

    Example
    -------
    >>> sparsemax(np.array([[0.0, 0.5, 1.0], [3.0, 0.0, 0.0]]))
    array([[0.  , 0.25, 0.75],
           [1.  , 0.  , 0.  ]])
    """
    x = np.asarray(x)
    z = np.moveaxis(x, axis, -1)
    descending = -np.sort(-z, axis=-1)
    cumulative = np.cumsum(descending, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    support_size = np.sum(1 + k * descending > cumulative, axis=-1, keepdims=True)
    total = np.take_along_axis(cumulative, support_size - 1, axis=-1)
    tau = (total - 1) / support_size.astype(z.dtype)
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis)


@backward_for(sparsemax)
def _sparsemax_backward(grad_output, x, y, axis=-1):
    support = y > 0
    mean = (grad_output * support).sum(axis=axis, keepdims=True) / support.sum(axis=axis, keepdims=True)
    return support * (grad_output - mean.astype(grad_output.dtype, copy=False))


def glu(x, axis=-1):
    """Gated linear unit, ``f(x) = a sigmoid(b)`` with ``x`` split into halves ``a, b`` on ``axis``.

    The output is half as long as ``x`` along ``axis``; the backward returns
    ``[g sigmoid(b), g a sigmoid(b) (1 - sigmoid(b))]``, as long as ``x``.

    Parameters
    ----------
    x : ndarray
    axis : int
        The axis split in two; its length must be even.

    Returns
    -------
    ndarray
        ``x``'s shape with ``axis`` halved, ``x``'s dtype.

    Raises
    ------
    ValueError
        If the length of ``axis`` is odd.

    Example
    -------
    >>> glu(np.array([[1.0, 2.0, 0.0, 1000.0]]))
    array([[0.5, 2. ]])
    """
    a, b = _halves(x, axis)
    return a * sigmoid(b)


@backward_for(glu)
def _glu_backward(grad_output, x, y, axis=-1):
    a, b = _halves(x, axis)
    gate = sigmoid(b)
    return np.concatenate([grad_output * gate, grad_output * a * gate * (1 - gate)], axis=axis)


def _halves(x, axis):
    x = np.asarray(x)
    if x.shape[axis] % 2 != 0:
        raise ValueError(
            f"glu splits `axis` in two halves, so its size must be divisible by 2. "
            f"Received: x.shape={x.shape} with axis={axis}"
        )
    return np.split(x, 2, axis=axis)
