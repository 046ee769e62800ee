"""Flatten: one sample's array becomes a vector, ``(N, d1, d2, ...) -> (N, d1·d2·...)``."""

import math

from layerkit.layers.layer import Layer


class Flatten(Layer):
    """Reshape each sample to a vector (the batch axis stays); backward reshapes back.

    Parameters
    ----------
    data_format : str, optional
        ``"channels_last"`` (the only layout layerkit uses) or None.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Example
    -------
    >>> import numpy as np
    >>> Flatten()(np.zeros((2, 64, 64, 3))).shape
    (2, 12288)
    """

    cache_names = ("X_shape",)

    def __init__(self, data_format=None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Flatten supports data_format='channels_last' only. "
                             f"Received: data_format={data_format!r}")
        super().__init__(**kwargs)
        self.data_format = data_format

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def forward(self, x, training=False):
        self.X_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_output, input_gradient=True):
        return grad_output.reshape(self.X_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
