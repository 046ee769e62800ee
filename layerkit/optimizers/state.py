"""An optimizer's state: slots kept per weight array, listed publicly in Keras 3's variable order.

:class:`OptimizerState` is the half of :class:`~layerkit.optimizers.Optimizer` that
holds state. Each weight array the optimizer sees gets its own slots (``build``),
created fresh for a weight never seen; freezing or removing a layer never hands one
weight another's momentum. :meth:`~OptimizerState.variables_for` lists the state for the
weights of one model in Keras's order, and :meth:`~OptimizerState.load_variables_for`
restores it, all checked first:

1. ``iterations`` (Keras counts every call, accumulation steps included),
2. the learning rate, unless it is a schedule or a callable,
3. the slots, group by group (``slot_groups``): within a group, each weight in turn
   with each of the group's slots (Keras's ``add_optimizer_variables``). The
   exponential moving averages (``use_ema``) come first, then the gradient
   accumulators (``gradient_accumulation_steps``), then the optimizer's own groups,
4. state shared by all weights (``shared_variables``: Nadam's momentum product).
"""

import numpy as np

from layerkit import backend


class OptimizerState:
    """Per-weight slots and their public, Keras-ordered list (a base of ``Optimizer``).

    Subclasses name their slots in :meth:`slot_groups` and may shape them in
    :meth:`create_slot`; the optimizer's arguments add the EMA and accumulator groups.
    """

    def _init_state(self):
        self._iterations = 0
        self._tracked = {}  # id(weight) -> (weight, {slot name: array}); the weight is kept alive
        self._paths = {}    # id(weight) -> (weight, "layer/weight"), from set_variable_paths

    # -------------------------------------------------------------- subclass API
    def slot_groups(self):
        """The optimizer's own per-weight state: groups of slot names, in Keras's order."""
        return []

    def create_slot(self, variable, name):
        """A fresh array for slot ``name`` of ``variable`` (zeros like it), or None if it has none.

        Override to give a slot another shape or start value (Adagrad's accumulator,
        Adafactor's factored rows and columns) or to leave it out for some weights.
        """
        return backend.zeros(variable.shape, variable.dtype)

    def shared_variables(self):
        """Live 0-d arrays shared by all weights, listed after the slots (none by default)."""
        return []

    def state_groups(self):
        """Every slot group in Keras's order: EMA averages, gradient accumulators, :meth:`slot_groups`."""
        groups = [("average",)] if self.use_ema else []
        if self.gradient_accumulation_steps:
            groups.append(("gradient_accumulator",))
        return groups + list(self.slot_groups())

    # -------------------------------------------------------------- weights and their slots
    @property
    def built(self):
        """Whether the optimizer holds state for any weight."""
        return bool(self._tracked)

    def build(self, variables):
        """Create fresh slots for each of ``variables`` the optimizer has not seen."""
        names = [name for group in self.state_groups() for name in group]
        for variable in variables:
            if id(variable) not in self._tracked:
                slots = {name: self.create_slot(variable, name) for name in names}
                self._tracked[id(variable)] = (variable, {k: v for k, v in slots.items()
                                                          if v is not None})

    def slots(self, variable):
        """The optimizer's state for one weight: ``{slot name: array}`` (live arrays)."""
        return self._tracked[id(variable)][1]

    def untracked(self, variables):
        """Those of ``variables`` the optimizer holds no state for, in order."""
        if self._tracked.keys() >= set(map(id, variables)):  # the usual case, without a loop
            return []
        return [variable for variable in variables if id(variable) not in self._tracked]

    def is_tracking(self, variable):
        """Whether the optimizer holds state for this weight array."""
        return id(variable) in self._tracked

    @property
    def tracked_variables(self):
        """The weights the optimizer holds state for, in the order it first saw them."""
        return [variable for variable, _ in self._tracked.values()]

    def set_variable_paths(self, variables, paths):
        """Name weight arrays by their paths (``"dense_1/kernel"``: layer name / weight name).

        A layerkit weight is a bare array; the paths let ``exclude_from_weight_decay(
        var_names=...)`` (and Muon's ``exclude_layers``) recognise weights by name.

        Raises
        ------
        ValueError
            If the lists differ in length or a path is not a non-empty string.
        """
        variables, paths = list(variables), list(paths)
        if len(variables) != len(paths) or not all(isinstance(p, str) and p for p in paths):
            raise ValueError(f"Expected one non-empty string path per weight; got {len(paths)} "
                             f"paths for {len(variables)} weights: {paths!r}")
        for variable, path in zip(variables, paths):
            self._paths[id(variable)] = (variable, path)

    def variable_path(self, variable):
        """The path given to :meth:`set_variable_paths` for this weight, or None."""
        entry = self._paths.get(id(variable))
        return None if entry is None else entry[1]

    # -------------------------------------------------------------- the public state
    def _head_variables(self):
        values = [np.asarray(self._iterations, dtype=np.int64)]
        if not callable(self.learning_rate):  # float64: a resumed run uses the very same rate
            values.append(np.asarray(self.learning_rate, dtype=np.float64))
        return values

    def variables_for(self, variables):
        """Keras's variable list for these weights: iterations, learning rate, slots, shared state.

        The slots and shared state are the live arrays (a weight not seen yet gets
        fresh slots first); the iterations and the learning rate are 0-d copies. This
        is what a weights file stores under ``/optimizer/vars``.
        """
        self.build(variables)
        slots = [self.slots(v)[name] for group in self.state_groups() for v in variables
                 for name in group if name in self.slots(v)]
        return self._head_variables() + slots + self.shared_variables()

    @property
    def variables(self):
        """The whole state in Keras's order, for every weight the optimizer tracks."""
        return self.variables_for(self.tracked_variables)

    def load_variables_for(self, values, variables):
        """Restore a state saved with :meth:`variables_for` for these weights.

        Everything is checked first (count, shapes, dtypes, finite values, a
        non-negative integer step count); on any error nothing changes.

        Raises
        ------
        ValueError
            Naming the state array that does not fit.
        """
        expected = self.variables_for(variables)
        values = [np.asarray(v) for v in values]
        if len(values) != len(expected):
            raise ValueError(f"Optimizer {self.name!r} has {len(expected)} state arrays for these "
                             f"weights; the saved state has {len(values)}.")
        for k, (value, target) in enumerate(zip(values, expected)):
            if value.shape != target.shape:
                raise ValueError(f"Optimizer {self.name!r} state array {k}: expected shape "
                                 f"{target.shape}, found {value.shape}.")
            if k == 0:
                if value.dtype.kind not in "iu" or not 0 <= int(value) < 2**62:
                    raise ValueError(f"Optimizer {self.name!r}: the step count must be a "
                                     f"non-negative integer. Found {value!r}.")
            elif value.dtype.kind != "f" or not np.isfinite(value).all() or (
                    np.abs(value).max(initial=0) > np.finfo(target.dtype).max):
                raise ValueError(f"Optimizer {self.name!r} state array {k}: expected finite "
                                 f"floating-point values that fit {target.dtype}; found "
                                 f"{value.dtype} values that do not.")
        self._iterations = int(values[0])
        start = 1
        if not callable(self.learning_rate):
            # Keras stores the rate in float32: the same rate rounded keeps its exact value here.
            if values[1].item() != np.asarray(self.learning_rate, dtype=values[1].dtype).item():
                self.learning_rate = float(values[1])
            start = 2
        for target, value in zip(expected[start:], values[start:]):
            np.copyto(target, value, casting="unsafe")
