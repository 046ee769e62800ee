"""Adafactor: Adam-like steps with factored second moments (Shazeer & Stern, 2018)."""

import math

import numpy as np

from layerkit.optimizers.arguments import check_bool, check_number
from layerkit.optimizers.optimizer import Optimizer


def _rms(x):
    return np.sqrt(np.mean(np.square(x)))


class Adafactor(Optimizer):
    """Adafactor, Keras's formulation: a weight of 2 or more dimensions keeps row and column means.

    At step t: ``ρ = min(lr, 1/√t)`` (with ``relative_step`` and a float rate, lr is
    first capped the same way), ``α = max(ε₂, rms(w)) ρ``, ``ĝ² = g² + ε₁``,
    ``β = 1 - t^beta_2_decay``. A weight of 2+ dimensions keeps
    ``r = β r + (1-β) mean(ĝ², last axis)``, ``c = β c + (1-β) mean(ĝ², second-last axis)``
    and uses ``v = (r / mean(r)) ⊗ c``; a 1-D weight keeps ``v = β v + (1-β) ĝ²`` (its
    ``r`` and ``c`` are unused 0-d placeholders, as in Keras).
    Then ``u = g / √v``, ``û = u / max(1, rms(u) / clip_threshold)`` and ``w -= α û``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    beta_2_decay : float
        <= 0; the decay rate of beta_2 (-0.8).
    epsilon_1 : float
        >= 0; keeps the denominator away from 0 (1e-30).
    epsilon_2 : float
        >= 0; the smallest weight scale of a step (1e-3).
    clip_threshold : float
        > 0; the update's RMS is clipped to it (1.0).
    relative_step : bool
        Cap a constant learning rate by ``1/√t``.
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For an argument out of its range.

    Example
    -------
    >>> w = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> opt = Adafactor(learning_rate=0.1)
    >>> opt.apply([np.ones((2, 2))], [w])
    >>> [s.shape for s in opt.variables_for([w])[2:]]    # r, c, velocity
    [(2,), (2,), (2, 2)]
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_2_decay = check_number("beta_2_decay", beta_2_decay, high=0)
        self.epsilon_1 = check_number("epsilon_1", epsilon_1, low=0)
        self.epsilon_2 = check_number("epsilon_2", epsilon_2, low=0)
        self.clip_threshold = check_number("clip_threshold", clip_threshold, low=0, low_open=True)
        self.relative_step = check_bool("relative_step", relative_step)

    def slot_groups(self):
        return [("r", "c", "velocity")]

    def create_slot(self, variable, name):
        shape = variable.shape
        if name == "r":
            shape = shape[:-1] if variable.ndim >= 2 else ()
        elif name == "c":
            shape = shape[:-2] + shape[-1:] if variable.ndim >= 2 else ()
        return np.zeros(shape, dtype=variable.dtype)

    def update_step(self, gradient, variable, learning_rate):
        step = self.iterations + 1
        if not callable(self.learning_rate) and self.relative_step:
            learning_rate = min(learning_rate, 1 / math.sqrt(step))
        rho = min(learning_rate, 1 / math.sqrt(step))
        alpha = max(self.epsilon_2, _rms(variable)) * rho
        squared = np.square(gradient) + self.epsilon_1
        beta = 1 - step**self.beta_2_decay
        slots = self.slots(variable)
        v = slots["velocity"]
        if variable.ndim >= 2:
            r, c = slots["r"], slots["c"]
            r[...] = beta * r + (1 - beta) * np.mean(squared, axis=-1)
            c[...] = beta * c + (1 - beta) * np.mean(squared, axis=-2)
            v[...] = (r / np.mean(r, axis=-1, keepdims=True))[..., :, None] * c[..., None, :]
        else:
            v[...] = beta * v + (1 - beta) * squared
        u = gradient / np.sqrt(v)
        variable -= alpha * (u / max(1.0, _rms(u) / self.clip_threshold))

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}
