"""What a training step keeps between steps: the weights it trains and a copy to undo with.

Built once and reused while the model's trainable weights stay the same, so
that a step does not walk the layers to collect them each time.
"""

import math

import numpy as np


class TrainingState:
    """The trainable weights of ``model``, where their gradients are, and undo buffers.

    Parameters
    ----------
    model : Model
    """

    def __init__(self, model):
        self.weights = model.trainable_weights
        self._sources = [(layer, name) for layer in _weight_owners(model)
                         for name in layer.weight_names if name not in layer._non_trainable_names]
        self._ids = [id(w) for w in self.weights]
        self._state = self._saved = None

    def matches(self, model):
        """Whether ``model`` still trains exactly these arrays."""
        return [id(w) for w in model.trainable_weights] == self._ids

    def gradients(self):
        """The gradients of the last backward pass, in the order of :attr:`weights`."""
        return [layer.grads[name] for layer, name in self._sources]

    def save(self, optimizer):
        """Copy the weights and the optimizer's state into buffers kept across steps."""
        if not optimizer.built:
            optimizer.build(self.weights)
        state = self.weights + optimizer._slots()
        if self._state is None or len(state) != len(self._state) or any(
                a is not b for a, b in zip(state, self._state)):
            self._state, self._saved = state, [np.empty_like(a) for a in state]
        for copy, value in zip(self._saved, self._state):
            np.copyto(copy, value)

    def restore(self):
        """Put back what :meth:`save` copied."""
        for copy, value in zip(self._saved, self._state):
            np.copyto(value, copy)

    def all_finite(self):
        """Whether no weight holds an inf or a NaN.

        A finite sum settles it in one cheap reduction; only when the sum is not
        finite (an inf or NaN, or huge finite values overflowing) is each entry looked at.
        """
        return all(math.isfinite(w.sum()) or np.isfinite(w).all() for w in self.weights)


def _weight_owners(model):
    """The layers whose trainable weights the model trains, in order (nested models opened)."""
    if not model.trainable:
        return []
    owners = []
    for layer in model.layers:
        if hasattr(layer, "weight_slots"):
            owners.extend(_weight_owners(layer))
        elif layer.trainable:
            owners.append(layer)
    return owners
