"""Dense: the fully connected layer, ``A = activation(X · W + b)``."""

import numbers

from layerkit import activations, backend, constraints, initializers, regularizers
from layerkit.layers.layer import Layer


class Dense(Layer):
    """Fully connected layer: ``Z = X · W + b``, ``A = activation(Z)``.

    After a forward pass the layer holds ``X`` (its input), ``Z`` and ``A``;
    backward computes ``dZ`` from ``dA``, then ``dW = Xᵀ · dZ``,
    ``db = Σₙ dZ`` and returns ``dX = dZ · Wᵀ``.

    Parameters
    ----------
    units : int
        Positive number of output units.
    activation : str or callable, optional
        Applied to Z (``None``: linear).
    use_bias : bool
        Whether to add ``b``.
    kernel_initializer, bias_initializer : str, Initializer or callable
        ``"glorot_uniform"`` and ``"zeros"`` by default.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties on the weights, added to the loss (``"l2"``...).
    activity_regularizer : str or Regularizer, optional
        A penalty on the output ``A``, added to the loss divided by the batch size.
    kernel_constraint, bias_constraint : str or Constraint, optional
        Projections applied after each update (``"max_norm"``...).
    lora_rank, lora_alpha, quantization_config
        Keras's arguments for low-rank adaptation and quantization: not supported, they
        must be None.
    **kwargs
        ``name``, ``trainable``, ``dtype``, ``input_shape`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        If ``units`` is not a positive integer, or the activation is unknown.

    Example
    -------
    >>> import numpy as np
    >>> layer = Dense(2, activation="relu", kernel_initializer="ones")
    >>> layer(np.array([[1.0, -3.0]]))
    array([[0., 0.]], dtype=float32)
    >>> layer.kernel.shape, layer.Z.tolist()
    ((2, 2), [[-2.0, -2.0]])
    """

    cache_names = ("X", "Z", "A")

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units!r}")
        given = {"lora_rank": lora_rank, "lora_alpha": lora_alpha,
                 "quantization_config": quantization_config}
        unsupported = [name for name, value in given.items() if value is not None]
        if unsupported:
            raise NotImplementedError(f"Dense does not support {unsupported}: layerkit has no "
                                      "low-rank adaptation or quantization.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.activation_backward = activations.backward_of(self.activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.X = self.Z = self.A = None

    def build(self, input_shape):
        self.add_weight((input_shape[-1], self.units), self.kernel_initializer, name="kernel",
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight((self.units,), self.bias_initializer, name="bias",
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def compute_output_shape(self, input_shape):
        if self.built and input_shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Input of layer {self.name!r} is incompatible with the layer: expected axis -1 "
                f"of input shape to have value {self.kernel.shape[0]}, but received input with "
                f"shape {tuple(input_shape)}")
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False):
        self.X = x
        self.Z = x @ self.kernel + self.bias if self.use_bias else x @ self.kernel
        self.A = self.activation(self.Z)
        return self.A

    def backward(self, grad_output, input_gradient=True):
        """From ``dA``: ``dZ = dA ⊙ activation'(Z)``, then :meth:`backward_from_z`."""
        return self.backward_from_z(self.activation_backward(grad_output, self.Z, self.A),
                                    input_gradient)

    def output_activation(self):
        return self.activation

    def backward_from_z(self, dZ, input_gradient=True):
        """From ``dZ`` (e.g. a fused loss gradient): fill dW and db, return dX if wanted."""
        X, dZ_rows = self.X, dZ
        if X.ndim > 2:  # (N, T, features): every position is a row of the product
            X, dZ_rows = X.reshape(-1, X.shape[-1]), dZ.reshape(-1, self.units)
        self.grads["kernel"] = X.T @ dZ_rows          # dW = Xᵀ · dZ
        if self.use_bias:
            self.grads["bias"] = backend.sum_rows(dZ_rows)  # db = Σₙ dZ
        if not input_gradient:                        # the first layer: nobody reads dX
            return None
        return dZ @ self.kernel.T                     # dX = dZ · Wᵀ

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["activation"] = activations.deserialize(config["activation"])
        for key in ("kernel_initializer", "bias_initializer"):
            config[key] = initializers.deserialize(config[key])
        return super().from_config(config)
