"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, section 7.1)."""

import numpy as np

from layerkit.optimizers.adam import check_betas
from layerkit.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax, Keras's formulation.

    ``m = m + (g - m)(1 - b1)``, ``u = max(b2 u, |g|)`` and
    ``w -= lr m / ((1 - b1^t)(u + epsilon))``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    beta_1, beta_2 : float
        Decay rates of the first moment and of the infinity norm, in [0, 1).
    epsilon : float
        Added to the norm, >= 0 (1e-7).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For an argument out of its range.

    Example
    -------
    >>> w = np.array([1.0])
    >>> Adamax(learning_rate=0.1, epsilon=0.0).apply([np.array([-4.0])], [w])
    >>> w     # first step: lr · sign(g)
    array([1.1])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = check_betas(beta_1, beta_2, epsilon)

    def slot_groups(self):
        return [("momentum", "norm")]

    def update_step(self, gradient, variable, learning_rate):
        slots = self.slots(variable)
        m, u = slots["momentum"], slots["norm"]
        m += (gradient - m) * (1 - self.beta_1)
        np.maximum(self.beta_2 * u, np.abs(gradient), out=u)
        beta_1_power = self.beta_1 ** (self.iterations + 1)
        variable -= learning_rate * m / ((1 - beta_1_power) * (u + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
