"""``PyDatasetAdapter``: the batches of a :class:`~layerkit.utils.PyDataset`, by index.

Each epoch reads ``dataset[0]``, ``dataset[1]``... (with ``shuffle``, the indices in
an order drawn from the model's shuffling seed, the epoch and the step count, so
that a resumed run reads the same order), and calls the dataset's
``on_epoch_begin`` and ``on_epoch_end`` once. A dataset without end
(``num_batches`` None) goes on from the index where the last epoch stopped. With
``workers > 1`` the batches are read ahead in threads
(:class:`~layerkit.models.data_adapters.ordered_reader.OrderedReader`) and used in order.
"""

import itertools
import numbers
import warnings

import numpy as np

from layerkit.models.data_adapters.array_data_adapter import epoch_order
from layerkit.models.data_adapters.data_adapter import DataAdapter
from layerkit.models.data_adapters.ordered_reader import OrderedReader


def standardize_batch(batch, name, index):
    """A PyDataset's batch as a tuple ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    A dict or an array is ``x`` alone and a list is read as a tuple, as in Keras.

    Raises
    ------
    ValueError
        For anything else, naming ``name[index]``.

    Example
    -------
    >>> len(standardize_batch([np.zeros(2), np.ones(2)], "Data", 0))
    2
    """
    if isinstance(batch, (dict, np.ndarray)):
        return (batch,)
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        raise ValueError(
            f"{name}[{index}]: PyDataset.__getitem__() must return a tuple or a dict. If a tuple, "
            "it must be ordered either (input,) or (inputs, targets) or (inputs, targets, "
            f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)}")
    return batch


def _count_batches(py_dataset, name):
    """``num_batches``: an int >= 1, or None for a dataset without end."""
    try:
        count = py_dataset.num_batches
    except ValueError as error:  # len() refuses a negative __len__
        raise ValueError(f"{name}.__len__() must return the number of batches, an integer >= 1. "
                         f"{error}") from None
    if count is not None and (isinstance(count, bool) or not isinstance(count, numbers.Integral)
                              or count < 1):
        raise ValueError(f"{name} has {count!r} batches: a PyDataset must have at least one batch "
                         "(`__len__` >= 1), or `num_batches` None for one without end.")
    return None if count is None else int(count)


class PyDatasetAdapter(DataAdapter):
    """The batches of a PyDataset.

    Parameters
    ----------
    py_dataset : PyDataset
    shuffle : bool
        Shuffle the order of the batches at each epoch (ignored, with a warning, for a
        dataset without end).
    seed : int, optional
        The shuffling seed.

    Raises
    ------
    ValueError
        If the dataset has no batch, or ``__len__`` is negative.

    Example
    -------
    >>> from layerkit.utils import PyDataset
    >>> class Three(PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         return np.full((2, 1), float(index)), np.zeros(2)
    >>> adapter = PyDatasetAdapter(Three())
    >>> [source for _, source in adapter.get_numpy_iterator()]
    ['Three[0]', 'Three[1]', 'Three[2]']
    """

    def __init__(self, py_dataset, shuffle=False, seed=None):
        self.py_dataset = py_dataset
        self.name = type(py_dataset).__name__
        self._num_batches = _count_batches(py_dataset, self.name)
        if shuffle and self._num_batches is None:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was "
                          "provided as an infinite PyDataset. The PyDataset is expected to already "
                          "be shuffled.", stacklevel=4)
            shuffle = False
        self.shuffle, self.seed = shuffle, seed
        self.workers = py_dataset.workers
        self.max_queue_size = py_dataset.max_queue_size
        self._reader = None
        self._next_index = 0  # where a dataset without end goes on

    @property
    def num_batches(self):
        return self._num_batches

    @property
    def kind(self):
        return f"PyDataset ({self.name})"

    def _read(self, index):
        return standardize_batch(self.py_dataset[index], self.name, index)

    def get_numpy_iterator(self, epoch=0, iterations=0):
        """One pass; for a dataset without end, the indices go on where the last pass stopped."""
        if self._num_batches is None:
            indices = itertools.count(self._next_index)
        else:
            order = epoch_order(self._num_batches, 1, self.shuffle, self.seed, epoch, iterations)
            indices = range(self._num_batches) if order is None else order.tolist()
        if self.workers > 1:
            self._reader = OrderedReader(self._read, indices, self.workers, self.max_queue_size)
            batches = iter(self._reader)
        else:
            batches = ((self._read(index), index) for index in indices)
        for batch, index in batches:
            self._next_index = index + 1
            yield batch, f"{self.name}[{index}]"

    def first_batch(self):
        return self._read(0), f"{self.name}[0]"

    def on_epoch_begin(self):
        self.py_dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.py_dataset.on_epoch_end()

    def stop(self):
        """Stop the reading threads of the current pass (waiting for the reads under way)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
