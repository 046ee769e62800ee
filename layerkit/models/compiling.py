"""``compile`` and what it sets up: the optimizer, the compiled loss and metrics.

:class:`Compiling` holds what ``compile`` chose and checks, before a loop starts,
that the model can run it (compiled, with a loss, the optimizer its own); the
loops (:mod:`layerkit.models.inference`, :mod:`layerkit.models.trainer`) build on it.
"""

from layerkit import backend, optimizers
from layerkit.models import compile_utils
from layerkit.models.steps import Steps


class Compiling(Steps):
    """Mixin giving a model ``compile``, its config, and the metrics it reports."""

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

    def _check_optimizer_is_ours(self, optimizer, trained=()):
        """Refuse an optimizer whose state belongs entirely to other weights (another model's).

        ``trained``, the weights a step trains (kept between steps), are looked at first;
        all the weights only when the optimizer tracks none of those.
        """
        if optimizer.built and not any(map(optimizer.is_tracking, trained)) and not any(
                map(optimizer.is_tracking, self.weights)):
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
        self._check_optimizer_is_ours(self.optimizer, self._kept_weights())

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        """The loss trackers and the compiled metrics (built at the first batch)."""
        return [] if self._compiled_metrics is None else list(self._compiled_metrics.metrics)

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
