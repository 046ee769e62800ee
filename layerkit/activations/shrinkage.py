"""Shrinkage functions: tanh_shrink, soft_shrink, hard_shrink.

They pull small inputs towards 0: ``x - tanh(x)`` smoothly, the other two by
zeroing the band ``[-threshold, threshold]``.
"""

import numpy as np

from layerkit.activations._attach import backward_for


def tanh_shrink(x):
    """Tanh shrink, ``f(x) = x - tanh(x)``; derivative ``tanh(x)²``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> np.round(tanh_shrink(np.array([-1.0, 0.0, 2.0])), 6)
    array([-0.238406,  0.      ,  1.035972])
    """
    x = np.asarray(x)
    return x - np.tanh(x)


@backward_for(tanh_shrink)
def _tanh_shrink_backward(grad_output, x, y):
    t = np.tanh(x)
    return grad_output * t * t


def soft_shrink(x, threshold=0.5):
    """Soft shrink, ``f(x) = sign(x) max(|x| - threshold, 0)``; derivative 1 outside the band.

    Parameters
    ----------
    x : ndarray
    threshold : float
        Half-width of the band mapped to 0.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> soft_shrink(np.array([-2.0, 0.25, 1.5]))
    array([-1.5,  0. ,  1. ])
    """
    x = np.asarray(x)
    y = np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0))
    return y.astype(x.dtype, copy=False)


@backward_for(soft_shrink)
def _soft_shrink_backward(grad_output, x, y, threshold=0.5):
    return grad_output * (np.abs(x) > threshold)


def hard_shrink(x, threshold=0.5):
    """Hard shrink, ``f(x) = x`` for |x| > threshold and 0 otherwise; derivative 1 outside the band.

    The function jumps at ``±threshold``; the derivative there is taken as 0.

    Parameters
    ----------
    x : ndarray
    threshold : float
        Half-width of the band mapped to 0.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> hard_shrink(np.array([-2.0, 0.25, 1.5]))
    array([-2. ,  0. ,  1.5])
    """
    x = np.asarray(x)
    return np.where(np.abs(x) > threshold, x, 0).astype(x.dtype, copy=False)


@backward_for(hard_shrink)
def _hard_shrink_backward(grad_output, x, y, threshold=0.5):
    return grad_output * (np.abs(x) > threshold)
