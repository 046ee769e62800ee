"""The arguments of ``fit``, ``evaluate`` and ``predict`` other than the data, checked.

Each is checked before anything changes, and refused with a message naming the
argument and the call, with Keras's wording where Keras checks it.

Example
-------
>>> check_loop_arguments("fit", 16, None, "auto", stream_is_terminal=False)
(16, None, 2)
"""

import numbers

import numpy as np


def check_int(name, value, minimum, caller):
    """``value`` as an int >= ``minimum``, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` of {caller}() must be an integer >= {minimum}. "
                         f"Received: {name}={value!r}")
    return int(value)


def check_optional_int(name, value, caller):
    """None, or an int >= 1 (for ``steps`` and the like)."""
    return None if value is None else check_int(name, value, 1, caller)


def check_loop_arguments(caller, batch_size, steps, verbose, stream_is_terminal):
    """``(batch_size, steps, verbose)`` of fit/evaluate/predict, checked and resolved.

    ``batch_size`` stays None when not given (the data adapter decides: Keras's
    ``ceil(samples / steps)`` with ``steps``, else 32); ``verbose="auto"`` is 1 on a
    terminal, else 2.
    """
    batch_size = check_optional_int("batch_size", batch_size, caller)
    steps = check_optional_int("steps_per_epoch" if caller == "fit" else "steps", steps, caller)
    if verbose == "auto":
        return batch_size, steps, 1 if stream_is_terminal else 2
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"`verbose` of {caller}() must be 'auto', 0, 1 or 2. "
                         f"Received: verbose={verbose!r}")
    return batch_size, steps, int(verbose)


def check_split(validation_split):
    """``validation_split`` as a float in [0, 1) (None means 0, as in Keras)."""
    if validation_split is None:
        return 0.0
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError("`validation_split` must be a number in [0, 1). "
                        f"Received: validation_split={validation_split!r}")
    if not 0 <= validation_split < 1:
        raise ValueError("`validation_split` must be in [0, 1). "
                         f"Received: validation_split={validation_split!r}")
    return float(validation_split)


def check_shuffle(shuffle, caller):
    """``shuffle`` as True, False or ``"batch"`` (Keras's values)."""
    if isinstance(shuffle, (bool, np.bool_)):
        return bool(shuffle)
    if shuffle == "batch":
        return "batch"
    raise ValueError(f"`shuffle` of {caller}() must be True, False or 'batch'. "
                     f"Received: shuffle={shuffle!r}")
