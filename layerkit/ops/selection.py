"""Choosing between values: maximum, minimum, clip and where.

The gradient goes to the value that was chosen; at a tie between ``x1`` and ``x2``,
``maximum`` and ``minimum`` split it in halves (as PyTorch and JAX do), so that
``maximum(x, x)`` has gradient 1.
"""

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation, unbroadcast
from layerkit.ops.tensor import Tensor, value_of


class _Choose(Operation):
    """``y = x1`` where ``chosen(x1, x2)``, else ``x2``; the gradient follows the choice."""

    keeps_output = False

    def backward(self, g):
        x1, x2 = self.inputs
        need1, need2 = self.needs_gradient
        share1 = np.where(x1 == x2, 0.5, self.chosen(x1, x2)).astype(g.dtype)  # 1, 1/2 at a tie, 0
        g1 = g * share1
        return (unbroadcast(g1, x1.shape) if need1 else None,
                unbroadcast(g - g1, x2.shape) if need2 else None)


class Maximum(_Choose):
    """``y = max(x1, x2)``; ``dx1 = g`` where x1 > x2, ``dx2 = g`` where x2 > x1, halves at ties."""

    chosen = staticmethod(np.greater)

    def forward(self, x1, x2):
        return np.maximum(x1, x2)


class Minimum(_Choose):
    """``y = min(x1, x2)``; ``dx1 = g`` where x1 < x2, ``dx2 = g`` where x2 < x1, halves at ties."""

    chosen = staticmethod(np.less)

    def forward(self, x1, x2):
        return np.minimum(x1, x2)


class Clip(Operation):
    """``y = min(max(x, low), high)``; the gradient goes to whichever of the three is the output.

    ``x`` receives it where ``low <= x <= high`` (bounds included, as PyTorch's clamp).
    """

    keeps_output = False

    def forward(self, x, low, high):
        return np.clip(x, low, high)

    def backward(self, g):
        x, low, high = self.inputs
        low = -np.inf if low is None else low
        high = np.inf if high is None else high
        to_high = np.maximum(x, low) > high
        to_x = (x >= low) & ~to_high
        to_low = ~(to_x | to_high)
        return tuple(unbroadcast(np.where(mask, g, 0), value.shape) if need else None
                     for mask, value, need in zip((to_x, to_low, to_high), self.inputs,
                                                  self.needs_gradient))


class Where(Operation):
    """``y = x1`` where ``condition`` else ``x2``; ``dx1 = g`` where it holds, ``dx2 = g`` elsewhere."""

    keeps_output = False

    def forward(self, condition, x1, x2):
        return np.where(condition, x1, x2)

    def backward(self, g):
        condition, x1, x2 = self.inputs
        _, need1, need2 = self.needs_gradient
        return (None,
                unbroadcast(np.where(condition, g, 0), x1.shape) if need1 else None,
                unbroadcast(np.where(condition, 0, g), x2.shape) if need2 else None)


@implements(np.maximum)
def maximum(x1, x2):
    """Elementwise maximum, with broadcasting (``maximum(x, 0)`` is the ReLU).

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> maximum(np.array([-1.0, 2.0]), 0.0)
    array([0., 2.])
    """
    if isinstance(x1, Tensor) or isinstance(x2, Tensor):
        return Maximum()(x1, x2)
    return np.maximum(x1, x2)


@implements(np.minimum)
def minimum(x1, x2):
    """Elementwise minimum, with broadcasting.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> minimum(np.array([-1.0, 2.0]), 0.0)
    array([-1.,  0.])
    """
    if isinstance(x1, Tensor) or isinstance(x2, Tensor):
        return Minimum()(x1, x2)
    return np.minimum(x1, x2)


@implements(np.clip, a="x", a_min="x_min", a_max="x_max", min="x_min", max="x_max")
def clip(x, x_min, x_max):
    """Limit ``x`` to ``[x_min, x_max]``: ``min(max(x, x_min), x_max)``.

    Parameters
    ----------
    x : array-like or Tensor
    x_min, x_max : array-like, Tensor or None
        The bounds (None: unbounded on that side); recorded bounds get gradients too.

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> clip(np.array([-2.0, 0.5, 3.0]), 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    if isinstance(x, Tensor) or isinstance(x_min, Tensor) or isinstance(x_max, Tensor):
        return Clip()(x, x_min, x_max)
    return np.clip(x, x_min, x_max)


@implements(np.where, x="x1", y="x2")
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, ``x2`` elsewhere; with neither, the indices where it holds.

    Parameters
    ----------
    condition : array-like of bool
        Never differentiated (a Tensor counts by its value).
    x1, x2 : array-like or Tensor, optional
        Both or neither.

    Returns
    -------
    ndarray, or a Tensor when ``x1`` or ``x2`` is recorded on a tape; with neither,
    a tuple of index arrays (``np.where(condition)``).

    Raises
    ------
    ValueError
        If only one of ``x1`` and ``x2`` is given.

    Example
    -------
    >>> x = np.array([-1.0, 2.0])
    >>> where(x > 0, x, 0.0)
    array([0., 2.])
    """
    if (x1 is None) != (x2 is None):
        raise ValueError(f"`x1` and `x2` must be given together, or neither. Received: "
                         f"x1={'None' if x1 is None else 'a value'}, "
                         f"x2={'None' if x2 is None else 'a value'}")
    if x1 is None:
        return np.where(value_of(condition))
    if isinstance(x1, Tensor) or isinstance(x2, Tensor):
        return Where()(value_of(condition), x1, x2)
    return np.where(condition, x1, x2)
