"""Decoupled weight decay and the weights kept out of it (Keras's ``exclude_from_weight_decay``).

Keras's rule, applied to each weight just before its update step:
``w ← w − w · weight_decay · learning_rate``. Keras matches ``var_names`` against a
variable's name; a layerkit weight is a bare array, so it is matched by the name and
path given to ``set_variable_paths`` (``"dense_1/bias"``): a weight is kept out of the
decay when one of the patterns is found (``re.search``) in its weight name
(``"bias"``, Keras's rule) or in its whole path (``"dense_1"`` names a layer).
"""

import re


class WeightDecay:
    """The weight-decay half of :class:`~layerkit.optimizers.Optimizer`."""

    def _init_weight_decay(self):
        self._excluded = {}           # id(weight) -> weight, from var_list
        self._excluded_pattern = None

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keep some weights out of the weight decay (call before the optimizer is built).

        Parameters
        ----------
        var_list : list of ndarray, optional
            Weight arrays to exclude (by identity).
        var_names : list of str, optional
            Regular expressions; a weight whose name (``"bias"``) or path
            (``"dense_1/bias"``, from :meth:`set_variable_paths`) contains a match is
            excluded.

        Raises
        ------
        ValueError
            If the optimizer is already built, or a name is not a valid regular
            expression.

        Example
        -------
        >>> import numpy as np
        >>> from layerkit.optimizers import SGD
        >>> kernel, bias = np.ones(2), np.ones(1)
        >>> opt = SGD(learning_rate=0.5, weight_decay=0.1)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
        >>> opt.set_variable_paths([kernel, bias], ["dense/kernel", "dense/bias"])
        >>> opt.apply([np.zeros(2), np.zeros(1)], [kernel, bias])
        >>> kernel, bias
        (array([0.95, 0.95]), array([1.]))
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        names = [] if var_names is None else var_names
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"`var_names` must be a list of non-empty strings. Received: "
                             f"var_names={var_names!r}")
        try:
            pattern = re.compile("|".join(sorted(set(names)))) if names else None
        except re.error as error:
            raise ValueError(f"`var_names` holds an invalid regular expression ({error}). "
                             f"Received: var_names={var_names!r}") from None
        self._excluded = {id(v): v for v in (var_list or [])}
        self._excluded_pattern = pattern

    def check_variable_paths(self, variables):
        """Raise if ``var_names`` is set and a weight has no path to match it against.

        Raises
        ------
        ValueError
            Naming the weight's shape and how to give paths.
        """
        if self._excluded_pattern is None:
            return
        for variable in variables:
            if self.variable_path(variable) is None and id(variable) not in self._excluded:
                raise ValueError(
                    f"Optimizer {self.name!r}: `exclude_from_weight_decay(var_names=...)` "
                    f"matches each weight's name and path, and a weight of shape "
                    f"{variable.shape} has none. Give them with "
                    "`optimizer.set_variable_paths(weights, paths)` (paths like "
                    "'dense_1/kernel'), or exclude arrays with `var_list`.")

    def use_weight_decay(self, variable):
        """Whether the decay applies to this weight (it was not excluded)."""
        if id(variable) in self._excluded:
            return False
        path = self.variable_path(variable)
        if self._excluded_pattern is None or path is None:
            return True
        name = path.rsplit("/", 1)[-1]
        return not (self._excluded_pattern.search(name) or self._excluded_pattern.search(path))

    def weight_decay_for(self, variable):
        """The decay rate for this weight: ``weight_decay``, or None when excluded or unset."""
        if self.weight_decay is None or not self.use_weight_decay(variable):
            return None
        return self.weight_decay

    def apply_weight_decay(self, variables, learning_rate):
        """``w ← w − w · decay · learning_rate`` in place, for each weight with a decay rate."""
        if not self.weight_decay:
            return
        for variable in variables:
            decay = self.weight_decay_for(variable)
            if decay:
                variable -= variable * decay * learning_rate
