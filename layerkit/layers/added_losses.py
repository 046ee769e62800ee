"""Losses a layer adds while it runs (Keras's ``add_loss``), kept until the next top-level call.

Inside a ``call()`` the added loss may be a recorded Tensor, so its gradient flows
back through the layer; the engine sums the values of the last forward pass into the
loss a training step reports.
"""

import numpy as np

from layerkit.layers.weight_owner import structure_version
from layerkit.ops import Tensor
from layerkit.ops.tensor import value_of

_additions = [0]  # losses added in this process so far (a count that only grows)


class AddedLosses:
    """Mixin of :class:`~layerkit.layers.Layer`: ``add_loss`` and the losses of the last call."""

    def _init_added_losses(self):
        self._added_losses, self._added_loss_values = [], []
        self._cleared = None  # (additions count, the walk) of the last clear given a walk
        self._cleared_tree = None  # (additions count, structure version) of the last whole clear

    def add_loss(self, loss):
        """Add a scalar to the loss (Keras's ``add_loss``): in ``call``, its gradient flows too."""
        self._added_losses.append(loss)
        _additions[0] += 1

    def begin_call_losses(self):
        """Start collecting the losses one call adds (the engine calls it)."""
        self._added_losses = []

    def end_call_losses(self):
        """Keep the values of the losses this call added; return them as given (Tensors)."""
        if not self._added_losses:
            return []
        _additions[0] += 1
        self._added_loss_values += [float(np.sum(value_of(loss))) for loss in self._added_losses]
        return [loss if isinstance(loss, Tensor) else np.sum(loss) for loss in self._added_losses]

    def clear_added_losses(self, layers=None):
        """Forget the losses added by earlier calls, this layer's and its inner layers'
        (``layers``: that walk, when the caller keeps it). When no loss was added anywhere
        since the same walk, or the same structure of the layers, was last cleared, there
        is nothing to do, and the layers are not walked."""
        if self._clean(layers):
            return
        for layer in self.flatten_layers() if layers is None else layers:
            if layer._added_losses or layer._added_loss_values:
                layer._added_losses, layer._added_loss_values = [], []
        if layers is None:
            self._cleared_tree = (_additions[0], structure_version())
        else:
            self._cleared = (_additions[0], layers)

    def added_loss_values(self, layers=None):
        """The losses added since the last top-level call, this layer's and its inner layers'."""
        if self._clean(layers):
            return []
        return [value for layer in (self.flatten_layers() if layers is None else layers)
                for value in layer._added_loss_values]

    def _clean(self, layers):
        """Whether ``layers`` (None: the whole tree, as the structure of the layers is now)
        was cleared and no loss has been added anywhere since."""
        if layers is None:
            return self._cleared_tree == (_additions[0], structure_version())
        cleared = self._cleared
        return cleared is not None and cleared[0] == _additions[0] and cleared[1] is layers

    @property
    def losses(self):
        """Keras's ``layer.losses``: the last call's added losses and the weights' penalties."""
        return self.added_loss_values() + super().losses
