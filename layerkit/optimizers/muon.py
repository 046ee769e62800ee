"""Muon: momentum orthogonalised by Newton-Schulz for 2-D weights, AdamW for the others."""

import math
import re

import numpy as np

from layerkit.optimizers.adam import check_betas
from layerkit.optimizers.arguments import check_bool, check_int, check_number, check_optional_number
from layerkit.optimizers.optimizer import Optimizer


def newton_schulz(x, steps, a, b, c):
    """Keras's quintic Newton-Schulz iteration: about ``U Vᵀ`` of the SVD ``x = U S Vᵀ``.

    ``x ← x / (‖x‖_F + 1e-7)``, then ``steps`` times: ``A = x xᵀ``,
    ``x ← a x + (b A + c A A) x`` (on the transpose when ``x`` has more rows than
    columns).

    Example
    -------
    >>> np.round(newton_schulz(np.array([[0.2499, 0.9105], [0.2655, 0.8824]]), 5,
    ...                        3.4445, -4.7750, 2.0315), 3)      # Keras's test values
    array([[-0.442,  0.646],
           [ 0.728,  0.297]])
    """
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = np.swapaxes(x, -1, -2)
    x = x / (np.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return np.swapaxes(x, -1, -2) if tall else x


class Muon(Optimizer):
    """Muon (Keller Jordan; Liu et al., 2025), Keras's formulation.

    A 2-D weight not excluded takes the Muon step: ``m = μ m + g``, ``u = g + μ m``
    (Nesterov) or ``u = m``, ``O = newton_schulz(u)`` and
    ``w -= lr O · sqrt(max(rows, cols)) · rms_rate``. Every other weight, and one
    whose path matches ``exclude_layers`` (or contains "embedding"), takes AdamW's
    step at ``lr · adam_lr_ratio`` with ``adam_weight_decay``. Paths come from
    :meth:`set_variable_paths` (``"dense_1/kernel"``).

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    adam_beta_1, adam_beta_2 : float
        The AdamW step's decay rates, in [0, 1).
    adam_weight_decay : float, optional
        The AdamW weights' decoupled decay, >= 0 (0.004).
    epsilon : float
        The AdamW step's epsilon, >= 0 (1e-7).
    weight_decay : float, optional
        The Muon weights' decoupled decay, >= 0 (0.004).
    exclude_layers : list of str, optional
        Regular expressions; a weight whose path matches one takes the AdamW step.
    exclude_embeddings : bool
        Weights whose path contains "embedding" take the AdamW step.
    muon_a, muon_b, muon_c : float
        The Newton-Schulz coefficients.
    adam_lr_ratio : float
        >= 0: the AdamW step's learning rate over ``learning_rate`` (1).
    momentum : float
        In [0, 1] (0.95).
    ns_steps : int
        >= 0 Newton-Schulz iterations (5).
    nesterov : bool
    rms_rate : float, optional
        >= 0 (0.2); None leaves the step unscaled.
    **kwargs
        The other arguments of :class:`~layerkit.optimizers.Optimizer`.

    Raises
    ------
    ValueError
        For an argument out of its range; at the first update, if ``exclude_layers``
        is set and a 2-D weight has no path.

    Example
    -------
    >>> w, b = np.eye(2), np.zeros(2)
    >>> opt = Muon(learning_rate=0.1, weight_decay=0.0)
    >>> opt.apply([np.ones((2, 2)), np.ones(2)], [w, b])
    >>> sorted(opt.slots(w)), sorted(opt.slots(b))         # the bias takes AdamW's step
    (['momentum'], ['momentum', 'velocity'])
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = check_betas(adam_beta_1, adam_beta_2, epsilon)
        self.adam_weight_decay = check_optional_number("adam_weight_decay", adam_weight_decay, low=0)
        layers = [] if exclude_layers is None else exclude_layers
        if not isinstance(layers, (list, tuple)) or not all(isinstance(k, str) and k for k in layers):
            raise ValueError(f"`exclude_layers` must be a list of non-empty strings. Received: "
                             f"exclude_layers={exclude_layers!r}")
        try:
            self._exclude_patterns = [re.compile(k) for k in layers]
        except re.error as error:
            raise ValueError(f"`exclude_layers` holds an invalid regular expression ({error}). "
                             f"Received: exclude_layers={exclude_layers!r}") from None
        self.exclude_layers = list(layers)
        self.exclude_embeddings = check_bool("exclude_embeddings", exclude_embeddings)
        self.muon_a, self.muon_b, self.muon_c = (check_number(n, v) for n, v in
                                                 (("muon_a", muon_a), ("muon_b", muon_b),
                                                  ("muon_c", muon_c)))
        self.adam_lr_ratio = check_number("adam_lr_ratio", adam_lr_ratio, low=0)
        self.momentum = check_number("momentum", momentum, 0, 1)
        self.ns_steps = check_int("ns_steps", ns_steps, 0)
        self.nesterov = check_bool("nesterov", nesterov)
        self.rms_rate = check_optional_number("rms_rate", rms_rate, low=0)

    def slot_groups(self):
        return [("momentum", "velocity")]

    def should_use_adamw(self, variable):
        """Whether this weight takes the AdamW step (not 2-D, or excluded by its path).

        Raises
        ------
        ValueError
            If ``exclude_layers`` is set and a 2-D weight has no path.
        """
        if variable.ndim != 2:
            return True
        path = self.variable_path(variable)
        if path is None:
            if self.exclude_layers:
                raise ValueError(f"Muon {self.name!r}: `exclude_layers` matches weight paths, and "
                                 f"a weight of shape {variable.shape} has none. Give them with "
                                 "`optimizer.set_variable_paths(weights, paths)` (paths like "
                                 "'dense_1/kernel').")
            return False
        return (self.exclude_embeddings and "embedding" in path.lower()) or any(
            p.search(path) for p in self._exclude_patterns)

    def build(self, variables):
        for variable in variables:  # every check before any slot is created
            if not self.is_tracking(variable):
                self.should_use_adamw(variable)
        super().build(variables)

    def create_slot(self, variable, name):
        if name == "velocity" and not self.should_use_adamw(variable):
            return None
        return super().create_slot(variable, name)

    def _uses_adamw(self, variable):
        return "velocity" in self.slots(variable)

    def weight_decay_for(self, variable):
        if not self.use_weight_decay(variable):
            return None
        return self.adam_weight_decay if self._uses_adamw(variable) else self.weight_decay

    def update_step(self, gradient, variable, learning_rate):
        if self._uses_adamw(variable):
            self._adamw_step(gradient, variable, learning_rate * self.adam_lr_ratio)
            return
        m = self.slots(variable)["momentum"]
        m += gradient + m * (self.momentum - 1)
        direction = gradient + self.momentum * m if self.nesterov else m
        update = learning_rate * newton_schulz(direction, self.ns_steps, self.muon_a, self.muon_b,
                                               self.muon_c)
        if self.rms_rate is not None:
            update = update * math.sqrt(max(update.shape[0], update.shape[1])) * self.rms_rate
        variable -= update

    def _adamw_step(self, gradient, variable, learning_rate):
        step = self.iterations + 1
        alpha = learning_rate * math.sqrt(1 - self.adam_beta_2**step) / (1 - self.adam_beta_1**step)
        slots = self.slots(variable)
        m, v = slots["momentum"], slots["velocity"]
        m += (gradient - m) * (1 - self.adam_beta_1)
        v += (np.square(gradient) - v) * (1 - self.adam_beta_2)
        variable -= m * alpha / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": list(self.exclude_layers), "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}
