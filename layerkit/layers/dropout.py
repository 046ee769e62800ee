"""Dropout and SpatialDropout1D: inverted dropout, ``Y = X ⊙ M / (1 - rate)`` in training."""

from layerkit.layers.random_layer import RandomLayer, check_rate


def check_noise_shape(noise_shape):
    """``noise_shape`` as a tuple (or None), checked as Keras does: positive integers and None.

    Raises
    ------
    ValueError
        For a string, a non-iterable, or an entry that is not a positive integer or None.

    Example
    -------
    >>> check_noise_shape([None, 1, 3])
    (None, 1, 3)
    """
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError("Invalid value received for argument `noise_shape`. Expected a tuple or "
                         f"list of integers. Received: noise_shape={noise_shape}")
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError("Invalid value received for argument `noise_shape`. Expected an iterable "
                         "of integers (e.g., a tuple or list). "
                         f"Received: noise_shape={noise_shape}") from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise ValueError("Invalid value received for argument `noise_shape`. Expected all "
                             f"elements to be integers or None. Received element at index {i}: "
                             f"{dim} (type: {type(dim).__name__})")
        if dim <= 0:
            raise ValueError("Invalid value received for argument `noise_shape`. Expected all "
                             "dimensions to be positive integers or None. Received negative or "
                             f"zero value at index {i}: {dim}")
    return noise_shape


def resolve_noise_shape(noise_shape, input_shape, name):
    """The mask shape for inputs of ``input_shape``: ``noise_shape`` with None as the input's size.

    Raises
    ------
    ValueError
        If ``noise_shape`` has another rank, or an entry that is neither 1 nor the
        input's size.

    Example
    -------
    >>> resolve_noise_shape((None, 1, 3), (5, 2, 3), "dropout")
    (5, 1, 3)
    """
    if noise_shape is None:
        return tuple(input_shape)
    if len(noise_shape) != len(input_shape) or any(
            n is not None and d is not None and n not in (1, d)
            for n, d in zip(noise_shape, input_shape)):
        raise ValueError(f"Layer {name!r}: noise_shape={tuple(noise_shape)} does not fit inputs "
                         f"of shape {tuple(input_shape)}: each entry must be the input's size, 1 "
                         "or None, one per axis.")
    return tuple(d if n is None else n for n, d in zip(noise_shape, input_shape))


class Dropout(RandomLayer):
    """Randomly zero a fraction ``rate`` of the inputs in training; scale the rest by ``1/(1-rate)``.

    In training ``Y = X ⊙ M / (1 - rate)`` with ``M ~ Bernoulli(1 - rate)`` (drawn
    with the shape ``noise_shape`` and broadcast); backward ``dX = dY ⊙ M / (1 - rate)``
    with the same mask, kept as ``self.mask``. In inference ``Y = X``. ``trainable``
    does not change this (the layer has no weights), as in Keras.

    Parameters
    ----------
    rate : float
        Fraction of the inputs to drop, in [0, 1).
    noise_shape : tuple, optional
        Shape of the mask, batch axis included, each entry the input's size, 1 (the
        mask is shared along that axis) or None (the input's size).
    seed : int, optional
        The layer's own seed (see :mod:`layerkit.layers.random_layer`).
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a rate outside [0, 1), a malformed ``noise_shape`` (at construction), or a
        ``noise_shape`` that does not fit the input (when called).

    Example
    -------
    >>> import numpy as np
    >>> layer = Dropout(0.5, seed=0)
    >>> layer(np.ones((1, 4)))                  # inference: unchanged
    array([[1., 1., 1., 1.]], dtype=float32)
    >>> sorted(set(layer(np.ones((1, 4)), training=True).ravel().tolist()))
    [0.0, 2.0]
    """

    cache_names = ("mask",)

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate(rate)
        self.noise_shape = check_noise_shape(noise_shape)
        self.mask = None

    def mask_shape(self, input_shape):
        """The shape of the mask for inputs of ``input_shape`` (None entries stay None)."""
        return resolve_noise_shape(self.noise_shape, input_shape, self.name)

    def compute_output_shape(self, input_shape):
        self.mask_shape(input_shape)
        return tuple(input_shape)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = self.draw(self.mask_shape(x.shape), lambda gen, shape: gen.random(shape) >= self.rate)
        self.mask = keep.astype(x.dtype) / (1.0 - self.rate)   # M / (1 - rate)
        return x * self.mask

    def backward(self, grad_output, input_gradient=True):
        """``dX = dY ⊙ M / (1 - rate)`` (``dY`` itself in inference)."""
        return grad_output if self.mask is None else grad_output * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class SpatialDropout1D(Dropout):
    """Dropout of whole channels of a sequence: one mask entry per (sample, channel).

    For inputs ``(N, T, C)`` the mask has shape ``(N, 1, C)``: a dropped channel is
    zero at every time step. Otherwise as :class:`Dropout`.

    Parameters
    ----------
    rate : float
        Fraction of the channels to drop, in [0, 1).
    seed : int, optional
    name, dtype : optional

    Raises
    ------
    ValueError
        For a rate outside [0, 1), or inputs that are not of rank 3.

    Example
    -------
    >>> import numpy as np
    >>> y = SpatialDropout1D(0.5, seed=1)(np.ones((2, 3, 4)), training=True)
    >>> bool((y == y[:, :1, :]).all())          # the same mask at every step
    True
    """

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def mask_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: '
                             f"expected ndim=3, found ndim={len(input_shape)}. Full shape "
                             f"received: {tuple(input_shape)}")
        return (input_shape[0], 1, input_shape[2])

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}
