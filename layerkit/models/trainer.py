"""The training loop every model shares: ``fit``.

:class:`Trainer` builds on :class:`~layerkit.models.compiling.Compiling` (``compile``)
and :class:`~layerkit.models.inference.Inference` (``evaluate``, ``predict``). A model
provides ``forward_all(xs, training)`` and ``backward_all(grads, at_z,
input_gradients)`` (lists: one array per input, one per output), its
``output_layers``, ``input_names``/``output_names``, ``trainable_slots()`` and
``check_input(xs, caller)``; these three classes turn those into Keras's API, for
``Sequential`` and graph models alike. ``fit`` is a readable sequence of Keras's
hooks around :meth:`~layerkit.models.steps.Steps.train_step`; :func:`validation_iterators`
gives it the batches of its validation data.
"""

import sys

import numpy as np

from layerkit import distribution
from layerkit.callbacks import CallbackList, History
from layerkit.interrupts import interrupt_handler
from layerkit.models import arguments
from layerkit.models.data_adapters import is_data_stream
from layerkit.models.epoch_iterator import EpochIterator
from layerkit.models.inference import Inference


class Trainer(Inference):
    """Mixin giving a model ``fit``, on top of ``compile``, ``evaluate`` and ``predict``."""

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train the model for ``epochs`` epochs of mini-batch gradient descent.

        Parameters
        ----------
        x : array, list or dict of arrays, generator, or PyDataset
            The inputs: an array of shape (N, ...) for a model with one input; a list of
            arrays (in the order of the inputs) or a dict ``{input name: array}`` for
            several. Arrays may be in memory, or ``np.memmap`` or ``h5py.Dataset``
            arrays, read batch by batch and never whole. Or data that makes its own
            batches: a generator or iterator yielding ``(x, y)`` or ``(x, y,
            sample_weight)``, or a :class:`~layerkit.utils.PyDataset`.
        y : array-like, shape (N, ...), or a list / dict of them (one per output)
            Targets matching the output: (N, units), or (N,) for one unit or
            integer labels. Not given with a generator or a PyDataset.
        batch_size : int, optional
            Samples per step, 32 by default (with ``steps_per_epoch``, enough for the
            epoch to cover the data, as Keras does); the last batch may be smaller.
            Ignored for data that makes its own batches.
        epochs : int
            How many epochs to train, counted from 0: an epoch is one pass over the
            data (or ``steps_per_epoch`` batches). With ``initial_epoch``, ``epochs`` is
            the epoch to stop at, not a count, as in Keras: ``initial_epoch=5,
            epochs=10`` trains 5 more epochs, logged as epochs 6 to 10.
        verbose : {"auto", 0, 1, 2}
            0 silent, 1 a progress bar per epoch, 2 one line per epoch;
            "auto" is 1 on a terminal and 2 otherwise.
        callbacks : Callback or list of Callback, optional
        validation_split : float
            In [0, 1): the last share of (x, y) is held out for validation.
        validation_data : tuple, generator or PyDataset, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)`` (arrays in memory
            or read batch by batch), or data that makes its own batches.
        shuffle : bool or "batch"
            Shuffle the samples at each epoch (the user's arrays are not touched);
            ``"batch"`` shuffles inside each batch only. A PyDataset's batches are
            shuffled as wholes; a generator is read as it comes (with a warning).
        class_weight : dict, optional
            ``{class index: weight}`` (finite, non-negative), turned into per-sample weights.
        sample_weight : array-like, or a list / dict of them (one per output), optional
            One weight per sample, ``(N,)`` or ``(N, 1)``, or for a sequence output
            ``(N, T, D)`` one per timestep, ``(N, T)``; finite and non-negative. One
            array weighs every output alike; a dict by output name, or a list in the
            order of the outputs, weighs each output by its own (None, or a name left
            out, leaves that output unweighted).
        initial_epoch : int
            The epoch to start from (to resume training).
        steps_per_epoch : int, optional
            Batches per epoch (by default one pass over the data). A generator goes on
            from one epoch to the next and ends training when it runs out.
        validation_steps : int, optional
            Limit on the validation batches.
        validation_batch_size : int, optional
            ``batch_size`` by default.
        validation_freq : int
            Validate every this many epochs.

        Returns
        -------
        History
            ``history.history["loss"]``, ``["val_loss"]``, the metrics, and ``history.epoch``.

        Raises
        ------
        RuntimeError
            Before ``compile()``.
        ValueError, TypeError
            For bad data or arguments, before anything changes; for data read batch by
            batch, at the first bad batch (named in the message), before its step.

        Example
        -------
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
        >>> model.compile(loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, verbose=0)
        >>> len(history.history["loss"])
        2
        """
        self._require_compiled("fit")
        batch_size, steps_per_epoch, verbose = arguments.check_loop_arguments(
            "fit", batch_size, steps_per_epoch, verbose, sys.stdout.isatty())
        epochs = arguments.check_int("epochs", epochs, 0, "fit")
        initial_epoch = arguments.check_int("initial_epoch", initial_epoch, 0, "fit")
        validation_freq = arguments.check_int("validation_freq", validation_freq, 1, "fit")
        validation_steps = arguments.check_optional_int("validation_steps", validation_steps, "fit")
        validation_batch_size = arguments.check_optional_int("validation_batch_size",
                                                             validation_batch_size, "fit")
        validation_split = arguments.check_split(validation_split)
        shuffle = arguments.check_shuffle(shuffle, "fit")
        batches = EpochIterator(self, x, y, sample_weight, batch_size, steps_per_epoch, shuffle,
                                class_weight, "fit", self.shuffle_seed)
        batches, validation = validation_iterators(
            self, batches, validation_data, validation_split, validation_batch_size or batch_size,
            validation_steps)
        first = batches.first_batch()  # checked before anything changes; builds the model
        if validation is not None:
            validation.first_batch()
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=self, verbose=verbose, epochs=epochs,
                                 steps=batches.num_batches, do_validation=validation is not None)
        self._prepare_training(first[0])
        distribution.active().check_model(self)  # the same model on every process, or an error on each
        batch_begins = callbacks.wants_batch_logs("on_train_batch_begin")  # else no call at all
        batch_logs = callbacks.wants_batch_logs("on_train_batch_end")
        self.stop_training = False
        epoch_logs = {}
        # Overflow shows up as a non-finite loss or weight, which train_step reports itself.
        with interrupt_handler(), self._blas_threads(first[0]), np.errstate(
                over="ignore", invalid="ignore", divide="ignore"):
            callbacks.on_train_begin()
            resumed = callbacks.resume_epoch()  # e.g. BackupAndRestore after a crash
            resumed = distribution.active().broadcast_training_state(self, resumed)  # process 0's
            for epoch in range(initial_epoch if resumed is None else resumed, epochs):
                if batches.ran_out():  # an iterator with nothing left to train on
                    break
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                with batches.epoch(epoch, self.optimizer.iterations) as steps:
                    for step, (xb, yb, wb) in steps:
                        if batch_begins:
                            callbacks.on_train_batch_begin(step)
                        self.train_step(xb, yb, wb)
                        if batch_logs:
                            callbacks.on_train_batch_end(step, self.get_metrics_result())
                        if self.stop_training:
                            break
                epoch_logs = self.get_metrics_result()
                if validation is not None and not validation.ran_out() and (
                        (epoch + 1) % validation_freq == 0):
                    val_logs = self._evaluate_batches(validation, callbacks)
                    epoch_logs.update({"val_" + name: value for name, value in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            if epochs > 0:  # use_ema: the moving averages become the weights, as in Keras
                self.optimizer.finalize_variable_values(self._training_state().weights)
            callbacks.on_train_end(epoch_logs)
        self.history = next(c for c in callbacks.callbacks if isinstance(c, History))
        return self.history


def validation_iterators(model, train, validation_data, validation_split, batch_size, steps):
    """``(training batches, validation batches or None)`` for ``fit``.

    ``validation_data`` is ``(x_val, y_val[, sample_weight_val])`` or data that makes
    its own batches (a generator, a PyDataset); else ``validation_split`` holds out
    the last share of ``train``'s arrays (memmaps and h5py datasets included, without
    reading them), as Keras does.

    Raises
    ------
    ValueError
        For malformed ``validation_data``, or a split of data that is not arrays.
    """
    if validation_data is not None:
        if is_data_stream(validation_data):
            validation_data = (validation_data, None)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("`validation_data` must be (x_val, y_val) or (x_val, y_val, "
                             "sample_weight_val), a generator or a PyDataset.")
        x_val, y_val, *weights_val = validation_data
        return train, EpochIterator(model, x_val, y_val, weights_val[0] if weights_val else None,
                                    batch_size, steps, caller="fit (validation_data)")
    if not validation_split:
        return train, None
    kept, held_out = train.data_adapter.split(validation_split, batch_size, steps)
    return (EpochIterator(model, kept, steps_per_epoch=train.steps_per_epoch,
                          class_weight=train.class_weight),
            EpochIterator(model, held_out, steps_per_epoch=steps, class_weight=train.class_weight,
                          caller="fit (validation_data)"))
