"""Stochastic gradient descent, with optional (Nesterov) momentum."""

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
    weight_decay, clipnorm, clipvalue, global_clipnorm, name
        As for :class:`~layerkit.optimizers.Optimizer`.

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

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="SGD", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not (
                0 <= momentum <= 1):
            raise ValueError("`momentum` must be a float in the range [0, 1]. "
                             f"Received: momentum={momentum!r}")
        self.momentum, self.nesterov = momentum, bool(nesterov)

    def slot_groups(self):
        return [("momentum",)] if self.momentum else []

    def update_step(self, gradient, variable, learning_rate):
        if not self.momentum:
            variable -= learning_rate * gradient
            return
        velocity = self.slots(variable)["momentum"]
        velocity *= self.momentum
        velocity -= learning_rate * gradient
        if self.nesterov:
            variable += self.momentum * velocity - learning_rate * gradient
        else:
            variable += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
