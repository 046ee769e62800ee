"""Keras's rectifier ops (``keras.ops.relu``, ``elu``, ``hard_sigmoid``...), by ``layerkit.activations``.

Each looks its activation up by name when called (see :mod:`layerkit.ops.activation_op`).
"""

import numpy as np  # noqa: F401  (the examples use it)

from layerkit.ops.activation_op import activation


def relu(x):
    """Rectified linear unit, ``max(x, 0)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return activation("relu", x)


def relu6(x):
    """ReLU capped at 6, ``min(max(x, 0), 6)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> relu6(np.array([-1.0, 3.0, 9.0]))
    array([0., 3., 6.])
    """
    return activation("relu6", x)


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU, ``x`` for x > 0 and ``negative_slope · x`` otherwise.

    Parameters
    ----------
    x : array-like or Tensor
    negative_slope : float
        The slope for x < 0.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> leaky_relu(np.array([-1.0, 2.0]))
    array([-0.2,  2. ])
    """
    return activation("leaky_relu", x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit, ``x`` for x > 0 and ``alpha · (eˣ - 1)`` otherwise.

    Parameters
    ----------
    x : array-like or Tensor
    alpha : float
        The scale of the negative part.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> elu(np.array([0.0, 1.0]))
    array([0., 1.])
    """
    return activation("elu", x, alpha=alpha)


def selu(x):
    """Scaled ELU, ``scale · elu(x, alpha)`` with Klambauer et al.'s constants.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> selu(np.array([0.0]))
    array([0.])
    """
    return activation("selu", x)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU, ``max(x, 0) + alpha · (e^(min(x, 0)/alpha) - 1)``.

    Parameters
    ----------
    x : array-like or Tensor
    alpha : float
        The scale of the negative part.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> celu(np.array([0.0, 1.0]))
    array([0., 1.])
    """
    return activation("celu", x, alpha=alpha)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, ``relu6(x + 3) / 6``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> hard_sigmoid(np.array([-3.0, 0.0, 3.0]))
    array([0. , 0.5, 1. ])
    """
    return activation("hard_sigmoid", x)


def hard_silu(x):
    """Hard SiLU (hard swish), ``x · hard_sigmoid(x)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> hard_silu(np.array([0.0, 3.0]))
    array([0., 3.])
    """
    return activation("hard_silu", x)


def hard_swish(x):
    """Alias of :func:`hard_silu`, ``x · hard_sigmoid(x)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> hard_swish(np.array([0.0, 3.0]))
    array([0., 3.])
    """
    return activation("hard_silu", x)


def hard_tanh(x):
    """Piecewise-linear tanh, ``clip(x, -1, 1)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> hard_tanh(np.array([-2.0, 0.5, 2.0]))
    array([-1. ,  0.5,  1. ])
    """
    return activation("hard_tanh", x)
