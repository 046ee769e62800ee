"""Integer indices read from an array: what Embedding and the categorical layers check first.

Layers compute in floating point, so indices often arrive as floats (a model's input
converted to its dtype). They are accepted when every value is a whole number in
range, and refused otherwise: Keras would truncate 1.5 to 1, or fail later with an
index error that does not say which value was wrong.
"""

import numpy as np


def integer_indices(x, upper, layer, argument):
    """``x`` as int64 indices in ``[0, upper)``, or an error naming ``layer`` and the bad value.

    Parameters
    ----------
    x : array-like
        Integers, or floats holding whole numbers.
    upper : int
        The number of valid indices.
    layer : Layer
        Named in the messages.
    argument : str
        The argument ``upper`` comes from (``"input_dim"``, ``"num_tokens"``...).

    Returns
    -------
    ndarray of int64

    Raises
    ------
    TypeError
        For values that are not numbers.
    ValueError
        For NaN, inf, fractions, or indices outside ``[0, upper)``.

    Example
    -------
    >>> integer_indices(np.array([[0.0, 2.0]]), 3, None, "input_dim")
    array([[0, 2]])
    """
    x = np.asarray(x)
    where = f"Layer {layer.name!r} ({type(layer).__name__})" if layer is not None else "Indices"
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{where} takes integer indices. Received values of dtype {x.dtype}.")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        bad[~bad] = x[~bad] != np.floor(x[~bad])
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{where} takes integer indices; received {x[position]} at position "
                             f"{position}, which is not a whole number.")
    outside = (x < 0) | (x >= upper)
    if outside.any():
        position = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(f"{where} received index {int(x[position])} at position {position}, "
                         f"outside the valid range [0, {argument}={upper}).")
    return x.astype(np.int64)
