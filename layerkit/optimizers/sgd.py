"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from layerkit.optimizers.arguments import check_bool, check_number
from layerkit.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent: ``w -= learning_rate * g``, with Keras's momentum rule.

    With ``momentum`` m, a velocity ``v = m v - learning_rate g`` is kept per
    weight and ``w += v`` (Nesterov: ``w += m v - learning_rate g``). This
    equals PyTorch's ``SGD(momentum=m)`` for a constant learning rate.

    Parameters
    ----------
    learning_rate : float or callable
        Step size, 0.01 by default.
    momentum : float
        In [0, 1]; 0 is plain gradient descent.
    nesterov : bool
        Use Nesterov momentum.
    **kwargs
        ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
        ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
        ``gradient_accumulation_steps``, ``name``: as for :class:`~layerkit.optimizers.Optimizer`.

    Raises
    ------
    ValueError
        If ``momentum`` is outside [0, 1].

    Example
    -------
    >>> import numpy as np
    >>> w = np.array([1.0]); SGD(learning_rate=0.1).apply([np.array([2.0])], [w]); w
    array([0.8])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_number("momentum", momentum, 0, 1)
        self.nesterov = check_bool("nesterov", nesterov)

    def slot_groups(self):
        return [("momentum",)] if self.momentum else []

    def update_step(self, gradient, variable, learning_rate):
        if not self.momentum:
            variable -= gradient * learning_rate
            return
        velocity = self.slots(variable)["momentum"]
        velocity *= self.momentum
        velocity -= gradient * learning_rate
        if self.nesterov:
            variable += velocity * self.momentum - gradient * learning_rate
        else:
            variable += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
