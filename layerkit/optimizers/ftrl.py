"""FTRL-proximal: follow the regularized leader (McMahan et al., 2013), Keras's formulation."""

import numpy as np

from layerkit.optimizers.arguments import check_number
from layerkit.optimizers.optimizer import Optimizer


def _check_sign(name, value, sign):
    """Keras's wording for FTRL's arguments that must be >= 0 ("positive") or <= 0 ("negative")."""
    bound = {"positive": {"low": 0}, "negative": {"high": 0}}[sign]
    try:
        return check_number(name, value, **bound)
    except ValueError:
        raise ValueError(f"`{name}` needs to be {sign} or zero. Received: {name}={value!r}.") from None


class Ftrl(Optimizer):
    """FTRL with L1, L2 and L2-shrinkage regularization, as in Keras.

    With ``p = learning_rate_power``, ``λ2' = λ2 + beta / (2 lr)`` and
    ``ĝ = g + 2 λshrink w``: ``n' = n + g²``,
    ``z += ĝ - (n'^(-p) - n^(-p)) / lr · w``,
    ``w = (clip(z, -λ1, λ1) - z) / (n'^(-p) / lr + 2 λ2')`` and ``n = n'``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    learning_rate_power : float
        <= 0; -0.5 by default (0: a fixed learning rate).
    initial_accumulator_value : float
        >= 0; the accumulators ``n`` start there (0.1).
    l1_regularization_strength, l2_regularization_strength : float
        >= 0 (0).
    l2_shrinkage_regularization_strength : float
        >= 0: a magnitude penalty on the weights (0).
    beta : float
        >= 0: the paper's beta, added to the L2 term as ``beta / (2 lr)`` (0).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        With Keras's messages, for an argument of the wrong sign; at an update, for a
        learning rate of 0 (FTRL divides by it).

    Example
    -------
    >>> w = np.array([0.0])
    >>> Ftrl(learning_rate=1.0, initial_accumulator_value=0.0).apply([np.array([2.0])], [w])
    >>> w     # z = 2, n' = 4: w = (0 - 2) / sqrt(4)
    array([-1.])
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _check_sign(
            "initial_accumulator_value", initial_accumulator_value, "positive")
        self.learning_rate_power = _check_sign("learning_rate_power", learning_rate_power, "negative")
        self.l1_regularization_strength = _check_sign(
            "l1_regularization_strength", l1_regularization_strength, "positive")
        self.l2_regularization_strength = _check_sign(
            "l2_regularization_strength", l2_regularization_strength, "positive")
        self.l2_shrinkage_regularization_strength = _check_sign(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, "positive")
        self.beta = _check_sign("beta", beta, "positive")

    def slot_groups(self):
        return [("accumulator", "linear")]

    def create_slot(self, variable, name):
        if name == "accumulator":
            return np.full(variable.shape, self.initial_accumulator_value, dtype=variable.dtype)
        return super().create_slot(variable, name)

    def update_steps(self, grads, variables, learning_rate):
        """Every weight's step; FTRL divides by the learning rate, so 0 is refused first."""
        if not learning_rate > 0:
            raise ValueError(f"Ftrl divides by the learning rate, which is {learning_rate} at "
                             f"step {self.iterations}: it must be > 0. Nothing was updated.")
        super().update_steps(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        slots, power = self.slots(variable), -self.learning_rate_power
        accumulator, linear = slots["accumulator"], slots["linear"]
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        shrunk_gradient = gradient + 2 * self.l2_shrinkage_regularization_strength * variable
        new_accumulator = accumulator + np.square(gradient)
        linear += shrunk_gradient - (
            (np.power(new_accumulator, power) - np.power(accumulator, power)) / learning_rate) * variable
        quadratic = np.power(new_accumulator, power) / learning_rate + 2 * l2
        variable[...] = (np.clip(linear, -l1, l1) - linear) / quadratic
        accumulator[...] = new_accumulator

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
