"""Keras's smooth activation ops and softmaxes (``keras.ops.sigmoid``...), by ``layerkit.activations``.

Each looks its activation up by name when called (see :mod:`layerkit.ops.activation_op`).
"""

import numpy as np

from layerkit.ops.activation_op import activation
from layerkit.ops.dispatch import implements


def sigmoid(x):
    """Logistic sigmoid, ``1 / (1 + e^-x)``, computed as ``(1 + tanh(x/2)) / 2`` (never overflows).

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    return activation("sigmoid", x)


@implements(np.tanh)
def tanh(x):
    """Hyperbolic tangent, ``(eˣ - e⁻ˣ) / (eˣ + e⁻ˣ)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return activation("tanh", x)


def softplus(x):
    """Softplus, ``log(1 + eˣ)``, computed stably.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> softplus(np.array([1000.0]))
    array([1000.])
    """
    return activation("softplus", x)


def softsign(x):
    """Softsign, ``x / (1 + |x|)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> softsign(np.array([1.0]))
    array([0.5])
    """
    return activation("softsign", x)


def silu(x):
    """Sigmoid linear unit (swish), ``x · sigmoid(x)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> silu(np.array([0.0]))
    array([0.])
    """
    return activation("silu", x)


def swish(x):
    """Alias of :func:`silu`, ``x · sigmoid(x)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> swish(np.array([0.0]))
    array([0.])
    """
    return activation("silu", x)


def log_sigmoid(x):
    """Log of the sigmoid, ``-softplus(-x)``, computed stably.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> log_sigmoid(np.array([0.0]))
    array([-0.69314718])
    """
    return activation("log_sigmoid", x)


def gelu(x, approximate=True):
    """Gaussian error linear unit, ``x · Φ(x)``.

    Parameters
    ----------
    x : array-like or Tensor
    approximate : bool
        Use the tanh approximation (Keras's default for the op).

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> gelu(np.array([0.0]))
    array([0.])
    """
    return activation("gelu", x, approximate=approximate)


def softmax(x, axis=-1):
    """Softmax along ``axis``, ``eˣ / Σ eˣ``, shifted by the maximum (no overflow).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int
        The axis that sums to one.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    return activation("softmax", x, axis=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax along ``axis``, ``x - logsumexp(x)``, computed stably.

    Parameters
    ----------
    x : array-like or Tensor
    axis : int
        The axis of the softmax.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> log_softmax(np.array([[0.0, 0.0]]))
    array([[-0.69314718, -0.69314718]])
    """
    return activation("log_softmax", x, axis=axis)


def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``: the Euclidean projection of ``x`` onto the probability simplex.

    Parameters
    ----------
    x : array-like or Tensor
    axis : int
        The axis that sums to one.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sparsemax(np.array([[1.0, 1.0]]))
    array([[0.5, 0.5]])
    """
    return activation("sparsemax", x, axis=axis)


def glu(x, axis=-1):
    """Gated linear unit, ``a · sigmoid(b)`` for the two halves of ``x`` along ``axis``.

    Parameters
    ----------
    x : array-like or Tensor
    axis : int
        The axis split in two halves ``a`` and ``b``.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> glu(np.array([[1.0, 0.0]]))
    array([[0.5]])
    """
    return activation("glu", x, axis=axis)
