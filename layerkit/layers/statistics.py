"""What the preprocessing layers' ``adapt`` shares: reading data in batches, checked, and merging moments.

``adapt(data)`` takes an array (one batch) or any other iterable of batches (a list
of arrays, a generator), as Keras does. Every batch is checked before it is used
(numbers only, at least one value, no NaN or inf), so that a bad batch stops
``adapt`` before the layer's state changes.
"""

import math

import numpy as np


def _checked(batch, index, caller):
    array = np.asarray(batch)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{caller}: batch {index} must hold numbers. Received dtype {array.dtype}.")
    if array.ndim == 0 or array.size == 0:
        raise ValueError(f"{caller}: batch {index} is empty (shape {array.shape}); every batch "
                         "needs at least one value.")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{caller}: batch {index} contains NaN or inf (first at index "
                         f"{position}: {array[position]}).")
    return array


def batches_of(data, caller):
    """An iterator over the checked float64 batches of ``data`` (an array is one batch).

    Raises
    ------
    ValueError
        For an iterable that yields nothing, an empty batch, or NaN or inf (when
        the batch is reached).
    TypeError
        For something that is neither an array nor an iterable, or non-numeric values.

    Example
    -------
    >>> [b.shape for b in batches_of([np.ones((2, 3)), np.ones((1, 3))], "adapt()")]
    [(2, 3), (1, 3)]
    """
    if isinstance(data, np.ndarray):
        return iter([_checked(data, 0, caller)])
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{caller} takes a NumPy array or an iterable of batches (e.g. a list "
                        f"of arrays or a generator). Received an object of type "
                        f"{type(data).__name__}.")

    def generate():
        count = 0
        for count, batch in enumerate(data, start=1):
            yield _checked(batch, count - 1, caller)
        if count == 0:
            raise ValueError(f"{caller} received an empty iterable (no batches). Expected at "
                             "least one batch.")

    return generate()


def merged_moments(batches, first, reduce_axes, expected_shape, caller):
    """Mean and (biased) variance over ``reduce_axes`` of all batches, merged exactly.

    The batches' statistics are combined with the lack-of-fit sum of squares, as
    Keras's ``Normalization.adapt`` does: with ``w`` the new batch's share of the
    count so far, ``m' = (1-w) m + w m_b`` and
    ``v' = (1-w)(v + (m - m')²) + w (v_b + (m_b - m')²)``.

    Parameters
    ----------
    batches : iterator of ndarray
        The batches after ``first``.
    first : ndarray
    reduce_axes : tuple of int
    expected_shape : tuple
        The layer's input shape; the kept axes of every batch must match it.
    caller : str

    Returns
    -------
    (ndarray, ndarray)

    Raises
    ------
    ValueError
        If a batch's rank or kept sizes differ from ``expected_shape``.

    Example
    -------
    >>> mean, variance = merged_moments(iter([np.array([[3.0]])]), np.array([[1.0], [2.0]]),
    ...                                 (0,), (None, 1), "adapt()")
    >>> mean, variance.round(4)
    (array([2.]), array([0.6667]))
    """
    mean = variance = None
    total = 0
    for batch in _chain(first, batches):
        if batch.ndim != len(expected_shape) or any(
                d not in reduce_axes and e is not None and batch.shape[d] != e
                for d, e in enumerate(expected_shape)):
            raise ValueError(f"{caller}: the layer was built with input_shape={expected_shape}, "
                             "but adapt() is being called with data with an incompatible shape, "
                             f"data.shape={batch.shape}")
        count = math.prod(batch.shape[d] for d in reduce_axes)
        batch_mean, batch_variance = batch.mean(axis=reduce_axes), batch.var(axis=reduce_axes)
        total += count
        weight = count / total
        if mean is None:
            mean, variance = batch_mean, batch_variance
            continue
        new_mean = (1 - weight) * mean + weight * batch_mean
        variance = ((1 - weight) * (variance + (mean - new_mean) ** 2)
                    + weight * (batch_variance + (batch_mean - new_mean) ** 2))
        mean = new_mean
    return mean, variance


def _chain(first, rest):
    yield first
    yield from rest
