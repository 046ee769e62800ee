"""Keras 3's distribution API: the ``Distribution`` base, the global one, and the world's devices.

``set_distribution(DataParallel())`` makes a distribution the global one, as in
Keras; ``distribution()`` returns it (None when none was set). The training loop
calls the distribution through :func:`active`, which gives the global one, or a
plain :class:`Distribution` (one process: every hook returns its input) when none
is set. So a script trains the same way alone and under ``mpiexec``, and nothing
imports mpi4py until a distribution asks for the MPI world.

Each hook is documented where the engine calls it:

=============================  =====================================================
hook                           called by
=============================  =====================================================
``batch_slices``               the array adapters, each epoch (only its share is read)
``shard_batch``                the epoch iterator, for data that makes its own batches
``agree_seed``, ``check_data`` the epoch iterator, once (the same shuffling, the same steps)
``check_model``                ``fit``, before any callback runs
``broadcast_training_state``   ``fit``, after the callbacks restored a backup, if any
``broadcast_weights``          ``evaluate`` and ``predict``, once
``reduce_gradients``           ``Steps.transform_gradients``, each step
``global_batch``               the compiled metrics, each step (loss and metrics of the global batch)
``gather_rows``                ``predict``, each batch
``is_chief``                   callbacks and saving, before they print or write
=============================  =====================================================
"""

import contextlib
import itertools

from layerkit.distribution.sharding import share


class Distribution:
    """How training is spread over processes; this base class is one process, changing nothing.

    Parameters
    ----------
    device_mesh : None
        Keras's ``DeviceMesh``: refused (layerkit runs one model replica per process).
    batch_dim_name : str, optional
        The name of the batch axis (``"batch"`` by default); kept for Keras's API.
    auto_shard_dataset : bool
        Whether each process takes its share of each batch of the data it is given
        (every process is given the whole data set); False when each process is
        given its own share already.

    Raises
    ------
    ValueError
        For a ``device_mesh``.

    Example
    -------
    >>> one = Distribution()
    >>> one.num_processes, one.is_chief, one.shard_rows(0, 5)
    (1, True, (0, 5))
    """

    def __init__(self, device_mesh=None, batch_dim_name=None, auto_shard_dataset=True):
        if device_mesh is not None:
            raise ValueError("layerkit has no `DeviceMesh`: a distribution runs one model replica per "
                             "MPI process. Pass `devices` (or nothing) instead. Received: "
                             f"device_mesh={device_mesh!r}")
        self._batch_dim_name = batch_dim_name or "batch"
        self.auto_shard_dataset = auto_shard_dataset

    # -------------------------------------------------------------- the world
    @property
    def num_processes(self):
        """The processes training together."""
        return 1

    @property
    def process_id(self):
        """This process's rank, in ``[0, num_processes)``."""
        return 0

    @property
    def data_shard_id(self):
        """The share of the data this process reads (its rank, as in Keras)."""
        return self.process_id

    @property
    def is_chief(self):
        """Whether this process is rank 0: the one that prints, shows progress and writes files."""
        return self.process_id == 0

    @property
    def device_mesh(self):
        """Keras's device mesh: None (layerkit runs one model replica per process)."""
        return None

    @property
    def batch_dim_name(self):
        """The name of the batch axis, the one the data is split along."""
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        """Whether each process takes its share of each batch itself (see the class docstring)."""
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        if not isinstance(value, bool):
            raise ValueError(f"`auto_shard_dataset` must be True or False. Received: "
                             f"auto_shard_dataset={value!r}")
        self._auto_shard_dataset = value

    @contextlib.contextmanager
    def scope(self):
        """Context in which this distribution is the global one."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def distribute_dataset(self, dataset):
        """The data as this process should be given it: layerkit shards in ``fit`` itself, so unchanged."""
        return dataset

    def shard_rows(self, start, stop):
        """``(first, stop)``: this process's share of the rows ``[start, stop)`` of a batch.

        The same split the engine uses: a PyDataset given with
        ``auto_shard_dataset=False`` can read just these rows of each batch.
        """
        return share(start, stop, self.process_id, self.num_processes)

    # -------------------------------------------------------------- hooks (one process: no-ops)
    def batch_slices(self, num_samples, batch_size):
        """The rows this process reads of each batch, in order, as slices: its share when
        auto-sharding, else all of them (an iterator that runs no Python per batch then).

        Example
        -------
        >>> list(Distribution().batch_slices(5, 2))
        [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
        """
        starts = range(0, num_samples, batch_size)
        stops = itertools.chain(range(batch_size, num_samples, batch_size), (num_samples,))
        if self.num_processes == 1 or not self.auto_shard_dataset:
            return map(slice, starts, stops)
        return (slice(*self.shard_rows(start, stop)) for start, stop in zip(starts, stops))

    def shard_batch(self, batch):
        """This process's rows of a checked batch (lists of arrays) made by the data itself."""
        return batch

    def agree_seed(self, seed):
        """The shuffling seed every process uses (process 0's)."""
        return seed

    def check_data(self, batches):
        """Check that every process runs the same steps over ``batches`` (an epoch iterator)."""

    def check_model(self, model):
        """Check that every process trains the same model, as data parallelism can."""

    def broadcast_training_state(self, model, resumed_epoch):
        """Give every process process 0's weights, optimizer state and resumed epoch; return the epoch."""
        return resumed_epoch

    def broadcast_weights(self, model):
        """Give every process process 0's weights."""

    def reduce_gradients(self, grads, num_samples=None, loss=None):
        """The gradient of the global batch, from each process's gradient of its share."""
        return grads

    def global_batch(self, total, values, ys, y_preds, sample_weight, batch_size, arrays=True):
        """The loss values (and, with ``arrays``, targets, outputs, weights) of the global batch."""
        return total, values, ys, y_preds, sample_weight, batch_size

    def gather_rows(self, arrays):
        """Every process's rows of ``arrays``, joined in the batch's order, on every process."""
        return arrays

    def get_config(self):
        """``{"batch_dim_name", "auto_shard_dataset"}``."""
        return {"batch_dim_name": self.batch_dim_name, "auto_shard_dataset": self.auto_shard_dataset}

    @classmethod
    def from_config(cls, config):
        """Rebuild from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} process {self.process_id} of {self.num_processes}>"


class _Global:
    distribution = None


def distribution():
    """The global distribution (set with :func:`set_distribution`), or None.

    Example
    -------
    >>> distribution() is None
    True
    """
    return _Global.distribution


def set_distribution(value):
    """Make ``value`` (a :class:`Distribution`, or None) the global distribution.

    Raises
    ------
    TypeError
        For anything else.

    Example
    -------
    >>> set_distribution(None)            # back to one process
    >>> distribution() is None
    True
    """
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"`set_distribution` expects a Distribution instance or None. Received: "
                        f"{value!r} of type {type(value).__name__}")
    _Global.distribution = value


_ONE_PROCESS = Distribution()


def active():
    """The distribution the engine calls: the global one, or one process when none is set.

    Example
    -------
    >>> set_distribution(None)
    >>> active().num_processes
    1
    """
    return _Global.distribution or _ONE_PROCESS


def is_chief():
    """Whether this process prints, shows progress and writes files (rank 0, or no distribution).

    Example
    -------
    >>> is_chief()
    True
    """
    return active().is_chief
