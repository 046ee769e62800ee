"""Powers and roots: power (``**``), square and sqrt."""

import numpy as np

from layerkit.ops.arithmetic import binary
from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation, unbroadcast
from layerkit.ops.tensor import Tensor


class Power(Operation):
    """``y = x1 ** x2``; ``dx1 = g · x2 · x1 ** (x2 - 1)``, ``dx2 = g · y · log(x1)`` (0 where x1 <= 0)."""

    def forward(self, x1, x2):
        return np.power(x1, x2)

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        dx1 = unbroadcast(g * x2 * np.power(x1, x2 - 1), x1.shape) if need1 else None
        if not need2:
            return dx1, None
        log_x1 = np.log(np.where(x1 > 0, x1, 1))  # the log is 0 where x1 <= 0 (as TensorFlow)
        return dx1, unbroadcast(g * self.output * log_x1, x2.shape)


class Square(Operation):
    """``y = x²``; ``dx = 2 · g · x``."""

    keeps_output = False

    def forward(self, x):
        return np.square(x)

    def backward(self, g):
        return (2 * g * self.inputs[0],)


class Sqrt(Operation):
    """``y = √x``; ``dx = g / (2 · y)`` (infinite at 0, as in every framework)."""

    keeps_inputs = False  # backward reads their shapes only

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, g):
        return (g * 0.5 / self.output,)


@implements(np.power)
def power(x1, x2):
    """Elementwise power, ``x1 ** x2``, with broadcasting.

    The gradient with respect to the exponent uses ``log(x1)``, taken as 0 where
    ``x1 <= 0``.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> power(np.array([2.0, 3.0]), 2)
    array([4., 9.])
    """
    return binary(Power, np.power, x1, x2)


@implements(np.square)
def square(x):
    """Elementwise square, ``x²``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> square(np.array([-3.0]))
    array([9.])
    """
    return Square()(x) if isinstance(x, Tensor) else np.square(x)


@implements(np.sqrt)
def sqrt(x):
    """Elementwise square root, ``√x``.

    Parameters
    ----------
    x : array-like or Tensor
        Non-negative (the gradient at 0 is infinite).

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sqrt(np.array([4.0]))
    array([2.])
    """
    return Sqrt()(x) if isinstance(x, Tensor) else np.sqrt(x)
