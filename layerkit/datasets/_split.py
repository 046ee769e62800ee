"""Keras's train/test split: shuffle with ``RandomState(seed)``, then cut at ``1 - test_split``."""

import numpy as np


def check_test_split(test_split):
    """``test_split`` as a float in [0, 1), or Keras's ValueError."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)) \
            or not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split!r}. It must be between 0 "
                         "and 1 (exclusive of 1).")
    return float(test_split)


def shuffle_split(x, y, test_split, seed):
    """``(x_train, y_train), (x_test, y_test)`` exactly as Keras's ``boston_housing`` makes them.

    The rows are shuffled with ``numpy.random.RandomState(seed).shuffle`` (a
    generator of its own: NumPy's global state is untouched), then the first
    ``int(n * (1 - test_split))`` rows are the training set.

    Example
    -------
    >>> (a, b), (c, d) = shuffle_split(np.arange(10), np.arange(10), 0.2, 113)
    >>> len(a), len(c)
    (8, 2)
    """
    test_split = check_test_split(test_split)
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
