"""Step decays: ExponentialDecay and InverseTimeDecay, with ``p = step / decay_steps``."""

import math

from layerkit.initializers.initializer import check_number
from layerkit.optimizers.schedules.schedule import LearningRateSchedule


class _StepDecay(LearningRateSchedule):
    """What the two step decays share: their arguments and the progress ``p = step / decay_steps``.

    ``p`` is floored when ``staircase`` (the rate changes every ``decay_steps``).

    Parameters
    ----------
    initial_learning_rate : float
        >= 0.
    decay_steps : float
        > 0.
    decay_rate : float
        >= 0.
    staircase : bool
    name : str, optional

    Raises
    ------
    ValueError
        For an argument out of range or not a finite number.

    Example
    -------
    >>> _StepDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True).progress(7)
    1
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        owner = type(self).__name__
        check_number(owner, "initial_learning_rate", initial_learning_rate, minimum=0)
        check_number(owner, "decay_steps", decay_steps, minimum=0, exclusive=True)
        check_number(owner, "decay_rate", decay_rate, minimum=0)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, staircase
        self.name = name or owner

    def progress(self, step):
        """``step / decay_steps``, floored if ``staircase``."""
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** p``, ``p = step / decay_steps``.

    ``p`` is floored if ``staircase``.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : float
        > 0.
    decay_rate : float
        >= 0 (below 1 to decay).
    staircase : bool
    name : str

    Raises
    ------
    ValueError
        For an argument out of range or not a finite number.

    Example
    -------
    >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(10)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return float(self.initial_learning_rate * self.decay_rate ** self.progress(step))


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * p)``, ``p = step / decay_steps``.

    ``p`` is floored if ``staircase``.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : float
        > 0.
    decay_rate : float
        >= 0.
    staircase : bool
    name : str

    Raises
    ------
    ValueError
        For an argument out of range or not a finite number.

    Example
    -------
    >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=1.0)(1)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return float(self.initial_learning_rate / (1 + self.decay_rate * self.progress(step)))
