"""Lion: evolved sign momentum (Chen et al., 2023)."""

import numpy as np

from layerkit.optimizers.arguments import check_number
from layerkit.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Lion: a step of fixed size ``lr`` along the sign of an interpolated momentum.

    ``w -= lr · sign(b1 m + (1 - b1) g)``, then ``m = b2 m + (1 - b2) g``.

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default (typically 3-10x smaller than AdamW's).
    beta_1 : float
        In (0, 1]: how much of the momentum the step's sign takes (0.9).
    beta_2 : float
        In [0, 1]: the momentum's decay rate (0.99).
    **kwargs
        The arguments of :class:`~layerkit.optimizers.Optimizer` (``weight_decay``...).

    Raises
    ------
    ValueError
        For ``beta_1`` outside (0, 1] (Keras: Lion degenerates to SignSGD) or ``beta_2``
        outside [0, 1].

    Example
    -------
    >>> w = np.array([1.0, 1.0])
    >>> Lion(learning_rate=0.1).apply([np.array([3.0, -0.01])], [w])
    >>> w
    array([0.9, 1.1])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if isinstance(beta_1, (int, float)) and not isinstance(beta_1, bool) and (
                beta_1 <= 0 or beta_1 > 1):
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1 = check_number("beta_1", beta_1, 0, 1, low_open=True)
        self.beta_2 = check_number("beta_2", beta_2, 0, 1)

    def slot_groups(self):
        return [("momentum",)]

    def update_step(self, gradient, variable, learning_rate):
        m = self.slots(variable)["momentum"]
        variable -= learning_rate * np.sign(m * self.beta_1 + gradient * (1.0 - self.beta_1))
        m *= self.beta_2
        m += gradient * (1.0 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
