"""Random values, as ``keras.random``: normal, uniform, truncated_normal, randint, dropout, shuffle.

Every function takes a ``seed``:

- ``None`` (the default): draw from layerkit's generator (``backend.random_generator()``,
  reseeded by ``layerkit.utils.set_random_seed``);
- an int: the same values at every call (a generator made from that seed each time);
- a :class:`SeedGenerator`: its own generator, seeded once, so successive calls differ
  and the same seed gives the same sequence.

NumPy's global random state is never used.
"""

import numbers

import numpy as np

from layerkit import backend, ops


class SeedGenerator:
    """A source of random values of its own: successive draws differ, the seed fixes the sequence.

    Parameters
    ----------
    seed : int, optional
        Non-negative. None: seeded once from layerkit's generator.
    name : str, optional
        ``seed_generator``, ``seed_generator_1``... by default.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.

    Example
    -------
    >>> a, b = SeedGenerator(seed=42), SeedGenerator(seed=42)
    >>> bool(np.all(normal((2,), seed=a) == normal((2,), seed=b)))
    True
    >>> bool(np.all(normal((2,), seed=a) == normal((2,), seed=SeedGenerator(seed=42))))
    False
    """

    def __init__(self, seed=None, name=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise ValueError(f"Argument `seed` must be a non-negative integer. Received: seed={seed!r}")
        self.name = name or backend.unique_name("seed_generator")
        self.seed = seed
        if seed is None:
            seed = int(backend.random_generator().integers(2 ** 63))
        self.generator = backend.make_generator(seed)

    def get_config(self):
        """``{"seed": ..., "name": ...}``, Keras's keys."""
        return {"seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """A new SeedGenerator from :meth:`get_config`'s output (it starts its sequence again)."""
        return cls(**config)


def _generator(seed):
    """The ``numpy.random.Generator`` that ``seed`` stands for."""
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if seed is None:
        return backend.random_generator()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError("Argument `seed` must be either a non-negative integer or an instance of "
                         f"`SeedGenerator`. Received: seed={seed!r} (of type {type(seed)})")
    return backend.make_generator(seed)


def _float_dtype(dtype, function):
    dtype = backend.standardize_dtype(dtype)
    if not backend.is_float_dtype(dtype):
        raise ValueError(f"`layerkit.random.{function}` requires a floating point `dtype`. "
                         f"Received: dtype={dtype}")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution, ``N(mean, stddev²)``.

    Parameters
    ----------
    shape : tuple of int
    mean, stddev : float
    dtype : str, optional
        A floating dtype, ``floatx()`` by default.
    seed : int, SeedGenerator or None

    Returns
    -------
    ndarray

    Example
    -------
    >>> normal((2, 3), seed=0).shape
    (2, 3)
    """
    dtype = _float_dtype(dtype, "normal")
    return _generator(seed).normal(mean, stddev, size=shape).astype(dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of a uniform distribution on ``[minval, maxval)``.

    Parameters
    ----------
    shape : tuple of int
    minval, maxval : float
    dtype : str, optional
        A floating dtype, ``floatx()`` by default.
    seed : int, SeedGenerator or None

    Returns
    -------
    ndarray

    Example
    -------
    >>> values = uniform((1000,), minval=2.0, maxval=3.0, seed=0)
    >>> bool(values.min() >= 2.0 and values.max() < 3.0)
    True
    """
    dtype = _float_dtype(dtype, "uniform")
    return _generator(seed).uniform(minval, maxval, size=shape).astype(dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution, redrawn until within two ``stddev`` of ``mean``.

    Parameters
    ----------
    shape : tuple of int
    mean, stddev : float
    dtype : str, optional
        A floating dtype, ``floatx()`` by default.
    seed : int, SeedGenerator or None

    Returns
    -------
    ndarray

    Example
    -------
    >>> bool(np.abs(truncated_normal((1000,), seed=0)).max() <= 2.0)
    True
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    generator = _generator(seed)
    values = generator.normal(mean, stddev, size=shape)
    outside = np.abs(values - mean) > 2 * stddev
    while outside.any():
        values[outside] = generator.normal(mean, stddev, size=int(outside.sum()))
        outside = np.abs(values - mean) > 2 * stddev
    return values.astype(dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers in ``[minval, maxval)``.

    Parameters
    ----------
    shape : tuple of int
    minval, maxval : int
    dtype : str
        An integer dtype.
    seed : int, SeedGenerator or None

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        If ``dtype`` is not an integer type.

    Example
    -------
    >>> values = randint((100,), 0, 3, seed=0)
    >>> values.dtype, sorted(set(values.tolist()))
    (dtype('int32'), [0, 1, 2])
    """
    if np.dtype(dtype).kind not in "iu":
        raise ValueError(f"`layerkit.random.randint` requires an integer `dtype`. Received: dtype={dtype}")
    return _generator(seed).integers(minval, maxval, size=shape, dtype=dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout: zero each unit with probability ``rate``, scale the others by ``1/(1-rate)``.

    On a Tensor it is recorded (as a product with the scaled mask), so its gradient
    is the mask times ``1/(1-rate)``.

    Parameters
    ----------
    inputs : array-like or Tensor
    rate : float
        In [0, 1].
    noise_shape : tuple, optional
        The shape of the mask, broadcast to the inputs' (None entries: the inputs' size),
        e.g. ``(batch, 1)`` drops whole rows.
    seed : int, SeedGenerator or None

    Returns
    -------
    ndarray, or a Tensor when ``inputs`` is recorded on a tape (never modified in place).

    Raises
    ------
    ValueError
        If ``rate`` is not in [0, 1].

    Example
    -------
    >>> out = dropout(np.ones(1000), rate=0.25, seed=0)
    >>> sorted(set(out.tolist()))
    [0.0, 1.3333333333333333]
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
        raise ValueError("Invalid value received for argument `rate`. Expected a float value "
                         f"between 0 and 1. Received: rate={rate!r}")
    if rate == 0:
        return inputs
    shape = ops.shape(inputs)
    if noise_shape is None:
        noise_shape = shape
    noise_shape = tuple(size if want is None else want
                        for want, size in zip(noise_shape, shape[len(shape) - len(noise_shape):]))
    dtype = inputs.dtype if isinstance(inputs, ops.Tensor) else np.asarray(inputs).dtype
    dtype = dtype if dtype.kind == "f" else backend.floatx()
    keep = _generator(seed).uniform(size=noise_shape) >= rate
    scale = keep * (1 / (1 - rate)) if rate < 1 else np.zeros(noise_shape)
    return ops.multiply(inputs, scale.astype(dtype))


def shuffle(x, axis=0, seed=None):
    """A copy of ``x`` with its slices along ``axis`` in a random order (recorded on a Tensor).

    Parameters
    ----------
    x : array-like or Tensor
    axis : int
    seed : int, SeedGenerator or None

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Example
    -------
    >>> sorted(shuffle(np.arange(5), seed=0).tolist())
    [0, 1, 2, 3, 4]
    """
    order = _generator(seed).permutation(ops.shape(x)[axis])
    return ops.take(x, order, axis=axis)
