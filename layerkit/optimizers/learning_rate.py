"""An optimizer's learning rate: a float, a schedule of the step, or a callable, as in Keras.

Keras takes three forms: a float; a ``LearningRateSchedule``, called with the step
count; or any other callable, called with no argument. layerkit also keeps its
earlier form, a plain function of the step (``lambda step: 0.1 / (1 + step)``): a
callable that needs one argument is given the step.
"""

import inspect
import math
import numbers

import numpy as np

from layerkit.optimizers.schedules import LearningRateSchedule


def check_learning_rate(learning_rate):
    """A non-negative finite float, or the callable itself.

    Raises
    ------
    ValueError
        With Keras's message, for anything else.

    Example
    -------
    >>> check_learning_rate(1)
    1.0
    """
    if callable(learning_rate):
        return learning_rate
    if (isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, (bool, np.bool_))
            and math.isfinite(learning_rate) and learning_rate >= 0):
        return float(learning_rate)
    raise ValueError("Argument `learning_rate` should be a non-negative float, or an instance of "
                     "LearningRateSchedule, or a callable (that takes in the current iteration "
                     "value and returns the corresponding learning rate value). "
                     f"Received instead: learning_rate={learning_rate!r}")


def _wants_step(function):
    """Whether a callable (not a schedule) needs an argument: layerkit's ``f(step)`` form."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have none: give them the step
        return True
    required = [p for p in signature.parameters.values() if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return bool(required)


def evaluate(learning_rate, step):
    """The rate for ``step``: the float, ``schedule(step)``, ``f()`` (Keras) or ``f(step)``.

    Raises
    ------
    ValueError
        If a schedule or callable returns something that is not a finite number (a
        negative rate is allowed: it ascends).

    Example
    -------
    >>> evaluate(lambda step: 0.1 / (1 + step), 1), evaluate(lambda: 0.5, 7), evaluate(0.25, 3)
    (0.05, 0.5, 0.25)
    """
    if not callable(learning_rate):
        return float(learning_rate)
    if isinstance(learning_rate, LearningRateSchedule) or _wants_step(learning_rate):
        value = learning_rate(step)
    else:
        value = learning_rate()
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not math.isfinite(rate):
        raise ValueError(f"The learning rate {learning_rate!r} returned {value!r} at step {step}; "
                         "expected a finite number.")
    return rate
