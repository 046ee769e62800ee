"""Statistics over axes: var, std and the stable logsumexp."""

import math

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.reduction import Reduction, numpy_axis
from layerkit.ops.tensor import Tensor


class Var(Reduction):
    """``y = mean((x - x̄)²)``; ``dx = g · 2 (x - x̄) / n``."""

    keeps_output = False

    def forward(self, x):
        return np.var(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        count = math.prod(x.shape[a] for a in self.axes())
        return (self.kept(g) * (x - x.mean(axis=self.axes(), keepdims=True)) * (2 / count),)


class Std(Reduction):
    """``y = √var(x)``; ``dx = g · (x - x̄) / (n · y)`` (0 where y is 0)."""

    def forward(self, x):
        return np.std(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        count = math.prod(x.shape[a] for a in self.axes())
        centred = x - x.mean(axis=self.axes(), keepdims=True)
        std = self.kept(self.output)
        ratio = np.divide(centred, count * std, out=np.zeros_like(centred), where=std != 0)
        return (self.kept(g) * ratio,)


def _logsumexp(x, axis, keepdims):
    x = np.asarray(x)
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)  # every exponent <= 0: no overflow
    y = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return y if keepdims else np.squeeze(y, axis=axis)


class LogSumExp(Reduction):
    """``y = log Σ eˣ``, shifted by the maximum; ``dx = g · e^(x - y)`` (the softmax)."""

    def forward(self, x):
        return _logsumexp(x, self.axis, self.keepdims)

    def backward(self, g):
        return (self.kept(g) * np.exp(self.inputs[0] - self.kept(self.output)),)


@implements(np.var, a="x")
def var(x, axis=None, keepdims=False):
    """Variance over ``axis``, ``mean((x - mean x)²)`` (divided by n).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int, tuple of int or None
    keepdims : bool

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> var(np.array([1.0, 3.0]))
    np.float64(1.0)
    """
    if isinstance(x, Tensor):
        return Var(axis, keepdims)(x)
    return np.var(x, axis=numpy_axis(axis), keepdims=keepdims)


@implements(np.std, a="x")
def std(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``, ``√var(x)``; its gradient is 0 where it is 0.

    Parameters
    ----------
    x : array-like or Tensor
    axis : int, tuple of int or None
    keepdims : bool

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> std(np.array([1.0, 3.0]))
    np.float64(1.0)
    """
    if isinstance(x, Tensor):
        return Std(axis, keepdims)(x)
    return np.std(x, axis=numpy_axis(axis), keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """``log Σ eˣ`` over ``axis``, computed stably (shifted by the maximum).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int, tuple of int or None
    keepdims : bool

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> logsumexp(np.array([1000.0, 1000.0]))
    array(1000.69314718)
    """
    if isinstance(x, Tensor):
        return LogSumExp(axis, keepdims)(x)
    return _logsumexp(x, numpy_axis(axis), keepdims)
