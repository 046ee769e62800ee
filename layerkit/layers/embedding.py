"""Embedding: integer indices to learnt vectors, ``Y[..., :] = E[X[...], :]``."""

import numbers
import warnings

import numpy as np

from layerkit import constraints, initializers, regularizers
from layerkit.layers.indices import integer_indices
from layerkit.layers.layer import Layer


def _check_dim(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value} "
                         f"(of type {type(value).__name__}).")
    return int(value)


class Embedding(Layer):
    """Look up row ``X`` of the table ``E`` (``input_dim × output_dim``): ``Y = E[X]``.

    The indices (any shape ``(N, ...)``) must be whole numbers in ``[0, input_dim)``:
    anything else is refused with the value and its position. Backward scatters the
    output gradient back onto the rows that were read, ``dE[i] = Σ_{X=i} dY``; the
    indices get no gradient (a zero array, as the output is piecewise constant in them).

    Parameters
    ----------
    input_dim : int
        Size of the vocabulary (number of rows).
    output_dim : int
        Size of each vector.
    embeddings_initializer : str or Initializer
        ``"uniform"`` (uniform in [-0.05, 0.05]) by default.
    embeddings_regularizer, embeddings_constraint : optional
    mask_zero : bool
        Keras's masking of index 0: not supported (layerkit has no masks), must be False.
    weights : array-like, optional
        Initial table, of shape ``(input_dim, output_dim)``.
    lora_rank, lora_alpha, quantization_config
        Not supported: must be None.
    **kwargs
        ``name``, ``trainable``, ``dtype``, ``activity_regularizer`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a non-positive dimension; for indices out of range or not whole (when called).
    NotImplementedError
        For ``mask_zero=True``, LoRA or quantization.

    Example
    -------
    >>> import numpy as np
    >>> layer = Embedding(3, 2, weights=np.arange(6.0).reshape(3, 2))
    >>> layer(np.array([[2, 0]]))
    array([[[4., 5.],
            [0., 1.]]], dtype=float32)
    """

    cache_names = ("indices",)

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        self.input_dim = _check_dim("input_dim", input_dim)
        self.output_dim = _check_dim("output_dim", output_dim)
        if mask_zero:
            raise NotImplementedError(
                "Embedding(mask_zero=True) is not supported: layerkit has no masks, so the layers "
                "after it could not skip the padded positions. Pad with an index whose vector "
                "you train, or remove the padding. Received: mask_zero=True")
        given = {"lora_rank": lora_rank, "lora_alpha": lora_alpha,
                 "quantization_config": quantization_config}
        unsupported = [name for name, value in given.items() if value is not None]
        if unsupported:
            raise NotImplementedError(f"Embedding does not support {unsupported}: layerkit has no "
                                      "low-rank adaptation or quantization.")
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", UserWarning,
                          stacklevel=2)
        super().__init__(**kwargs)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = False
        self.indices = None
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape):
        self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                        name="embeddings", regularizer=self.embeddings_regularizer,
                        constraint=self.embeddings_constraint)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def forward(self, x, training=False):
        self.indices = integer_indices(x, self.input_dim, self, "input_dim")
        return self.embeddings[self.indices]

    def backward(self, grad_output, input_gradient=True):
        """``dE[i] = Σ over the positions holding i of dY``; the indices get zeros."""
        grad = np.zeros_like(self.embeddings)
        np.add.at(grad, self.indices.reshape(-1), grad_output.reshape(-1, self.output_dim))
        self.grads["embeddings"] = grad
        return np.zeros(self.indices.shape, dtype=grad_output.dtype) if input_gradient else None

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero, "quantization_config": None}
