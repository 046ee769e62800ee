"""Adam: adaptive moment estimation (Kingma & Ba), Keras's formulation."""

import math

import numpy as np

from layerkit.optimizers.arguments import check_bool, check_number
from layerkit.optimizers.optimizer import Optimizer


def check_betas(beta_1, beta_2, epsilon):
    """``(beta_1, beta_2, epsilon)`` checked: betas in [0, 1), epsilon >= 0 (floats).

    A beta of 1 would divide the bias correction ``1 - beta^t`` by zero.
    """
    return (check_number("beta_1", beta_1, 0, 1, high_open=True),
            check_number("beta_2", beta_2, 0, 1, high_open=True),
            check_number("epsilon", epsilon, low=0))


class Adam(Optimizer):
    """Adam: per-weight steps scaled by running estimates of the gradient's moments.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²`` and
    ``w -= lr · sqrt(1 - b2^t) / (1 - b1^t) · m / (sqrt(v) + epsilon)``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float
        Added to the denominator (Keras's 1e-7), >= 0.
    amsgrad : bool
        Use the maximum of past second moments (AMSGrad).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Example
    -------
    >>> w = np.array([1.0]); Adam(learning_rate=0.1).apply([np.array([2.0])], [w])
    >>> np.round(w, 6)
    array([0.9])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = check_betas(beta_1, beta_2, epsilon)
        self.amsgrad = check_bool("amsgrad", amsgrad)

    def slot_groups(self):
        return [("momentum", "velocity")] + ([("velocity_hat",)] if self.amsgrad else [])

    def update_step(self, gradient, variable, learning_rate):
        step = self.iterations + 1
        alpha = learning_rate * math.sqrt(1 - self.beta_2**step) / (1 - self.beta_1**step)
        slots = self.slots(variable)
        m, v = slots["momentum"], slots["velocity"]
        m += (gradient - m) * (1 - self.beta_1)
        v += (np.square(gradient) - v) * (1 - self.beta_2)
        if self.amsgrad:
            v = np.maximum(slots["velocity_hat"], v, out=slots["velocity_hat"])
        variable -= m * alpha / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
