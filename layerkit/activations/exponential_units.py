"""Exponential units: elu, selu, celu, and the plain exponential.

The negative branches are computed on ``min(x, 0)`` so that ``expm1`` never sees a
large positive argument: finite and silent for any |x|.
"""

import numpy as np

from layerkit.activations._attach import backward_for

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def elu(x, alpha=1.0):
    """Exponential linear unit, ``f(x) = x`` for x > 0 and ``alpha * (e^x - 1)`` otherwise.

    Derivative: 1 for x > 0, ``alpha * e^x = f(x) + alpha`` otherwise.

    Parameters
    ----------
    x : ndarray
    alpha : float
        Value the negative branch saturates to (``-alpha``).

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> elu(np.array([0.0, 1.0]))
    array([0., 1.])
    """
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


@backward_for(elu)
def _elu_backward(grad_output, x, y, alpha=1.0):
    return np.where(x > 0, grad_output, grad_output * (y + alpha))


def selu(x):
    """Scaled ELU, ``f(x) = scale * elu(x, alpha)`` with Klambauer et al.'s constants.

    ``alpha = 1.6732632...`` and ``scale = 1.0507009...``, as in Keras.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> float(selu(np.array([1.0]))[0])
    1.0507009873554805
    """
    return SELU_SCALE * elu(x, SELU_ALPHA)


@backward_for(selu)
def _selu_backward(grad_output, x, y):
    return np.where(x > 0, SELU_SCALE * grad_output, grad_output * (y + SELU_SCALE * SELU_ALPHA))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU, ``f(x) = max(x, 0) + alpha * (e^(min(x, 0) / alpha) - 1)``.

    Derivative: 1 for x > 0, ``e^(x / alpha)`` otherwise (continuous at 0).

    Parameters
    ----------
    x : ndarray
    alpha : float
        Non-zero scale of the negative branch.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> np.round(celu(np.array([-1.0, 2.0]), alpha=2.0), 4)
    array([-0.7869,  2.    ])
    """
    x = np.asarray(x)
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha)


@backward_for(celu)
def _celu_backward(grad_output, x, y, alpha=1.0):
    return np.where(x > 0, grad_output, grad_output * np.exp(np.minimum(x, 0) / alpha))


def exponential(x):
    """Exponential, ``f(x) = e^x`` (overflows to inf for x > ~88 in float32, as it must).

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> exponential(np.array([0.0]))
    array([1.])
    """
    return np.exp(x)


@backward_for(exponential)
def _exponential_backward(grad_output, x, y):
    return grad_output * y
