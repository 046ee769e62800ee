"""The optimizer protocol: per-weight state, one update entry point, a public state API.

An optimizer owns the update rule and its state, nothing else: it never computes
gradients. Its state belongs to each weight array, not to a position in a list (as in
Keras): a weight it has never seen starts with fresh slots, and freezing or removing a
layer never hands one weight another's momentum (:mod:`.state`). ``update(grads,
weights)`` changes each weight array in place (a layer's ``kernel`` stays the same
array) and counts the step. A new optimizer is one file: a subclass naming its slots
(``slot_groups``) and writing ``update_step`` for one weight.

One call of :meth:`Optimizer.update` runs Keras 3's ``apply`` pipeline:

1. with ``gradient_accumulation_steps`` N, the gradients are added to per-weight
   accumulators; only every N-th call updates, with the mean gradient, clipped then;
2. the decoupled weight decay (:mod:`.weight_decay`), then ``update_step`` per weight;
3. with ``use_ema``, the moving averages of the weights (:mod:`.ema`), and every
   ``ema_overwrite_frequency`` updates the weights replaced by them;
4. the step count.

:meth:`Optimizer.apply` adds the checks, the division by ``loss_scale_factor`` and the
clipping (:mod:`.clipping`) in front. Arguments are checked by :mod:`.arguments`, the
learning rate's three forms evaluated by :mod:`.learning_rate`.

The state is public and in Keras 3's order: :attr:`variables` (iterations, the
learning rate, then the slots), :meth:`variables_for` and :meth:`load_variables_for`
for the weights of one model. Saving, resuming and undoing a step use only those.
"""

import inspect
import warnings

import numpy as np

from layerkit import backend
from layerkit.optimizers import schedules
from layerkit.optimizers.arguments import check_bool, check_int, check_number, check_optional_number
from layerkit.optimizers.clipping import clip_by_global_norm, clip_by_norm, clip_by_value
from layerkit.optimizers.ema import MovingAverages
from layerkit.optimizers.learning_rate import check_learning_rate, evaluate
from layerkit.optimizers.state import OptimizerState
from layerkit.optimizers.weight_decay import WeightDecay


class Optimizer(OptimizerState, WeightDecay, MovingAverages):
    """Base class of optimizers, with every argument Keras 3's optimizers share.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        A float; a schedule, called with the step count; or a callable, called with
        no argument (Keras) or, if it needs one, with the step count.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * learning_rate`` each update.
    clipnorm, clipvalue, global_clipnorm : float, optional
        Clip each gradient to this L2 norm, its entries to ``[-clipvalue, clipvalue]``,
        or all gradients together to this global norm (at most one of the three).
    use_ema : bool
        Keep an exponential moving average of each weight.
    ema_momentum : float
        In [0, 1]: ``average = m · average + (1 − m) · weight`` after each step.
    ema_overwrite_frequency : int, optional
        Every this many updates, replace the weights by their averages; None: only
        :meth:`finalize_variable_values` does.
    loss_scale_factor : float, optional
        :meth:`scale_loss` multiplies a loss by it; :meth:`apply` divides the gradients
        by it. (``model.fit`` computes unscaled gradients in float32/float64 and needs
        neither: it trains exactly as without.)
    gradient_accumulation_steps : int, optional
        At least 2: update every this many steps, with the mean gradient.
    name : str, optional

    Raises
    ------
    ValueError
        For an argument out of range (the message names it and what was received),
        more than one clipping option, or an unknown keyword argument.

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
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          UserWarning, stacklevel=3)
        if kwargs:
            valid = sorted({p for cls in type(self).__mro__ if issubclass(cls, Optimizer)
                            for p in inspect.signature(cls.__init__).parameters} - {"self", "kwargs"})
            raise ValueError(f"Argument(s) not recognized: {kwargs}. Valid arguments of "
                             f"{type(self).__name__} are {valid}.")
        positive = {"low": 0, "low_open": True}
        clips = [check_optional_number(arg, value, **positive) for arg, value in
                 (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                  ("global_clipnorm", global_clipnorm))]
        if sum(c is not None for c in clips) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                             f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.learning_rate = check_learning_rate(learning_rate)
        self.weight_decay = check_optional_number("weight_decay", weight_decay, low=0)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clips
        self.use_ema = check_bool("use_ema", use_ema)
        self.ema_momentum = check_number("ema_momentum", ema_momentum, 0, 1)
        self.ema_overwrite_frequency = None if ema_overwrite_frequency is None else check_int(
            "ema_overwrite_frequency", ema_overwrite_frequency, 1,
            "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
            f"ema_overwrite_frequency={ema_overwrite_frequency!r}")
        self.loss_scale_factor = check_optional_number("loss_scale_factor", loss_scale_factor,
                                                       **positive)
        self.gradient_accumulation_steps = None if gradient_accumulation_steps is None else (
            check_int("gradient_accumulation_steps", gradient_accumulation_steps, 2))
        if name is not None and not (isinstance(name, str) and name):
            raise ValueError(f"`name` must be a non-empty string. Received: name={name!r}")
        self.name = name or backend.to_snake_case(type(self).__name__)
        self._init_state()
        self._init_weight_decay()

    # -------------------------------------------------------------- subclass API
    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable`` in place from its ``gradient``; ``self.slots(variable)`` is its state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    def update_steps(self, grads, variables, learning_rate):
        """One update of every weight (Keras's ``_backend_update_step``): ``update_step`` each."""
        for gradient, variable in zip(grads, variables):
            self.update_step(gradient, variable, learning_rate)

    def build(self, variables):
        """Create fresh slots for each of ``variables`` the optimizer has not seen.

        Raises
        ------
        ValueError
            If a new weight needs a path (``var_names``) and has none; nothing is created.
        """
        new = self.untracked(variables)
        if new:
            self.check_variable_paths(new)
            super().build(new)

    # -------------------------------------------------------------- counting
    @property
    def iterations(self):
        """Keras's ``iterations``: the updates applied (calls // N with gradient accumulation).

        The state (``variables_for(...)[0]``) holds every call, as Keras's files do;
        learning-rate schedules follow that count too.
        """
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    def current_learning_rate(self):
        """The learning rate for this step (a schedule is called with the count of every call)."""
        return evaluate(self.learning_rate, self._iterations)

    # -------------------------------------------------------------- updating
    def apply(self, grads, trainable_variables):
        """One optimisation step: ``trainable_variables[i]`` moves along ``-grads[i]``.

        The gradients are checked, divided by ``loss_scale_factor``, clipped
        (``clipnorm``...), then passed to :meth:`update`. No gradients: nothing happens.

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
        if not grads:
            return
        if self.loss_scale_factor is not None:
            grads = [np.asarray(g) / self.loss_scale_factor for g in grads]
        self.update(self.clip_gradients(grads), variables)

    def apply_gradients(self, grads_and_vars):
        """Keras's spelling: ``apply_gradients(zip(grads, variables))``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)

    def update(self, grads, variables):
        """The update itself, without checks or clipping: the one entry point of a step.

        ``variables[i]`` change in place (weight decay, :meth:`update_step`), the
        moving averages follow, then the step is counted. With gradient accumulation
        the gradients are only added up, except every N-th call, which clips their
        mean and updates with it. The training loop calls this inside a block that
        holds Ctrl-C, so that a step is applied whole or not at all.
        """
        self.build(variables)
        learning_rate = self.current_learning_rate()
        steps = self.gradient_accumulation_steps
        if not steps:
            if self.weight_decay:
                self.apply_weight_decay(variables, learning_rate)
            self.update_steps(grads, variables, learning_rate)
        else:
            sums = [self.slots(v)["gradient_accumulator"] for v in variables]
            if (self._iterations + 1) % steps == 0:
                means = self._clip([(g + s) / steps for g, s in zip(grads, sums)])
                self.apply_weight_decay(variables, learning_rate)
                self.update_steps(means, variables, learning_rate)
                for s in sums:
                    s.fill(0)
            else:
                for g, s in zip(grads, sums):
                    s += g
        if self.use_ema:
            self.update_moving_averages(variables)
        self._iterations += 1

    def clip_gradients(self, grads):
        """Gradients clipped by ``clipvalue``, ``clipnorm`` or ``global_clipnorm`` (new arrays).

        With gradient accumulation Keras clips the mean gradient when it updates, so
        the gradients are returned as they are and :meth:`update` clips the mean.
        """
        if self.gradient_accumulation_steps or (
                self.clipnorm is None and self.global_clipnorm is None and self.clipvalue is None):
            return list(grads)
        return self._clip(grads)

    def _clip(self, grads):
        if self.clipnorm is not None:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return [clip_by_value(g, self.clipvalue) for g in grads]
        return list(grads)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (the loss itself without a factor)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # -------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments, as a dict with Keras's keys."""
        learning_rate = self.learning_rate
        if callable(learning_rate):
            learning_rate = schedules.serialize(learning_rate)
        return {"name": self.name, "learning_rate": learning_rate,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild an optimizer from :meth:`get_config`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), (dict, str)):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)
