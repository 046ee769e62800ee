"""Utilities: seeding, gradient checks, label encoding."""

import numpy as np

from layerkit.backend import set_random_seed
from layerkit.utils.gradient_check import check_gradients, relative_error
from layerkit.utils.trace import trace

__all__ = ["set_random_seed", "check_gradients", "relative_error", "to_categorical", "trace"]


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``[1, 0] -> [[0, 1], [1, 0]]``.

    Parameters
    ----------
    x : array-like of int
    num_classes : int, optional
        ``max(x) + 1`` by default.

    Returns
    -------
    ndarray, shape ``x.shape + (num_classes,)`` (a trailing axis of 1 is dropped first)

    Raises
    ------
    ValueError
        For labels that are negative or not below ``num_classes``.

    Example
    -------
    >>> to_categorical([1, 0])
    array([[0., 1.],
           [1., 0.]])
    """
    x = np.asarray(x)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x[..., 0]
    x = x.astype(np.int64)
    num_classes = int(x.max()) + 1 if num_classes is None else int(num_classes)
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(f"Labels must be in [0, {num_classes}). Received values from "
                         f"{x.min()} to {x.max()}.")
    return np.eye(num_classes)[x]
