"""Picking elements: slicing (``x[...]``), take, take_along_axis; and one_hot (no gradient).

Each backward scatters the gradient back to where the elements were picked, adding
up where one element was picked several times (integer indices can repeat).
"""

import math
import operator

import numpy as np

from layerkit import backend
from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation
from layerkit.ops.tensor import Tensor, unwrap, value_of


def _can_repeat(key):
    """Whether an index may pick one element twice: it holds an integer array or list."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind != "b"
               for part in parts)


class GetItem(Operation):
    """``y = x[key]``; ``dx`` is zero except at ``key``, where it is ``g`` (summed over repeats)."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        return x[self.key]

    def backward(self, g):
        x = self.inputs[0]
        dx = np.zeros(x.shape, x.dtype)
        if _can_repeat(self.key):
            np.add.at(dx, self.key, g)
        else:
            dx[self.key] = g  # slices and masks pick each element once
        return (dx,)


class Take(Operation):
    """``y = take(x, indices, axis)``; ``dx`` adds each ``g`` slice at the index it came from."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, indices, axis):
        self.indices, self.axis = np.asarray(indices), axis

    def forward(self, x):
        return np.take(x, self.indices, axis=self.axis)

    def backward(self, g):
        x, indices = self.inputs[0], self.indices
        if self.axis is None:
            dx = np.zeros(math.prod(x.shape), dtype=x.dtype)
            np.add.at(dx, indices, g)
            return (dx.reshape(x.shape),)
        axis = self.axis % x.ndim
        dx = np.zeros(x.shape, x.dtype)
        # With the picked axis first in dx and the index axes first in g, it is dx[indices] += g.
        index_axes = range(axis, axis + indices.ndim)
        np.add.at(np.moveaxis(dx, axis, 0), indices, np.moveaxis(g, index_axes, range(indices.ndim)))
        return (dx,)


class TakeAlongAxis(Operation):
    """``y = take_along_axis(x, indices, axis)``; ``dx[..., indices, ...] += g``."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, indices, axis):
        self.indices, self.axis = np.asarray(indices), axis

    def forward(self, x):
        return np.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, g):
        x = self.inputs[0]
        if self.axis is None:
            dx = np.zeros(math.prod(x.shape), dtype=x.dtype)
            np.add.at(dx, self.indices, g)
            return (dx.reshape(x.shape),)
        axis = self.axis % x.ndim
        # Every position of g names its element of x: its own coordinates, but indices' along axis
        # (and 0 along the axes where x has size 1 and was broadcast).
        where = [np.arange(n).reshape([-1 if d == i else 1 for i in range(g.ndim)]) * (x.shape[d] != 1)
                 for d, n in enumerate(g.shape)]
        where[axis] = self.indices
        dx = np.zeros(x.shape, x.dtype)
        np.add.at(dx, tuple(where), g)
        return (dx,)


@implements(operator.getitem)
def getitem(x, key):
    """``x[key]``: basic slicing, integer-array and boolean-mask indexing (``Tensor.__getitem__``).

    Parameters
    ----------
    x : array-like or Tensor
    key : int, slice, tuple, integer array or boolean mask
        Tensors in it count by their values (indices have no gradient).

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> getitem(np.array([[1.0, 2.0], [3.0, 4.0]]), (slice(None), 0))
    array([1., 3.])
    """
    key = unwrap(key)
    if isinstance(x, Tensor):
        return GetItem(key)(x)
    return np.asarray(x)[key]


@implements(np.take, a="x")
def take(x, indices, axis=None):
    """The elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None).

    Parameters
    ----------
    x : array-like or Tensor
    indices : array-like of int
    axis : int, optional

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> take(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, 1, 0], axis=0)
    array([[3., 4.],
           [3., 4.],
           [1., 2.]])
    """
    indices = value_of(indices)
    if isinstance(x, Tensor):
        return Take(indices, axis)(x)
    return np.take(x, indices, axis=axis)


@implements(np.take_along_axis, arr="x")
def take_along_axis(x, indices, axis=None):
    """Pick one element of ``x`` per position of ``indices`` along ``axis``.

    Parameters
    ----------
    x : array-like or Tensor
    indices : array-like of int
        As many axes as ``x`` (its other axes broadcast against ``x``'s).
    axis : int, optional
        None: ``x`` is flattened and ``indices`` is 1-d.

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> take_along_axis(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1], [0]]), axis=1)
    array([[2.],
           [3.]])
    """
    indices = value_of(indices)
    if isinstance(x, Tensor):
        return TakeAlongAxis(indices, axis)(x)
    return np.take_along_axis(np.asarray(x), np.asarray(indices), axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encode integer labels: 1 at the label's position, 0 elsewhere (no gradient).

    A negative label gives a row of zeros, as in Keras.

    Parameters
    ----------
    x : array-like of int
    num_classes : int
    axis : int
        Where the new axis of length ``num_classes`` goes.
    dtype : str, optional
        ``floatx()`` by default.
    sparse : bool
        Not supported (must be False).

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        If ``sparse`` is True.

    Example
    -------
    >>> one_hot(np.array([2, 0, -1]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported: layerkit has dense arrays only.")
    labels = np.asarray(value_of(x)).astype(np.int64)
    encoded = np.zeros(labels.shape + (num_classes,), dtype=backend.standardize_dtype(dtype))
    valid = labels >= 0
    encoded[valid, labels[valid]] = 1
    return encoded if axis == -1 else np.moveaxis(encoded, -1, axis)
