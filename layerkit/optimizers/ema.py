"""Keras's exponential moving average of the weights (``use_ema``), kept as a slot per weight.

After each call of ``update``: ``average = m · average + (1 − m) · w`` with
``m = ema_momentum``, except at the first update, where ``m = 0`` (the average starts
as the weight). Every ``ema_overwrite_frequency`` updates the weights are replaced by
their averages; otherwise :meth:`~MovingAverages.finalize_variable_values` does it,
which Keras's ``fit`` calls after its last epoch. With gradient accumulation the
count is Keras's ``iterations`` (updates, not calls).
"""

import numpy as np


class MovingAverages:
    """The moving-average half of :class:`~layerkit.optimizers.Optimizer` (the ``average`` slots)."""

    def update_moving_averages(self, variables):
        """Move each weight's average towards it; overwrite the weights when it is time."""
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        for variable in variables:
            average = self.slots(variable)["average"]
            average *= momentum
            average += (1 - momentum) * variable
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            for variable in variables:
                np.copyto(variable, self.slots(variable)["average"])

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, replace each weight by its moving average (Keras does it after ``fit``).

        Parameters
        ----------
        var_list : list of ndarray
            The weights, changed in place.

        Raises
        ------
        ValueError
            If the optimizer holds no average for one of the weights; nothing changes.

        Example
        -------
        >>> from layerkit.optimizers import SGD
        >>> w = np.array([1.0])
        >>> opt = SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.5)
        >>> opt.apply([np.array([1.0])], [w]); opt.apply([np.array([1.0])], [w])
        >>> w, opt.slots(w)["average"]      # averages: 0.5, then 0.5 · 0.5 + 0.5 · 0
        (array([0.]), array([0.25]))
        >>> opt.finalize_variable_values([w]); w
        array([0.25])
        """
        if not self.use_ema:
            return
        var_list = list(var_list)
        unknown = [v.shape for v in var_list if not self.is_tracking(v)]
        if unknown:
            raise ValueError(f"Optimizer {self.name!r} holds no moving average for weights of "
                             f"shapes {unknown}: it has not updated them.")
        for variable in var_list:
            np.copyto(variable, self.slots(variable)["average"])
