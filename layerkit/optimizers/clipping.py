"""Gradient clipping with Keras 3's formulas (new arrays; the caller's are never changed).

- by norm: ``g · c / max(‖g‖, c)``, for each gradient;
- by global norm: every gradient times ``c · min(1/‖(g₁, g₂, …)‖, 1/c)``;
- by value: each entry into ``[-c, c]``.

When the sum of squares overflows although every entry is finite (float32 gradients
above about 1e19), the norm is computed again from the gradients divided by their
largest entry, in float64, so that clipping still gives the clipped direction.
"""

import numpy as np


def _sum_of_squares(arrays):
    with np.errstate(over="ignore"):
        return np.sum(np.stack([np.sum(np.square(a)) for a in arrays]))


def _scaled_norm(arrays):
    """The L2 norm of all the arrays together, in float64, free of overflow."""
    largest = max(float(np.max(np.abs(a), initial=0.0)) for a in arrays)
    total = sum(float(np.sum(np.square(np.asarray(a, np.float64) / largest))) for a in arrays)
    return largest * float(np.sqrt(total))


def _overflows(total, arrays):
    return not np.isfinite(total) and all(np.isfinite(a).all() for a in arrays)


def clip_by_norm(gradient, clipnorm):
    """``g · c / max(‖g‖, c)``: the gradient scaled down to L2 norm ``c`` when longer.

    Example
    -------
    >>> clip_by_norm(np.array([3.0, 4.0]), 1.0)
    array([0.6, 0.8])
    """
    gradient = np.asarray(gradient)
    total = _sum_of_squares([gradient])
    if _overflows(total, [gradient]):
        return gradient * (clipnorm / _scaled_norm([gradient]))
    return gradient * clipnorm / np.maximum(np.sqrt(total), clipnorm)


def clip_by_global_norm(grads, clipnorm):
    """Every gradient times ``c · min(1/n, 1/c)``, n the norm of all of them together.

    Example
    -------
    >>> [g.tolist() for g in clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)]
    [[0.6], [0.8]]
    """
    grads = [np.asarray(g) for g in grads]
    total = _sum_of_squares(grads)
    norm = _scaled_norm(grads) if _overflows(total, grads) else np.sqrt(total)
    if not np.isfinite(norm):  # Keras: a NaN scale, so that the step is seen to fail
        return [g * np.nan for g in grads]
    inverse = 1.0 / norm if norm > 0 else np.inf
    scale = clipnorm * min(inverse, 1.0 / clipnorm)
    return [g * scale for g in grads]


def clip_by_value(gradient, clipvalue):
    """Each entry of the gradient into ``[-clipvalue, clipvalue]``.

    Example
    -------
    >>> clip_by_value(np.array([-2.0, 0.5, 3.0]), 1.0)
    array([-1. ,  0.5,  1. ])
    """
    return np.clip(gradient, -clipvalue, clipvalue)
