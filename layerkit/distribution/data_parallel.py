"""``DataParallel``: every process trains the same model on its share of each global batch.

One step on ``P`` processes, each holding ``n_r`` of the global batch's ``N`` rows
(``batch_size`` stays the global batch, as in Keras):

1. each process computes the gradient ``g_r`` of its share (the loss being the mean
   over its rows);
2. one in-place ``Allreduce`` of a single preallocated buffer ``[n_r·g_r, n_r]`` gives
   every process ``Σ n_r·g_r`` and ``N``; the gradient is ``g = Σ n_r·g_r / N``, the
   gradient of the mean loss over the global batch, as one process computes it;
3. every process applies the same update, so the weights stay the same everywhere.

Around the steps: process 0's weights and optimizer state are broadcast at the start
of ``fit``; every process shuffles with process 0's seed (the global batches are
those of one process); the loss and metrics are those of the global batch (each
step's loss values, targets and outputs are all-gathered for the metrics); only
process 0 prints and writes files. A process alone (not started by mpiexec) is a
world of one: every hook returns its input.
"""

import math
import time

import numpy as np

from layerkit.distribution.checks import (
    check_agreement,
    data_signature,
    model_signature,
    refuse_inexact_training,
)
from layerkit.distribution.devices import list_devices
from layerkit.distribution.distribution_lib import Distribution
from layerkit.distribution.sharding import pack_rows, take_rows, unpack_rows
from layerkit.distribution.world import find_world

_SAME_DATA = ("With auto_shard_dataset=True every process must be given the same data (each "
              "reads its share of every batch); with auto_shard_dataset=False each process's own "
              "share must make the same number of batches.")
_SAME_MODEL = ("Every process must build and compile the same model (the same layers and "
               "optimizer): run the same script on every process.")


class DataParallel(Distribution):
    """Data parallelism over the processes of an MPI job (one model replica per process).

    Parameters
    ----------
    device_mesh : None
        Refused, as in :class:`Distribution`.
    devices : list of str, optional
        The job's devices (``list_devices()``: ``"cpu:<rank>"`` per process): every
        process takes part, so a list must name them all.
    auto_shard_dataset : bool
        True: every process is given the whole data set and reads its share of each
        batch (memmaps, HDF5 datasets and arrays: only its rows). False: each process
        is given its own share (e.g. a PyDataset reading
        ``distribution().shard_rows(...)`` of each batch).

    Attributes
    ----------
    all_reduce_seconds : float
        Time spent in the gradients' all-reduce since the distribution was made.
    all_reduce_steps : int
        How many all-reduces that time covers.

    Raises
    ------
    ValueError
        For a ``device_mesh``, or ``devices`` that are not the job's.

    Example
    -------
    >>> strategy = DataParallel()          # alone: a world of one process
    >>> strategy.num_processes, strategy.shard_rows(0, 128)
    (1, (0, 128))
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        super().__init__(device_mesh, "batch", auto_shard_dataset)
        self._world = find_world()
        everyone = list_devices()
        if devices is not None and sorted(map(str, devices)) != sorted(everyone):
            raise ValueError("layerkit's DataParallel runs one model replica on each process of the "
                             f"MPI job: `devices` must list all of them ({everyone}) or be None. "
                             f"Received: devices={devices!r}")
        self.devices = everyone
        self._buffer = None
        self.all_reduce_seconds, self.all_reduce_steps = 0.0, 0

    @property
    def num_processes(self):
        return self._world.size

    @property
    def process_id(self):
        return self._world.rank

    @property
    def num_model_replicas(self):
        """One replica per process."""
        return self._world.size

    @property
    def _alone(self):
        return self._world.size == 1

    # -------------------------------------------------------------- before training
    def agree_seed(self, seed):
        return seed if seed is None or self._alone else self._world.broadcast(seed)

    def check_data(self, batches):
        if not self._alone:
            check_agreement(self._world.allgather(data_signature(batches, self.auto_shard_dataset)),
                            f"the data given to {batches.caller}()", _SAME_DATA)

    def check_model(self, model):
        if not self._alone:
            check_agreement(self._world.allgather(model_signature(model)), "the model given to fit()",
                            _SAME_MODEL)
            refuse_inexact_training(model, self._world.size)

    def broadcast_training_state(self, model, resumed_epoch):
        if self._alone:
            return resumed_epoch
        resumed_epoch = self._world.broadcast(resumed_epoch)
        self.broadcast_weights(model)
        weights = model.trainable_weights
        state = self._world.broadcast_arrays(model.optimizer.variables_for(weights))
        if not self.is_chief:
            model.optimizer.load_variables_for(state, weights)
        return resumed_epoch

    def broadcast_weights(self, model):
        if not self._alone:
            received = self._world.broadcast_arrays(model.weights)
            if not self.is_chief:
                model.set_weights(received)

    # -------------------------------------------------------------- each step
    def shard_batch(self, batch):
        if self._alone or not self.auto_shard_dataset:
            return batch
        return take_rows(batch, *self.shard_rows(0, len(batch[0][0])))

    def _gradient_buffer(self, grads):
        """The flat buffer ``[gradients..., count]``, made once and kept while the sizes fit."""
        size = sum(g.size for g in grads) + 1
        dtype = np.result_type(*grads)
        if self._buffer is None or self._buffer.size != size or self._buffer.dtype != dtype:
            self._buffer = np.empty(size, dtype=dtype)
        return self._buffer

    def reduce_gradients(self, grads, num_samples=None, loss=None):
        """``Σ n_r·g_r / Σ n_r`` over the processes (``n_r = num_samples``, 1 when not given).

        One in-place ``Allreduce`` of one preallocated buffer. A process with no rows
        (a last batch smaller than the processes) adds nothing; a process whose
        ``loss`` is not finite adds NaN, so that every process refuses the step (and
        stops training) together. The gradients returned are views of the buffer,
        valid until the next step.
        """
        if self._alone:
            return grads
        grads = list(grads)
        buffer = self._gradient_buffer(grads)
        weight = 1.0 if num_samples is None else float(num_samples)
        offset = 0
        for grad in grads:
            view = buffer[offset:offset + grad.size]
            if weight:
                np.multiply(np.reshape(grad, -1), weight, out=view, casting="same_kind")
            else:
                view.fill(0)
            offset += grad.size
        buffer[-1] = weight
        if loss is not None and not math.isfinite(loss):
            buffer.fill(np.nan)
        started = time.perf_counter()
        self._world.allreduce_sum(buffer)
        self.all_reduce_seconds += time.perf_counter() - started
        self.all_reduce_steps += 1
        np.divide(buffer[:-1], buffer[-1], out=buffer[:-1])
        views, offset = [], 0
        for grad in grads:
            views.append(buffer[offset:offset + grad.size].reshape(np.shape(grad)))
            offset += grad.size
        return views

    def global_batch(self, total, values, ys, y_preds, sample_weight, batch_size, arrays=True):
        """The global batch's loss ``Σ n_r·L_r / N`` (and each output's), its rows gathered.

        With ``arrays``, the targets, outputs and sample weights of every process are
        all-gathered in the batch's order, so that the metrics see the global batch,
        as one process's metrics would.
        """
        if self._alone:
            return total, values, ys, y_preds, sample_weight, batch_size
        losses = [total] + [0.0 if v is None else v for v in values]
        mine = [batch_size] + [batch_size * loss if batch_size else 0.0 for loss in losses]
        table = self._world.allgather_rows(np.array([mine], dtype=np.float64),
                                           [1] * self._world.size)
        counts = table[:, 0].astype(np.int64)
        means = table[:, 1:].sum(axis=0) / counts.sum()
        total = float(means[0])
        values = [None if v is None else float(m) for v, m in zip(values, means[1:])]
        if arrays:
            # Per-output sample weights (an object holding one array per output in
            # ``arrays``) travel as their arrays and are put back together after.
            per_output = sample_weight is not None and not isinstance(sample_weight, np.ndarray)
            weights = list(sample_weight.arrays) if per_output else [sample_weight]
            block, layout = pack_rows(list(ys) + list(y_preds) + weights)
            joined = unpack_rows(self._world.allgather_rows(block, counts), layout)
            n = len(ys) + len(y_preds)
            ys, y_preds, weights = joined[:len(ys)], joined[len(ys):n], joined[n:]
            sample_weight = type(sample_weight)(weights) if per_output else weights[0]
        return total, values, ys, y_preds, sample_weight, int(counts.sum())

    def gather_rows(self, arrays):
        if self._alone:
            return arrays
        counts = [int(n) for n in self._world.allgather(len(arrays[0]))]
        block, layout = pack_rows(list(arrays))
        return unpack_rows(self._world.allgather_rows(block, counts), layout)

    # -------------------------------------------------------------- config
    def get_config(self):
        """``{"devices", "auto_shard_dataset"}``."""
        return {"devices": list(self.devices), "auto_shard_dataset": self.auto_shard_dataset}

    @classmethod
    def from_config(cls, config):
        """Rebuild from :meth:`get_config`'s output (in a world with the same devices)."""
        return cls(**config)
