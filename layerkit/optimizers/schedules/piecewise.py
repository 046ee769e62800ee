"""PiecewiseConstantDecay (steps of constant rate) and PolynomialDecay (to an end rate)."""

import math

from layerkit.initializers.initializer import check_number
from layerkit.optimizers.schedules.schedule import LearningRateSchedule


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval: ``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``.

    ``values[0]`` up to and at ``boundaries[0]``, ``values[-1]`` after the last boundary.

    Parameters
    ----------
    boundaries : list of float
        Strictly increasing.
    values : list of float
        One more than ``boundaries``, each >= 0.
    name : str

    Raises
    ------
    ValueError
        If the lengths do not match, the boundaries do not increase, or a number
        is not finite (or a value is negative).

    Example
    -------
    >>> schedule = PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
    >>> [schedule(step) for step in (100, 101, 110, 111)]
    [1.0, 0.5, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        for boundary in boundaries:
            check_number("PiecewiseConstantDecay", "boundaries", boundary)
        for value in values:
            check_number("PiecewiseConstantDecay", "values", value, minimum=0)
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"`boundaries` of PiecewiseConstantDecay must be strictly increasing. "
                             f"Received: boundaries={boundaries}")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, with step capped at ``decay_steps``.

    With ``cycle``, ``decay_steps`` is instead multiplied by ``ceil(step / decay_steps)``
    (1 at step 0), so the decay restarts from ``initial`` after each period.

    Parameters
    ----------
    initial_learning_rate : float
        >= 0.
    decay_steps : float
        > 0.
    end_learning_rate : float
        >= 0.
    power : float
        >= 0 (1: linear decay).
    cycle : bool
    name : str

    Raises
    ------
    ValueError
        For an argument out of range or not a finite number.

    Example
    -------
    >>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> [round(schedule(step), 10) for step in (0, 5, 10, 20)]
    [0.1, 0.05, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        check_number("PolynomialDecay", "initial_learning_rate", initial_learning_rate, minimum=0)
        check_number("PolynomialDecay", "decay_steps", decay_steps, minimum=0, exclusive=True)
        check_number("PolynomialDecay", "end_learning_rate", end_learning_rate, minimum=0)
        check_number("PolynomialDecay", "power", power, minimum=0)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power = end_learning_rate, power
        self.cycle, self.name = cycle, name

    def __call__(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / self.decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return float(span * (1 - p) ** self.power + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}
