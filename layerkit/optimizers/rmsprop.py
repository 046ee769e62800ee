"""RMSprop: steps divided by a running root mean square of the gradients (Hinton, 2012)."""

import numpy as np

from layerkit.optimizers.arguments import check_bool, check_number
from layerkit.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, Keras's formulation: plain momentum, optionally centered.

    ``v = rho v + (1 - rho) g²``; centered, ``a = rho a + (1 - rho) g`` and the
    denominator is ``sqrt(v - a² + epsilon)``, else ``sqrt(v + epsilon)``;
    ``Δ = lr g / denominator``; with momentum ``μ``: ``m = μ m + Δ`` and ``w -= m``,
    else ``w -= Δ``. (Epsilon is inside the square root, unlike PyTorch's.)

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    rho : float
        Discounting factor of the old squared gradients, in [0, 1] (0.9).
    momentum : float
        In [0, 1]; 0 keeps no momentum slot.
    epsilon : float
        Added under the square root, >= 0 (1e-7).
    centered : bool
        Normalise by the estimated variance of the gradient instead of its second moment.
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For an argument out of its range.

    Example
    -------
    >>> w = np.array([10.0])
    >>> RMSprop(learning_rate=0.1).apply([np.array([10.0])], [w])
    >>> np.round(w, 6)    # Keras's docstring: 9.683772
    array([9.683772])
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_number("rho", rho, 0, 1)
        self.momentum = check_number("momentum", momentum, 0, 1)
        self.epsilon = check_number("epsilon", epsilon, low=0)
        self.centered = check_bool("centered", centered)

    def slot_groups(self):
        return ([("velocity",)] + ([("momentum",)] if self.momentum > 0 else [])
                + ([("average_gradient",)] if self.centered else []))

    def update_step(self, gradient, variable, learning_rate):
        slots, rho = self.slots(variable), self.rho
        velocity = slots["velocity"]
        velocity *= rho
        velocity += (1 - rho) * np.square(gradient)
        if self.centered:
            average = slots["average_gradient"]
            average *= rho
            average += (1 - rho) * gradient
            denominator = velocity - np.square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = learning_rate * gradient / np.sqrt(denominator)
        if self.momentum > 0:
            momentum = slots["momentum"]
            momentum *= self.momentum
            momentum += increment
            variable -= momentum
        else:
            variable -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
