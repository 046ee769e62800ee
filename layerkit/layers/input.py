"""Input: the symbolic placeholder that declares a model's input shape."""

import numpy as np

from layerkit import backend
from layerkit.layers.keras_tensor import Node
from layerkit.layers.layer import Layer

INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _integer_dtype(dtype):
    """The name of ``dtype`` if it is an integer type (indices for Embedding), else None."""
    try:
        name = np.dtype(dtype).name if dtype is not None else None
    except TypeError:
        return None
    return name if name in INTEGER_DTYPES else None


class InputLayer(Layer):
    """The layer behind ``Input``: it passes its input through unchanged.

    Parameters
    ----------
    shape : tuple
        Shape of one sample, without the batch axis.
    batch_size : int, optional
    dtype : str, optional
        A float dtype (``floatx()`` by default), or an integer one (``"int32"``...) for
        indices (Embedding, CategoryEncoding): the model's inputs are then converted
        to it. The layers themselves compute in floating point.
    sparse, ragged : bool, optional
        Must be falsy (no sparse or ragged tensors in layerkit).
    batch_shape : tuple, optional
        Full shape, batch axis included (instead of ``shape``).
    input_tensor : KerasTensor, optional
        Not supported (must be None).
    optional : bool
        Must be False.
    name : str, optional

    Raises
    ------
    ValueError
        If neither or both of ``shape`` and ``batch_shape`` are given, or a
        dimension is not a positive integer or None.

    Example
    -------
    >>> layer = InputLayer(shape=(3,), name="features")
    >>> layer.batch_shape, layer.output
    ((None, 3), <KerasTensor shape=(None, 3), dtype=float32, name=features>)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        integer = _integer_dtype(dtype)
        super().__init__(name=name or backend.unique_name("input_layer"),
                         dtype=None if integer else dtype, **kwargs)
        if integer:
            self.dtype = integer
        if (shape is None) == (batch_shape is None):
            raise ValueError("Give exactly one of `shape` and `batch_shape` to Input. Received: "
                             f"shape={shape}, batch_shape={batch_shape}")
        if sparse or ragged or input_tensor is not None or optional:
            raise NotImplementedError("Input: `sparse`, `ragged`, `input_tensor` and `optional` "
                                      "are not supported.")
        if batch_shape is None:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        batch_shape = tuple(batch_shape)
        for dim in batch_shape[1:]:
            if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0):
                raise ValueError(f"Input shape dimensions must be positive integers or None. "
                                 f"Received: shape={batch_shape[1:]}")
        self.batch_shape = batch_shape
        self.built = True
        self.input_shape = self.output_shape = batch_shape
        self.output = Node(self, [], False, batch_shape).output

    cache_names = ()

    def forward(self, x, training=False):
        return x

    def backward(self, grad_output, input_gradient=True):
        return grad_output

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "batch_shape": list(self.batch_shape)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """Declare a model input of ``shape`` (one sample, no batch axis).

    Returns
    -------
    KerasTensor

    Example
    -------
    >>> Input(shape=(4,)).shape
    (None, 4)
    >>> Input(shape=(3,), dtype="int32").dtype
    'int32'
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       ragged=ragged, batch_shape=batch_shape, input_tensor=tensor, optional=optional,
                       name=name)
    return layer.output
