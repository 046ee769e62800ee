"""Smooth rectifiers: softplus, sparse_plus, squareplus, silu (swish), hard_silu, gelu, mish.

Each tends to ``max(x, 0)`` for large |x| and is computed so that |x| = 1000 gives
finite values and derivatives with no warning: softplus as
``max(x, 0) + log1p(e^-|x|)``, squareplus without the cancellation of
``x + sqrt(x² + b)`` for negative x, gelu's CDF from :mod:`._normal`.
"""

import math

import numpy as np

from layerkit.activations._attach import backward_for
from layerkit.activations._normal import normal_cdf, normal_pdf
from layerkit.activations.squashing import sigmoid


def softplus(x):
    """Softplus, ``f(x) = log(1 + e^x)``, computed as ``max(x, 0) + log1p(e^-|x|)``.

    Derivative: ``sigmoid(x)``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, positive.

    Example
    -------
    >>> softplus(np.array([1000.0]))
    array([1000.])
    """
    x = np.asarray(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@backward_for(softplus)
def _softplus_backward(grad_output, x, y):
    return grad_output * sigmoid(x)


def sparse_plus(x):
    """SparsePlus: 0 for x <= -1, ``(x + 1)² / 4`` on (-1, 1), ``x`` for x >= 1.

    Derivative: 0, ``(x + 1) / 2``, 1 (continuous).

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> sparse_plus(np.array([-2.0, 0.0, 3.0]))
    array([0.  , 0.25, 3.  ])
    """
    x = np.asarray(x)
    inside = np.clip(x, -1, 1) + 1
    return np.where(x >= 1, x, inside * inside / 4).astype(x.dtype, copy=False)


@backward_for(sparse_plus)
def _sparse_plus_backward(grad_output, x, y):
    return grad_output * np.where(x >= 1, 1, (np.clip(x, -1, 1) + 1) / 2).astype(grad_output.dtype)


def squareplus(x, b=4):
    """Squareplus, ``f(x) = (x + sqrt(x² + b)) / 2``; derivative ``f(x) / sqrt(x² + b)``.

    For x < 0 it is computed as ``b / (2 (sqrt(x² + b) - x))``, the same number
    without the cancellation of two nearly equal terms.

    Parameters
    ----------
    x : ndarray
    b : float
        Smoothness, >= 0 (0 gives the ReLU).

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, positive.

    Raises
    ------
    ValueError
        If ``b`` is negative.

    Example
    -------
    >>> squareplus(np.array([-1.5, 0.0, 1.5]), b=4)
    array([0.5, 1. , 2. ])
    """
    if not b >= 0:
        raise ValueError(f"Argument `b` of squareplus must be >= 0. Received: b={b}")
    x = np.asarray(x)
    root = np.sqrt(x * x + b)
    denominator = root + np.abs(x)  # = sqrt(x² + b) - x where x < 0
    negative = b / (2 * np.where(denominator > 0, denominator, 1))
    return np.where(x >= 0, (x + root) / 2, negative).astype(x.dtype, copy=False)


@backward_for(squareplus)
def _squareplus_backward(grad_output, x, y, b=4):
    root = np.sqrt(x * x + b)
    return grad_output * (y / np.where(root > 0, root, 1))


def silu(x):
    """Sigmoid linear unit (swish), ``f(x) = x sigmoid(x)``.

    Derivative: ``s + x s (1 - s)`` with ``s = sigmoid(x)``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> silu(np.array([0.0]))
    array([0.])
    """
    return x * sigmoid(x)


@backward_for(silu)
def _silu_backward(grad_output, x, y):
    s = sigmoid(x)
    return grad_output * (s + x * s * (1 - s))


def hard_silu(x):
    """Hard SiLU (hard swish), ``f(x) = x clip(x / 6 + 1/2, 0, 1)``.

    0 for x <= -3, ``x (x + 3) / 6`` on (-3, 3), ``x`` for x >= 3; derivative
    0, ``(2x + 3) / 6``, 1.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> hard_silu(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([-0.   ,  0.   ,  1.125,  4.   ])
    """
    x = np.asarray(x)
    return x * np.clip(x / 6 + 0.5, 0, 1)


@backward_for(hard_silu)
def _hard_silu_backward(grad_output, x, y):
    inside = (2 * np.clip(x, -3, 3) + 3) / 6
    return grad_output * np.where(x >= 3, 1, np.where(x <= -3, 0, inside)).astype(grad_output.dtype)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715


def gelu(x, approximate=False):
    """Gaussian error linear unit, ``f(x) = x Φ(x)`` with Φ the standard normal CDF.

    Exact: ``Φ(x) = (1 + erf(x / √2)) / 2``, derivative ``Φ(x) + x φ(x)``.
    With ``approximate=True``: ``Φ(x) ≈ (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2``,
    differentiated as written.

    Parameters
    ----------
    x : ndarray
    approximate : bool
        Use the tanh approximation.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> np.round(gelu(np.array([-1.0, 0.0, 1.0])), 6)
    array([-0.158655,  0.      ,  0.841345])
    """
    x = np.asarray(x)
    if approximate:
        u = _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)
        return x * (1 + np.tanh(u)) / 2
    return (x * normal_cdf(x)).astype(x.dtype, copy=False)


@backward_for(gelu)
def _gelu_backward(grad_output, x, y, approximate=False):
    if approximate:
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return grad_output * ((1 + t) / 2 + x * (1 - t * t) * du / 2)
    derivative = normal_cdf(x) + x * normal_pdf(x)
    return grad_output * derivative.astype(grad_output.dtype, copy=False)


def mish(x):
    """Mish, ``f(x) = x tanh(softplus(x))``.

    Derivative: ``t + x (1 - t²) sigmoid(x)`` with ``t = tanh(softplus(x))``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``.

    Example
    -------
    >>> np.round(mish(np.array([-1000.0, 0.0, 1.0])), 6)
    array([-0.      ,  0.      ,  0.865098])
    """
    return x * np.tanh(softplus(x))


@backward_for(mish)
def _mish_backward(grad_output, x, y):
    t = np.tanh(softplus(x))
    return grad_output * (t + x * (1 - t * t) * sigmoid(x))
