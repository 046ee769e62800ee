"""One step on one batch: what ``fit``, ``evaluate`` and ``predict`` repeat, and the ``*_on_batch`` API.

A training step is three calls in a row, visible in :meth:`Steps.train_step`:

1. compute the gradients (forward, loss, backward),
2. transform them (clipping; an all-reduce across processes goes here),
3. apply them with the optimizer, whole or not at all.
"""

import math
import warnings
from collections import namedtuple

import numpy as np

from layerkit import distribution
from layerkit.layers.weight_owner import structure_version
from layerkit.models import data
from layerkit.models.training_state import Penalties, TrainingState

_Found = namedtuple("_Found", "version walk penalties parameters")


class Steps:
    """Mixin: the per-batch steps of a compiled model (see :class:`~layerkit.models.trainer.Trainer`)."""

    # ------------------------------------------------------------------ the steps
    def _forward_backward(self, xs, ys, sample_weight=None, input_gradients=False):
        """Forward, loss, backward: every layer's ``grads`` filled.

        Returns ``(total loss, per-output losses, outputs, input gradients)``; the
        input gradients are None unless asked for (the first layer skips its dX).
        """
        found, compiled = self._found(), self._compiled_loss
        walk, penalties = found.walk, found.penalties
        self.clear_added_losses(walk)
        y_preds = self.forward_all(xs, training=True)
        total, values, grads = compiled.value_and_gradients(ys, y_preds, sample_weight)
        if not compiled.defined:  # only added losses: nothing flows from the outputs
            if not self.added_loss_values(walk) and not (penalties.items or self.activity_penalty()):
                self._discard_staged_updates()
                raise RuntimeError(f"Model {self.name!r} has no loss to minimise: compile() was "
                                   "given no `loss` and no layer added one (`add_loss`, "
                                   "regularizers).")
            grads = [np.zeros_like(y) for y in y_preds]
        input_grads = self.backward_all(grads, compiled.fused, input_gradients)
        if penalties.items:
            total += penalties.add_gradients()
        total += self._forward_losses(walk)
        return total, values, y_preds, input_grads

    def transform_gradients(self, grads, num_samples=None, loss=None):
        """Step 2 of a training step: across processes the all-reduce, then the optimizer's clipping.

        ``num_samples`` (this process's rows of the batch) weighs its gradient in the
        all-reduce of :func:`layerkit.distribution.active` (nothing to do on one process);
        a ``loss`` that is not finite makes the gradients of every process not finite, so
        that every process refuses the step.
        """
        return self.optimizer.clip_gradients(
            distribution.active().reduce_gradients(grads, num_samples, loss))

    def train_step(self, xs, ys, sample_weight=None):
        """One optimisation step on one batch (lists of arrays); returns the batch's loss.

        A step whose loss or gradients are not finite, or that would make a weight
        non-finite, is not applied: training stops with a warning and the weights stay
        those of the last finite step.
        """
        state = self._training_state()
        loss, values, y_preds, _ = self._forward_backward(xs, ys, sample_weight)  # 1. compute
        grads = self.transform_gradients(state.gradients(), len(xs[0]), loss)       # 2. transform
        problem = (state.apply(self.optimizer, grads) if math.isfinite(loss)        # 3. apply
                   else f"the loss is {loss}")
        if problem is not None:
            state.discard_staged_updates()
            self._stop_on_non_finite(problem)
        self._compiled_metrics.update(loss, values, ys, y_preds, sample_weight, len(xs[0]))
        return loss

    def test_step(self, xs, ys, sample_weight=None):
        """Loss and metrics on one batch, weights untouched, no gradients; returns the loss."""
        found = self._found()
        walk, penalties = found.walk, found.penalties
        self.clear_added_losses(walk)
        y_preds = self.forward_all(xs, training=False)
        loss, values = self._compiled_loss.values(ys, y_preds, sample_weight)
        loss += penalties.value() + self._forward_losses(walk)
        self._compiled_metrics.update(loss, values, ys, y_preds, sample_weight, len(xs[0]))
        return loss

    def predict_step(self, xs):
        """The outputs for one batch (a list of arrays, one per output)."""
        return self.forward_all(xs, training=False)

    def _forward_losses(self, walk):
        """What the last forward pass adds to the loss: activity penalties and ``add_loss``."""
        return self.activity_penalty() + sum(self.added_loss_values(walk))

    def _layer_walk(self):
        """This model and every layer inside it (found once per structure of the layers)."""
        return self._found().walk

    def _penalties(self):
        """The weight regularizers' penalties (found once per structure of the layers)."""
        return self._found().penalties

    def _found(self):
        """The layer walk, the weights' penalties and the number of weights, found once per
        structure of the layers."""
        found = getattr(self, "_found_layers", None)
        if found is None or found.version != structure_version():
            found = self._found_layers = _Found(structure_version(), self.flatten_layers(),
                                                Penalties(self), self.count_params())
        return found

    def _training_state(self):
        """The weights being trained and the buffers a step needs (kept while they fit)."""
        state = getattr(self, "_state", None)
        if state is None or not state.matches(self):
            state = self._state = TrainingState(self)
            self.optimizer.set_variable_paths(  # for weight-decay exclusions by name
                state.weights, [f"{layer.name}/{name}" for layer, name in self.trainable_slots()])
        return state

    def _kept_weights(self):
        """The weights kept for training steps while they are still the ones to train, else
        ``()`` (nothing is made here: a call that will be refused changes nothing)."""
        state = getattr(self, "_state", None)
        return state.weights if state is not None and state.matches(self) else ()

    def _discard_staged_updates(self):
        """A forward pass that is not a training step leaves no state behind."""
        for layer in self._layer_walk():
            layer.discard_staged_updates()

    def _stop_on_non_finite(self, what):
        step = self.optimizer.iterations
        warnings.warn(f"Training of model {self.name!r} stopped at step {step + 1}: {what}. "
                      f"The step was not applied: the weights are those of the last finite "
                      f"step.", RuntimeWarning, stacklevel=4)
        self.stop_training = True

    # ------------------------------------------------------------------ on one batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on exactly this batch; returns its loss (and metrics).

        The metrics are those of this batch alone: each call resets them, as Keras 3 does.
        """
        self._require_compiled("train_on_batch")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "train_on_batch",
                                                 class_weight)
        self._prepare_training(xs)
        self.reset_metrics()
        self.stop_training = False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.train_step(xs, ys, sample_weight)
        return _flatten(self.get_metrics_result(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on exactly this batch, without training.

        The metrics are those of this batch alone: each call resets them, as Keras 3 does.
        """
        self._require_compiled("test_on_batch")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "test_on_batch")
        self._prepare_evaluation(xs)
        self.reset_metrics()
        self.test_step(xs, ys, sample_weight)
        return _flatten(self.get_metrics_result(), return_dict)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch."""
        xs = data.check_inputs(self, x, "predict_on_batch")
        return self.predict(x, batch_size=max(len(xs[0]), 1), verbose=0)

    # ------------------------------------------------------------------ losses and gradients
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss (the weighted sum over outputs) for ``x`` and ``y``, as a float.

        Runs the forward pass on ``x`` (in training mode by default); pass ``y_pred``
        (one array per output) to score given predictions instead.

        Example
        -------
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile(loss="mse")
        >>> model.compute_loss(np.ones((3, 2)), np.full(3, 2.0))
        4.0
        """
        self._require_compiled("compute_loss")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "compute_loss")
        self._prepare_evaluation(xs)
        if y_pred is None:
            walk = self._layer_walk()
            self.clear_added_losses(walk)
            loss = self._compiled_loss.values(ys, self.forward_all(xs, training=training),
                                              sample_weight)[0] + self._forward_losses(walk)
            self._discard_staged_updates()
        else:
            y_preds = list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
            loss = self._compiled_loss.values(ys, y_preds, sample_weight, from_logits=False)[0]
        return loss + self._penalties().value()

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
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> model.compile(loss="mse")
        >>> [g.shape for g in model.compute_gradients(np.ones((4, 3)), np.zeros((4, 2)))]
        [(3, 2), (2,)]
        """
        self._require_compiled("compute_gradients")
        xs, ys, sample_weight = data.check_data(self, x, y, sample_weight, "compute_gradients")
        self._prepare_evaluation(xs)
        _, _, _, input_grads = self._forward_backward(xs, ys, sample_weight,
                                                      input_gradients=wrt_inputs)
        self._discard_staged_updates()
        grads = [np.array(layer.grads[name], copy=True) if name in layer.grads
                 else np.zeros_like(getattr(layer, name))
                 for layer, name in self.weight_slots()]
        if not wrt_inputs:
            return grads
        input_grads = [np.zeros_like(x) if g is None else np.array(g, copy=True)
                       for g, x in zip(input_grads, xs)]
        return grads, input_grads[0] if len(input_grads) == 1 else input_grads


def _flatten(logs, return_dict):
    """Logs as Keras returns them: a dict, the loss alone, or ``[loss, *metrics]``."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
