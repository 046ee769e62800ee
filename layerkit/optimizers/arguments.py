"""The one argument checker of the optimizers: numbers in a range, flags, counts, with Keras's wording.

Every optimizer validates its constructor arguments here, so that a bad value is a
``ValueError`` naming the argument and what was received (``"`rho` must be a number
in [0, 1]. Received: rho=1.5"``) before anything is created.
"""

import math
import numbers

import numpy as np


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a float, if it is a finite real number in the interval; else a ValueError.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
    low, high : float, optional
        The bounds (None: unbounded).
    low_open, high_open : bool
        Whether the bound itself is excluded.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a non-number (bools included), NaN, infinity or a value outside the interval.

    Example
    -------
    >>> check_number("rho", 0.9, 0, 1)
    0.9
    >>> check_number("rho", 1.5, 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: `rho` must be a number in [0, 1]. Received: rho=1.5
    """
    inside = _is_real(value) and math.isfinite(value) and (
        low is None or (value > low if low_open else value >= low)) and (
        high is None or (value < high if high_open else value <= high))
    if not inside:
        raise ValueError(f"`{name}` must be {_describe(low, high, low_open, high_open)}. "
                         f"Received: {name}={value!r}")
    return float(value)


def _describe(low, high, low_open, high_open):
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"a number {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a number {'<' if high_open else '<='} {high:g}"
    return f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_optional_number(name, value, **bounds):
    """None, or :func:`check_number`'s float.

    Example
    -------
    >>> check_optional_number("clipnorm", None, low=0, low_open=True) is None
    True
    """
    return None if value is None else check_number(name, value, **bounds)


def check_bool(name, value):
    """``value`` as a bool, if it is one (Python or NumPy); else a ValueError.

    Example
    -------
    >>> check_bool("centered", "yes")
    Traceback (most recent call last):
    ...
    ValueError: `centered` must be a boolean. Received: centered='yes'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be a boolean. Received: {name}={value!r}")
    return bool(value)


def check_int(name, value, low, message=None):
    """``value`` as an int, if it is an integer (not a bool) >= ``low``; else a ValueError.

    Example
    -------
    >>> check_int("ns_steps", 5, 1)
    5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(message or f"`{name}` must be an integer >= {low}. "
                                    f"Received: {name}={value!r}")
    return int(value)
