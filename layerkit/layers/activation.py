"""Activation: a layer that applies an activation function, ``A = f(Z)``."""

from layerkit import activations
from layerkit.layers.layer import Layer


class Activation(Layer):
    """Applies ``activation`` to its input: ``A = f(Z)``; backward ``dZ = f.backward(dA, Z, A)``.

    After a forward pass the layer holds ``Z`` (its input) and ``A`` (its output).

    Parameters
    ----------
    activation : str or callable
        A name from :mod:`layerkit.activations` or a callable with a ``backward``.
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For an unknown activation name (the message lists the valid names).

    Example
    -------
    >>> import numpy as np
    >>> Activation("sigmoid")(np.array([[0.0]]))
    array([[0.5]], dtype=float32)
    """

    cache_names = ("Z", "A")

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.activation_backward = activations.backward_of(self.activation)
        self.Z = self.A = None

    def forward(self, x, training=False):
        self.Z = x
        self.A = self.activation(x)
        return self.A

    def backward(self, grad_output, input_gradient=True):
        return self.activation_backward(grad_output, self.Z, self.A)

    def output_activation(self):
        return self.activation

    def backward_from_z(self, dZ, input_gradient=True):
        """The gradient at Z is the gradient with respect to the input."""
        return dZ

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["activation"] = activations.deserialize(config["activation"])
        return cls(**config)
