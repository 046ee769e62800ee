"""``EpochIterator``: the checked batches of each epoch, whatever the data (Keras's epoch iterator).

One iterator serves one call of ``fit``, ``evaluate`` or ``predict``. It picks the
data adapter (:func:`~layerkit.models.data_adapters.get_data_adapter`: arrays,
memmaps and h5py datasets, a generator, a PyDataset), counts the steps of each
epoch, and hands the training loop batches that are all checked the same way: as
sequences ``(xs, ys, sample_weight)`` (``(xs,)`` to predict) in the model's dtype,
refused with the same messages as whole arrays, naming the batch.

- **Steps.** An epoch is ``steps_per_epoch`` batches, or one pass over the data.
  Data with a known length (arrays, a PyDataset) starts a new pass at each epoch;
  an iterator goes on where the last epoch stopped. Data that runs out before
  ``steps_per_epoch`` batches ends the epoch there, with Keras's warning; an
  iterator that has run out ends training.
- **Order.** Arrays shuffle as :func:`~layerkit.models.data_adapters.array_data_adapter.epoch_order`
  says: from a seed, the epoch and the optimizer's step count only, so that a resumed
  run shuffles exactly as an uninterrupted one.
"""

import operator
import warnings

import numpy as np

from layerkit import distribution
from layerkit.distribution.sharding import take_rows
from layerkit.models import data
from layerkit.models.data_adapters import (
    DataAdapter,
    get_data_adapter,
    unpack_x_y_sample_weight,
)
from layerkit.models.data_adapters.sliced_data_adapter import leaves

RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or "
           "generator can generate at least `steps_per_epoch * epochs` batches. You may need to "
           "use the `.repeat()` function when building your dataset.")
FIRST_BATCH = "The first batch"


def _no_rows(x):
    """Whether the first array of ``x`` (a structure of arrays) has no rows."""
    first = leaves(x, "x")[:1]
    return bool(first) and np.shape(first[0][1])[:1] == (0,)


class EpochIterator:
    """The checked batches of ``x`` (and ``y``, ``sample_weight``) for ``model``, epoch by epoch.

    Parameters
    ----------
    model : Model
    x, y, sample_weight
        What the call was given (arrays, lists or dicts of arrays, memmaps, h5py
        datasets, a generator, a PyDataset, or a data adapter).
    batch_size : int, optional
        Samples per batch, for arrays (by default ``ceil(samples / steps_per_epoch)``
        with ``steps_per_epoch``, else 32, as in Keras).
    steps_per_epoch : int, optional
        Batches per epoch.
    shuffle : bool or "batch"
    class_weight : dict, optional
    caller : str
        ``"fit"``, ``"evaluate"``, ``"predict"`` or ``"fit (validation_data)"``: what
        the messages name, and whether targets are checked (not to predict).
    seed : int, optional
        The shuffling seed.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((1,)), layers.Dense(1)])
    >>> batches = EpochIterator(model, np.arange(5.0).reshape(5, 1), batch_size=2,
    ...                         caller="predict")
    >>> with batches.epoch() as steps:
    ...     [(step, len(xs[0])) for step, (xs,) in steps]
    [(0, 2), (1, 2), (2, 1)]
    """

    def __init__(self, model, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, caller="fit", seed=None):
        self.model, self.caller, self.class_weight = model, caller, class_weight
        self.steps_per_epoch = steps_per_epoch
        seed = distribution.active().agree_seed(seed)  # across processes: one order, process 0's
        self.data_adapter = get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch,
                                             shuffle, class_weight, seed, caller, self._check)
        distribution.active().check_data(self)  # the same steps on every process, or an error on each
        adapter = self.data_adapter
        # Arrays: checked already, exactly as many batches as steps, nothing to do around an epoch.
        self._whole_passes = bool(adapter.checked and adapter.batch_size and (
            steps_per_epoch or adapter.num_batches) == adapter.num_batches)
        self._hooks = _has_epoch_hooks(adapter)
        self._epoch = (0, 0)  # the epoch entered next, and the optimizer's step count then
        self._pass = None
        self._warned = False  # the iterator's end was announced

    # -------------------------------------------------------------- sizes
    @property
    def num_batches(self):
        """The steps of an epoch, or None when the data's length is unknown."""
        known = self.data_adapter.num_batches
        if known is None or self.steps_per_epoch is None:
            return self.steps_per_epoch if known is None else known
        return min(known, self.steps_per_epoch)

    @property
    def num_samples(self):
        """The samples of an epoch, or None when unknown."""
        samples, size = self.data_adapter.num_samples, self.data_adapter.batch_size
        if samples is None or self.steps_per_epoch is None:
            return samples
        return min(samples, self.steps_per_epoch * size)

    def ran_out(self):
        """Whether the data is an iterator with nothing left (Keras's warning, once, if so)."""
        if not self.data_adapter.one_shot or self.data_adapter.has_more():
            return False
        if not self._warned:
            warnings.warn(RAN_OUT, stacklevel=3)
            self._warned = True
        return True

    # -------------------------------------------------------------- checks
    def _check(self, x, y, sample_weight):
        if self.caller == "predict":
            xs = data.check_inputs(self.model, x, "predict")
            self.model.check_input(xs, "predict")
            return [xs]
        return list(data.check_data(self.model, x, y, sample_weight, self.caller,
                                    self.class_weight))

    def _checked(self, batch, source, step=None, epoch=0):
        """A batch as checked lists, or the checks' error prefixed with the batch's name
        (``step`` None: the first batch).

        Across processes, a process's share of a batch smaller than the number of
        processes has no rows: it is then the first batch's structure, empty.
        """
        if self.data_adapter.checked:
            return batch
        try:
            x, y, sample_weight = unpack_x_y_sample_weight(batch)
            if step is not None and distribution.active().num_processes > 1 and _no_rows(x):
                return take_rows(self.first_batch(), 0, 0)
            return self._check(x, y, sample_weight)
        except (TypeError, ValueError) as error:
            label = self._label(step, epoch)
            where = f"{label} ({source})" if source else label
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(f"{where}: {error}") from None

    def _label(self, step, epoch):
        """How messages name a batch."""
        if step is None:
            return FIRST_BATCH
        if self.caller == "fit (validation_data)":
            return f"Validation batch {step}"
        return f"Batch {step} of epoch {epoch}" if self.caller == "fit" else f"Batch {step}"

    def first_batch(self):
        """The first batch, checked, without using it up (to build the model, to check early).

        Raises
        ------
        ValueError
            If the data has nothing left, or the batch is refused by the checks.
        """
        if not self.data_adapter.has_more():
            raise ValueError(f"The data given to {self.caller}() has no batch left: an iterator "
                             "can be read only once.")
        batch, source = self.data_adapter.first_batch()
        return self._checked(batch, source)

    # -------------------------------------------------------------- epochs
    def epoch(self, epoch=0, iterations=0):
        """Context for one epoch (the iterator itself, set to that epoch): gives an iterator
        over ``(step, batch)``.

        The adapter's ``on_epoch_begin`` runs on entry and ``on_epoch_end`` on a normal
        exit (a ``break`` included); reading threads are stopped on any exit.
        ``iterations`` (the optimizer's step count at the epoch's start) seeds the
        shuffled order with ``epoch``.
        """
        self._epoch = (epoch, iterations)
        return self

    def __enter__(self):
        if self._hooks:
            self.data_adapter.on_epoch_begin()
        return self._steps(*self._epoch)

    def __exit__(self, kind, error, traceback):
        if self._hooks:
            self.data_adapter.stop()
            if kind is None:
                self.data_adapter.on_epoch_end()
        return False

    def _steps(self, epoch, iterations):
        """The ``(step, batch)`` pairs of one epoch (:meth:`epoch` wraps them in the
        adapter's hooks).

        Batches of arrays come straight from the adapter, numbered by ``enumerate``:
        they are checked already and there are exactly as many as the epoch's steps.
        Other data goes through :meth:`_checked_steps`.
        """
        adapter = self.data_adapter
        if self._pass is None or not adapter.one_shot:
            self._pass = adapter.get_numpy_iterator(epoch, iterations)
        if self._whole_passes:
            return enumerate(map(_batch_of, self._pass))
        return self._checked_steps(self.steps_per_epoch or adapter.num_batches, epoch)

    def _checked_steps(self, limit, epoch):
        adapter = self.data_adapter
        checked, own_batches = adapter.checked, adapter.batch_size
        step = 0
        while limit is None or step < limit:
            item = next(self._pass, None)
            if item is None:
                warnings.warn(RAN_OUT, stacklevel=2)
                self._warned = True
                return
            batch, source = item
            if not checked:
                batch = self._checked(batch, source, step, epoch)
            # Arrays are cut into this process's rows by the adapter; data that makes its own
            # batches is cut here (a no-op on one process).
            yield step, batch if own_batches else distribution.active().shard_batch(batch)
            step += 1


_batch_of = operator.itemgetter(0)  # an adapter's (batch, source) pair -> the batch
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end", "stop")


def _has_epoch_hooks(adapter):
    """Whether ``adapter`` does anything around an epoch (its class has its own hooks)."""
    return any(getattr(type(adapter), hook) is not getattr(DataAdapter, hook)
               for hook in _EPOCH_HOOKS)
