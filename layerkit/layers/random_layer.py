"""Layers that draw noise in training: their seed, their generator, and holding the noise fixed.

A random layer (Dropout, GaussianNoise...) draws its noise in ``forward`` when
``training`` is True and keeps it on itself for ``backward``, which multiplies by
the same mask. It draws from its own generator when it was given a ``seed``
(``backend.make_generator(seed)``: the masks then depend on the seed alone and
change from call to call, as Keras's ``SeedGenerator`` does), else from the
framework's (``backend.random_generator()``, reseeded by ``set_random_seed``).

Inside ``with hold_noise(model):`` every training-mode forward pass of every random
layer reuses the noise drawn by its first one, which makes the network a fixed
function of its weights and inputs: what a finite-difference gradient check needs.
"""

import contextlib
import numbers

from layerkit import backend
from layerkit.layers.layer import Layer


def check_rate(rate):
    """``rate`` as a float in [0, 1), or a ValueError in Keras's words.

    Keras accepts ``rate=1``; layerkit refuses it: the kept units are scaled by
    ``1 / (1 - rate)``, infinite there, and a layer that drops everything passes no
    gradient.

    Example
    -------
    >>> check_rate(0.5)
    0.5
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError("Invalid value received for argument `rate`. Expected a float value "
                         "between 0 and 1 (1 excluded: the kept units are scaled by "
                         f"1 / (1 - rate)). Received: rate={rate!r}")
    return float(rate)


class RandomLayer(Layer):
    """Base of the layers that draw noise in training (see the module docstring).

    Parameters
    ----------
    seed : int, optional
        Non-negative; the layer then draws from its own generator.
    **kwargs
        ``name``, ``dtype``... (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a seed that is not a non-negative integer.

    Example
    -------
    >>> import numpy as np
    >>> class Jitter(RandomLayer):
    ...     def forward(self, x, training=False):
    ...         return x + self.draw(x.shape, lambda gen, shape: gen.normal(size=shape)) if training else x
    >>> bool((Jitter(seed=0)(np.zeros((1, 2)), training=True) != 0).all())
    True
    """

    def __init__(self, seed=None, **kwargs):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise ValueError(f"`seed` must be None or a non-negative integer. Received: seed={seed!r}")
        super().__init__(**kwargs)
        self.seed = None if seed is None else int(seed)
        self._own_generator = None if seed is None else backend.make_generator(self.seed)
        self._held = None  # {shape: noise} inside hold_noise(), else None

    @property
    def generator(self):
        """The generator this layer draws from: its own (seeded) one, else the framework's."""
        return self._own_generator or backend.random_generator()

    def draw(self, shape, sample):
        """``sample(generator, shape)``: fresh noise, or inside ``hold_noise`` the held one.

        Parameters
        ----------
        shape : tuple
        sample : callable
            ``(numpy.random.Generator, shape) -> ndarray``.
        """
        shape = tuple(int(d) for d in shape)
        if self._held is not None and shape in self._held:
            return self._held[shape]
        noise = sample(self.generator, shape)
        if self._held is not None:
            self._held[shape] = noise
        return noise

    def hold(self, holding):
        """Start (True) or stop (False) reusing the first noise drawn; see :func:`hold_noise`."""
        self._held = {} if holding else None


@contextlib.contextmanager
def hold_noise(layer):
    """Within the block, every random layer in ``layer`` (a model, or one layer) reuses its noise.

    The first training-mode forward pass inside the block draws each layer's noise;
    the following ones reuse it, so that the loss is a fixed function of the weights
    and inputs (a gradient check with the mask fixed). Outside the block each pass
    draws anew.

    Parameters
    ----------
    layer : Layer
        A model (its random layers, nested ones included) or a single layer.

    Example
    -------
    >>> import numpy as np
    >>> from layerkit.layers import Dropout
    >>> drop = Dropout(0.5)
    >>> with hold_noise(drop):
    ...     first = drop(np.ones((2, 4)), training=True)
    ...     again = drop(np.ones((2, 4)), training=True)
    >>> bool((first == again).all())
    True
    """
    random_layers = [inner for inner in layer.flatten_layers() if isinstance(inner, RandomLayer)]
    for inner in random_layers:
        inner.hold(True)
    try:
        yield layer
    finally:
        for inner in random_layers:
            inner.hold(False)
