"""Keras's shrinkage and threshold ops (``keras.ops.hard_shrink``...), by ``layerkit.activations``.

Each looks its activation up by name when called (see :mod:`layerkit.ops.activation_op`).
"""

import numpy as np  # noqa: F401  (the examples use it)

from layerkit.ops.activation_op import activation


def hard_shrink(x, threshold=0.5):
    """Hard shrinkage, ``x`` where ``|x| > threshold``, else 0.

    Parameters
    ----------
    x : array-like or Tensor
    threshold : float
        Values with ``|x| <= threshold`` become 0.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> hard_shrink(np.array([-1.0, 0.2, 1.0]))
    array([-1.,  0.,  1.])
    """
    return activation("hard_shrink", x, threshold=threshold)


def soft_shrink(x, threshold=0.5):
    """Soft shrinkage, ``x ∓ threshold`` where ``|x| > threshold``, else 0.

    Parameters
    ----------
    x : array-like or Tensor
    threshold : float
        How far values move towards 0.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> soft_shrink(np.array([-1.0, 0.2, 1.0]))
    array([-0.5,  0. ,  0.5])
    """
    return activation("soft_shrink", x, threshold=threshold)


def tanh_shrink(x):
    """Tanh shrinkage, ``x - tanh(x)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> tanh_shrink(np.array([0.0]))
    array([0.])
    """
    return activation("tanh_shrink", x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Parameters
    ----------
    x : array-like or Tensor
    threshold : float
        Values ``<= threshold`` are replaced.
    default_value : float
        What they are replaced by.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> threshold(np.array([-1.0, 2.0]), 0.0, -5.0)
    array([-5.,  2.])
    """
    return activation("threshold", x, threshold=threshold, default_value=default_value)


def sparse_sigmoid(x):
    """Piecewise-linear sigmoid, ``clip((x + 1) / 2, 0, 1)``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sparse_sigmoid(np.array([-2.0, 0.0, 2.0]))
    array([0. , 0.5, 1. ])
    """
    return activation("sparse_sigmoid", x)


def sparse_plus(x):
    """Smooth ReLU: 0 for x <= -1, ``(x + 1)² / 4`` for |x| < 1, ``x`` for x >= 1.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sparse_plus(np.array([-2.0, 0.0, 2.0]))
    array([0.  , 0.25, 2.  ])
    """
    return activation("sparse_plus", x)


def squareplus(x, b=4):
    """Squareplus, ``(x + √(x² + b)) / 2``.

    Parameters
    ----------
    x : array-like or Tensor
    b : float
        The smoothness (0 gives the ReLU).

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> squareplus(np.array([0.0]))
    array([1.])
    """
    return activation("squareplus", x, b=b)
