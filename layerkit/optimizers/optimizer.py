"""The optimizer protocol: state built once, then one ``update_step`` per weight.

An optimizer owns the update rule and nothing else: it never computes
gradients. ``apply(grads, weights)`` updates each weight array in place (so a
layer's ``kernel`` stays the same array) and counts ``iterations``. A new
optimizer is one file: a subclass with ``build`` (its state, one slot per
weight) and ``update_step`` (the rule for one weight).
"""

import numpy as np

from layerkit import backend
from layerkit.optimizers import schedules


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
    name : str, optional

    Raises
    ------
    ValueError
        For a negative learning rate or more than one of the clipping options.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unsupported arguments: {sorted(kwargs)}")
        if not callable(learning_rate) and not (
                isinstance(learning_rate, (int, float, np.floating)) and learning_rate >= 0):
            raise ValueError(
                f"`learning_rate` must be a non-negative number or a schedule. "
                f"Received: learning_rate={learning_rate!r}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self.learning_rate = learning_rate
        self.weight_decay, self.clipnorm = weight_decay, clipnorm
        self.clipvalue, self.global_clipnorm = clipvalue, global_clipnorm
        self.name = name or type(self).__name__
        self.iterations = 0
        self.built = False

    # -------------------------------------------------------------- subclass API
    def build(self, variables):
        """Create the optimizer's state for ``variables`` (subclasses add their slots)."""
        self._variable_count = len(variables)
        self.built = True

    def update_step(self, gradient, variable, learning_rate, index):
        """Update ``variable`` in place from its ``gradient`` (``index``: its slot)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    # -------------------------------------------------------------- public API
    def apply(self, grads, trainable_variables):
        """One optimisation step: ``trainable_variables[i]`` moves along ``-grads[i]``.

        The gradients are checked, clipped (``clipnorm``...), then passed to
        :meth:`update`.

        Parameters
        ----------
        grads : list of ndarray
        trainable_variables : list of ndarray
            Updated in place; always pass them in the same order.

        Raises
        ------
        ValueError
            If the lists differ in length or an array's shape.
        """
        grads, variables = list(grads), list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(variables)} variables.")
        for g, v in zip(grads, variables):
            if np.shape(g) != np.shape(v):
                raise ValueError(f"Gradient of shape {np.shape(g)} for a variable of shape {v.shape}.")
        if self.built and len(variables) != self._variable_count:
            raise ValueError(f"{self.name} was built for {self._variable_count} variables; "
                             f"received {len(variables)}.")
        self.update(self.clip_gradients(grads), variables)

    def update(self, grads, variables):
        """The update itself, without checks or clipping: the training loop's step 3.

        ``variables[i] -= ...`` in place, by :meth:`update_step`, then
        ``iterations`` counts the step.
        """
        if not self.built:
            self.build(variables)
        learning_rate = self.current_learning_rate()
        for index, (g, v) in enumerate(zip(grads, variables)):
            if self.weight_decay:
                v -= learning_rate * self.weight_decay * v
            self.update_step(g, v, learning_rate, index)
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Keras's spelling: ``apply_gradients(zip(grads, variables))``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)

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

    def slot(self, variable):
        """A zero array shaped like ``variable`` (for momentum and the like)."""
        return backend.zeros(variable.shape, variable.dtype)

    @property
    def variables(self):
        """The optimizer's state: ``[iterations, *slots]`` (for saving)."""
        return [np.asarray(self.iterations, dtype=np.int64)] + self._slots()

    def _slots(self):
        return []

    def check_variables(self, values, trainable_variables):
        """Raise ValueError unless ``values`` fits :attr:`variables` for these weights."""
        shapes = [()] + [tuple(v.shape) for v in self._slots_for(trainable_variables)]
        if len(values) != len(shapes):
            raise ValueError(f"Optimizer {self.name!r} has {len(shapes)} state arrays for these "
                             f"weights; the saved state has {len(values)}.")
        for k, (value, shape) in enumerate(zip(values, shapes)):
            if np.shape(value) != shape:
                raise ValueError(f"Optimizer {self.name!r} state array {k}: expected shape "
                                 f"{shape}, found {np.shape(value)}.")

    def _slots_for(self, trainable_variables):
        if not self.built:
            self.build(list(trainable_variables))
        return self._slots()

    def load_variables(self, values, trainable_variables):
        """Restore the state saved from :attr:`variables` (``[iterations, *slots]``).

        Raises
        ------
        ValueError
            If the count or a shape differs; nothing changes then.
        """
        self.check_variables(values, trainable_variables)
        self.iterations = int(np.asarray(values[0]))
        for target, value in zip(self._slots(), values[1:]):
            np.copyto(target, value, casting="unsafe")

    def get_config(self):
        """The constructor arguments, as a dict."""
        learning_rate = self.learning_rate
        if callable(learning_rate):
            learning_rate = schedules.serialize(learning_rate)
        return {"name": self.name, "learning_rate": learning_rate,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        """Rebuild an optimizer from :meth:`get_config`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), (dict, str)):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)
