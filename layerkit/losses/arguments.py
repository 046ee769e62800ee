"""The checks the losses' constructors share, with Keras's "Received: name=value" wording."""

import numbers


def check_fraction(name, value):
    """``value`` as a float in [0, 1].

    Raises
    ------
    ValueError
        Otherwise.

    Example
    -------
    >>> check_fraction("label_smoothing", 0.1)
    0.1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a float in [0, 1]. Received: {name}={value!r}")
    return value


def check_non_negative(name, value, strict=False):
    """``value`` as a real number ``>= 0`` (``> 0`` when ``strict``).

    Raises
    ------
    ValueError
        Otherwise.
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or value < 0 or (strict and value == 0)):
        bound = "> 0" if strict else ">= 0"
        raise ValueError(f"`{name}` must be a number {bound}. Received: {name}={value!r}")
    return value


def check_axis(axis, allow_none=False):
    """``axis`` as an int (or a tuple of ints, or None when ``allow_none``).

    Raises
    ------
    ValueError
        For a bool, a float or anything else.
    """
    if allow_none and axis is None:
        return None
    if allow_none and isinstance(axis, (tuple, list)) and all(
            isinstance(a, int) and not isinstance(a, bool) for a in axis):
        return tuple(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    kinds = "an int, a tuple of ints or None" if allow_none else "an int"
    raise ValueError(f"`axis` must be {kinds}. Received: axis={axis!r} of type {type(axis)}")


def normalize_axes(axis, ndim):
    """The non-negative axes of a rank-``ndim`` array that ``axis`` names (all for None).

    Raises
    ------
    ValueError
        If an axis is out of range.

    Example
    -------
    >>> normalize_axes(-1, 3), normalize_axes(None, 2), normalize_axes((1, -1), 3)
    ((2,), (0, 1), (1, 2))
    """
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"`axis` {axis} is out of range for predictions of rank {ndim}. "
                             f"Received: axis={axis}")
    return tuple(sorted(a % ndim for a in axes))
