"""Rearranging values: reshape, transpose, expand_dims, squeeze, concatenate and stack.

Nothing is computed, so each backward rearranges the gradient the other way.
"""

import math

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation
from layerkit.ops.tensor import Tensor


class Reshape(Operation):
    """``y = x`` in a new shape; ``dx = g`` in ``x``'s shape (also for expand_dims and squeeze)."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, function, argument):
        self.function, self.argument = function, argument  # np.reshape and the new shape...

    def forward(self, x):
        return self.function(x, self.argument)

    def backward(self, g):
        return (g.reshape(self.inputs[0].shape),)


class Transpose(Operation):
    """``y = xᵀ`` (axes permuted); ``dx = gᵀ`` with the inverse permutation."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, g):
        if self.axes is None:
            return (np.transpose(g),)
        ndim = self.inputs[0].ndim
        return (np.transpose(g, np.argsort([a % ndim for a in self.axes])),)


class Concatenate(Operation):
    """``y = [x1, x2, ...]`` along ``axis``; each ``dxi`` is ``g``'s slice where ``xi`` went."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g):
        if self.axis is None:  # the inputs were flattened first
            g = g.reshape(-1)
            sizes = [math.prod(x.shape) for x in self.inputs]
        else:
            sizes = [x.shape[self.axis] for x in self.inputs]
        pieces = np.split(g, np.cumsum(sizes)[:-1], axis=0 if self.axis is None else self.axis)
        return tuple(piece.reshape(x.shape) if need else None
                     for piece, x, need in zip(pieces, self.inputs, self.needs_gradient))


class Stack(Operation):
    """``y = [x1, x2, ...]`` along a new ``axis``; ``dxi = g[..., i, ...]``."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, g):
        slices = np.moveaxis(g, self.axis, 0)
        return tuple(slices[i] if need else None for i, need in enumerate(self.needs_gradient))


def _any_tensor(xs):
    return any(isinstance(x, Tensor) for x in xs)


@implements(np.reshape, a="x", shape="newshape")
def reshape(x, newshape):
    """``x`` with a new shape (one entry may be -1: inferred).

    Parameters
    ----------
    x : array-like or Tensor
    newshape : int or tuple of int

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> reshape(np.arange(6.0), (2, -1)).shape
    (2, 3)
    """
    if isinstance(x, Tensor):
        return Reshape(np.reshape, newshape)(x)
    return np.reshape(x, newshape)


@implements(np.transpose, a="x")
def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed when ``axes`` is None).

    Parameters
    ----------
    x : array-like or Tensor
    axes : tuple of int, optional

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    if isinstance(x, Tensor):
        return Transpose(axes)(x)
    return np.transpose(x, axes)


@implements(np.expand_dims, a="x")
def expand_dims(x, axis):
    """``x`` with new axes of size 1 at ``axis``.

    Parameters
    ----------
    x : array-like or Tensor
    axis : int or tuple of int

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> expand_dims(np.zeros((2, 3)), -1).shape
    (2, 3, 1)
    """
    if isinstance(x, Tensor):
        return Reshape(np.expand_dims, axis)(x)
    return np.expand_dims(x, axis)


@implements(np.squeeze, a="x")
def squeeze(x, axis=None):
    """``x`` without its axes of size 1 (those at ``axis``, or all of them).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int or tuple of int, optional

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> squeeze(np.zeros((2, 1, 3))).shape
    (2, 3)
    """
    if isinstance(x, Tensor):
        return Reshape(np.squeeze, axis)(x)
    return np.squeeze(x, axis)


@implements(np.concatenate, arrays="xs")
def concatenate(xs, axis=0):
    """Join a sequence of arrays along an existing ``axis``.

    Parameters
    ----------
    xs : sequence of array-like or Tensor
    axis : int

    Returns
    -------
    ndarray, or a Tensor when one of ``xs`` is recorded on a tape.

    Example
    -------
    >>> concatenate([np.zeros((2, 1)), np.ones((2, 2))], axis=1)
    array([[0., 1., 1.],
           [0., 1., 1.]])
    """
    if _any_tensor(xs):
        return Concatenate(axis)(*xs)
    return np.concatenate(xs, axis=axis)


@implements(np.stack, arrays="x")
def stack(x, axis=0):
    """Join a sequence of arrays of one shape along a new ``axis``.

    Parameters
    ----------
    x : sequence of array-like or Tensor
    axis : int

    Returns
    -------
    ndarray, or a Tensor when one of ``x`` is recorded on a tape.

    Example
    -------
    >>> stack([np.zeros(2), np.ones(2)], axis=1)
    array([[0., 1.],
           [0., 1.]])
    """
    if _any_tensor(x):
        return Stack(axis)(*x)
    return np.stack(x, axis=axis)
