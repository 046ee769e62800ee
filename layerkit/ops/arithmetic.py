"""Arithmetic: ``+ - * /`` and negation, with broadcasting.

Each operation's backward sums the gradient of a broadcast input back to the
input's shape (:func:`unbroadcast`) and computes only the gradients that are needed.
"""

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation, unbroadcast
from layerkit.ops.tensor import Tensor


class Add(Operation):
    """``y = x1 + x2``; ``dx1 = g``, ``dx2 = g`` (each summed over its broadcast axes)."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def forward(self, x1, x2):
        return np.add(x1, x2)

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        return (unbroadcast(g, x1.shape) if need1 else None,
                unbroadcast(g, x2.shape) if need2 else None)


class Subtract(Operation):
    """``y = x1 - x2``; ``dx1 = g``, ``dx2 = -g``."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def forward(self, x1, x2):
        return np.subtract(x1, x2)

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        return (unbroadcast(g, x1.shape) if need1 else None,
                -unbroadcast(g, x2.shape) if need2 else None)


class Multiply(Operation):
    """``y = x1 · x2``; ``dx1 = g · x2``, ``dx2 = g · x1``."""

    keeps_output = False

    def forward(self, x1, x2):
        return np.multiply(x1, x2)

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        return (unbroadcast(g * x2, x1.shape) if need1 else None,
                unbroadcast(g * x1, x2.shape) if need2 else None)


class Divide(Operation):
    """``y = x1 / x2``; ``dx1 = g / x2``, ``dx2 = -g · y / x2``."""

    def forward(self, x1, x2):
        return np.divide(x1, x2)

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        return (unbroadcast(g / x2, x1.shape) if need1 else None,
                unbroadcast(-g * self.output / x2, x2.shape) if need2 else None)


class Negative(Operation):
    """``y = -x``; ``dx = -g``."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def forward(self, x):
        return np.negative(x)

    def backward(self, g):
        return (-g,)


def binary(op_class, numpy_function, x1, x2):
    """Apply ``op_class`` when an input is a Tensor, else just ``numpy_function``."""
    if isinstance(x1, Tensor) or isinstance(x2, Tensor):
        return op_class()(x1, x2)
    return numpy_function(x1, x2)


@implements(np.add)
def add(x1, x2):
    """Elementwise sum, ``x1 + x2``, with broadcasting.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> add(np.array([1.0, 2.0]), 1.0)
    array([2., 3.])
    """
    return binary(Add, np.add, x1, x2)


@implements(np.subtract)
def subtract(x1, x2):
    """Elementwise difference, ``x1 - x2``, with broadcasting.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> subtract(np.array([1.0, 2.0]), 1.0)
    array([0., 1.])
    """
    return binary(Subtract, np.subtract, x1, x2)


@implements(np.multiply)
def multiply(x1, x2):
    """Elementwise product, ``x1 · x2``, with broadcasting.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> multiply(np.array([1.0, 2.0]), 3.0)
    array([3., 6.])
    """
    return binary(Multiply, np.multiply, x1, x2)


@implements(np.divide)
def divide(x1, x2):
    """Elementwise true division, ``x1 / x2``, with broadcasting.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> divide(np.array([1.0, 2.0]), 4.0)
    array([0.25, 0.5 ])
    """
    return binary(Divide, np.divide, x1, x2)


def true_divide(x1, x2):
    """Alias of :func:`divide`, ``x1 / x2``.

    Example
    -------
    >>> true_divide(np.array([3.0]), 2.0)
    array([1.5])
    """
    return divide(x1, x2)


@implements(np.negative)
def negative(x):
    """Elementwise negation, ``-x``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> negative(np.array([1.0, -2.0]))
    array([-1.,  2.])
    """
    return Negative()(x) if isinstance(x, Tensor) else np.negative(x)
