"""Values in and out: convert_to_tensor, convert_to_numpy, stop_gradient, cast, shape, ndim, size."""

import numpy as np

from layerkit import backend
from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation
from layerkit.ops.tensor import Tensor, value_of


class Cast(Operation):
    """``y = x`` in another floating dtype; ``dx = g`` in ``x``'s dtype."""

    keeps_inputs = False  # backward reads their shapes only
    keeps_output = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, g):
        return (g.astype(self.inputs[0].dtype),)


def cast(x, dtype):
    """``x`` in ``dtype``; to an integer or boolean dtype it carries no gradient.

    Parameters
    ----------
    x : array-like or Tensor
    dtype : str or dtype

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape and ``dtype`` is floating.

    Example
    -------
    >>> cast(np.array([1.5, 2.5]), "int32")
    array([1, 2], dtype=int32)
    """
    dtype = backend.standardize_dtype(dtype)
    if isinstance(x, Tensor):
        return x if x.dtype == dtype else Cast(dtype)(x)
    return np.asarray(x).astype(dtype, copy=False)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as an array (a Tensor stays a Tensor), with Keras's dtypes for Python values.

    Python floats become ``floatx()``, Python ints ``int32``; arrays keep their
    dtype (no copy) unless ``dtype`` is given.

    Parameters
    ----------
    x : array-like or Tensor
    dtype : str, optional
    sparse, ragged : None or False
        Not supported.

    Returns
    -------
    ndarray or Tensor

    Raises
    ------
    ValueError
        If ``sparse`` or ``ragged`` is True.

    Example
    -------
    >>> convert_to_tensor([1.0, 2.0]).dtype, convert_to_tensor(3).dtype
    (dtype('float32'), dtype('int32'))
    """
    if sparse or ragged:
        raise ValueError(f"`sparse=True` and `ragged=True` are not supported (layerkit has dense "
                         f"arrays only). Received: sparse={sparse}, ragged={ragged}")
    if isinstance(x, Tensor):
        return x if dtype is None else cast(x, dtype)
    if dtype is not None:
        return np.asarray(x).astype(backend.standardize_dtype(dtype), copy=False)
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)
    value = np.asarray(x)
    if value.dtype.kind == "f":
        return value.astype(backend.floatx(), copy=False)
    return value.astype("int32") if value.dtype.kind in "iu" else value


def convert_to_numpy(x):
    """A copy of ``x``'s value as an ndarray (for a Tensor: its value, read as a constant).

    Example
    -------
    >>> convert_to_numpy(Tensor(np.array([1.0])))
    array([1.])
    """
    return np.array(value_of(x))


def stop_gradient(variable):
    """``variable``'s value as a constant: nothing flows back through it.

    Parameters
    ----------
    variable : array-like or Tensor

    Returns
    -------
    ndarray (the Tensor's own value, not a copy) or ``variable`` unchanged

    Example
    -------
    >>> from layerkit import ops
    >>> with ops.GradientTape() as tape:
    ...     x = tape.watch(np.array([2.0]))
    ...     y = x * stop_gradient(x)      # d/dx of x·c is c
    >>> tape.gradient(y, x)
    array([2.])
    """
    return value_of(variable)


@implements(np.shape, a="x")
def shape(x):
    """The shape of ``x``, a tuple of ints.

    Example
    -------
    >>> shape(np.zeros((2, 3)))
    (2, 3)
    """
    return tuple(np.shape(value_of(x)))


@implements(np.ndim, a="x")
def ndim(x):
    """The number of axes of ``x``.

    Example
    -------
    >>> ndim(np.zeros((2, 3)))
    2
    """
    return np.ndim(value_of(x))


@implements(np.size, a="x")
def size(x):
    """The number of elements of ``x``.

    Example
    -------
    >>> size(np.zeros((2, 3)))
    6
    """
    return np.size(value_of(x))
