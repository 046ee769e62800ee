"""Squashing functions: sigmoid, log_sigmoid, hard_sigmoid, sparse_sigmoid, tanh, hard_tanh, softsign.

The smooth ones never exponentiate a large positive number (sigmoid via tanh,
log_sigmoid via ``log1p(e^-|x|)``); the hard ones are clips whose derivative is
a constant on the open interval between their kinks and 0 outside it.
"""

import numpy as np

from layerkit.activations._attach import backward_for


def sigmoid(x):
    """Logistic sigmoid, ``f(x) = 1 / (1 + e^-x)``; derivative ``f(x) (1 - f(x))``.

    Computed as ``(1 + tanh(x / 2)) / 2`` (the same function), which never
    overflows, as Chainer does.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, in [0, 1].

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    y = np.tanh(np.multiply(x, 0.5))
    y += 1
    y *= 0.5
    return y


@backward_for(sigmoid)
def _sigmoid_backward(grad_output, x, y):
    return grad_output * y * (1 - y)


def log_sigmoid(x):
    """Log of the sigmoid, ``f(x) = -log(1 + e^-x) = min(x, 0) - log(1 + e^-|x|)``.

    Derivative: ``sigmoid(-x)``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, at most 0.

    Example
    -------
    >>> np.round(log_sigmoid(np.array([-2.0, 0.0, 1000.0])), 4)
    array([-2.1269, -0.6931,  0.    ])
    """
    x = np.asarray(x)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@backward_for(log_sigmoid)
def _log_sigmoid_backward(grad_output, x, y):
    return grad_output * sigmoid(-np.asarray(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, ``f(x) = clip(x / 6 + 1/2, 0, 1)``; derivative 1/6 on (-3, 3).

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, in [0, 1].

    Example
    -------
    >>> hard_sigmoid(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = np.asarray(x)
    return np.clip(x / 6 + 0.5, 0, 1)


@backward_for(hard_sigmoid)
def _hard_sigmoid_backward(grad_output, x, y):
    return grad_output * ((x > -3) & (x < 3)) / 6


def sparse_sigmoid(x):
    """Sparse sigmoid, ``f(x) = clip((x + 1) / 2, 0, 1)``; derivative 1/2 on (-1, 1).

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, in [0, 1].

    Example
    -------
    >>> sparse_sigmoid(np.array([-2.0, 0.0, 0.5, 2.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = np.asarray(x)
    return np.clip((x + 1) / 2, 0, 1)


@backward_for(sparse_sigmoid)
def _sparse_sigmoid_backward(grad_output, x, y):
    return grad_output * ((x > -1) & (x < 1)) / 2


def tanh(x):
    """Hyperbolic tangent, ``f(x) = (e^x - e^-x) / (e^x + e^-x)``; derivative ``1 - f(x)^2``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, in [-1, 1].

    Example
    -------
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(x)


@backward_for(tanh)
def _tanh_backward(grad_output, x, y):
    return grad_output * (1 - y * y)


def hard_tanh(x):
    """Piecewise-linear tanh, ``f(x) = clip(x, -1, 1)``; derivative 1 on (-1, 1).

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, in [-1, 1].

    Example
    -------
    >>> hard_tanh(np.array([-2.0, 0.5, 2.0]))
    array([-1. ,  0.5,  1. ])
    """
    x = np.asarray(x)
    return np.clip(x, -1, 1).astype(x.dtype, copy=False)


@backward_for(hard_tanh)
def _hard_tanh_backward(grad_output, x, y):
    return grad_output * ((x > -1) & (x < 1))


def softsign(x):
    """Softsign, ``f(x) = x / (1 + |x|)``; derivative ``1 / (1 + |x|)^2``.

    Parameters
    ----------
    x : ndarray

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``, in (-1, 1).

    Example
    -------
    >>> softsign(np.array([-1.0, 3.0]))
    array([-0.5 ,  0.75])
    """
    x = np.asarray(x)
    return x / (1 + np.abs(x))


@backward_for(softsign)
def _softsign_backward(grad_output, x, y):
    denominator = 1 + np.abs(x)
    return grad_output / denominator / denominator
