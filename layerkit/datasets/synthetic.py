"""Two-class toy data in 2-D, made with NumPy: moons, circles and XOR.

Each generator draws from a ``numpy.random.Generator`` of its own, built from
``random_state``: NumPy's global random state is never used or changed. The
first two follow scikit-learn's ``make_moons`` and ``make_circles`` (same
shapes, same arguments; the random numbers differ, as the generators do).
"""

import numbers

import numpy as np


def _generator(random_state):
    if random_state is None or (isinstance(random_state, numbers.Integral)
                                and not isinstance(random_state, bool)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    raise TypeError("`random_state` must be an int, None or a numpy.random.Generator. "
                    f"Received: random_state={random_state!r}")


def _check(n_samples, noise):
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 2:
        raise ValueError(f"`n_samples` must be an integer >= 2. Received: n_samples={n_samples!r}")
    if noise is not None and not (isinstance(noise, numbers.Real) and noise >= 0):
        raise ValueError(f"`noise` must be None or a number >= 0. Received: noise={noise!r}")


def _finish(x, y, shuffle, noise, rng):
    if shuffle:
        order = rng.permutation(len(x))
        x, y = x[order], y[order]
    if noise:
        x = x + rng.normal(scale=noise, size=x.shape)
    return x, y


def make_moons(n_samples=100, noise=None, random_state=None, shuffle=True):
    """Two interleaving half circles: label 0 the upper one, 1 the lower one.

    The upper moon is ``(cos t, sin t)`` and the lower ``(1 - cos t, 0.5 - sin t)``
    for ``t`` evenly spaced in [0, π], plus Gaussian noise.

    Parameters
    ----------
    n_samples : int
        Number of points; the upper moon gets ``n_samples // 2``.
    noise : float, optional
        Standard deviation of the Gaussian noise added to every coordinate.
    random_state : int, numpy.random.Generator or None
        Seed of the noise and the shuffle (None: fresh entropy).
    shuffle : bool
        Shuffle the points (otherwise the upper moon comes first).

    Returns
    -------
    x : ndarray, float64 (n_samples, 2)
    y : ndarray, int64 (n_samples,)

    Raises
    ------
    ValueError, TypeError
        For a bad ``n_samples``, ``noise`` or ``random_state``.

    Example
    -------
    >>> x, y = make_moons(200, noise=0.1, random_state=0)
    >>> x.shape, y.dtype.name, int(y.sum())
    ((200, 2), 'int64', 100)
    """
    _check(n_samples, noise)
    rng = _generator(random_state)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = np.linspace(0, np.pi, n_upper)
    t_lower = np.linspace(0, np.pi, n_lower)
    x = np.concatenate([np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1),
                        np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)])
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    return _finish(x, y, shuffle, noise, rng)


def make_circles(n_samples=100, noise=None, random_state=None, factor=0.8, shuffle=True):
    """A small circle inside a large one: label 0 the outer circle, 1 the inner one.

    Parameters
    ----------
    n_samples : int
        Number of points; the outer circle gets ``n_samples // 2``.
    noise : float, optional
        Standard deviation of the Gaussian noise added to every coordinate.
    random_state : int, numpy.random.Generator or None
        Seed of the noise and the shuffle.
    factor : float
        Radius of the inner circle over the outer one's (1), in (0, 1).
    shuffle : bool
        Shuffle the points.

    Returns
    -------
    x : ndarray, float64 (n_samples, 2)
    y : ndarray, int64 (n_samples,)

    Raises
    ------
    ValueError, TypeError
        For a bad argument.

    Example
    -------
    >>> x, y = make_circles(100, random_state=0, factor=0.5)
    >>> sorted({round(float(r), 6) for r in np.hypot(x[:, 0], x[:, 1])})
    [0.5, 1.0]
    """
    _check(n_samples, noise)
    if not 0 < factor < 1:
        raise ValueError(f"`factor` must be in (0, 1). Received: factor={factor!r}")
    rng = _generator(random_state)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    x = np.concatenate([np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
                        factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1)])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _finish(x, y, shuffle, noise, rng)


def make_xor(n_samples=100, noise=None, random_state=None):
    """Points uniform in the square [-1, 1]², labelled 1 where exactly one coordinate is > 0.

    The label is computed before the noise is added, so noise blurs the
    boundary between the quadrants. No line separates the classes: a network
    needs a hidden layer.

    Parameters
    ----------
    n_samples : int
        Number of points.
    noise : float, optional
        Standard deviation of the Gaussian noise added to every coordinate.
    random_state : int, numpy.random.Generator or None
        Seed of the points and the noise.

    Returns
    -------
    x : ndarray, float64 (n_samples, 2)
    y : ndarray, int64 (n_samples,)

    Raises
    ------
    ValueError, TypeError
        For a bad argument.

    Example
    -------
    >>> x, y = make_xor(8, random_state=0)
    >>> bool(np.all(y == ((x[:, 0] > 0) ^ (x[:, 1] > 0))))
    True
    """
    _check(n_samples, noise)
    rng = _generator(random_state)
    x = rng.uniform(-1, 1, size=(n_samples, 2))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    return _finish(x, y, False, noise, rng)
