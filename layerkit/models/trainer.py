"""The training loop every model shares: ``compile``, ``fit``, ``evaluate``, ``predict``.

A model provides ``forward_all(xs, training)`` and ``backward_all(grads, from_z)``
(lists: one array per input, one per output), its ``output_layers``,
``input_names``/``output_names``, its ``trainable_weights`` and their
``gradients``, and ``check_input(xs, caller)``; this class turns those into
Keras's API, for ``Sequential`` and graph models alike. One training step is
three calls in a row, visible in :meth:`Trainer.train_step`:

1. compute the gradients (forward, loss, backward),
2. transform them (clipping; an all-reduce across processes would go here),
3. apply them with the optimizer.
"""

import math
import sys
import warnings

import numpy as np

from layerkit import backend, optimizers
from layerkit.callbacks import CallbackList, History
from layerkit.models import data
from layerkit.models.compile_utils import CompiledLoss, CompiledMetrics
from layerkit.models.training_state import TrainingState


class Trainer:
    """Mixin giving a model ``compile``, ``fit``, ``evaluate``, ``predict`` and friends."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = self.loss = None
        self.stop_training = False
        self.history = None
        self._compiled_loss = self._compiled_metrics = None
        self._shuffle_seed = None

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
            Keras's engine switches; accepted and without effect here.

        Raises
        ------
        ValueError
            For an unknown optimizer, loss or metric name (the message lists the
            valid ones), or a list/dict that does not match the outputs.

        Example
        -------
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        """
        optimizer = optimizers.get(optimizer)
        compiled_loss = CompiledLoss(loss, loss_weights, self.output_names)
        compiled_metrics = CompiledMetrics(metrics, weighted_metrics, self.output_names)
        self.optimizer, self.loss = optimizer, loss if loss is None else (
            compiled_loss.losses[0] if len(compiled_loss.losses) == 1 else loss)
        self._compile_args = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                              "weighted_metrics": weighted_metrics}
        self._compiled_loss, self._compiled_metrics = compiled_loss, compiled_metrics
        self._shuffle_seed = int(backend.random_generator().integers(2**63))
        self.compiled = True

    def _require_compiled(self, caller, need_loss=True):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before `{caller}()` on model "
                               f"{self.name!r}.")
        if need_loss and not self._compiled_loss.defined:
            raise RuntimeError(f"Model {self.name!r} was compiled without a loss: pass "
                               f"`loss=` to `compile()` before `{caller}()`.")

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

    # ------------------------------------------------------------------ one step
    def _forward_backward(self, xs, ys, sample_weight=None, input_gradients=False):
        """Forward, loss, backward: every layer's ``grads`` filled.

        Returns ``(total loss, per-output losses, outputs, input gradients)``; the
        input gradients are None unless asked for (the first layer skips its dX).
        """
        y_preds = self.forward_all(xs, training=True)
        total, values, grads, from_z = self._compiled_loss.value_and_gradients(
            self, ys, y_preds, sample_weight)
        return total, values, y_preds, self.backward_all(grads, from_z, input_gradients)

    def transform_gradients(self, grads):
        """Step 2 of a training step: the optimizer's clipping (and, later, an all-reduce)."""
        return self.optimizer.clip_gradients(grads)

    def train_step(self, xs, ys, sample_weight=None):
        """One optimisation step on one batch (lists of arrays); returns the batch's loss.

        A step whose loss, or whose updated weights, are not finite is undone:
        training stops with a warning and the weights stay those of the last
        finite step.
        """
        state = self._training_state()
        loss, values, y_preds, _ = self._forward_backward(xs, ys, sample_weight)  # 1. compute
        grads = self.transform_gradients(state.gradients())                         # 2. transform
        if math.isfinite(loss):
            self._apply_if_finite(state, grads)                                     # 3. apply
        else:
            self._stop_on_non_finite(f"the loss is {loss}")
        self._compiled_metrics.update(loss, values, ys, y_preds, sample_weight, len(xs[0]))
        return loss

    def _training_state(self):
        """The weights being trained and the buffers a step needs (kept while they fit)."""
        state = getattr(self, "_state", None)
        if state is None or not state.matches(self):
            state = self._state = TrainingState(self)
        return state

    def _apply_if_finite(self, state, grads):
        """Let the optimizer update the weights; undo the step if any became inf or NaN.

        The weights and the optimizer's state are copied first (into buffers kept
        across steps), so that an undone step leaves both exactly as they were.
        """
        state.save(self.optimizer)
        self.optimizer.update(grads, state.weights)
        if not state.all_finite():
            state.restore()
            self.optimizer.iterations -= 1  # the step did not happen
            self._stop_on_non_finite("a gradient or an updated weight is not finite")

    def _stop_on_non_finite(self, what):
        step = self.optimizer.iterations
        warnings.warn(f"Training of model {self.name!r} stopped at step {step + 1}: {what}. "
                      f"The step was not applied: the weights are those of the last finite "
                      f"step.", RuntimeWarning, stacklevel=4)
        self.stop_training = True

    def test_step(self, xs, ys, sample_weight=None):
        """Loss and metrics on one batch, weights untouched; returns the batch's loss."""
        y_preds = self.forward_all(xs, training=False)
        loss, values, _, _ = self._compiled_loss.value_and_gradients(self, ys, y_preds,
                                                                     sample_weight)
        self._compiled_metrics.update(loss, values, ys, y_preds, sample_weight, len(xs[0]))
        return loss

    # ------------------------------------------------------------------ data
    def _ensure_built(self, xs):
        if not self.built:
            self.build((None,) + xs[0].shape[1:])

    def _shuffled_order(self, n, epoch):
        """A permutation that depends only on the compile seed, the epoch and the step count,
        so that a resumed run shuffles exactly as an uninterrupted one."""
        rng = np.random.default_rng([self._shuffle_seed, epoch, self.optimizer.iterations])
        return rng.permutation(n)

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train the model for ``epochs`` epochs of mini-batch gradient descent.

        Parameters
        ----------
        x : array-like, shape (N, ...)
        y : array-like, shape (N, ...)
            Targets matching the output: (N, units), or (N,) for one unit or
            integer labels.
        batch_size : int, optional
            Samples per step, 32 by default; the last batch may be smaller.
        epochs : int
            The epoch to stop at (counting from 0, with ``initial_epoch``).
        verbose : {"auto", 0, 1, 2}
            0 silent, 1 a progress bar per epoch, 2 one line per epoch;
            "auto" is 1 on a terminal and 2 otherwise.
        callbacks : list of Callback, optional
        validation_split : float
            In [0, 1): the last share of (x, y) is held out for validation.
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
        shuffle : bool
            Shuffle the samples at each epoch (the user's arrays are not touched).
        class_weight : dict, optional
            ``{class: weight}``, turned into per-sample weights.
        sample_weight : array-like, shape (N,), optional
        initial_epoch : int
            The epoch to start from (to resume training).
        steps_per_epoch : int, optional
            Limit on the batches per epoch.
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
            For bad data or arguments, before anything changes.

        Example
        -------
        >>> import numpy as np
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
        >>> model.compile(loss="mse")
        >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, verbose=0)
        >>> len(history.history["loss"])
        2
        """
        self._require_compiled("fit")
        batch_size = data.check_int("batch_size", 32 if batch_size is None else batch_size, 1,
                                    "fit")
        epochs = data.check_int("epochs", epochs, 0, "fit")
        initial_epoch = data.check_int("initial_epoch", initial_epoch, 0, "fit")
        validation_freq = data.check_int("validation_freq", validation_freq, 1, "fit")
        steps_per_epoch = data.check_optional_int("steps_per_epoch", steps_per_epoch, "fit")
        validation_steps = data.check_optional_int("validation_steps", validation_steps, "fit")
        validation_batch_size = data.check_optional_int("validation_batch_size",
                                                        validation_batch_size, "fit")
        verbose = data.resolve_verbose(verbose, "fit", sys.stdout.isatty())
        validation_split = data.check_split(validation_split)
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "fit", class_weight)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("`validation_data` must be (x_val, y_val) or "
                                 "(x_val, y_val, sample_weight_val).")
            x_val, y_val, *weights_val = validation_data
            validation = data.check_data(self, x_val, y_val, weights_val[0] if weights_val else None,
                                         "fit (validation_data)")
        elif validation_split:
            train, held_out = data.split_validation([*xs, *ys, sample_weight], validation_split)
            xs, ys, sample_weight = train[:len(xs)], train[len(xs):-1], train[-1]
            validation = held_out[:len(xs)], held_out[len(xs):-1], held_out[-1]
        n = len(xs[0])
        steps = math.ceil(n / batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, steps_per_epoch)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=self, verbose=verbose, epochs=epochs, steps=steps)
        self._ensure_built(xs)
        batch_logs = callbacks.wants_batch_logs("on_train_batch_end")
        self.stop_training = False
        callbacks.on_train_begin()
        epoch_logs = {}
        # Overflow shows up as a non-finite loss or weight, which train_step reports itself.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                order = self._shuffled_order(n, epoch) if shuffle else None
                for step, index in enumerate(data.batch_indices(n, batch_size, order)):
                    if step == steps:
                        break
                    callbacks.on_train_batch_begin(step)
                    self.train_step(data.take_all(xs, index), data.take_all(ys, index),
                                    data.take(sample_weight, index))
                    callbacks.on_train_batch_end(step, self.get_metrics_result() if batch_logs else None)
                    if self.stop_training:
                        break
                epoch_logs = self.get_metrics_result()
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(*validation, validation_batch_size or batch_size,
                                                     callbacks, validation_steps)
                    epoch_logs.update({"val_" + name: value for name, value in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        callbacks.on_train_end(epoch_logs)
        self.history = next(c for c in callbacks.callbacks if isinstance(c, History))
        return self.history

    # ------------------------------------------------------------------ evaluate
    def _evaluate_arrays(self, xs, ys, sample_weight, batch_size, callbacks, steps=None):
        self.reset_metrics()
        callbacks.on_test_begin()
        batch_logs = callbacks.wants_batch_logs("on_test_batch_end")
        for step, index in enumerate(data.batch_indices(len(xs[0]), batch_size)):
            if steps is not None and step == steps:
                break
            callbacks.on_test_batch_begin(step)
            self.test_step(data.take_all(xs, index), data.take_all(ys, index),
                           data.take(sample_weight, index))
            callbacks.on_test_batch_end(step, self.get_metrics_result() if batch_logs else None)
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics on ``(x, y)``, computed batch by batch.

        Parameters
        ----------
        x, y : array-like
        batch_size : int, optional
            32 by default.
        verbose : {"auto", 0, 1, 2}
        sample_weight : array-like, shape (N,), optional
        steps : int, optional
            Limit on the batches.
        callbacks : list of Callback, optional
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
        batch_size = data.check_int("batch_size", 32 if batch_size is None else batch_size, 1,
                                    "evaluate")
        steps = data.check_optional_int("steps", steps, "evaluate")
        verbose = data.resolve_verbose(verbose, "evaluate", sys.stdout.isatty())
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "evaluate")
        self._ensure_built(xs)
        n_steps = math.ceil(len(xs[0]) / batch_size) if steps is None else min(
            steps, math.ceil(len(xs[0]) / batch_size))
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=n_steps)
        logs = self._evaluate_arrays(xs, ys, sample_weight, batch_size, callbacks, steps)
        return logs if return_dict else _flatten(logs)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed batch by batch.

        Parameters
        ----------
        x : array-like, shape (N, ...)
        batch_size : int, optional
            32 by default.
        verbose : {"auto", 0, 1, 2}
        steps : int, optional
            Limit on the batches.
        callbacks : list of Callback, optional

        Returns
        -------
        ndarray, shape (N, ...) (fewer rows if ``steps`` stops early)

        Raises
        ------
        ValueError, TypeError
            For bad input.
        """
        batch_size = data.check_int("batch_size", 32 if batch_size is None else batch_size, 1,
                                    "predict")
        steps = data.check_optional_int("steps", steps, "predict")
        verbose = data.resolve_verbose(verbose, "predict", sys.stdout.isatty())
        xs = data.check_inputs(self, x, "predict")
        self.check_input(xs, "predict")
        xs = [a.astype(self.input_dtype, copy=False) for a in xs]
        self._ensure_built(xs)
        n = len(xs[0]) if steps is None else min(len(xs[0]), steps * batch_size)
        n_steps = math.ceil(n / batch_size)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=n_steps)
        outputs = None
        callbacks.on_predict_begin()
        for step, index in enumerate(data.batch_indices(n, batch_size)):
            callbacks.on_predict_batch_begin(step)
            batch = self.forward_all(data.take_all(xs, index), training=False)
            if outputs is None:
                outputs = [np.empty((n,) + b.shape[1:], dtype=b.dtype) for b in batch]
            for out, b in zip(outputs, batch):
                out[index] = b
            callbacks.on_predict_batch_end(step, None)
        callbacks.on_predict_end()
        return self._output_structure(outputs)

    def _output_structure(self, outputs):
        """One array for one output, else a list (a dict when the outputs were a dict)."""
        keys = getattr(self, "_output_keys", None)
        if keys:
            return dict(zip(keys, outputs))
        return outputs[0] if len(outputs) == 1 else outputs

    # ------------------------------------------------------------------ on one batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on exactly this batch; returns the running loss (and metrics).

        Metrics accumulate across calls until :meth:`reset_metrics`, as in Keras.
        """
        self._require_compiled("train_on_batch")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "train_on_batch",
                                                 class_weight)
        self._ensure_built(xs)
        self.stop_training = False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.train_step(xs, ys, sample_weight)
        logs = self.get_metrics_result()
        return logs if return_dict else _flatten(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on exactly this batch, without training.

        Metrics accumulate across calls until :meth:`reset_metrics`, as in Keras.
        """
        self._require_compiled("test_on_batch")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "test_on_batch")
        self._ensure_built(xs)
        self.test_step(xs, ys, sample_weight)
        logs = self.get_metrics_result()
        return logs if return_dict else _flatten(logs)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch."""
        xs = data.check_inputs(self, x, "predict_on_batch")
        return self.predict(x, batch_size=max(len(xs[0]), 1), verbose=0)

    # ------------------------------------------------------------------ gradients
    def compute_gradients(self, x, y, wrt_inputs=False, sample_weight=None):
        """The gradient of the compiled loss at the current weights; nothing is updated.

        Parameters
        ----------
        x, y : array-like
        wrt_inputs : bool
            Also return the gradient with respect to ``x``.
        sample_weight : array-like, optional

        Returns
        -------
        list of ndarray, or (list of ndarray, ndarray)
            One array per array of ``get_weights()`` (same order and shapes);
            with ``wrt_inputs``, also dL/dx.

        Example
        -------
        >>> import numpy as np
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> model.compile(loss="mse")
        >>> [g.shape for g in model.compute_gradients(np.ones((4, 3)), np.zeros((4, 2)))]
        [(3, 2), (2,)]
        """
        self._require_compiled("compute_gradients")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "compute_gradients")
        self._ensure_built(xs)
        _, _, _, input_grads = self._forward_backward(xs, ys, sample_weight,
                                                      input_gradients=wrt_inputs)
        grads = [np.array(layer.grads[name], copy=True) if name in layer.grads
                 else np.zeros_like(getattr(layer, name))
                 for layer, name in self.weight_slots()]
        if not wrt_inputs:
            return grads
        input_grads = [np.zeros_like(x) if g is None else np.array(g, copy=True)
                       for g, x in zip(input_grads, xs)]
        return grads, input_grads[0] if len(input_grads) == 1 else input_grads


def _flatten(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
