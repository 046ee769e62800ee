"""What a training step keeps between steps, and how it applies an update whole or not at all.

The weights a model trains, and where their gradients are, are found once and kept
while the layers' structure stays the same (:func:`~layerkit.layers.layer.structure_version`
and the weight arrays themselves are checked each step, which is cheap), so that a
step does not walk the layers.

Applying an update is all-or-nothing in two senses:

- **Ctrl-C**: the optimizer's update runs inside :func:`~layerkit.interrupts.deferred_interrupts`,
  so a KeyboardInterrupt arrives before or after the update of every weight and of the
  optimizer's state, never between two of them.
- **Non-finite values**: a step whose loss or gradients are not finite is not applied;
  a step that makes a weight or an optimizer slot non-finite (an overflow) is undone
  from a copy of the state taken just before it, through the optimizer's public state
  API. Training then stops with a warning.

Copying every weight and slot before every step would cost as much as a hand-written
loop's whole update, so the copy is only taken when an overflow is possible. Every
built-in optimizer moves a weight by at most about ``10⁴ · learning rate · max |g|``
(Adam's bias-corrected ratio, momentum's geometric sum, weight decay below 1). With
finite gradients no larger than ``SAFE_GRADIENT`` and such a step no larger than
``SAFE_STEP``, a billion steps' sum of steps, or of squared gradients in a slot, stays
far below the largest float: the update cannot produce an inf or a NaN, so it is applied
directly (:meth:`TrainingState.apply`). Custom optimizers, float16 weights, a momentum
of 1 and steps beyond those bounds take the exact path with its copy.
"""

import math
import operator

import numpy as np

from layerkit.interrupts import deferred_interrupts
from layerkit.layers.weight_owner import staging_count, structure_version

SAFE_GRADIENT = {np.dtype("float32"): 1e12, np.dtype("float64"): 1e150}
SAFE_STEP = {np.dtype("float32"): 1e20, np.dtype("float64"): 1e250}
_BUILT_IN = "layerkit.optimizers."
_vdot = getattr(np.vdot, "_implementation", np.vdot)  # np.vdot without its dispatch (0.2 µs a call)


def gradient_bound(grads):
    """An upper bound of every ``|g|``: the gradients' joint L2 norm, one BLAS pass each.

    inf (or NaN) when a gradient holds an inf or a NaN, or when huge values overflow the
    sum of squares: the step then takes the exact path, which looks closer.
    """
    total = float(sum(map(_vdot, grads, grads)))  # vdot: BLAS's dot of the flattened array
    return math.sqrt(total) if total >= 0 else math.nan


def all_finite(arrays):
    """Whether no array holds an inf or a NaN.

    A finite sum settles it in one cheap reduction; only when the sum is not finite (an
    inf or NaN, or huge finite values overflowing) is each entry looked at.
    """
    return all(math.isfinite(a.sum()) or np.isfinite(a).all() for a in arrays)


def safe_gradient(optimizer, rate, dtype):
    """The largest gradient bound ``|g|`` with which a step of a built-in optimizer at
    learning rate ``rate`` cannot make ``dtype`` weights or slots overflow (-inf: no bound
    is safe, as for custom optimizers, other dtypes or an undamped momentum of 1).

    Example
    -------
    >>> from layerkit import optimizers
    >>> safe_gradient(optimizers.SGD(), 0.01, np.dtype("float32"))
    1000000000000.0
    >>> safe_gradient(optimizers.SGD(momentum=1.0), 0.01, np.dtype("float32"))
    -inf
    """
    if dtype not in SAFE_GRADIENT or not type(optimizer).__module__.startswith(_BUILT_IN):
        return -math.inf
    decay = optimizer.weight_decay or 0.0
    if (getattr(optimizer, "momentum", 0.0) >= 1  # an undamped velocity grows without bound
            or not math.isfinite(rate) or abs(rate * decay) > 1):
        return -math.inf
    step = abs(rate) * 1e4  # the largest move of a weight, per unit of gradient
    if step > SAFE_STEP[dtype]:  # even a gradient of 1 moves too far
        return -math.inf
    return min(SAFE_GRADIENT[dtype], SAFE_STEP[dtype] / step) if step else SAFE_GRADIENT[dtype]


class Penalties:
    """The regularizers of a model's trainable weights: their penalty and its gradient.

    Found once per structure of the layers; as in Keras, only trainable weights are
    regularized, and the penalty is part of the loss that training reports.
    """

    def __init__(self, model):
        self.items = [(layer, name, layer.regularizer_of(name))
                      for layer, name in model.trainable_slots()
                      if layer.regularizer_of(name) is not None]
        self.version = structure_version()

    def value(self):
        """The sum of the penalties at the current weights."""
        if not self.items:
            return 0.0
        return sum(float(reg(getattr(layer, name))) for layer, name, reg in self.items)

    def add_gradients(self):
        """Add each penalty's gradient to its weight's gradient; return the sum of the penalties."""
        for layer, name, reg in self.items:
            layer.grads[name] = layer.grads[name] + reg.gradient(getattr(layer, name))
        return self.value()


class TrainingState:
    """The trainable weights of ``model``, where their gradients are, and the undo buffers.

    Parameters
    ----------
    model : Model
    """

    def __init__(self, model):
        self._sources = model.trainable_slots()
        self._owners = [layer for layer, _ in self._sources]
        self._names = [name for _, name in self._sources]
        self.weights = list(map(getattr, self._owners, self._names))
        self._constrained = [(getattr(layer, name), layer.constraint_of(name))
                             for layer, name in self._sources
                             if layer.constraint_of(name) is not None]
        self._layers = model.flatten_layers()
        self._version = structure_version()
        self._stagings_done = None  # staging_count() when no layer of ours held a staged update
        self._saved = None
        self._safe_for, self._safe = None, -math.inf  # what _safe_gradient found, and for what
        dtypes = {w.dtype for w in self.weights}
        self._dtype = dtypes.pop() if len(dtypes) == 1 else None  # one float dtype, or None

    def matches(self, model):
        """Whether ``model`` still trains exactly these arrays."""
        return self._version == structure_version() and all(
            map(operator.is_, map(getattr, self._owners, self._names), self.weights))

    def gradients(self):
        """The gradients of the last backward pass, in the order of :attr:`weights`."""
        return [layer.grads[name] for layer, name in self._sources]

    def apply(self, optimizer, grads):
        """Update the weights with ``grads``, whole or not at all; return what went wrong, or None.

        Returns
        -------
        str or None
            None when the step was applied; otherwise why it was not (the weights and
            the optimizer's state are then exactly as before).
        """
        if gradient_bound(grads) <= self._safe_gradient(optimizer):  # never for inf or NaN
            with deferred_interrupts():
                optimizer.update(grads, self.weights)
                self._finish_step()
            return None
        if not all_finite(grads):
            self.discard_staged_updates()
            return "a gradient is not finite"
        with deferred_interrupts():
            state = optimizer.variables_for(self.weights)
            self._save(state)
            optimizer.update(grads, self.weights)
            self._project()
            if all_finite(self.weights) and all_finite(optimizer.variables_for(self.weights)[1:]):
                self._finish_step(projected=True)
                return None
            self._restore(optimizer)
        self.discard_staged_updates()
        return "an updated weight or optimizer slot is not finite"

    def _safe_gradient(self, optimizer):
        """:func:`safe_gradient` for ``optimizer`` now, found again when its learning rate,
        weight decay or momentum changes."""
        key = (optimizer, optimizer.current_learning_rate(), optimizer.weight_decay,
               getattr(optimizer, "momentum", None))
        if self._safe_for != key:
            self._safe_for, self._safe = key, safe_gradient(optimizer, key[1], self._dtype)
        return self._safe

    def _project(self):
        for weight, constraint in self._constrained:  # projections, as Keras applies them
            np.copyto(weight, constraint(weight), casting="same_kind")

    def _finish_step(self, projected=False):
        if self._constrained and not projected:
            self._project()
        if self._stagings_done != staging_count():  # e.g. moving statistics: with the step
            for layer in self._layers:
                if layer.has_staged_updates:
                    layer.commit_staged_updates()
            self._stagings_done = staging_count()

    def discard_staged_updates(self):
        """Forget what the forward pass staged for a step that is not applied."""
        for layer in self._layers:
            if layer.has_staged_updates:
                layer.discard_staged_updates()
        self._stagings_done = staging_count()

    def _save(self, optimizer_state):
        """Copy the weights and the optimizer's state into buffers kept across steps."""
        arrays = self.weights + optimizer_state
        if self._saved is None or len(self._saved) != len(arrays) or any(
                a.shape != b.shape or a.dtype != b.dtype for a, b in zip(arrays, self._saved)):
            self._saved = [np.empty_like(a) for a in arrays]
        for copy, value in zip(self._saved, arrays):
            np.copyto(copy, value)

    def _restore(self, optimizer):
        n = len(self.weights)
        for weight, copy in zip(self.weights, self._saved[:n]):
            np.copyto(weight, copy)
        optimizer.load_variables_for(self._saved[n:], self.weights)
