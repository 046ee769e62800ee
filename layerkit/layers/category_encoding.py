"""CategoryEncoding: integer categories to one-hot, multi-hot or count vectors."""

import numbers

import numpy as np

from layerkit.layers.indices import integer_indices
from layerkit.layers.layer import Layer

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def encoded_shape(input_shape, output_mode, depth, layer):
    """The output shape of :func:`encode` for inputs of ``input_shape`` (Keras's rules).

    ``one_hot`` adds an axis of ``depth`` (replacing a last axis of size 1);
    ``multi_hot`` and ``count`` take ``(batch, tokens)`` to ``(batch, depth)``.

    Raises
    ------
    ValueError
        For ``multi_hot``/``count`` inputs that are not of rank 2.

    Example
    -------
    >>> encoded_shape((None, 1), "one_hot", 5, None), encoded_shape((None, 3), "count", 5, None)
    ((None, 5), (None, 5))
    """
    input_shape = tuple(input_shape)
    if output_mode == "one_hot":
        return (input_shape[:-1] if len(input_shape) > 1 and input_shape[-1] == 1
                else input_shape) + (depth,)
    if len(input_shape) != 2:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) in output_mode="
                         f"{output_mode!r} takes inputs of shape (batch, tokens). Received input "
                         f"shape {input_shape}; for one token per sample, pass x.reshape(-1, 1).")
    return (input_shape[0], depth)


def encode(indices, output_mode, depth, dtype):
    """One-hot (per index), multi-hot (1 where a row holds the index) or count vectors.

    Example
    -------
    >>> encode(np.array([[0, 2, 2]]), "count", 3, "float32")
    array([[1., 0., 2.]], dtype=float32)
    """
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return np.eye(depth, dtype=dtype)[indices]
    counts = np.zeros((len(indices), depth), dtype=dtype)
    np.add.at(counts, (np.arange(len(indices))[:, None], indices), 1)
    return counts if output_mode == "count" else np.minimum(counts, 1)


class CategoryEncoding(Layer):
    """Encode integer categories in ``[0, num_tokens)`` as vectors of length ``num_tokens``.

    ``one_hot``: each index becomes a one-hot vector (a last axis of size 1 is
    replaced). ``multi_hot``: each sample ``(batch, tokens)`` becomes one vector with
    1 at the indices it holds. ``count``: the same with how many times each occurs.
    The output is piecewise constant in the input: backward returns zeros.

    Parameters
    ----------
    num_tokens : int
        Number of categories, >= 1.
    output_mode : str
        ``"multi_hot"`` (default; ``"binary"`` is its old name), ``"one_hot"`` or ``"count"``.
    sparse : bool
        Must be False (layerkit has no sparse tensors).
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a missing or non-positive ``num_tokens``, an unknown mode, ``sparse=True``;
        (when called) indices out of range or not whole, or a multi-hot input not of rank 2.

    Example
    -------
    >>> import numpy as np
    >>> CategoryEncoding(num_tokens=4)(np.array([[0, 1], [3, 3]]))
    array([[1., 1., 0., 0.],
           [0., 0., 0., 1.]], dtype=float32)
    """

    cache_names = ("X_shape",)

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode}. Valid values: "
                             f"{list(OUTPUT_MODES)}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is "
                             "not known beforehand, use the IntegerLookup layer instead.")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, numbers.Integral) or (
                num_tokens < 1):
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("`sparse=True` is not supported: layerkit has no sparse tensors.")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens, self)

    def forward(self, x, training=False):
        self.X_shape = x.shape
        encoded_shape(x.shape, self.output_mode, self.num_tokens, self)
        indices = integer_indices(x, self.num_tokens, self, "num_tokens")
        return encode(indices, self.output_mode, self.num_tokens, self.dtype)

    def backward(self, grad_output, input_gradient=True):
        """Zeros: a small change of the input changes no category."""
        return np.zeros(self.X_shape, dtype=grad_output.dtype) if input_gradient else None

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}
