"""The optimizer protocol: per-weight state, one update entry point, a public state API.

An optimizer owns the update rule and its state, nothing else: it never computes
gradients. Its state belongs to each weight array, not to a position in a list (as in
Keras): a weight it has never seen starts with fresh (zero) slots, and freezing or
removing a layer never hands one weight another's momentum. ``update(grads, weights)``
changes each weight array in place (a layer's ``kernel`` stays the same array) and
counts ``iterations``. A new optimizer is one file: a subclass naming its slots
(``slot_groups``) and writing ``update_step`` for one weight.

The state is public and in Keras 3's order: :attr:`variables` (iterations, the
learning rate, then the slots), :meth:`variables_for` and :meth:`load_variables_for`
for the weights of one model. Saving, resuming and undoing a step use only those.
"""

import numbers

import numpy as np

from layerkit import backend
from layerkit.optimizers import schedules

_CLIP_ARGS = ("clipnorm", "clipvalue", "global_clipnorm")


def _check_positive(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                              or not value > 0):
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}")


class Optimizer:
    """Base class of optimizers.

    Parameters
    ----------
    learning_rate : float or callable
        A float, or a schedule ``f(iterations) -> float``.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= learning_rate * weight_decay * w`` each step.
    clipnorm : float, optional
        Clip each gradient to this L2 norm.
    clipvalue : float, optional
        Clip each gradient's entries to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm.
    use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
    gradient_accumulation_steps
        Keras's arguments; only their defaults are supported for now.
    name : str, optional

    Raises
    ------
    ValueError
        For a negative learning rate or more than one of the clipping options.
    NotImplementedError
        For a non-default value of an argument not supported yet.

    Example
    -------
    >>> from layerkit.optimizers import SGD
    >>> w = np.array([1.0, 2.0])
    >>> SGD(learning_rate=0.5).apply([np.array([1.0, 1.0])], [w])
    >>> w
    array([0.5, 1.5])
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unsupported arguments: {sorted(kwargs)}")
        if not callable(learning_rate) and not (
                isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool)
                and np.isfinite(learning_rate) and learning_rate >= 0):
            raise ValueError(
                f"`learning_rate` must be a non-negative number or a schedule. "
                f"Received: learning_rate={learning_rate!r}")
        for arg, value in zip(_CLIP_ARGS, (clipnorm, clipvalue, global_clipnorm)):
            _check_positive(arg, value)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        if use_ema or loss_scale_factor is not None or gradient_accumulation_steps is not None:
            raise NotImplementedError(f"{type(self).__name__}: `use_ema`, `loss_scale_factor` and "
                                      "`gradient_accumulation_steps` are not supported yet.")
        self.learning_rate = learning_rate if callable(learning_rate) else float(learning_rate)
        self.weight_decay, self.clipnorm = weight_decay, clipnorm
        self.clipvalue, self.global_clipnorm = clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.iterations = 0
        self._tracked = {}  # id(weight) -> (weight, {slot name: array}); the weight is kept alive

    # -------------------------------------------------------------- subclass API
    def slot_groups(self):
        """The per-weight state, as groups of slot names, in Keras's variable order.

        Keras creates each group for every weight in turn (``momentum, velocity`` of
        the first weight, then of the second...), then the next group.
        """
        return []

    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable`` in place from its ``gradient``; ``self.slots(variable)`` is its state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    # -------------------------------------------------------------- state
    @property
    def built(self):
        """Whether the optimizer holds state for any weight."""
        return bool(self._tracked)

    def build(self, variables):
        """Create fresh (zero) slots for each of ``variables`` the optimizer has not seen."""
        names = [name for group in self.slot_groups() for name in group]
        for variable in variables:
            if id(variable) not in self._tracked:
                slots = {name: backend.zeros(variable.shape, variable.dtype) for name in names}
                self._tracked[id(variable)] = (variable, slots)

    def slots(self, variable):
        """The optimizer's state for one weight: ``{slot name: array}`` (live arrays)."""
        return self._tracked[id(variable)][1]

    def is_tracking(self, variable):
        """Whether the optimizer holds state for this weight array."""
        return id(variable) in self._tracked

    @property
    def tracked_variables(self):
        """The weights the optimizer holds state for, in the order it first saw them."""
        return [variable for variable, _ in self._tracked.values()]

    def _state_variables(self):
        values = [np.asarray(self.iterations, dtype=np.int64)]
        if not callable(self.learning_rate):  # float64: a resumed run uses the very same rate
            values.append(np.asarray(self.learning_rate, dtype=np.float64))
        return values

    def variables_for(self, variables):
        """Keras's variable list for these weights: iterations, learning rate, then the slots.

        The slots are the live arrays (a weight not seen yet gets fresh zeros first); the
        iterations and the learning rate are 0-d copies. This is what a weights file
        stores under ``/optimizer/vars``.
        """
        self.build(variables)
        slots = [self.slots(v)[name] for group in self.slot_groups() for v in variables
                 for name in group]
        return self._state_variables() + slots

    @property
    def variables(self):
        """The whole state in Keras's order: iterations, learning rate, every weight's slots."""
        return self.variables_for(self.tracked_variables)

    def load_variables_for(self, values, variables):
        """Restore a state saved with :meth:`variables_for` for these weights.

        Everything is checked first (count, shapes, finite values, a non-negative
        integer step count); on any error nothing changes.

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
        self.iterations = int(values[0])
        start = 1
        if not callable(self.learning_rate):
            # Keras stores the rate in float32: the same rate rounded keeps its exact value here.
            if values[1].item() != np.asarray(self.learning_rate, dtype=values[1].dtype).item():
                self.learning_rate = float(values[1])
            start = 2
        for target, value in zip(expected[start:], values[start:]):
            np.copyto(target, value, casting="unsafe")

    # -------------------------------------------------------------- updating
    def apply(self, grads, trainable_variables):
        """One optimisation step: ``trainable_variables[i]`` moves along ``-grads[i]``.

        The gradients are checked, clipped (``clipnorm``...), then passed to
        :meth:`update`.

        Parameters
        ----------
        grads : list of ndarray
        trainable_variables : list of ndarray
            Updated in place.

        Raises
        ------
        ValueError
            If the lists differ in length or an array's shape; nothing changes then.
        """
        grads, variables = list(grads), list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(variables)} variables.")
        for g, v in zip(grads, variables):
            if np.shape(g) != np.shape(v):
                raise ValueError(f"Gradient of shape {np.shape(g)} for a variable of shape {v.shape}.")
        self.update(self.clip_gradients(grads), variables)

    def apply_gradients(self, grads_and_vars):
        """Keras's spelling: ``apply_gradients(zip(grads, variables))``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)

    def update(self, grads, variables):
        """The update itself, without checks or clipping: the one entry point of a step.

        ``variables[i] -= ...`` in place, by :meth:`update_step`, then ``iterations``
        counts the step. The training loop calls it inside a block that holds Ctrl-C,
        so that a step is applied whole or not at all.
        """
        self.build(variables)
        learning_rate = self.current_learning_rate()
        for g, v in zip(grads, variables):
            if self.weight_decay:
                v -= learning_rate * self.weight_decay * v
            self.update_step(g, v, learning_rate)
        self.iterations += 1

    def clip_gradients(self, grads):
        """Gradients clipped by ``clipvalue``, ``clipnorm`` or ``global_clipnorm`` (new arrays)."""
        if self.clipvalue is not None:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            return [g * min(1.0, self.clipnorm / max(float(np.linalg.norm(g)), 1e-12)) for g in grads]
        if self.global_clipnorm is not None:
            norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
            scale = min(1.0, self.global_clipnorm / max(norm, 1e-12))
            return [g * scale for g in grads]
        return grads

    def current_learning_rate(self):
        """The learning rate for this step (a schedule is called with ``iterations``)."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    # -------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments, as a dict."""
        learning_rate = self.learning_rate
        if callable(learning_rate):
            learning_rate = schedules.serialize(learning_rate)
        return {"name": self.name, "learning_rate": learning_rate,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config):
        """Rebuild an optimizer from :meth:`get_config`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), (dict, str)):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)
