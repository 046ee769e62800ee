"""The one seeded ``numpy.random.Generator`` that all of layerkit's randomness comes from.

Imports nothing of layerkit.
"""

import numpy as np

_generator = np.random.default_rng()


def set_random_seed(seed):
    """Reseed layerkit's one random generator (initialisers, shuffling, dropout).

    NumPy's global random state is not touched.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer.
    ValueError
        If ``seed`` is negative.

    Example
    -------
    >>> set_random_seed(7); first = random_generator().random()
    >>> set_random_seed(7); random_generator().random() == first
    True
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"`seed` must be an integer. Received: seed={seed!r}")
    if seed < 0:
        raise ValueError(f"`seed` must be >= 0. Received: seed={seed}")
    _generator = np.random.default_rng(int(seed))


def random_generator():
    """Return the ``numpy.random.Generator`` that all of layerkit's randomness comes from.

    Example
    -------
    >>> type(random_generator()).__name__
    'Generator'
    """
    return _generator


def make_generator(seed=None):
    """A generator for an object that was given its own ``seed``, else the shared one.

    Parameters
    ----------
    seed : int or None
        ``None`` draws from the framework's generator (``set_random_seed``).

    Example
    -------
    >>> make_generator() is random_generator()
    True
    >>> float(make_generator(3).random()) == float(make_generator(3).random())
    True
    """
    if seed is None:
        return _generator
    return np.random.default_rng(int(seed))
