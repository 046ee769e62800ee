"""Array helpers from ``keras.utils``: ``normalize`` and ``to_categorical``."""

import math
import numbers

import numpy as np


def _numeric(x, name):
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be numeric. Received an array of dtype {array.dtype}.")
    return array


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis``: ``x / ||x||_p`` (a zero norm stays zero).

    ``||x||_p = (Σ |x_i|^p)^(1/p)``, the largest ``|x_i|`` for ``order=np.inf``. It is
    computed as ``m · ||x / m||_p`` with ``m = max |x_i|``, so that large values do
    not overflow; a vector of zeros is returned as zeros, as Keras does.

    Parameters
    ----------
    x : array-like
    axis : int
        The axis along which to normalize (Keras turns ``axis=0`` into -1 by
        mistake; layerkit normalizes along axis 0 as asked).
    order : int >= 1, or np.inf

    Returns
    -------
    ndarray
        Same shape; the dtype of ``x`` when floating point, else float64.

    Raises
    ------
    TypeError
        For non-numeric ``x`` or a non-integer ``axis``.
    ValueError
        For a bad ``order`` or ``axis``, or NaN or inf in ``x``.

    Example
    -------
    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    array = _numeric(x, "x")
    if isinstance(order, bool) or not (isinstance(order, numbers.Integral) and order >= 1
                                       or order == math.inf):
        raise ValueError(f"Argument `order` must be an int >= 1 (or np.inf). Received: order={order}")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an integer. Received: axis={axis!r}")
    if not -max(array.ndim, 1) <= axis < max(array.ndim, 1):
        raise ValueError(f"`axis` {axis} is out of range for an array of {array.ndim} dimensions.")
    values = np.atleast_1d(array).astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("`x` contains NaN or inf: it cannot be normalized.")
    largest = np.abs(values).max(axis=axis, keepdims=True)
    scale = np.where(largest == 0, 1.0, largest)
    scaled = values / scale
    if order == math.inf:
        norm = np.abs(scaled).max(axis=axis, keepdims=True)
    else:
        norm = (np.abs(scaled) ** order).sum(axis=axis, keepdims=True) ** (1.0 / order)
    norm = np.where(largest == 0, 1.0, norm)
    result = (scaled / norm).reshape(array.shape)
    return result.astype(array.dtype if array.dtype.kind == "f" else np.float64)


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``[1, 0] -> [[0, 1], [1, 0]]``.

    Parameters
    ----------
    x : array-like of int
        Class labels from 0 to ``num_classes - 1`` (floats are truncated, as Keras does).
    num_classes : int, optional
        ``max(x) + 1`` when None or 0 (as in Keras).

    Returns
    -------
    ndarray of float64, shape ``x.shape + (num_classes,)`` (a trailing axis of 1 is dropped first)

    Raises
    ------
    ValueError
        For labels that are negative (Keras wraps them around to the last classes),
        not below ``num_classes``, NaN or inf, or no labels to infer ``num_classes`` from.

    Example
    -------
    >>> to_categorical([1, 0])
    array([[0., 1.],
           [1., 0.]])
    """
    x = _numeric(x, "x")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError("Labels must be finite. Received NaN or inf.")
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x[..., 0]
    x = x.astype(np.int64)
    if not num_classes:
        if not x.size:
            raise ValueError("`num_classes` cannot be inferred from no labels: pass it.")
        num_classes = int(x.max()) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or (
            num_classes < 1):
        raise ValueError(f"`num_classes` must be a positive integer. Received: "
                         f"num_classes={num_classes!r}")
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(f"Labels must be in [0, {num_classes}). Received values from "
                         f"{x.min()} to {x.max()}.")
    return np.eye(int(num_classes))[x]
