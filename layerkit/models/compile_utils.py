"""What ``compile`` sets up: the loss of every output, and the metrics that are tracked.

A model with several outputs has a loss per output (one loss for all, a list,
or a dict by output name, as Keras takes them); the training loss is their
weighted sum. Sample weights are one array for every output or one per output
(:class:`~layerkit.models.sample_weights.OutputSampleWeights`): each output's loss and
weighted metrics take their own. Logs are named as Keras names them: ``loss`` and, with
several outputs, ``<output>_loss`` and ``<output>_<metric>``.
"""

import numpy as np

from layerkit import distribution
from layerkit import losses as losses_module
from layerkit import metrics as metrics_module
from layerkit.models.sample_weights import weights_for_output

_OBJECT = "__layerkit_object__"


def _serialize_structure(value, module):
    """Names stay names; objects become their configs; lists and dicts recurse."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_structure(v, module) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_structure(v, module) for k, v in value.items()}
    return {_OBJECT: module.serialize(value)}


def _deserialize_structure(value, module):
    if isinstance(value, list):
        return [_deserialize_structure(v, module) for v in value]
    if isinstance(value, dict):
        if _OBJECT in value:
            return module.deserialize(value[_OBJECT])
        return {k: _deserialize_structure(v, module) for k, v in value.items()}
    return value


def serialize_compile_args(args):
    """``compile``'s loss and metric arguments as plain values (objects as their configs)."""
    return {"loss": _serialize_structure(args["loss"], losses_module),
            "loss_weights": args["loss_weights"],
            "metrics": _serialize_structure(args["metrics"], metrics_module),
            "weighted_metrics": _serialize_structure(args["weighted_metrics"], metrics_module)}


def deserialize_compile_args(config):
    """Inverse of :func:`serialize_compile_args` (keyword arguments for ``compile``)."""
    return {"loss": _deserialize_structure(config["loss"], losses_module),
            "loss_weights": config["loss_weights"],
            "metrics": _deserialize_structure(config["metrics"], metrics_module),
            "weighted_metrics": _deserialize_structure(config["weighted_metrics"], metrics_module)}


def per_output(spec, names, convert, argument, default=None):
    """One entry per output from a single value, a list, or a dict by output name."""
    def checked(item):
        try:
            return convert(item)
        except (TypeError, ValueError) as error:
            if argument == "loss" or "Valid names" in str(error):
                raise
            raise type(error)(f"Invalid entry in `{argument}`: {item!r} ({error}).") from None

    if spec is None:
        return [default] * len(names)
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ValueError(f"`{argument}` names outputs {unknown}, but the model's outputs are "
                             f"{names}.")
        return [checked(spec[name]) if spec.get(name) is not None else default for name in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(names):
            raise ValueError(f"`{argument}` must have one entry per output ({len(names)}: "
                             f"{names}). Received {len(spec)} entries.")
        return [default if item is None else checked(item) for item in spec]
    return [checked(spec)] * len(names)


class CompiledLoss:
    """The per-output losses and weights; their weighted sum is what training minimises.

    Which outputs take their gradient at the pre-activation Z (the fused sigmoid + BCE
    and softmax + CE pairs) is decided once per model structure by :meth:`plan`, not
    rediscovered at every step.
    """

    def __init__(self, loss, loss_weights, output_names):
        self.loss = loss
        self.output_names = list(output_names)
        self.losses = per_output(loss, self.output_names, losses_module.get, "loss")
        self.weights = per_output(loss_weights, self.output_names, float, "loss_weights", 1.0)
        self.output_layers, self.fused = [], []
        self.defined = any(loss is not None for loss in self.losses)  # some output has a loss

    def plan(self, model):
        """Decide, for each output, whether its loss fuses with its layer's activation.

        An output fuses when its layer names an activation the loss pairs with
        (``layer.output_activation()``, ``loss.fuses_with``) and nothing else reads the
        layer's output (``model.output_can_fuse``). Kept until the output layers change.
        """
        layers = model.output_layers
        if len(layers) == len(self.output_layers) and all(
                a is b for a, b in zip(layers, self.output_layers)):
            return
        self.output_layers = list(layers)
        self.fused = [loss is not None and layer.output_activation() is not None
                      and layer.activity_regularizer is None and model.output_can_fuse(index)
                      and loss.fuses_with(layer.output_activation())
                      for index, (loss, layer) in enumerate(zip(self.losses, layers))]

    def validate_targets(self, ys, output_shapes, dtype):
        """Each output's targets checked and standardized by its loss."""
        return [None if loss is None or y is None else loss.validate_targets(y, shape, dtype)
                for loss, y, shape in zip(self.losses, ys, output_shapes)]

    def value_and_gradients(self, ys, y_preds, sample_weight):
        """``(total, per-output values, per-output gradients)`` after a training forward pass.

        A fused output's value comes from its layer's logits ``Z`` and its gradient is
        the gradient at Z, ``(A - Y) / N``; the others' is the gradient at the output.
        The total weighs each output's loss by its ``loss_weights`` entry; the values
        are unweighted (Keras logs ``<output>_loss`` so).
        """
        total, values, grads = 0.0, [], []
        for index, (loss, weight, fused, layer, y, y_pred) in enumerate(zip(
                self.losses, self.weights, self.fused, self.output_layers, ys, y_preds)):
            if loss is None:
                values.append(None), grads.append(None)
                continue
            weight_of = _sample_weight_for(sample_weight, index, y_pred)
            if fused:
                value, grad = loss.logits_value_and_gradient(y, layer.Z, y_pred, weight_of)
            else:
                value, grad = loss.value_and_gradient(y, y_pred, weight_of)
            if weight != 1.0:
                grad = grad * weight
            total += float(value) * weight
            values.append(float(value)), grads.append(grad)
        return total, values, grads

    def values(self, ys, y_preds, sample_weight, from_logits=True):
        """``(total, per-output values)``: the loss alone, as evaluation needs it.

        ``from_logits=False`` scores predictions given as they are (no layer's Z). As
        in :meth:`value_and_gradients`, only the total is weighted.
        """
        total, values = 0.0, []
        fused_outputs = self.fused if from_logits else [False] * len(self.losses)
        layers = self.output_layers if from_logits else [None] * len(self.losses)
        for index, (loss, weight, fused, layer, y, y_pred) in enumerate(zip(
                self.losses, self.weights, fused_outputs, layers, ys, y_preds)):
            if loss is None:
                values.append(None)
                continue
            weight_of = _sample_weight_for(sample_weight, index, y_pred)
            value = (loss.logits_value(y, layer.Z, weight_of) if fused
                     else loss.value(y, y_pred, weight_of))
            total += float(value) * weight
            values.append(float(value))
        return total, values


def _sample_weight_for(sample_weight, index, y_pred):
    """The sample weights of output ``index`` (:func:`weights_for_output`), shaped for its
    loss: per-sample weights (N,) become (N, 1, ...) to weigh every value of a sample of a
    sequence output (N, T, ..., units) alike; per-timestep weights (N, T) stay as they are."""
    if sample_weight is None:
        return None
    sample_weight = weights_for_output(sample_weight, index)
    if sample_weight is None or np.ndim(y_pred) <= 2 or np.ndim(sample_weight) > 1:
        return sample_weight
    return sample_weight.reshape((-1,) + (1,) * (np.ndim(y_pred) - 2))


def _metric_specs(metrics, names, argument):
    """Per-output lists of metric identifiers, checked now (unknown names fail at compile)."""
    if metrics is None:
        specs = [[] for _ in names]
    elif isinstance(metrics, dict):
        specs = per_output(metrics, names, lambda m: m if isinstance(m, (list, tuple)) else [m],
                           argument, [])
    elif isinstance(metrics, (list, tuple)) and len(names) > 1 and metrics and all(
            isinstance(m, (list, tuple)) or m is None for m in metrics):
        specs = per_output(list(metrics), names, list, argument, [])
    else:
        items = list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
        specs = [list(items) for _ in names]
    for items in specs:
        for metric in items:
            if isinstance(metric, str) and metric.lower() not in ("accuracy", "acc"):
                metrics_module.get(metric)
            elif not isinstance(metric, (str, metrics_module.Metric)) and not callable(metric):
                raise TypeError(f"Could not interpret `{argument}` entry {metric!r}.")
    return specs


class CompiledMetrics:
    """The loss trackers and the compiled metrics, built at the first batch (shapes known)."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        self.specs = _metric_specs(metrics, self.output_names, "metrics")
        self.weighted_specs = _metric_specs(weighted_metrics, self.output_names,
                                            "weighted_metrics")
        self.loss_tracker = metrics_module.Mean(name="loss")
        several = len(self.output_names) > 1
        self.output_trackers = [metrics_module.Mean(name=f"{name}_loss")
                                for name in self.output_names] if several else []
        self.per_output = None
        self._needs_arrays = any(self.specs) or any(self.weighted_specs)  # else losses only
        self.metrics = [self.loss_tracker, *self.output_trackers]  # then the built metrics

    def build(self, ys, y_preds):
        prefix = len(self.output_names) > 1
        self.per_output = []
        for name, plain, weighted, y, y_pred in zip(self.output_names, self.specs,
                                                    self.weighted_specs, ys, y_preds):
            shapes = (np.shape(y), np.shape(y_pred))
            group = [(metrics_module.get(m, *shapes), False) for m in plain]
            taken = {metric.name for metric, _ in group}
            for spec in weighted:
                metric = metrics_module.get(spec, *shapes)
                if metric.name in taken:
                    metric.name = "weighted_" + metric.name
                group.append((metric, True))
            if prefix:
                for metric, _ in group:
                    metric.name = f"{name}_{metric.name}"
            self.per_output.append(group)
        self.metrics = [self.loss_tracker, *self.output_trackers,
                        *(metric for group in self.per_output for metric, _ in group)]

    def update(self, total, values, ys, y_preds, sample_weight, batch_size):
        # Across processes: the loss values, targets and outputs of the global batch.
        total, values, ys, y_preds, sample_weight, batch_size = distribution.active().global_batch(
            total, values, ys, y_preds, sample_weight, batch_size, arrays=self._needs_arrays)
        if self.per_output is None:
            self.build(ys, y_preds)
        self.loss_tracker.update_state(total, sample_weight=batch_size)
        for tracker, value in zip(self.output_trackers, values):
            if value is not None:
                tracker.update_state(value, sample_weight=batch_size)
        if not self._needs_arrays:  # the losses are all there is to track
            return
        for index, (group, y, y_pred) in enumerate(zip(self.per_output, ys, y_preds)):
            own = weights_for_output(sample_weight, index) if group else None
            for metric, weighted in group:
                metric.update_state(y, y_pred, sample_weight=own if weighted else None)

    def reset(self):
        for metric in self.metrics:
            metric.reset_state()

    def result(self):
        """``{"loss": ..., name: ...}``: Python floats, or lists of them for metrics with one
        value per threshold or class (the loss once it has been seen)."""
        return {m.name: _plain(m.result()) for m in self.metrics
                if not isinstance(m, metrics_module.Mean) or type(m) is not metrics_module.Mean
                or m.count}


def _plain(value):
    if type(value) is np.ndarray and value.ndim == 0 and value.dtype.kind == "f":
        return float(value)  # the usual result: one number
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value.tolist()
