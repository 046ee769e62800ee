"""Checked writes into weight arrays, and the bound on what a file may make a model allocate.

Every way of overwriting weights (``set_weights``, loading a file) goes through
:func:`assign_weights`, which checks every array before writing any: a bad value never
leaves a model half-changed, and nothing is converted silently (a complex number, or a
float64 1e300 that would become inf in float32, is refused).

A model file is only a few kilobytes of JSON plus its weights, but its config may ask
for anything (``Dense(units=2**31)``). While a model is rebuilt from a file,
:func:`weight_budget` bounds the bytes its ``add_weight`` calls may allocate, so that a
hostile file is refused before any allocation instead of exhausting the memory.
"""

import contextlib

import numpy as np

_budget = []  # a stack of [bytes left, where the budget comes from]


def check_values(values, dtype, what):
    """Raise unless ``values`` (an ndarray) fits ``dtype`` without silent conversion.

    Refused: non-numeric or complex values, and finite values beyond the range of
    ``dtype`` (which would become inf). NaN and inf given as such are kept.

    Raises
    ------
    TypeError
        For non-numeric or complex values.
    ValueError
        For finite values too large for ``dtype``.
    """
    if values.dtype.kind not in "biuf":
        kind = "complex" if values.dtype.kind == "c" else "non-numeric"
        raise TypeError(f"{what}: expected real numbers, received {kind} values of dtype "
                        f"{values.dtype}.")
    dtype = np.dtype(dtype)
    if values.dtype.kind == "f" and dtype.kind == "f" and values.size and (
            np.finfo(values.dtype).max > np.finfo(dtype).max):
        finite = values[np.isfinite(values)]
        if finite.size and np.abs(finite).max() > np.finfo(dtype).max:
            raise ValueError(f"{what}: values up to {np.abs(finite).max():.3g} do not fit "
                             f"{dtype} (largest {np.finfo(dtype).max:.3g}); they would become inf.")


def assign_weights(slots, weights):
    """Copy ``weights`` into the arrays ``getattr(layer, name)`` of ``slots``, all checked first.

    Parameters
    ----------
    slots : list of (Layer, str)
    weights : list of array-like
        As many as ``slots`` (the caller checks the count).

    Raises
    ------
    ValueError
        If a shape differs or a value does not fit the weight's dtype; nothing is written then.
    TypeError
        For non-numeric or complex values.

    Example
    -------
    >>> from layerkit.layers import Dense
    >>> layer = Dense(1); _ = layer(np.ones((1, 2)))
    >>> assign_weights([(layer, "bias")], [np.array([0.5])]); layer.bias
    array([0.5], dtype=float32)
    """
    arrays = [np.asarray(w) for w in weights]
    for (layer, name), new in zip(slots, arrays):
        current = getattr(layer, name)
        if new.shape != current.shape:
            raise ValueError(f"Layer {layer.name!r} weight {name!r}: expected shape "
                             f"{current.shape}, received {new.shape}.")
        check_values(new, current.dtype, f"Layer {layer.name!r} weight {name!r}")
    for (layer, name), new in zip(slots, arrays):
        np.copyto(getattr(layer, name), new, casting="unsafe")


@contextlib.contextmanager
def weight_budget(num_bytes, source):
    """Bound the bytes of the weights created in the block (a model rebuilt from ``source``).

    Example
    -------
    >>> from layerkit.layers import Dense
    >>> with weight_budget(1000, "model.h5"):
    ...     Dense(10**6, name="big").build((None, 4))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: model.h5 declares layer 'big' with a weight 'kernel' of shape (4, 1000000) ...
    """
    _budget.append([int(num_bytes), source])
    try:
        yield
    finally:
        _budget.pop()


def charge(layer_name, weight_name, shape, dtype):
    """Count a new weight against the current :func:`weight_budget` (if any), or refuse it."""
    if not _budget:
        return
    needed = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
    left, source = _budget[-1]
    if needed > left:
        raise ValueError(f"{source} declares layer {layer_name!r} with a weight {weight_name!r} of "
                         f"shape {tuple(shape)} ({needed} bytes), more than the {left} bytes left of "
                         "the bound for this file: refused before allocating.")
    _budget[-1][0] -= needed
