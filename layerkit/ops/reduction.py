"""Reductions over axes: sum, mean, max, min, and argmax/argmin (no gradient).

Each backward puts the reduced axes back (when ``keepdims`` was False) and spreads
the gradient over them: evenly for sum and mean, to the chosen elements for max and
min (shared equally between ties). The statistics (var, std, logsumexp) are in
:mod:`layerkit.ops.statistics`.
"""

import math

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation
from layerkit.ops.tensor import Tensor, value_of


def numpy_axis(axis):
    """``axis`` as NumPy takes it (a list of axes becomes a tuple)."""
    return tuple(axis) if isinstance(axis, list) else axis


class Reduction(Operation):
    """Base of the reductions: holds ``axis`` and ``keepdims``, and puts reduced axes back."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = numpy_axis(axis), keepdims

    def axes(self):
        """The reduced axes, as non-negative ints."""
        ndim = self.inputs[0].ndim
        if self.axis is None:
            return tuple(range(ndim))
        return tuple(a % ndim for a in (self.axis if isinstance(self.axis, tuple) else (self.axis,)))

    def kept(self, reduced):
        """``reduced`` with the reduced axes back, as size 1 (so it broadcasts against the input)."""
        return reduced if self.keepdims else np.expand_dims(reduced, self.axes())


class Sum(Reduction):
    """``y = Σ x``; ``dx = g`` (broadcast over the reduced axes)."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        return (np.broadcast_to(self.kept(g), self.inputs[0].shape),)


class Mean(Reduction):
    """``y = Σ x / n``; ``dx = g / n``."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def forward(self, x):
        return np.mean(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        count = math.prod(x.shape[a] for a in self.axes())
        return (np.broadcast_to(self.kept(g) / count, x.shape),)


class Max(Reduction):
    """``y = max x``; ``dx = g`` at the maximum (shared equally between ties), 0 elsewhere."""

    def __init__(self, axis=None, keepdims=False, initial=None):
        super().__init__(axis, keepdims)
        self.options = {} if initial is None else {"initial": initial}

    def forward(self, x):
        return np.max(x, axis=self.axis, keepdims=self.keepdims, **self.options)

    def backward(self, g):
        x = self.inputs[0]
        chosen = (x == self.kept(self.output)).astype(g.dtype)
        ties = chosen.sum(axis=self.axes(), keepdims=True)
        return (self.kept(g) * chosen / np.maximum(ties, 1),)


class Min(Max):
    """``y = min x``; ``dx = g`` at the minimum (shared equally between ties), 0 elsewhere."""

    def forward(self, x):
        return np.min(x, axis=self.axis, keepdims=self.keepdims, **self.options)


@implements(np.sum, a="x")
def sum(x, axis=None, keepdims=False):
    """Sum of the elements over ``axis`` (all of them when None).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int, tuple of int or None
    keepdims : bool
        Keep the reduced axes, with size 1.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sum(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    array([4., 6.])
    """
    if isinstance(x, Tensor):
        return Sum(axis, keepdims)(x)
    return np.sum(x, axis=numpy_axis(axis), keepdims=keepdims)


@implements(np.mean, a="x")
def mean(x, axis=None, keepdims=False):
    """Mean of the elements over ``axis`` (all of them when None).

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
    >>> mean(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    array([1.5, 3.5])
    """
    if isinstance(x, Tensor):
        return Mean(axis, keepdims)(x)
    return np.mean(x, axis=numpy_axis(axis), keepdims=keepdims)


@implements(np.max, np.amax, a="x")
def max(x, axis=None, keepdims=False, initial=None):
    """Largest element over ``axis``; its gradient goes to the maximum (shared between ties).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int, tuple of int or None
    keepdims : bool
    initial : float, optional
        A lower bound of the result (the result for an empty reduction).

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> max(np.array([[1.0, 5.0], [3.0, 4.0]]), axis=0)
    array([3., 5.])
    """
    if isinstance(x, Tensor):
        return Max(axis, keepdims, initial)(x)
    options = {} if initial is None else {"initial": initial}
    return np.max(x, axis=numpy_axis(axis), keepdims=keepdims, **options)


@implements(np.min, np.amin, a="x")
def min(x, axis=None, keepdims=False, initial=None):
    """Smallest element over ``axis``; its gradient goes to the minimum (shared between ties).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int, tuple of int or None
    keepdims : bool
    initial : float, optional
        An upper bound of the result.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> min(np.array([[1.0, 5.0], [3.0, 4.0]]), axis=0)
    array([1., 4.])
    """
    if isinstance(x, Tensor):
        return Min(axis, keepdims, initial)(x)
    options = {} if initial is None else {"initial": initial}
    return np.min(x, axis=numpy_axis(axis), keepdims=keepdims, **options)


@implements(np.argmax, a="x")
def argmax(x, axis=None, keepdims=False):
    """Index of the largest element (over the flattened input when ``axis`` is None); no gradient.

    Example
    -------
    >>> argmax(np.array([1.0, 5.0, 3.0]))
    np.int64(1)
    """
    return np.argmax(value_of(x), axis=axis, keepdims=keepdims)


@implements(np.argmin, a="x")
def argmin(x, axis=None, keepdims=False):
    """Index of the smallest element (over the flattened input when ``axis`` is None); no gradient.

    Example
    -------
    >>> argmin(np.array([1.0, 5.0, 3.0]))
    np.int64(0)
    """
    return np.argmin(value_of(x), axis=axis, keepdims=keepdims)
