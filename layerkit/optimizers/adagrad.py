"""Adagrad: per-weight steps scaled by the root of all past squared gradients (Duchi et al., 2011)."""

import numpy as np

from layerkit.optimizers.arguments import check_number
from layerkit.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad, Keras's formulation.

    ``a += g²`` (``a`` starts at ``initial_accumulator_value``), then
    ``w -= lr g / sqrt(a + epsilon)``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default (the paper's form is 1.0).
    initial_accumulator_value : float
        Starting value of the accumulators, >= 0 (0.1).
    epsilon : float
        Added under the square root, >= 0 (1e-7).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For a negative ``initial_accumulator_value`` or ``epsilon``.

    Example
    -------
    >>> w = np.array([1.0])
    >>> Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0).apply(
    ...     [np.array([2.0])], [w])
    >>> w     # 1 - 0.1 * 2 / sqrt(4)
    array([0.9])
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_number(
            "initial_accumulator_value", initial_accumulator_value, low=0)
        self.epsilon = check_number("epsilon", epsilon, low=0)

    def slot_groups(self):
        return [("accumulator",)]

    def create_slot(self, variable, name):
        if name == "accumulator":
            return np.full(variable.shape, self.initial_accumulator_value, dtype=variable.dtype)
        return super().create_slot(variable, name)

    def update_step(self, gradient, variable, learning_rate):
        accumulator = self.slots(variable)["accumulator"]
        accumulator += np.square(gradient)
        variable -= learning_rate * gradient / np.sqrt(accumulator + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
