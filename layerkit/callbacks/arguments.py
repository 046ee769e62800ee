"""Checks of the callbacks' constructor arguments, with Keras's "Received: name=value" wording."""

import math
import numbers


def check_int(owner, name, value, minimum=0):
    """``value`` as an int >= ``minimum``, or a ValueError naming ``owner`` and ``name``.

    Example
    -------
    >>> check_int("EarlyStopping", "patience", 3)
    3
    >>> check_int("EarlyStopping", "patience", -1)
    Traceback (most recent call last):
    ...
    ValueError: `patience` of EarlyStopping must be an integer >= 0. Received: patience=-1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` of {owner} must be an integer >= {minimum}. "
                         f"Received: {name}={value!r}")
    return int(value)


def check_number(owner, name, value, minimum=-math.inf, optional=False):
    """``value`` as a finite float >= ``minimum`` (or None when ``optional``), else ValueError.

    Example
    -------
    >>> check_number("ReduceLROnPlateau", "min_lr", 0)
    0.0
    >>> check_number("EarlyStopping", "baseline", None, optional=True) is None
    True
    """
    if value is None and optional:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < minimum):
        bound = "" if minimum == -math.inf else f" >= {minimum}"
        raise ValueError(f"`{name}` of {owner} must be a finite number{bound}"
                         f"{' or None' if optional else ''}. Received: {name}={value!r}")
    return float(value)


def check_save_freq(owner, save_freq):
    """``"epoch"`` or a positive int (a bool is refused), else ValueError.

    Example
    -------
    >>> check_save_freq("ModelCheckpoint", 5)
    5
    """
    if save_freq == "epoch":
        return save_freq
    if isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral) or save_freq < 1:
        raise ValueError(f"Unrecognized save_freq for {owner}. Expected 'epoch' or a positive "
                         f"integer (a number of batches). Received: save_freq={save_freq!r}")
    return int(save_freq)
