"""The default float type, the fuzz factor, and dtype names.

Imports nothing of layerkit.
"""

import numpy as np

FLOAT_DTYPES = ("float16", "float32", "float64")
_floatx = "float32"
_epsilon = 1e-7


def floatx():
    """Return the default float type, as a string (``"float32"`` unless changed).

    Returns
    -------
    str
        ``"float16"``, ``"float32"`` or ``"float64"``.

    Example
    -------
    >>> floatx()
    'float32'
    """
    return _floatx


def set_floatx(value):
    """Set the default float type of every array layerkit creates.

    Parameters
    ----------
    value : str
        ``"float16"``, ``"float32"`` or ``"float64"``.

    Raises
    ------
    ValueError
        If ``value`` is not one of those.

    Example
    -------
    >>> set_floatx("float64"); floatx()
    'float64'
    >>> set_floatx("float32")
    """
    global _floatx
    name = standardize_dtype(value)
    if name not in FLOAT_DTYPES:
        raise ValueError(
            f"Unknown `floatx` value: {value!r}. Expected one of {list(FLOAT_DTYPES)}."
        )
    _floatx = name


def epsilon():
    """Return the fuzz factor used to keep logarithms and divisions finite (1e-7).

    Example
    -------
    >>> epsilon()
    1e-07
    """
    return _epsilon


def set_epsilon(value):
    """Set the fuzz factor returned by :func:`epsilon`.

    Parameters
    ----------
    value : float
        A small positive number.

    Example
    -------
    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    global _epsilon
    _epsilon = float(value)


def standardize_dtype(dtype):
    """Return a dtype's canonical name, ``floatx()`` when ``dtype`` is None.

    Example
    -------
    >>> standardize_dtype(np.float64)
    'float64'
    """
    if dtype is None:
        return _floatx
    try:
        return _DTYPE_NAMES[dtype]
    except (KeyError, TypeError):  # not seen yet, or not hashable (a structured dtype's fields)
        pass
    name = np.dtype(dtype).name  # NumPy's dtype.name is Python code, a few µs a call
    if isinstance(dtype, (str, type, np.dtype)):
        _DTYPE_NAMES[dtype] = name
    return name


_DTYPE_NAMES = {}  # what standardize_dtype was given -> the dtype's name


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating-point type.

    Example
    -------
    >>> is_float_dtype("float16"), is_float_dtype(np.int32)
    (True, False)
    """
    return np.issubdtype(np.dtype(dtype), np.floating)
