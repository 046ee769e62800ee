"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule (Dozat, 2015)."""

import numpy as np

from layerkit.optimizers.adam import check_betas
from layerkit.optimizers.optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam, Keras's formulation.

    With ``μ_t = b1 (1 - ½ · 0.96^t)`` and the product ``Π_t = μ_1 ⋯ μ_t`` (kept as
    shared state, updated once per step): ``m = m + (g - m)(1 - b1)``,
    ``v = v + (g² - v)(1 - b2)``,
    ``m̂ = μ_{t+1} m / (1 - Π_t μ_{t+1}) + (1 - μ_t) g / (1 - Π_t)``,
    ``v̂ = v / (1 - b2^t)`` and ``w -= lr m̂ / (sqrt(v̂) + epsilon)``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    beta_1, beta_2 : float
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float
        Added to the denominator, >= 0 (1e-7).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For an argument out of its range.

    Example
    -------
    >>> w = np.array([1.0])
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.apply([np.array([2.0])], [w])
    >>> float(opt.shared_variables()[0]) == 0.9 * (1 - 0.5 * 0.96)   # Π_1 = μ_1
    True
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = check_betas(beta_1, beta_2, epsilon)
        self._u_product = None

    def slot_groups(self):
        return [("momentum", "velocity")]

    def build(self, variables):
        super().build(variables)
        if self._u_product is None and len(variables):
            self._u_product = np.ones((), dtype=variables[0].dtype)  # Keras: the first weight's

    def shared_variables(self):
        """``[Π_t]``, the product of the momentum schedule (Keras's last variable)."""
        return [] if self._u_product is None else [self._u_product]

    def _mu(self, step):
        return self.beta_1 * (1.0 - 0.5 * 0.96**step)

    def update_steps(self, grads, variables, learning_rate):
        self._u_product *= self._mu(self.iterations + 1)
        super().update_steps(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        step = self.iterations + 1
        mu, mu_next = self._mu(step), self._mu(step + 1)
        product = self._u_product.astype(variable.dtype)
        slots = self.slots(variable)
        m, v = slots["momentum"], slots["velocity"]
        m += (gradient - m) * (1 - self.beta_1)
        v += (np.square(gradient) - v) * (1 - self.beta_2)
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu) * gradient / (1 - product)
        v_hat = v / (1 - self.beta_2**step)
        variable -= m_hat * learning_rate / (np.sqrt(v_hat) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
