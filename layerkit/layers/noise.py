"""Noise layers, active in training only: GaussianNoise, GaussianDropout, AlphaDropout."""

import math
import numbers

from layerkit.layers.dropout import check_noise_shape, resolve_noise_shape
from layerkit.layers.random_layer import RandomLayer, check_rate

# SELU's constants (Klambauer et al., 2017), as Keras writes them
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


class GaussianNoise(RandomLayer):
    """Add zero-centred Gaussian noise in training: ``Y = X + N``, ``N ~ 𝒩(0, stddev²)``.

    Backward ``dX = dY``. In inference ``Y = X``.

    Parameters
    ----------
    stddev : float
        Standard deviation of the noise, in [0, 1] (Keras's bounds).
    seed : int, optional
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a stddev outside [0, 1].

    Example
    -------
    >>> import numpy as np
    >>> layer = GaussianNoise(0.1, seed=0)
    >>> bool((layer(np.zeros((2, 3)), training=True) != 0).all()), layer(np.zeros((1, 1)))
    (True, array([[0.]], dtype=float32))
    """

    cache_names = ()

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or not 0 <= stddev <= 1:
            raise ValueError("Invalid value received for argument `stddev`. Expected a float value "
                             f"between 0 and 1. Received: stddev={stddev!r}")
        self.stddev = float(stddev)

    def forward(self, x, training=False):
        if not training or self.stddev == 0:
            return x
        noise = self.draw(x.shape, lambda gen, shape: gen.normal(0.0, self.stddev, shape))
        return x + noise.astype(x.dtype)

    def backward(self, grad_output, input_gradient=True):
        """``dX = dY``: the noise does not depend on ``X``."""
        return grad_output

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(RandomLayer):
    """Multiply by 1-centred Gaussian noise in training: ``Y = X ⊙ N``, ``N ~ 𝒩(1, rate/(1-rate))``.

    Backward ``dX = dY ⊙ N`` with the same noise, kept as ``self.noise``. In
    inference ``Y = X``.

    Parameters
    ----------
    rate : float
        Drop probability, in [0, 1); the noise's standard deviation is
        ``sqrt(rate / (1 - rate))``.
    seed : int, optional
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a rate outside [0, 1).

    Example
    -------
    >>> import numpy as np
    >>> GaussianDropout(0.2)(np.ones((1, 2)))
    array([[1., 1.]], dtype=float32)
    """

    cache_names = ("noise",)

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate(rate)
        self.noise = None

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.noise = None
            return x
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        self.noise = self.draw(x.shape, lambda gen, shape: gen.normal(1.0, stddev, shape)).astype(
            x.dtype)
        return x * self.noise

    def backward(self, grad_output, input_gradient=True):
        """``dX = dY ⊙ N`` (``dY`` itself in inference)."""
        return grad_output if self.noise is None else grad_output * self.noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(RandomLayer):
    """Dropout for SELU networks: dropped units go to SELU's floor, then mean and variance are restored.

    With ``α' = -alpha·scale`` of SELU, ``a = ((1-rate)(1 + rate·α'²))^(-1/2)`` and
    ``b = -a·α'·rate``: ``Y = a (X ⊙ M + α' (1 - M)) + b``, ``M ~ Bernoulli(1 - rate)``;
    backward ``dX = a · M ⊙ dY`` (``self.mask`` holds ``a·M``). In inference ``Y = X``.

    Parameters
    ----------
    rate : float
        Fraction of the inputs to drop, in [0, 1).
    noise_shape : tuple, optional
        Shape of the mask (as :class:`Dropout`'s).
    seed : int, optional
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a rate outside [0, 1) or a malformed ``noise_shape``.

    Example
    -------
    >>> import numpy as np
    >>> AlphaDropout(0.1)(np.array([[0.5, -0.5]]))
    array([[ 0.5, -0.5]], dtype=float32)
    """

    cache_names = ("mask",)

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate(rate)
        self.noise_shape = check_noise_shape(noise_shape)
        self.mask = None

    def compute_output_shape(self, input_shape):
        resolve_noise_shape(self.noise_shape, input_shape, self.name)
        return tuple(input_shape)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        shape = resolve_noise_shape(self.noise_shape, x.shape, self.name)
        keep = self.draw(shape, lambda gen, s: gen.random(s) >= self.rate).astype(x.dtype)
        alpha_p = -_ALPHA * _SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        self.mask = a * keep                                       # a·M
        return self.mask * x + (a * alpha_p * (1 - keep) + b)      # a (X M + α'(1 - M)) + b

    def backward(self, grad_output, input_gradient=True):
        """``dX = a · M ⊙ dY`` (``dY`` itself in inference)."""
        return grad_output if self.mask is None else grad_output * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}
