"""How per-sample loss values, sample weights and a mask become one number, as Keras does it.

Keras lines a sample weight up with the loss values by
:func:`squeeze_or_expand_to_same_rank` (a trailing axis of size 1 added or
removed when the ranks differ by one), then multiplies. So for values of shape
``(N,)`` a weight may be a scalar, ``(N,)`` or ``(N, 1)``; for per-timestep
values ``(N, T)`` (predictions ``(N, T, D)``) a scalar, ``(N, 1)``, ``(N, T)``
or ``(N, T, 1)``. A weight that does not broadcast into the values' shape (or
would enlarge it, as ``(N,)`` against ``(N, T)`` would) is refused with a
ValueError naming both shapes.

The reduced loss is then ``L = sum(s * values)`` with ``s`` the *scale* of each
value: the weight for ``"sum"``, the weight over the number of values for
``"sum_over_batch_size"``/``"mean"``, the weight over the sum of the weights for
``"mean_with_sample_weight"``. Its gradient is ``s * dvalues/dy_pred``: written
here, once.
"""

import numpy as np

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule: when the ranks differ by one and the longer ends in 1, make them equal.

    The array of higher rank loses its trailing axis of size 1, except that a
    rank-1 partner gains one instead (``expand_rank_1``).

    Example
    -------
    >>> [a.shape for a in squeeze_or_expand_to_same_rank(np.zeros(3), np.zeros((3, 1)))]
    [(3, 1), (3, 1)]
    >>> [a.shape for a in squeeze_or_expand_to_same_rank(np.zeros((3, 4)), np.zeros((3, 4, 1)))]
    [(3, 4), (3, 4)]
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            return x1, x2[..., None]
        return x1[..., 0], x2
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            return x1[..., None], x2
        return x1, x2[..., 0]
    return x1, x2


def _lined_up(values, weight):
    """``(values, weight)`` after Keras's rank rule, the weight broadcast to the values' shape.

    Raises
    ------
    ValueError
        If the weight does not broadcast into the values' shape.
    """
    lined_values, lined_weight = squeeze_or_expand_to_same_rank(values, weight)
    try:
        shape = np.broadcast_shapes(lined_values.shape, lined_weight.shape)
    except ValueError:
        shape = None
    if shape != lined_values.shape:
        hint = (f" Pass one weight per sample as shape {values.shape[:1] + (1,)}, or one per "
                f"value as shape {values.shape}." if values.ndim >= 2 else "")
        raise ValueError(
            f"`sample_weight` of shape {weight.shape} cannot be lined up with the loss values "
            f"of shape {values.shape}: Keras adds or removes one trailing axis of size 1, then "
            f"broadcasts, and a weight must not enlarge the values.{hint}"
        )
    return lined_values, np.broadcast_to(lined_weight, shape)


def line_up(values, sample_weight, mask, reduction):
    """The weight of each value, as Keras merges ``mask`` into ``sample_weight``.

    Parameters
    ----------
    values : ndarray
        The per-sample loss values.
    sample_weight : ndarray or None
        Any shape that lines up with ``values`` (see the module docstring).
    mask : ndarray of bool or None
        Which values count; for ``"sum_over_batch_size"``/``"mean"`` the kept
        values are weighted ``total / kept``, so the mean is over the kept ones.
    reduction : str or None

    Returns
    -------
    weights : ndarray or None
        Shaped like ``values`` (None: every value weighs 1).
    weight_sum : float or None
        The sum of the weights as given (Keras's divisor for
        ``"mean_with_sample_weight"``: not repeated along broadcast axes).
    shape : tuple
        The shape Keras gives the weighted values (``reduction="none"``).

    Raises
    ------
    ValueError
        If the weights cannot be lined up with the values.
    """
    if mask is not None:
        mask_weight = mask.astype(values.dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            kept = int(mask.sum())
            mask_weight *= mask.size / kept if kept else 0.0
        if sample_weight is None:
            sample_weight = mask_weight
        else:
            lined_mask, lined_weight = _lined_up(mask_weight, sample_weight)
            sample_weight = lined_mask * lined_weight
    if sample_weight is None:
        return None, None, values.shape
    lined_values, lined_weight = _lined_up(values, sample_weight)
    return lined_weight.reshape(values.shape), float(np.sum(sample_weight)), lined_values.shape


def _inverse(divisor):
    """``1 / divisor``, or 0 when the divisor is 0 (Keras's ``divide_no_nan``)."""
    return 1.0 / divisor if divisor else 0.0


def scale(values, sample_weight, mask, reduction):
    """The factor ``s`` of each value in ``L = sum(s * values)``: a float, or an array like values.

    ``"none"``/None (no reduction when called) scales like ``"sum_over_batch_size"``
    when a training step needs one number. A single weighted value (shape ``()``)
    is not divided by anything, as in Keras.

    Example
    -------
    >>> scale(np.ones(4), None, None, "sum_over_batch_size")
    0.25
    >>> scale(np.ones(2), np.array([1.0, 3.0]), None, "mean_with_sample_weight")
    array([0.25, 0.75])
    """
    if sample_weight is None and mask is None:  # every value weighs 1
        return 1.0 if reduction == "sum" else _inverse(values.size)
    weights, weight_sum, shape = line_up(values, sample_weight, mask, reduction)
    if reduction == "sum" or shape == ():
        return weights  # Keras leaves a single weighted value as it is, whatever the reduction
    if reduction == "mean_with_sample_weight":
        return weights * _inverse(weight_sum)
    return weights * _inverse(values.size)


def reduce(values, factor):
    """``sum(factor * values)``, the reduced loss."""
    return values.sum() * factor if isinstance(factor, float) else np.sum(values * factor)
