"""``SlicedDataAdapter``: arrays larger than memory (``np.memmap``, ``h5py.Dataset``), batch by batch.

Nothing is read before training but the first batch: each batch's rows are read
when the batch is needed, checked (numeric, finite, within the model's dtype) by
the epoch iterator, and dropped after the step. The whole set is never copied or
converted.

- **Order.** A batch's rows are read in increasing order, then put back in the
  batch's order (:func:`~layerkit.models.data_adapters.file_rows.take_rows`): a
  shuffled epoch visits the samples in exactly the order the same arrays in memory
  would (:func:`~layerkit.models.data_adapters.array_data_adapter.epoch_order`), so
  the two runs give the same weights. ``shuffle="batch"`` keeps the batches in order
  and shuffles inside each, for data that is slow to read out of order.
- **Memory.** A memmap's rows are read from its file, not through its mapping, so
  that the resident size stays that of a batch.
"""

import math
import sys

import numpy as np

from layerkit.models.data import check_same_length, split_validation_point
from layerkit.models.data_adapters.array_data_adapter import (
    batch_indices,
    epoch_order,
    resolve_batch_size,
)
from layerkit.models.data_adapters.data_adapter import DataAdapter
from layerkit.models.data_adapters.file_rows import take_rows


def is_lazy_array(value):
    """Whether ``value`` is read from a file on demand: an ``np.memmap`` or an ``h5py.Dataset``.

    Example
    -------
    >>> is_lazy_array(np.zeros(3))
    False
    """
    if isinstance(value, np.memmap):
        return True
    h5py = sys.modules.get("h5py")  # only an imported h5py can have made one
    return h5py is not None and isinstance(value, h5py.Dataset)


def _is_container(structure):
    """A dict, or a non-empty list / tuple of arrays (one per input or output)."""
    return isinstance(structure, dict) or (
        isinstance(structure, (list, tuple)) and len(structure) > 0 and all(
            isinstance(v, (np.ndarray, list, tuple, dict)) or is_lazy_array(v) for v in structure)
        and not all(isinstance(v, (list, tuple)) and not _is_container(v) for v in structure))


def leaves(structure, label):
    """``[(label, array)]`` of a structure of arrays (lists, tuples and dicts are walked).

    Example
    -------
    >>> [label for label, _ in leaves({"a": np.zeros(2), "b": [np.zeros(2), np.ones(2)]}, "x")]
    ["x['a']", "x['b'][0]", "x['b'][1]"]
    """
    if structure is None:
        return []
    if isinstance(structure, dict):
        return [pair for key, value in structure.items() for pair in leaves(value, f"{label}[{key!r}]")]
    if _is_container(structure):
        return [pair for i, value in enumerate(structure) for pair in leaves(value, f"{label}[{i}]")]
    return [(label, structure)]


def map_structure(structure, function):
    """The same structure with ``function(array)`` in place of each array."""
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {key: map_structure(value, function) for key, value in structure.items()}
    if _is_container(structure):
        return type(structure)(map_structure(value, function) for value in structure)
    return function(structure)


def contains_lazy_arrays(*structures):
    """Whether any of ``structures`` holds a memmap or an h5py dataset."""
    return any(is_lazy_array(array) for s in structures for _, array in leaves(s, ""))


def _sliceable(array):
    """Lists of numbers among the arrays become arrays (memmaps and datasets stay as they are)."""
    return array if is_lazy_array(array) or isinstance(array, np.ndarray) else np.asarray(array)


class SlicedDataAdapter(DataAdapter):
    """The batches of arrays read one batch at a time (memmaps, h5py datasets, plain arrays).

    Parameters
    ----------
    x, y, sample_weight : array, or list / tuple / dict of arrays
        At least one of them a memmap or an h5py dataset; any plain arrays among them
        are sliced the same way.
    batch_size : int, optional
        See :func:`~layerkit.models.data_adapters.array_data_adapter.resolve_batch_size`.
    shuffle : bool or "batch"
    seed : int, optional
    caller : str
        For messages (``"fit"``...).
    rows : (int, int), optional
        The window of rows to use (``validation_split`` cuts one).
    steps : int, optional
        The steps per epoch asked for (they set the batch size when it is not given).

    Raises
    ------
    ValueError
        For an array without a batch axis, with no rows, or arrays of different lengths.

    Example
    -------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.dat")
    >>> x = np.memmap(path, dtype="float32", mode="w+", shape=(5, 2))
    >>> adapter = SlicedDataAdapter(x, None, batch_size=2)
    >>> [batch[0].shape for batch, _ in adapter.get_numpy_iterator()]
    [(2, 2), (2, 2), (1, 2)]
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False, seed=None,
                 caller="fit", rows=None, steps=None):
        self.data = tuple(map_structure(s, _sliceable) for s in (x, y, sample_weight))
        self.shuffle, self.seed, self.caller = shuffle, seed, caller
        self._requested = (batch_size, steps)
        named = {}
        for name, structure in zip(("x", "y", "sample_weight"), self.data):
            for label, array in leaves(structure, name):
                if len(array.shape) == 0:
                    raise ValueError(f"`{label}` of {caller}() must have a batch axis. "
                                     "Received a scalar.")
                named[label] = array
        check_same_length(named, caller)
        total = len(next(iter(named.values())))
        self.rows = (0, total) if rows is None else rows
        if self.num_samples == 0:
            raise ValueError(f"`x` of {caller}() is empty (0 samples).")
        self._batch_size = resolve_batch_size(batch_size, self.num_samples, steps)

    @property
    def num_samples(self):
        return self.rows[1] - self.rows[0]

    @property
    def num_batches(self):
        return math.ceil(self.num_samples / self._batch_size)

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def kind(self):
        return "arrays read batch by batch"

    def _batch(self, index):
        """The batch of rows ``index`` (of the window) and where it comes from."""
        start = self.rows[0]
        if isinstance(index, slice):
            rows = slice(index.start + start, index.stop + start)
            source = f"rows {rows.start} to {rows.stop - 1}"
        else:
            rows = index + start
            listed = ", ".join(str(r) for r in rows[:4]) + (", ..." if len(rows) > 4 else "")
            source = f"rows {listed} in the batch's order"
        batch = tuple(map_structure(s, lambda array: take_rows(array, rows)) for s in self.data)
        return batch, source

    def get_numpy_iterator(self, epoch=0, iterations=0):
        order = epoch_order(self.num_samples, self._batch_size, self.shuffle, self.seed, epoch,
                            iterations)
        for index in batch_indices(self.num_samples, self._batch_size, order):
            yield self._batch(index)

    def first_batch(self):
        return self._batch(slice(0, min(self._batch_size, self.num_samples)))

    def split(self, validation_split, validation_batch_size=None, validation_steps=None):
        """The last ``validation_split`` share of the rows held out (nothing is read)."""
        start, stop = self.rows
        split_at = start + split_validation_point(self.num_samples, validation_split)
        batch_size, steps = self._requested
        kept = SlicedDataAdapter(*self.data, batch_size=batch_size, shuffle=self.shuffle,
                                 seed=self.seed, caller=self.caller, rows=(start, split_at),
                                 steps=steps)
        held_out = SlicedDataAdapter(*self.data, batch_size=validation_batch_size or batch_size,
                                     caller=self.caller, rows=(split_at, stop),
                                     steps=validation_steps)
        return kept, held_out
