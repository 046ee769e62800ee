"""``PyDataset``: data made by Python code, one whole batch per index (Keras's ``PyDataset``).

Subclass it, return the number of batches from ``__len__`` and a batch from
``__getitem__(index)``: ``(x, y)``, ``(x, y, sample_weight)``, ``(x,)`` or ``x``
(``x`` and ``y`` arrays, or lists / dicts of them for several inputs or outputs).
``fit``, ``evaluate`` and ``predict`` then read the batches in order (or, with
``shuffle``, in an order drawn from layerkit's seeded generator), call
``on_epoch_begin`` and ``on_epoch_end`` once per epoch, and check every batch as
they check arrays.

With ``workers > 1`` the batches are read ahead in that many threads (at most
``max_queue_size`` ahead) and still used in order, so that the result is the same
as with one worker. Processes (``use_multiprocessing=True``) are not supported.
"""

import numbers
import warnings


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` of PyDataset must be an integer >= {minimum}. "
                         f"Received: {name}={value!r}")
    return int(value)


class PyDataset:
    """Base class of datasets made by Python code, batch by batch.

    Parameters
    ----------
    workers : int
        Threads that read batches ahead (1: read in the training loop's thread).
    use_multiprocessing : bool
        Must be False: layerkit reads batches in threads only.
    max_queue_size : int
        With ``workers > 1``, how many batches may be read ahead.

    Raises
    ------
    ValueError
        For ``workers`` < 0 or ``max_queue_size`` < 1 (not integers).
    NotImplementedError
        For ``use_multiprocessing=True``.

    Example
    -------
    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         x = np.arange(4.0).reshape(4, 1) + 4 * index
    ...         return x, x ** 2
    >>> data = Squares()
    >>> len(data), data.num_batches, data[1][0].ravel().tolist()
    (3, 3, [4.0, 5.0, 6.0, 7.0])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if use_multiprocessing:
            raise NotImplementedError(
                "layerkit's PyDataset reads batches in threads only: use_multiprocessing=True is "
                "not supported. Use `workers` > 1 (threads) or read the batches in one thread. "
                f"Received: use_multiprocessing={use_multiprocessing!r}")
        self._workers = _check_count("workers", workers, 0)
        self._use_multiprocessing = False
        self._max_queue_size = _check_count("max_queue_size", max_queue_size, 1)

    def _warn_if_super_not_called(self):
        missing = [name for name in ("_workers", "_use_multiprocessing", "_max_queue_size")
                   if name not in self.__dict__]
        if missing:
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
            warnings.warn("Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                          "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                          "`max_queue_size`. Do not pass these arguments to `fit()`, as they will "
                          "be ignored.", stacklevel=3)

    @property
    def workers(self):
        """The number of threads reading batches (0 or 1: none besides the training loop)."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = _check_count("workers", value, 0)

    @property
    def use_multiprocessing(self):
        """Always False in layerkit."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @property
    def max_queue_size(self):
        """How many batches threads may read ahead."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = _check_count("max_queue_size", value, 1)

    def __getitem__(self, index):
        """The batch at position ``index`` (from 0 to ``num_batches - 1``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __iter__(self):
        """The batches in order (forever when ``num_batches`` is None)."""
        count = self.num_batches
        index = 0
        while count is None or index < count:
            yield self[index]
            index += 1

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or None for a dataset without end."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ (or the "
                                  "`num_batches` property: None for a dataset without end).")

    def on_epoch_begin(self):
        """Called at the beginning of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to reshuffle the samples)."""
