"""``EpochIterator``: the batches of each epoch, as Keras's epoch iterator gives them.

It owns what ``fit``, ``evaluate`` and ``predict`` share about going through data:
the batch size, the shuffled order of an epoch (drawn without touching the user's
arrays or NumPy's global random state), the last smaller batch (kept, never dropped)
and a limit on the steps per epoch.

The order of an epoch depends only on a seed, the epoch and the optimizer's step
count, so that a resumed run shuffles exactly as an uninterrupted one.
"""

import math

import numpy as np


class EpochIterator:
    """The batches of ``arrays`` (lists of arrays with one row per sample, or None).

    Parameters
    ----------
    arrays : list
        E.g. ``[xs, ys, sample_weight]``: each a list of arrays, an array, or None.
    batch_size : int
    steps_per_epoch : int, optional
        Stop an epoch after this many batches.
    shuffle : bool
    seed : int, optional
        The shuffling seed (with ``shuffle``).

    Example
    -------
    >>> it = EpochIterator([np.arange(5)], batch_size=2)
    >>> [batch[0].tolist() for batch in it.batches()]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, arrays, batch_size, steps_per_epoch=None, shuffle=False, seed=None):
        self.arrays = arrays
        self.batch_size = batch_size
        self.num_samples = len(_first_array(arrays))
        steps = math.ceil(self.num_samples / batch_size)
        self.steps = steps if steps_per_epoch is None else min(steps, steps_per_epoch)
        self.shuffle, self.seed = shuffle, seed

    def order(self, epoch, iterations):
        """The sample order of an epoch: a permutation, or None (in order)."""
        if not self.shuffle:
            return None
        rng = np.random.default_rng([self.seed, epoch, iterations])
        return rng.permutation(self.num_samples)

    def batches(self, epoch=0, iterations=0):
        """Yield each batch: the same structure as ``arrays``, each array cut to the batch."""
        order = self.order(epoch, iterations)
        for step in range(self.steps):
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            index = slice(start, stop) if order is None else order[start:stop]
            yield [_take(item, index) for item in self.arrays]


def _take(item, index):
    if item is None:
        return None
    if isinstance(item, list):
        return [None if a is None else a[index] for a in item]
    return item[index]


def _first_array(arrays):
    first = arrays[0]
    return first[0] if isinstance(first, list) else first
