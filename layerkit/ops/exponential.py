"""Exponentials and logarithms: exp, log, log1p, expm1 and the stable logaddexp."""

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation, unbroadcast
from layerkit.ops.tensor import Tensor


class Exp(Operation):
    """``y = eˣ``; ``dx = g · y``."""

    keeps_inputs = False  # backward reads their shapes only

    def forward(self, x):
        return np.exp(x)

    def backward(self, g):
        return (g * self.output,)


class Log(Operation):
    """``y = ln x``; ``dx = g / x``."""

    keeps_output = False

    def forward(self, x):
        return np.log(x)

    def backward(self, g):
        return (g / self.inputs[0],)


class Log1p(Operation):
    """``y = ln(1 + x)``; ``dx = g / (1 + x)``."""

    keeps_output = False

    def forward(self, x):
        return np.log1p(x)

    def backward(self, g):
        return (g / (1 + self.inputs[0]),)


class Expm1(Operation):
    """``y = eˣ - 1``; ``dx = g · (y + 1)``."""

    keeps_inputs = False  # backward reads their shapes only

    def forward(self, x):
        return np.expm1(x)

    def backward(self, g):
        return (g * (self.output + 1),)


class LogAddExp(Operation):
    """``y = ln(e^x1 + e^x2)``; ``dx1 = g · e^(x1 - y)``, ``dx2 = g · e^(x2 - y)``."""

    def forward(self, x1, x2):
        return np.logaddexp(x1, x2)

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        return (unbroadcast(g * np.exp(x1 - self.output), x1.shape) if need1 else None,
                unbroadcast(g * np.exp(x2 - self.output), x2.shape) if need2 else None)


@implements(np.exp)
def exp(x):
    """Elementwise exponential, ``eˣ``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> exp(np.array([0.0, 1.0]))
    array([1.        , 2.71828183])
    """
    return Exp()(x) if isinstance(x, Tensor) else np.exp(x)


@implements(np.log)
def log(x):
    """Elementwise natural logarithm, ``ln x``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> log(np.array([1.0]))
    array([0.])
    """
    return Log()(x) if isinstance(x, Tensor) else np.log(x)


@implements(np.log1p)
def log1p(x):
    """Elementwise ``ln(1 + x)``, accurate for small ``x``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> log1p(np.array([0.0]))
    array([0.])
    """
    return Log1p()(x) if isinstance(x, Tensor) else np.log1p(x)


@implements(np.expm1)
def expm1(x):
    """Elementwise ``eˣ - 1``, accurate for small ``x``.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> expm1(np.array([0.0]))
    array([0.])
    """
    return Expm1()(x) if isinstance(x, Tensor) else np.expm1(x)


@implements(np.logaddexp)
def logaddexp(x1, x2):
    """Elementwise ``ln(e^x1 + e^x2)``, computed without overflow.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> logaddexp(np.array([1000.0]), np.array([1000.0]))
    array([1000.69314718])
    """
    if isinstance(x1, Tensor) or isinstance(x2, Tensor):
        return LogAddExp()(x1, x2)
    return np.logaddexp(x1, x2)
