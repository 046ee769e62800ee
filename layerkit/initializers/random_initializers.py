"""Random initializers with fixed parameters: RandomNormal, RandomUniform, TruncatedNormal."""

import numpy as np

from layerkit import backend
from layerkit.initializers.initializer import RandomInitializer, check_number


class RandomNormal(RandomInitializer):
    """Normal distribution, ``N(mean, stddev²)``.

    Parameters
    ----------
    mean : float
    stddev : float
        Standard deviation, >= 0.
    seed : int, optional
        Fixes the values (the same on every call).

    Raises
    ------
    ValueError
        If ``stddev`` is negative or not finite.

    Example
    -------
    >>> RandomNormal(seed=0)((2, 3)).shape
    (2, 3)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        check_number("RandomNormal", "mean", mean)
        check_number("RandomNormal", "stddev", stddev, minimum=0)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = self._generator().normal(self.mean, self.stddev, size=shape)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Parameters
    ----------
    minval, maxval : float
        The bounds, ``minval <= maxval``.
    seed : int, optional
        Fixes the values (the same on every call).

    Raises
    ------
    ValueError
        If ``minval > maxval`` or a bound is not finite.

    Example
    -------
    >>> bool(np.all(np.abs(RandomUniform(seed=0)((100,))) <= 0.05))
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        check_number("RandomUniform", "minval", minval)
        check_number("RandomUniform", "maxval", maxval)
        if minval > maxval:
            raise ValueError(
                f"`minval` of RandomUniform must be <= `maxval`. Received: minval={minval}, "
                f"maxval={maxval}"
            )
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        values = self._generator().uniform(self.minval, self.maxval, size=shape)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def truncated_normal(generator, shape, mean, stddev):
    """``N(mean, stddev²)`` samples, each redrawn until it lies within two standard deviations.

    Parameters
    ----------
    generator : numpy.random.Generator
    shape : tuple of int
    mean, stddev : float

    Returns
    -------
    ndarray
        float64 samples in ``[mean - 2 stddev, mean + 2 stddev]``; their standard
        deviation is ``0.87962566... * stddev``.

    Example
    -------
    >>> values = truncated_normal(np.random.default_rng(0), (1000,), 0.0, 1.0)
    >>> bool(np.abs(values).max() <= 2)
    True
    """
    values = generator.normal(size=shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.normal(size=int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class TruncatedNormal(RandomInitializer):
    """Normal distribution truncated (by redrawing) to ``mean ± 2 stddev``.

    Parameters
    ----------
    mean : float
    stddev : float
        Standard deviation of the normal before truncation, >= 0.
    seed : int, optional
        Fixes the values (the same on every call).

    Raises
    ------
    ValueError
        If ``stddev`` is negative or not finite.

    Example
    -------
    >>> bool(np.all(np.abs(TruncatedNormal(seed=0)((100,))) <= 0.1))
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        check_number("TruncatedNormal", "mean", mean)
        check_number("TruncatedNormal", "stddev", stddev, minimum=0)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = truncated_normal(self._generator(), shape, self.mean, self.stddev)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}
