"""Comparisons: equal, not_equal, greater, greater_equal, less, less_equal.

They return plain boolean arrays, also for Tensors: a comparison has no gradient
(use it as a mask, as in ``ops.where(x > 0, x, 0.0)``).
"""

import numpy as np

from layerkit.ops.dispatch import implements
from layerkit.ops.tensor import value_of


@implements(np.equal)
def equal(x1, x2):
    """Elementwise ``x1 == x2`` (a boolean array).

    Example
    -------
    >>> equal(np.array([1.0, 2.0]), 2.0)
    array([False,  True])
    """
    return np.equal(value_of(x1), value_of(x2))


@implements(np.not_equal)
def not_equal(x1, x2):
    """Elementwise ``x1 != x2`` (a boolean array).

    Example
    -------
    >>> not_equal(np.array([1.0, 2.0]), 2.0)
    array([ True, False])
    """
    return np.not_equal(value_of(x1), value_of(x2))


@implements(np.greater)
def greater(x1, x2):
    """Elementwise ``x1 > x2`` (a boolean array).

    Example
    -------
    >>> greater(np.array([1.0, 2.0]), 1.0)
    array([False,  True])
    """
    return np.greater(value_of(x1), value_of(x2))


@implements(np.greater_equal)
def greater_equal(x1, x2):
    """Elementwise ``x1 >= x2`` (a boolean array).

    Example
    -------
    >>> greater_equal(np.array([1.0, 2.0]), 2.0)
    array([False,  True])
    """
    return np.greater_equal(value_of(x1), value_of(x2))


@implements(np.less)
def less(x1, x2):
    """Elementwise ``x1 < x2`` (a boolean array).

    Example
    -------
    >>> less(np.array([1.0, 2.0]), 2.0)
    array([ True, False])
    """
    return np.less(value_of(x1), value_of(x2))


@implements(np.less_equal)
def less_equal(x1, x2):
    """Elementwise ``x1 <= x2`` (a boolean array).

    Example
    -------
    >>> less_equal(np.array([1.0, 2.0]), 1.0)
    array([ True, False])
    """
    return np.less_equal(value_of(x1), value_of(x2))
