"""Cosine schedules (Loshchilov and Hutter, SGDR): CosineDecay with warmup, CosineDecayRestarts."""

import math

from layerkit.initializers.initializer import check_number
from layerkit.optimizers.schedules.schedule import LearningRateSchedule


def _cosine(completed_fraction, alpha):
    """``(1 - alpha) * (1 + cos(π t)) / 2 + alpha``: from 1 at t = 0 down to ``alpha`` at t = 1."""
    return (1 - alpha) * 0.5 * (1.0 + math.cos(math.pi * completed_fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then a cosine decay to ``alpha`` times the peak rate.

    Without ``warmup_target``: ``initial * cos_α(min(step, decay_steps) / decay_steps)``,
    where ``cos_α(t) = (1 - α)(1 + cos(π t)) / 2 + α``. With it: a straight line
    from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then
    ``warmup_target * cos_α(min(step - warmup_steps, decay_steps) / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
        >= 0.
    decay_steps : float
        > 0.
    alpha : float
        Final rate as a fraction of the peak, >= 0.
    name : str
    warmup_target : float, optional
        Peak rate reached after the warmup (None: no warmup).
    warmup_steps : float
        >= 0.

    Raises
    ------
    ValueError
        For an argument out of range or not a finite number.

    Example
    -------
    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)
    >>> [round(schedule(step), 10) for step in (0, 5, 10, 15, 99)]
    [0.0, 0.1, 0.05, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        check_number("CosineDecay", "initial_learning_rate", initial_learning_rate, minimum=0)
        check_number("CosineDecay", "decay_steps", decay_steps, minimum=0, exclusive=True)
        check_number("CosineDecay", "alpha", alpha, minimum=0)
        check_number("CosineDecay", "warmup_target", warmup_target, minimum=0, optional=True)
        check_number("CosineDecay", "warmup_steps", warmup_steps, minimum=0)
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        if self.warmup_target is None:
            step = min(step, self.decay_steps)
            return float(self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return float(rise * (step / self.warmup_steps) + self.initial_learning_rate)
        decayed = _cosine((step - self.warmup_steps) / self.decay_steps, self.alpha)
        return float(self.warmup_target * decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decays with warm restarts (SGDR): period i lasts ``first_decay_steps * t_mul**i``.

    Within period i, at fraction t of it, the rate is
    ``initial * ((1 - α) m_mul**i (1 + cos(π t)) / 2 + α)``. The period index is
    ``i = floor(log(1 - s (1 - t_mul)) / log(t_mul))`` with ``s = step /
    first_decay_steps`` (``i = floor(s)`` when ``t_mul == 1``), computed as Keras
    does so that the restarts fall on the same steps.

    Parameters
    ----------
    initial_learning_rate : float
        >= 0.
    first_decay_steps : float
        Length of the first period, > 0.
    t_mul : float
        Growth of the period length, > 0.
    m_mul : float
        Factor on the peak rate at each restart, >= 0.
    alpha : float
        Final rate of each period as a fraction of ``initial_learning_rate``, >= 0.
    name : str

    Raises
    ------
    ValueError
        For an argument out of range or not a finite number; when called, for a
        step past the finite total length ``first_decay_steps / (1 - t_mul)`` that
        a ``t_mul < 1`` gives.

    Example
    -------
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0)
    >>> [round(schedule(step), 10) for step in (0, 5, 10, 20, 30)]
    [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        check_number("CosineDecayRestarts", "initial_learning_rate", initial_learning_rate, minimum=0)
        check_number("CosineDecayRestarts", "first_decay_steps", first_decay_steps, minimum=0,
                     exclusive=True)
        check_number("CosineDecayRestarts", "t_mul", t_mul, minimum=0, exclusive=True)
        check_number("CosineDecayRestarts", "m_mul", m_mul, minimum=0)
        check_number("CosineDecayRestarts", "alpha", alpha, minimum=0)
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def _period(self, step):
        """``(i, t)``: the index of the period ``step`` falls in and the fraction of it done."""
        s = step / self.first_decay_steps
        if self.t_mul == 1.0:
            i = math.floor(s)
            return i, s - i
        remaining = 1.0 - s * (1.0 - self.t_mul)
        if remaining <= 0:
            raise ValueError(
                f"CosineDecayRestarts with t_mul={self.t_mul} < 1 lasts "
                f"{self.first_decay_steps / (1 - self.t_mul)} steps in all. Received: step={step}"
            )
        # On a restart the ratio is an integer up to rounding (1.9999999999999998 at step 19
        # for t_mul=0.9): the tolerance starts the new period there, as exact arithmetic does
        # (and Keras, whose floor runs in float32).
        i = math.floor(math.log(remaining) / math.log(self.t_mul) + 1e-9)
        done = (1.0 - self.t_mul ** i) / (1.0 - self.t_mul)
        return i, (s - done) / self.t_mul ** i

    def __call__(self, step):
        i, fraction = self._period(step)
        cosine = 0.5 * self.m_mul ** i * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}
