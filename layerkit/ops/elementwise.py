"""Elementwise functions: absolute value and sign, sine and cosine, the error function."""

import math

import numpy as np

from layerkit import backend
from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation
from layerkit.ops.tensor import Tensor


class Absolute(Operation):
    """``y = |x|``; ``dx = g · sign(x)`` (0 at 0)."""

    keeps_output = False

    def forward(self, x):
        return np.absolute(x)

    def backward(self, g):
        return (g * np.sign(self.inputs[0]),)


class Sign(Operation):
    """``y = sign(x)``; ``dx = 0`` (the derivative almost everywhere)."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def forward(self, x):
        return np.sign(x)

    def backward(self, g):
        return (np.zeros_like(g),)


class Sin(Operation):
    """``y = sin x``; ``dx = g · cos x``."""

    keeps_output = False

    def forward(self, x):
        return np.sin(x)

    def backward(self, g):
        return (g * np.cos(self.inputs[0]),)


class Cos(Operation):
    """``y = cos x``; ``dx = -g · sin x``."""

    keeps_output = False

    def forward(self, x):
        return np.cos(x)

    def backward(self, g):
        return (-g * np.sin(self.inputs[0]),)


_erf = np.frompyfunc(math.erf, 1, 1)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf_values(x):
    x = np.asarray(x)
    return _erf(x).astype(x.dtype if x.dtype.kind == "f" else backend.floatx())


class Erf(Operation):
    """``y = erf x``; ``dx = g · 2/√π · e^(-x²)``."""

    keeps_output = False

    def forward(self, x):
        return _erf_values(x)

    def backward(self, g):
        return (g * (_TWO_OVER_SQRT_PI * np.exp(-np.square(self.inputs[0]))),)


@implements(np.absolute)
def absolute(x):
    """Elementwise absolute value, ``|x|`` (its gradient at 0 is 0).

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> absolute(np.array([-2.0, 3.0]))
    array([2., 3.])
    """
    return Absolute()(x) if isinstance(x, Tensor) else np.absolute(x)


def abs(x):
    """Alias of :func:`absolute`, ``|x|``.

    Example
    -------
    >>> abs(np.array([-2.0]))
    array([2.])
    """
    return absolute(x)


@implements(np.sign)
def sign(x):
    """Elementwise sign, -1, 0 or 1 (its gradient is 0).

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sign(np.array([-2.0, 0.0, 3.0]))
    array([-1.,  0.,  1.])
    """
    return Sign()(x) if isinstance(x, Tensor) else np.sign(x)


@implements(np.sin)
def sin(x):
    """Elementwise sine.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sin(np.array([0.0]))
    array([0.])
    """
    return Sin()(x) if isinstance(x, Tensor) else np.sin(x)


@implements(np.cos)
def cos(x):
    """Elementwise cosine.

    Parameters
    ----------
    x : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> cos(np.array([0.0]))
    array([1.])
    """
    return Cos()(x) if isinstance(x, Tensor) else np.cos(x)


def erf(x):
    """Elementwise error function, ``erf x = 2/√π ∫₀ˣ e^(-t²) dt`` (``math.erf``, exact).

    Parameters
    ----------
    x : array-like or Tensor
        An integer input gives a ``floatx()`` result.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> erf(np.array([0.0, 1.0]))
    array([0.        , 0.84270079])
    """
    return Erf()(x) if isinstance(x, Tensor) else _erf_values(x)
