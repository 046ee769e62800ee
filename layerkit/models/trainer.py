"""The training loop every model shares: ``compile``, ``fit``, ``evaluate``, ``predict``.

A model provides ``forward_all(xs, training)`` and ``backward_all(grads, at_z,
input_gradients)`` (lists: one array per input, one per output), its
``output_layers``, ``input_names``/``output_names``, ``trainable_slots()`` and
``check_input(xs, caller)``; this class turns those into Keras's API, for
``Sequential`` and graph models alike. ``fit`` is a readable sequence of Keras's
hooks around :meth:`~layerkit.models.steps.Steps.train_step`.
"""

import sys

import numpy as np

from layerkit import backend, distribution, optimizers
from layerkit.allocator import keep_freed_memory
from layerkit.blas import limited_threads
from layerkit.callbacks import CallbackList, History
from layerkit.interrupts import interrupt_handler
from layerkit.models import compile_utils, data
from layerkit.models.epoch_iterator import BatchOutputs, EpochIterator, validation_iterators
from layerkit.models.steps import Steps, _flatten


class Trainer(Steps):
    """Mixin giving a model ``compile``, ``fit``, ``evaluate``, ``predict`` and friends."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = self.loss = None
        self.stop_training = False
        self.history = None
        self.shuffle_seed = None
        self._compiled_loss = self._compiled_metrics = self._compile_config = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="sgd", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or Optimizer
            ``"sgd"`` (default), ``"adam"`` or an instance.
        loss : str, Loss, callable, or a list / dict of them (one per output)
            ``"mse"``, ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
            ``"sparse_categorical_crossentropy"``, ``"mae"``...
        loss_weights : float, list or dict, optional
            Scales each output's loss (and its gradient).
        metrics : list or dict, optional
            Names (``"accuracy"``, ``"mae"``...) or Metric instances, reported
            under the name given (prefixed by the output's name when there are
            several outputs).
        weighted_metrics : list or dict, optional
            Metrics weighted by ``sample_weight``.
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss
            Not used. These are Keras's switches for its compiled engines; layerkit always
            runs eagerly on NumPy, one step per batch, so they are accepted (for Keras code
            to run unchanged) and change nothing.

        Raises
        ------
        ValueError
            For an unknown optimizer, loss or metric name (the message lists the
            valid ones), a list/dict that does not match the outputs, or an optimizer
            that holds the state of another model's weights. Nothing changes then.

        Example
        -------
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        """
        optimizer = optimizers.get(optimizer)
        compiled_loss = compile_utils.CompiledLoss(loss, loss_weights, self.output_names)
        compiled_metrics = compile_utils.CompiledMetrics(metrics, weighted_metrics,
                                                         self.output_names)
        if self.built:
            self._check_optimizer_is_ours(optimizer)
        self.optimizer, self.loss = optimizer, loss if loss is None else (
            compiled_loss.losses[0] if len(compiled_loss.losses) == 1 else loss)
        self._compile_config = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        self._compiled_loss, self._compiled_metrics = compiled_loss, compiled_metrics
        self.shuffle_seed = int(backend.random_generator().integers(2**63))
        self.compiled = True

    def get_compile_config(self):
        """What ``compile`` was given, serialized (objects as configs), or None if not compiled."""
        if not self.compiled:
            return None
        return {"optimizer": optimizers.serialize(self.optimizer),
                **compile_utils.serialize_compile_args(self._compile_config)}

    def compile_from_config(self, config):
        """Compile from :meth:`get_compile_config`'s output (a fresh optimizer from its config)."""
        self.compile(optimizer=optimizers.deserialize(config["optimizer"]),
                     **compile_utils.deserialize_compile_args(config))

    @property
    def output_losses(self):
        """The :class:`~layerkit.losses.Loss` of each output (None where an output has none)."""
        return [] if self._compiled_loss is None else list(self._compiled_loss.losses)

    def _require_compiled(self, caller, need_loss=True):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before `{caller}()` on model "
                               f"{self.name!r}.")
        if need_loss and not self._compiled_loss.defined and not self._may_add_losses():
            raise RuntimeError(f"Model {self.name!r} was compiled without a loss: pass "
                               f"`loss=` to `compile()` before `{caller}()`.")

    def _may_add_losses(self):
        """Whether the model can have a loss without a compiled one (add_loss, regularizers)."""
        return any(layer.writes_call() or layer.activity_regularizer is not None
                   or any(layer.regularizer_of(n) is not None for n in layer.weight_names)
                   for layer in self.flatten_layers())

    def _check_optimizer_is_ours(self, optimizer):
        """Refuse an optimizer whose state belongs entirely to other weights (another model's)."""
        if optimizer.built and not any(optimizer.is_tracking(w) for w in self.weights):
            raise ValueError(
                f"Optimizer {optimizer.name!r} holds the state (momentum, step count...) of "
                f"another model's weights, none of model {self.name!r}'s. An optimizer's state "
                "belongs to the weights it trained: give this model a new optimizer instance "
                "(or its name, e.g. optimizer='adam').")

    def _prepare_evaluation(self, xs):
        if not self.built:
            self.build_for((None,) + xs[0].shape[1:])
        self._compiled_loss.plan(self)

    def _prepare_training(self, xs):
        self._prepare_evaluation(xs)
        self._check_optimizer_is_ours(self.optimizer)

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        """The loss trackers and the compiled metrics (built at the first batch)."""
        return [] if self._compiled_metrics is None else self._compiled_metrics.metrics

    @property
    def metrics_names(self):
        """Names of :attr:`metrics`, as in the logs."""
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Forget the running means of the loss and metrics."""
        if self._compiled_metrics is not None:
            self._compiled_metrics.reset()

    def get_metrics_result(self):
        """``{"loss": ..., metric name: ...}`` as Python floats."""
        return self._compiled_metrics.result()

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
        sample_weight : array-like, shape (N,) or (N, 1), optional
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
        batch_size, steps_per_epoch, verbose = data.check_loop_arguments(
            "fit", batch_size, steps_per_epoch, verbose, sys.stdout.isatty())
        epochs = data.check_int("epochs", epochs, 0, "fit")
        initial_epoch = data.check_int("initial_epoch", initial_epoch, 0, "fit")
        validation_freq = data.check_int("validation_freq", validation_freq, 1, "fit")
        validation_steps = data.check_optional_int("validation_steps", validation_steps, "fit")
        validation_batch_size = data.check_optional_int("validation_batch_size",
                                                        validation_batch_size, "fit")
        validation_split = data.check_split(validation_split)
        shuffle = data.check_shuffle(shuffle, "fit")
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
                        callbacks.on_train_batch_begin(step)
                        self.train_step(xb, yb, wb)
                        callbacks.on_train_batch_end(step, self.get_metrics_result() if batch_logs
                                                     else None)
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
                self.optimizer.finalize_variable_values(self.trainable_weights)
            callbacks.on_train_end(epoch_logs)
        self.history = next(c for c in callbacks.callbacks if isinstance(c, History))
        return self.history

    # ------------------------------------------------------------------ evaluate
    def _evaluate_batches(self, batches, callbacks):
        self.reset_metrics()
        callbacks.on_test_begin()
        batch_logs = callbacks.wants_batch_logs("on_test_batch_end")
        with batches.epoch() as steps:
            for step, (xb, yb, wb) in steps:
                callbacks.on_test_batch_begin(step)
                self.test_step(xb, yb, wb)
                callbacks.on_test_batch_end(step, self.get_metrics_result() if batch_logs else None)
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics on ``(x, y)``, computed batch by batch (no gradients).

        Parameters
        ----------
        x, y : array-like, or lists / dicts of them; or data that makes its own batches
            As for :meth:`fit` (a generator, a PyDataset, memmaps and h5py datasets).
        batch_size : int, optional
            32 by default (with ``steps``, enough for the steps to cover the data).
        verbose : {"auto", 0, 1, 2}
        sample_weight : array-like, shape (N,) or (N, 1), optional
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
        batch_size, steps, verbose = data.check_loop_arguments("evaluate", batch_size, steps,
                                                               verbose, sys.stdout.isatty())
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
            As for :meth:`fit`; a generator or PyDataset yields ``x`` or ``(x,)`` (any
            targets it also yields are ignored).
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
        batch_size, steps, verbose = data.check_loop_arguments("predict", batch_size, steps,
                                                               verbose, sys.stdout.isatty())
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
        with self._blas_threads(xs), batches.epoch() as steps:
            for step, (xb,) in steps:
                callbacks.on_predict_batch_begin(step)
                batch_outputs = distribution.active().gather_rows(self.predict_step(xb))
                outputs.add(batch_outputs)
                callbacks.on_predict_batch_end(step, {"outputs":
                                                      self._output_structure(batch_outputs)})
        callbacks.on_predict_end()
        return self._output_structure(outputs.result())

    def _blas_threads(self, xs):
        """BLAS threads for steps on batches like ``xs``: one for small products (see
        :mod:`layerkit.blas`; a step's multiply-adds are about rows x weights). Freed
        arrays are kept for the next step from here on (:mod:`layerkit.allocator`)."""
        keep_freed_memory()
        return limited_threads(len(xs[0]) * self.count_params())

    def _output_structure(self, outputs):
        """One array for one output, else a list (a dict when the outputs were a dict)."""
        keys = getattr(self, "_output_keys", None)
        if keys:
            return dict(zip(keys, outputs))
        return outputs[0] if len(outputs) == 1 else outputs
