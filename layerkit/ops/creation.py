"""New arrays: zeros, ones, full (and their ``_like`` forms), arange, eye. Constants: no gradient.

Without a ``dtype`` they are made in ``floatx()``, as every array layerkit creates.
"""

import numpy as np

from layerkit import backend
from layerkit.ops.dispatch import implements
from layerkit.ops.tensor import value_of


def zeros(shape, dtype=None):
    """An array of zeros.

    Parameters
    ----------
    shape : int or tuple of int
    dtype : str, optional
        ``floatx()`` by default.

    Returns
    -------
    ndarray

    Example
    -------
    >>> zeros((2,))
    array([0., 0.], dtype=float32)
    """
    return backend.zeros(shape, dtype)


def ones(shape, dtype=None):
    """An array of ones.

    Parameters
    ----------
    shape : int or tuple of int
    dtype : str, optional
        ``floatx()`` by default.

    Returns
    -------
    ndarray

    Example
    -------
    >>> ones((2,), dtype="float64")
    array([1., 1.])
    """
    return backend.ones(shape, dtype)


def full(shape, fill_value, dtype=None):
    """An array filled with ``fill_value``.

    Parameters
    ----------
    shape : int or tuple of int
    fill_value : scalar
    dtype : str, optional
        ``floatx()`` by default.

    Returns
    -------
    ndarray

    Example
    -------
    >>> full((2,), 7.0, dtype="float64")
    array([7., 7.])
    """
    return backend.full(shape, fill_value, dtype)


@implements(np.zeros_like, a="x")
def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape, in ``x``'s dtype unless ``dtype`` is given (a constant).

    Example
    -------
    >>> zeros_like(np.ones((1, 2)))
    array([[0., 0.]])
    """
    return np.zeros_like(value_of(x), dtype=dtype)


@implements(np.ones_like, a="x")
def ones_like(x, dtype=None):
    """Ones of ``x``'s shape, in ``x``'s dtype unless ``dtype`` is given (a constant).

    Example
    -------
    >>> ones_like(np.zeros((1, 2)))
    array([[1., 1.]])
    """
    return np.ones_like(value_of(x), dtype=dtype)


@implements(np.full_like, a="x")
def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape, in ``x``'s dtype unless ``dtype`` is given (a constant).

    Example
    -------
    >>> full_like(np.zeros((1, 2)), 3.0)
    array([[3., 3.]])
    """
    return np.full_like(value_of(x), fill_value, dtype=dtype)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` when ``stop`` is None).

    Parameters
    ----------
    start, stop, step : number
    dtype : str, optional
        By default ``floatx()`` when a bound is a float, else ``int32`` (as Keras).

    Returns
    -------
    ndarray

    Example
    -------
    >>> arange(3), arange(0.0, 1.0, 0.5)
    (array([0, 1, 2], dtype=int32), array([0. , 0.5], dtype=float32))
    """
    given = [value for value in (start, stop, step) if value is not None]
    if dtype is None:
        floating = any(np.asarray(value).dtype.kind == "f" for value in given)
        dtype = backend.floatx() if floating else "int32"
    if stop is None:
        start, stop = 0, start
    return np.arange(start, stop, 1 if step is None else step, dtype=backend.standardize_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    """A 2-d array with ones on the ``k``-th diagonal and zeros elsewhere.

    Parameters
    ----------
    N : int
        Rows.
    M : int, optional
        Columns (``N`` by default).
    k : int
        The diagonal: 0 the main one, positive above it.
    dtype : str, optional
        ``floatx()`` by default.

    Returns
    -------
    ndarray

    Example
    -------
    >>> eye(2, dtype="float64")
    array([[1., 0.],
           [0., 1.]])
    """
    return np.eye(N, M, k, dtype=backend.standardize_dtype(dtype))
