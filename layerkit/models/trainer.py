"""The training loop every model shares: ``compile``, ``fit``, ``evaluate``, ``predict``.

A model provides ``forward(x, training)``, ``backward(grad, from_z)``, its
``output_layer``, its ``trainable_weights`` and their ``gradients``, and
``check_input(x, caller)``; this class turns those into Keras's API. One
training step is three calls in a row, visible in :meth:`Trainer.train_step`:

1. compute the gradients (forward, loss, backward),
2. transform them (clipping; an all-reduce across processes would go here),
3. apply them with the optimizer.
"""

import math
import sys
import warnings

import numpy as np

from layerkit import backend, losses, optimizers
from layerkit import metrics as metrics_module
from layerkit.callbacks import CallbackList, History
from layerkit.models import data


class Trainer:
    """Mixin giving a model ``compile``, ``fit``, ``evaluate``, ``predict`` and friends."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = self.loss = None
        self.loss_weight = 1.0
        self.stop_training = False
        self.history = None
        self._metric_ids, self._weighted_metric_ids = [], []
        self._compile_metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
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
        loss : str, Loss or callable
            ``"mse"``, ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
            ``"sparse_categorical_crossentropy"``, ``"mae"``...
        loss_weights : float or list of one float, optional
            Scales the loss (and its gradient).
        metrics : list, optional
            Names (``"accuracy"``, ``"mae"``...) or Metric instances; reported
            under the name given.
        weighted_metrics : list, optional
            Metrics weighted by ``sample_weight``.
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss
            Keras's engine switches; accepted and without effect here.

        Raises
        ------
        ValueError
            For an unknown optimizer, loss or metric name (the message lists the valid ones).

        Example
        -------
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        """
        optimizer = optimizers.get(optimizer)
        loss = None if loss is None else losses.get(loss)
        if isinstance(loss_weights, (list, tuple)):
            if len(loss_weights) != 1:
                raise ValueError(f"`loss_weights` must have one entry per output (1). "
                                 f"Received: loss_weights={loss_weights}")
            loss_weights = loss_weights[0]
        metric_ids = self._metric_list(metrics, "metrics")
        weighted_ids = self._metric_list(weighted_metrics, "weighted_metrics")
        self.optimizer, self.loss = optimizer, loss
        self.loss_weight = 1.0 if loss_weights is None else float(loss_weights)
        self._metric_ids, self._weighted_metric_ids = metric_ids, weighted_ids
        self._compile_metrics = None
        self._shuffle_seed = int(backend.random_generator().integers(2**63))
        self.compiled = True

    @staticmethod
    def _metric_list(metrics, argument):
        if metrics is None:
            return []
        metrics = list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
        for metric in metrics:  # unknown names fail now, not at the first batch
            if isinstance(metric, str) and metric.lower() not in ("accuracy", "acc"):
                metrics_module.get(metric)
            elif not isinstance(metric, str) and not callable(metric) and not isinstance(
                    metric, metrics_module.Metric):
                raise TypeError(f"Could not interpret `{argument}` entry {metric!r}.")
        return metrics

    def _require_compiled(self, caller, need_loss=True):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before `{caller}()` on model "
                               f"{self.name!r}.")
        if need_loss and self.loss is None:
            raise RuntimeError(f"Model {self.name!r} was compiled without a loss: pass "
                               f"`loss=` to `compile()` before `{caller}()`.")

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        """The loss tracker and the compiled metrics (built at the first batch)."""
        return [self._loss_tracker] + list(self._compile_metrics or [])

    @property
    def metrics_names(self):
        """Names of :attr:`metrics`, as in the logs."""
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Forget the running means of the loss and metrics."""
        for metric in self.metrics:
            metric.reset_state()

    def _build_metrics(self, y, y_pred):
        shapes = (np.shape(y), np.shape(y_pred))
        plain = [metrics_module.get(m, *shapes) for m in self._metric_ids]
        weighted = [metrics_module.get(m, *shapes) for m in self._weighted_metric_ids]
        names = {m.name for m in plain}
        for metric in weighted:
            metric.sample_weighted = True
            if metric.name in names:
                metric.name = "weighted_" + metric.name
        self._compile_metrics = plain + weighted

    def _update_metrics(self, loss, y, y_pred, sample_weight):
        if self._compile_metrics is None:
            self._build_metrics(y, y_pred)
        self._loss_tracker.update_state(loss, sample_weight=len(y))
        for metric in self._compile_metrics:
            weights = sample_weight if getattr(metric, "sample_weighted", False) else None
            metric.update_state(y, y_pred, sample_weight=weights)

    def get_metrics_result(self):
        """``{"loss": ..., metric name: ...}`` as Python floats."""
        return {m.name: float(m.result()) for m in self.metrics
                if m is not self._loss_tracker or m.count}

    # ------------------------------------------------------------------ one step
    def _loss_and_output_gradient(self, y, y_pred, sample_weight):
        """The loss and its gradient at the output: at Z when the loss fuses with the activation."""
        layer = self.output_layer
        activation = getattr(layer, "activation", None)
        if activation is not None and getattr(layer, "Z", None) is not None and \
                self.loss.fuses_with(activation):
            loss, grad = self.loss.logits_value_and_gradient(y, layer.Z, y_pred, sample_weight)
            from_z = True
        else:
            loss, grad = self.loss.value_and_gradient(y, y_pred, sample_weight)
            from_z = False
        if self.loss_weight != 1.0:
            loss, grad = loss * self.loss_weight, grad * self.loss_weight
        return float(loss), grad, from_z

    def _forward_backward(self, x, y, sample_weight=None):
        """Forward, loss, backward: every layer's ``grads`` filled; returns (loss, y_pred, dX)."""
        y_pred = self.forward(x, training=True)
        loss, grad, from_z = self._loss_and_output_gradient(y, y_pred, sample_weight)
        return loss, y_pred, self.backward(grad, from_z=from_z)

    def transform_gradients(self, grads):
        """Step 2 of a training step: the optimizer's clipping (and, later, an all-reduce)."""
        return self.optimizer.clip_gradients(grads)

    def train_step(self, x, y, sample_weight=None):
        """One optimisation step on one batch; returns the batch's loss.

        A step whose loss or gradients are not finite is not applied: training
        stops with a warning and the weights stay those of the last finite step.
        """
        loss, y_pred, _ = self._forward_backward(x, y, sample_weight)   # 1. compute
        grads = self.transform_gradients(self.gradients)                 # 2. transform
        if _all_finite(loss, grads):
            self.optimizer.apply(grads, self.trainable_weights, clip=False)  # 3. apply
        else:
            self._stop_on_non_finite(loss)
        self._update_metrics(loss, y, y_pred, sample_weight)
        return loss

    def _stop_on_non_finite(self, loss):
        step = self.optimizer.iterations
        what = f"the loss is {loss}" if not math.isfinite(loss) else "a gradient is not finite"
        warnings.warn(f"Training of model {self.name!r} stopped at step {step + 1}: {what}. "
                      f"The step was not applied: the weights are those after step {step}.",
                      RuntimeWarning, stacklevel=3)
        self.stop_training = True

    def test_step(self, x, y, sample_weight=None):
        """Loss and metrics on one batch, weights untouched; returns the batch's loss."""
        y_pred = self.forward(x, training=False)
        loss, _, _ = self._loss_and_output_gradient(y, y_pred, sample_weight)
        self._update_metrics(loss, y, y_pred, sample_weight)
        return loss

    # ------------------------------------------------------------------ data
    def _check_data(self, x, y, sample_weight, caller, class_weight=None):
        """Validated arrays (x and y in the model's dtype) and the output shape."""
        x = data.as_numeric("x", x, caller)
        y = data.as_numeric("y", y, caller)
        if sample_weight is not None:
            sample_weight = data.as_numeric("sample_weight", sample_weight, caller)
            if sample_weight.ndim != 1 or (sample_weight < 0).any():
                raise ValueError(f"`sample_weight` of {caller}() must be a 1-D array of "
                                 f"non-negative weights. Received shape {sample_weight.shape}.")
        data.check_same_length({"x": x, "y": y, "sample_weight": sample_weight}, caller)
        output_shape = self.check_input(x, caller)
        y = self.loss.validate_targets(y, output_shape, self.input_dtype)
        if class_weight is not None:
            weights = data.class_weight_to_sample_weight(class_weight, y)
            sample_weight = weights if sample_weight is None else weights * sample_weight
        return x.astype(self.input_dtype, copy=False), y, sample_weight

    def _ensure_built(self, x):
        if not self.built:
            self.build((None,) + x.shape[1:])

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
        if steps_per_epoch is not None:
            steps_per_epoch = data.check_int("steps_per_epoch", steps_per_epoch, 1, "fit")
        verbose = data.resolve_verbose(verbose, "fit", sys.stdout.isatty())
        if not 0 <= validation_split < 1:
            raise ValueError("`validation_split` must be in [0, 1). "
                             f"Received: validation_split={validation_split!r}")
        x, y, sample_weight = self._check_data(x, y, sample_weight, "fit", class_weight)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("`validation_data` must be (x_val, y_val) or "
                                 "(x_val, y_val, sample_weight_val).")
            validation = self._check_data(*validation_data, "fit (validation_data)") if len(
                validation_data) == 3 else self._check_data(*validation_data, None,
                                                            "fit (validation_data)")
        elif validation_split:
            (x, y, sample_weight), validation = data.split_validation(
                [x, y, sample_weight], validation_split)
        self._ensure_built(x)

        n = len(x)
        steps = math.ceil(n / batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, steps_per_epoch)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=self, verbose=verbose, epochs=epochs, steps=steps)
        batch_logs = callbacks.wants_batch_logs("on_train_batch_end")
        self.stop_training = False
        callbacks.on_train_begin()
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            order = self._shuffled_order(n, epoch) if shuffle else None
            for step, index in enumerate(data.batch_indices(n, batch_size, order)):
                if step == steps:
                    break
                callbacks.on_train_batch_begin(step)
                self.train_step(x[index], y[index], data.take(sample_weight, index))
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
    def _evaluate_arrays(self, x, y, sample_weight, batch_size, callbacks, steps=None):
        self.reset_metrics()
        callbacks.on_test_begin()
        batch_logs = callbacks.wants_batch_logs("on_test_batch_end")
        for step, index in enumerate(data.batch_indices(len(x), batch_size)):
            if steps is not None and step == steps:
                break
            callbacks.on_test_batch_begin(step)
            self.test_step(x[index], y[index], data.take(sample_weight, index))
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
        verbose = data.resolve_verbose(verbose, "evaluate", sys.stdout.isatty())
        x, y, sample_weight = self._check_data(x, y, sample_weight, "evaluate")
        self._ensure_built(x)
        n_steps = math.ceil(len(x) / batch_size) if steps is None else min(
            steps, math.ceil(len(x) / batch_size))
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=n_steps)
        logs = self._evaluate_arrays(x, y, sample_weight, batch_size, callbacks, steps)
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
        verbose = data.resolve_verbose(verbose, "predict", sys.stdout.isatty())
        x = data.as_numeric("x", x, "predict")
        self.check_input(x, "predict")
        x = x.astype(self.input_dtype, copy=False)
        self._ensure_built(x)
        n = len(x) if steps is None else min(len(x), steps * batch_size)
        n_steps = math.ceil(n / batch_size)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=n_steps)
        outputs = None
        callbacks.on_predict_begin()
        for step, index in enumerate(data.batch_indices(n, batch_size)):
            callbacks.on_predict_batch_begin(step)
            batch = self.forward(x[index], training=False)
            if outputs is None:
                outputs = np.empty((n,) + batch.shape[1:], dtype=batch.dtype)
            outputs[index] = batch
            callbacks.on_predict_batch_end(step, None)
        callbacks.on_predict_end()
        return outputs

    # ------------------------------------------------------------------ on one batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on exactly this batch; returns the running loss (and metrics).

        Metrics accumulate across calls until :meth:`reset_metrics`, as in Keras.
        """
        self._require_compiled("train_on_batch")
        x, y, sample_weight = self._check_data(x, y, sample_weight, "train_on_batch",
                                               class_weight)
        self._ensure_built(x)
        self.stop_training = False
        self.train_step(x, y, sample_weight)
        logs = self.get_metrics_result()
        return logs if return_dict else _flatten(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on exactly this batch, without training."""
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._check_data(x, y, sample_weight, "test_on_batch")
        self._ensure_built(x)
        self.reset_metrics()
        self.test_step(x, y, sample_weight)
        logs = self.get_metrics_result()
        return logs if return_dict else _flatten(logs)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch."""
        return self.predict(x, batch_size=max(len(np.asarray(x)), 1), verbose=0)

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
        x, y, sample_weight = self._check_data(x, y, sample_weight, "compute_gradients")
        self._ensure_built(x)
        _, _, input_gradient = self._forward_backward(x, y, sample_weight)
        grads = [np.array(layer.grads[name], copy=True) if name in layer.grads
                 else np.zeros_like(getattr(layer, name))
                 for layer, name in self.weight_slots()]
        return (grads, np.array(input_gradient, copy=True)) if wrt_inputs else grads


def _all_finite(loss, grads):
    if not math.isfinite(loss):
        return False
    return all(np.isfinite(np.sum(g)) for g in grads)


def _flatten(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
