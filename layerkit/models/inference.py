"""``evaluate`` and ``predict``: the loops that run the model without training it.

Both read their data batch by batch through an
:class:`~layerkit.models.epoch_iterator.EpochIterator`, call Keras's callback hooks
around :meth:`~layerkit.models.steps.Steps.test_step` or ``predict_step``, and run
with the BLAS threads chosen for the batches' size (:mod:`layerkit.blas`).
``predict`` joins its batches' outputs with :class:`BatchOutputs`.
"""

import sys

import numpy as np

from layerkit import distribution
from layerkit.allocator import keep_freed_memory
from layerkit.blas import limited_threads
from layerkit.callbacks import CallbackList
from layerkit.models import arguments
from layerkit.models.compiling import Compiling
from layerkit.models.epoch_iterator import EpochIterator
from layerkit.models.steps import _flatten


class Inference(Compiling):
    """Mixin giving a model ``evaluate`` and ``predict``."""

    # ------------------------------------------------------------------ evaluate
    def _evaluate_batches(self, batches, callbacks):
        self.reset_metrics()
        callbacks.on_test_begin()
        batch_begins = callbacks.wants_batch_logs("on_test_batch_begin")  # else no call at all
        batch_logs = callbacks.wants_batch_logs("on_test_batch_end")
        with batches.epoch() as steps:
            for step, (xb, yb, wb) in steps:
                if batch_begins:
                    callbacks.on_test_batch_begin(step)
                self.test_step(xb, yb, wb)
                if batch_logs:
                    callbacks.on_test_batch_end(step, self.get_metrics_result())
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics on ``(x, y)``, computed batch by batch (no gradients).

        Parameters
        ----------
        x, y : array-like, or lists / dicts of them; or data that makes its own batches
            As for :meth:`~layerkit.models.trainer.Trainer.fit` (a generator, a PyDataset,
            memmaps and h5py datasets).
        batch_size : int, optional
            32 by default (with ``steps``, enough for the steps to cover the data).
        verbose : {"auto", 0, 1, 2}
        sample_weight : array-like, or a list / dict of them (one per output), optional
            As for :meth:`~layerkit.models.trainer.Trainer.fit`.
        steps : int, optional
            Limit on the batches (by default until the data runs out).
        callbacks : Callback or list of Callback, optional
        return_dict : bool
            Return ``{"loss": ..., metric: ...}``.

        Returns
        -------
        float or list or dict
            The loss alone when there are no metrics, else ``[loss, *metrics]``.

        Raises
        ------
        RuntimeError
            Before ``compile()``.
        ValueError, TypeError
            For bad data or arguments.
        """
        self._require_compiled("evaluate")
        batch_size, steps, verbose = arguments.check_loop_arguments(
            "evaluate", batch_size, steps, verbose, sys.stdout.isatty())
        batches = EpochIterator(self, x, y, sample_weight, batch_size, steps, caller="evaluate")
        xs = batches.first_batch()[0]
        self._prepare_evaluation(xs)
        distribution.active().broadcast_weights(self)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=batches.num_batches)
        with self._blas_threads(xs):
            return _flatten(self._evaluate_batches(batches, callbacks), return_dict)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed batch by batch.

        Parameters
        ----------
        x : array-like, shape (N, ...), or a list / dict of them (one per input); or data
            that makes its own batches
            As for :meth:`~layerkit.models.trainer.Trainer.fit`; a generator or PyDataset
            yields ``x`` or ``(x,)`` (any targets it also yields are ignored).
        batch_size : int, optional
            32 by default (with ``steps``, enough for the steps to cover the data).
        verbose : {"auto", 0, 1, 2}
        steps : int, optional
            Limit on the batches (by default until the data runs out).
        callbacks : Callback or list of Callback, optional

        Returns
        -------
        ndarray, shape (N, ...) (fewer rows if ``steps`` stops early), or a list / dict
        of them for several outputs

        Raises
        ------
        ValueError, TypeError
            For bad input.
        """
        batch_size, steps, verbose = arguments.check_loop_arguments(
            "predict", batch_size, steps, verbose, sys.stdout.isatty())
        batches = EpochIterator(self, x, batch_size=batch_size, steps_per_epoch=steps,
                                caller="predict")
        xs = batches.first_batch()[0]
        if not self.built:
            self.build_for((None,) + xs[0].shape[1:])
        distribution.active().broadcast_weights(self)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=batches.num_batches)
        outputs = BatchOutputs(batches.num_samples)
        callbacks.on_predict_begin()
        batch_begins = callbacks.wants_batch_logs("on_predict_batch_begin")  # else no call at all
        batch_logs = callbacks.wants_batch_logs("on_predict_batch_end")
        with self._blas_threads(xs), batches.epoch() as steps:
            for step, (xb,) in steps:
                if batch_begins:
                    callbacks.on_predict_batch_begin(step)
                batch_outputs = distribution.active().gather_rows(self.predict_step(xb))
                outputs.add(batch_outputs)
                if batch_logs:
                    callbacks.on_predict_batch_end(
                        step, {"outputs": self._output_structure(batch_outputs)})
        callbacks.on_predict_end()
        return self._output_structure(outputs.result())

    def _blas_threads(self, xs):
        """BLAS threads for steps on batches like ``xs``: one for small products (see
        :mod:`layerkit.blas`; a step's multiply-adds are about rows x weights). Freed
        arrays are kept for the next step from here on (:mod:`layerkit.allocator`)."""
        keep_freed_memory()
        return limited_threads(len(xs[0]) * self._found().parameters)

    def _output_structure(self, outputs):
        """One array for one output, else a list (a dict when the outputs were a dict)."""
        keys = getattr(self, "_output_keys", None)
        if keys:
            return dict(zip(keys, outputs))
        return outputs[0] if len(outputs) == 1 else outputs


class BatchOutputs:
    """The outputs of ``predict``, batch after batch, joined into one array per output.

    Parameters
    ----------
    num_samples : int, optional
        When known, the arrays are allocated once and filled; else the batches are
        kept (copied) and joined at the end.

    Example
    -------
    >>> outputs = BatchOutputs(3)
    >>> outputs.add([np.zeros((2, 1))]); outputs.add([np.ones((1, 1))])
    >>> outputs.result()[0].ravel().tolist()
    [0.0, 0.0, 1.0]
    """

    def __init__(self, num_samples=None):
        self.num_samples, self.filled, self.arrays = num_samples, 0, None

    def add(self, batch):
        """Append one batch's outputs (a list, one array per output)."""
        if self.arrays is None:
            self.arrays = ([np.empty((self.num_samples,) + b.shape[1:], dtype=b.dtype) for b in batch]
                           if self.num_samples is not None else [[] for _ in batch])
        for out, b in zip(self.arrays, batch):
            if self.num_samples is None:
                out.append(np.array(b, copy=True))
            else:
                out[self.filled:self.filled + len(b)] = b
        self.filled += len(batch[0])

    def result(self):
        """One array per output."""
        if self.num_samples is not None:
            return [a[:self.filled] for a in self.arrays]
        return [np.concatenate(parts) for parts in self.arrays]
