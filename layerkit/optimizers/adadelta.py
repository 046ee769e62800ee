"""Adadelta: steps scaled by running averages of squared gradients and updates (Zeiler, 2012)."""

import numpy as np

from layerkit.optimizers.arguments import check_number
from layerkit.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta, Keras's formulation (with a learning rate, 1.0 in the paper).

    ``E[g²] = rho E[g²] + (1 - rho) g²``,
    ``Δ = -sqrt(E[Δ²] + epsilon) / sqrt(E[g²] + epsilon) · g``,
    ``E[Δ²] = rho E[Δ²] + (1 - rho) Δ²`` and ``w += lr Δ``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    rho : float
        The decay rate, in [0, 1] (0.95).
    epsilon : float
        Added under the square roots, >= 0 (1e-7).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For an argument out of its range.

    Example
    -------
    >>> w = np.array([1.0])
    >>> Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0).apply([np.array([3.0])], [w])
    >>> w     # 1 - sqrt(0 + 1) / sqrt(9 + 1) * 3
    array([0.05131670])
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_number("rho", rho, 0, 1)
        self.epsilon = check_number("epsilon", epsilon, low=0)

    def slot_groups(self):
        return [("accumulated_grad", "accumulated_delta_var")]

    def update_step(self, gradient, variable, learning_rate):
        slots, rho = self.slots(variable), self.rho
        accumulated_grad, accumulated_delta = slots["accumulated_grad"], slots["accumulated_delta_var"]
        accumulated_grad *= rho
        accumulated_grad += (1 - rho) * np.square(gradient)
        delta = -(np.sqrt(accumulated_delta + self.epsilon) * gradient
                  / np.sqrt(accumulated_grad + self.epsilon))
        accumulated_delta *= rho
        accumulated_delta += (1 - rho) * np.square(delta)
        variable += learning_rate * delta

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
