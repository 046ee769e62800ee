"""Losses a layer adds while it runs (Keras's ``add_loss``), kept until the next top-level call.

Inside a ``call()`` the added loss may be a recorded Tensor, so its gradient flows
back through the layer; the engine sums the values of the last forward pass into the
loss a training step reports.
"""

import numpy as np

from layerkit.ops import Tensor
from layerkit.ops.tensor import value_of


class AddedLosses:
    """Mixin of :class:`~layerkit.layers.Layer`: ``add_loss`` and the losses of the last call."""

    def _init_added_losses(self):
        self._added_losses, self._added_loss_values = [], []

    def add_loss(self, loss):
        """Add a scalar to the loss (Keras's ``add_loss``): in ``call``, its gradient flows too."""
        self._added_losses.append(loss)

    def begin_call_losses(self):
        """Start collecting the losses one call adds (the engine calls it)."""
        self._added_losses = []

    def end_call_losses(self):
        """Keep the values of the losses this call added; return them as given (Tensors)."""
        self._added_loss_values += [float(np.sum(value_of(loss))) for loss in self._added_losses]
        return [loss if isinstance(loss, Tensor) else np.sum(loss) for loss in self._added_losses]

    def clear_added_losses(self, layers=None):
        """Forget the losses added by earlier calls, this layer's and its inner layers'
        (``layers``: that walk, when the caller keeps it)."""
        for layer in self.flatten_layers() if layers is None else layers:
            if layer._added_losses or layer._added_loss_values:
                layer._added_losses, layer._added_loss_values = [], []

    def added_loss_values(self, layers=None):
        """The losses added since the last top-level call, this layer's and its inner layers'."""
        return [value for layer in (self.flatten_layers() if layers is None else layers)
                for value in layer._added_loss_values]

    @property
    def losses(self):
        """Keras's ``layer.losses``: the last call's added losses and the weights' penalties."""
        return self.added_loss_values() + super().losses
