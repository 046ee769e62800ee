"""PReLU: a leaky ReLU whose negative slope α is learnt, ``A = max(Z, 0) + α · min(Z, 0)``."""

import numbers

import numpy as np

from layerkit import constraints, initializers, regularizers
from layerkit.layers.layer import Layer


class PReLU(Layer):
    """``A = max(Z, 0) + α ⊙ min(Z, 0)``, α one learnt slope per input entry (or shared).

    α has the shape of one sample, with size 1 along the ``shared_axes`` (e.g. one
    slope per channel). Backward: ``dZ = dA`` where Z > 0 and ``α ⊙ dA`` elsewhere;
    ``dα = Σ dA ⊙ min(Z, 0)`` over the batch and the shared axes.

    Parameters
    ----------
    alpha_initializer : str or Initializer
        ``"Zeros"`` by default (the layer starts as a ReLU).
    alpha_regularizer, alpha_constraint : optional
    shared_axes : int or list of int, optional
        Axes (1 = the first axis after the batch) along which α is shared.
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For shared axes that are not integers, or (when built) outside 1..rank-1.

    Example
    -------
    >>> import numpy as np
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[[-2.0, 3.0], [1.0, -1.0]]])), layer.alpha.shape
    (array([[[-2.,  3.],
            [ 1., -1.]]], dtype=float32), (1, 2))
    """

    cache_names = ("Z",)

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        if shared_axes is not None:
            shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in shared_axes):
                raise ValueError(f"`shared_axes` of PReLU must be integers. Received: "
                                 f"shared_axes={shared_axes!r}")
            shared_axes = [int(a) for a in shared_axes]
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = shared_axes
        self.Z = None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"`shared_axes` of layer {self.name!r} must be axes 1 to "
                                 f"{len(input_shape) - 1} of inputs of shape {tuple(input_shape)}. "
                                 f"Received: shared_axes={self.shared_axes}")
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"Layer {self.name!r} needs the input's sizes that are not shared. "
                             f"Received input shape {tuple(input_shape)}")
        self.add_weight(tuple(shape), self.alpha_initializer, name="alpha",
                        regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def compute_output_shape(self, input_shape):
        if self.built and (len(input_shape) != self.alpha.ndim + 1 or any(
                a != 1 and d != a for a, d in zip(self.alpha.shape, input_shape[1:]))):
            raise ValueError(f"Input of layer {self.name!r} is incompatible with the layer: alpha "
                             f"has shape {self.alpha.shape}, inputs have shape {tuple(input_shape)}")
        return tuple(input_shape)

    def forward(self, x, training=False):
        self.Z = x
        return np.maximum(x, 0) + self.alpha * np.minimum(x, 0)

    def backward(self, grad_output, input_gradient=True):
        """``dα = Σ dA ⊙ min(Z, 0)`` over the broadcast axes; ``dZ = dA ⊙ (1 if Z > 0 else α)``."""
        broadcast = (0,) + tuple(k for k in range(1, grad_output.ndim)   # the batch, shared axes
                                 if self.alpha.shape[k - 1] == 1 and grad_output.shape[k] != 1)
        self.grads["alpha"] = (grad_output * np.minimum(self.Z, 0)).sum(
            axis=broadcast, keepdims=True)[0]
        if not input_gradient:
            return None
        return np.where(self.Z > 0, grad_output, grad_output * self.alpha)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}
