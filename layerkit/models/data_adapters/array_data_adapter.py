"""``ArrayDataAdapter``: arrays in memory, checked once, cut into batches.

The arrays are checked and converted to the model's dtype once, before anything
changes (:func:`layerkit.models.data.check_data`); each epoch then reads them in
order or in a shuffled order, without touching the user's arrays or NumPy's
global random state. The last, smaller batch is kept. A batch is a tuple
``(xs, ys, sample_weight)`` of tuples of arrays; in order, an epoch's batches
(views of the arrays) are made once and kept (up to ``KEPT_BATCHES`` of them).

The order of an epoch depends only on a seed, the epoch and the optimizer's step
count (:func:`epoch_order`), so that a resumed run shuffles exactly as an
uninterrupted one.

For ``fit``'s training batches (``reuse_buffers``) a shuffled batch is gathered
into arrays kept from one step to the next (``take(..., out=)``) rather than
allocated at each step: the step reads its batch before the next one is made.
"""

import itertools
import math
import operator

import numpy as np

from layerkit import distribution
from layerkit.models.data import split_validation
from layerkit.models.data_adapters.data_adapter import DataAdapter


def epoch_order(num_samples, batch_size, shuffle, seed, epoch, iterations):
    """The sample order of an epoch: None (in order) or a permutation of ``range(num_samples)``.

    ``shuffle=True`` permutes all samples; ``shuffle="batch"`` keeps the batches in
    order and permutes the samples inside each (Keras's option for data that is
    read faster in order, such as HDF5).

    Example
    -------
    >>> order = epoch_order(5, 2, "batch", seed=0, epoch=0, iterations=0)
    >>> sorted(order[:2].tolist()), sorted(order[2:4].tolist()), order[4]
    ([0, 1], [2, 3], np.int64(4))
    """
    if not shuffle:
        return None
    rng = np.random.default_rng([seed, epoch, iterations])
    if shuffle != "batch":
        return rng.permutation(num_samples)
    order = np.arange(num_samples)
    for start in range(0, num_samples, batch_size):
        stop = min(start + batch_size, num_samples)
        order[start:stop] = start + rng.permutation(stop - start)
    return order


def resolve_batch_size(batch_size, num_samples, steps):
    """``batch_size``, or Keras's default: ``ceil(num_samples / steps)`` when ``steps`` is given, else 32.

    Example
    -------
    >>> resolve_batch_size(None, 100, 3), resolve_batch_size(None, 100, None), resolve_batch_size(8, 100, 3)
    (34, 32, 8)
    """
    if batch_size:
        return batch_size
    return math.ceil(num_samples / steps) if steps else 32


def batch_indices(num_samples, batch_size, order):
    """Each batch's indices (slices in order, index arrays when shuffled): this process's share of
    each batch's rows when a distribution shards the data (:func:`layerkit.distribution.active`).

    Example
    -------
    >>> list(batch_indices(5, 2, None))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    slices = distribution.active().batch_slices(num_samples, batch_size)
    return slices if order is None else map(order.__getitem__, slices)


#: Up to this many batches, an adapter keeps the batches of an epoch in order: views of the
#: arrays, about 0.5 KiB a batch (2 MiB in all).
KEPT_BATCHES = 1 << 12


class _Absent:
    """A missing array in a list of arrays (an output without sample weights): None at any rows."""

    def __getitem__(self, index):
        return None


_ABSENT = _Absent()


def flat_layout(arrays):
    """``(leaves, layout)``: the arrays of ``arrays`` (items that are an array, a list of
    arrays or None) in one flat list, and how to put a batch back in the items' structure.

    A batch is then the tuple of ``map(taken.__getitem__, layout)`` where ``taken`` is
    the tuple of each leaf at the batch's rows followed by one None: a list item is a
    slice of ``taken`` (a tuple), an array an index into it, and None the index -1.
    Gathering a batch so runs no Python per item. Tuples, so that a batch kept from one
    epoch to the next cannot be changed by the step that reads it.

    Example
    -------
    >>> leaves, layout = flat_layout([[np.zeros(2)], np.ones(2), None])
    >>> len(leaves), layout
    (2, [slice(0, 1, None), 1, -1])
    """
    leaves, layout = [], []
    for item in arrays:
        if item is None:
            layout.append(-1)
        elif isinstance(item, list):
            layout.append(slice(len(leaves), len(leaves) + len(item)))
            leaves += [_ABSENT if a is None else a for a in item]
        else:
            layout.append(len(leaves))
            leaves.append(item)
    return leaves, layout


def _gather(take, leaves, layout, index):
    """One batch: each leaf at the rows ``index`` (``take``), in the items' structure."""
    taken = (*map(take, leaves, itertools.repeat(index)), None)
    return (*map(taken.__getitem__, layout),)


class BatchBuffers:
    """Where shuffled batches are gathered: one array per data array, reused at every step.

    Parameters
    ----------
    batch_size : int
        The rows of a full batch (a last, smaller batch uses the first rows).

    Example
    -------
    >>> buffers = BatchBuffers(2)
    >>> x = np.arange(6.0).reshape(3, 2)
    >>> first = buffers.take(x, np.array([2, 0]))
    >>> first.tolist(), buffers.take(x, np.array([1, 2])) is first
    ([[4.0, 5.0], [0.0, 1.0]], True)
    """

    def __init__(self, batch_size):
        self.batch_size = batch_size
        self._views = {}  # (id(array), rows) -> (array, the buffer's first rows)

    def take(self, array, index):
        """``array`` at the rows ``index``, in this array's buffer."""
        if type(array) is not np.ndarray:  # e.g. per-output sample weights: their own rows
            return array[index]
        key = (id(array), len(index))
        entry = self._views.get(key)
        if entry is None:
            whole = self._views.get((id(array), self.batch_size))
            buffer = (np.empty((self.batch_size,) + array.shape[1:], array.dtype) if whole is None
                      else whole[1].base)
            entry = self._views[key] = (array, buffer[:len(index)])
        return entry[0].take(index, axis=0, out=entry[1], mode="clip")


def _first_array(arrays):
    first = arrays[0]
    return first[0] if isinstance(first, list) else first


class ArrayDataAdapter(DataAdapter):
    """The batches of checked arrays: ``[xs, ys, sample_weight]`` (or ``[xs]`` to predict).

    Parameters
    ----------
    arrays : list
        Each item a list of arrays (one per input or output), an array, or None;
        all with the same number of rows.
    batch_size : int, optional
        See :func:`resolve_batch_size`.
    shuffle : bool or "batch"
    seed : int, optional
        The shuffling seed (with ``shuffle``).
    steps : int, optional
        The steps per epoch asked for (they set the batch size when it is not given).

    Example
    -------
    >>> adapter = ArrayDataAdapter([[np.arange(5)]], batch_size=2)
    >>> [batch[0][0].tolist() for batch, _ in adapter.get_numpy_iterator()]
    [[0, 1], [2, 3], [4]]
    """

    checked = True

    def __init__(self, arrays, batch_size=None, shuffle=False, seed=None, steps=None,
                 reuse_buffers=False):
        self.arrays = arrays
        self._num_samples = len(_first_array(arrays))
        self._batch_size = resolve_batch_size(batch_size, self._num_samples, steps)
        self.shuffle, self.seed = shuffle, seed
        self._requested = (batch_size, steps)
        self._buffers = (BatchBuffers(min(self._batch_size, self._num_samples))
                         if reuse_buffers else None)
        self._in_order = None  # the batches of an epoch in order, kept after the first
        self._leaves, self._layout = flat_layout(arrays)

    @property
    def num_batches(self):
        return math.ceil(self._num_samples / self._batch_size)

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def num_samples(self):
        return self._num_samples

    @property
    def kind(self):
        return "arrays"

    def get_numpy_iterator(self, epoch=0, iterations=0):
        order = epoch_order(self._num_samples, self._batch_size, self.shuffle, self.seed, epoch,
                            iterations)
        if order is None and self._in_order is not None:
            return iter(self._in_order)
        take = operator.getitem if order is None or self._buffers is None else self._buffers.take
        leaves, layout = self._leaves, self._layout
        batches = ((_gather(take, leaves, layout, index), None)
                   for index in batch_indices(self._num_samples, self._batch_size, order))
        if order is not None or self.num_batches > KEPT_BATCHES:
            return batches
        self._in_order = tuple(batches)  # the same views every epoch (tuples: nothing changes them)
        return iter(self._in_order)

    def first_batch(self):
        """The first rows in order (to check and build with: what matters is their shapes, so
        no epoch's order is drawn for them)."""
        index = next(iter(batch_indices(self._num_samples, self._batch_size, None)))
        return _gather(operator.getitem, self._leaves, self._layout, index), None

    def split(self, validation_split, validation_batch_size=None, validation_steps=None):
        """The last ``validation_split`` share of the rows held out, as Keras does.

        Batch sizes are resolved again for each part (from the steps when not given).
        """
        flat = [a for item in self.arrays[:-1] for a in item] + [self.arrays[-1]]
        kept, held_out = split_validation(flat, validation_split)

        def rebuild(arrays):
            cut = len(self.arrays[0])
            return [arrays[:cut], arrays[cut:-1], arrays[-1]]

        batch_size, steps = self._requested
        return (ArrayDataAdapter(rebuild(kept), batch_size, self.shuffle, self.seed, steps,
                                 reuse_buffers=self._buffers is not None),
                ArrayDataAdapter(rebuild(held_out), validation_batch_size or batch_size,
                                 steps=validation_steps))
