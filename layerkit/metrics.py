"""Metrics: stateful averages over the batches of an epoch, as in Keras.

A metric accumulates ``update_state(y_true, y_pred)`` batch by batch and
``result()`` gives the mean over every sample seen since ``reset_state()``.
``"accuracy"`` is resolved from the shapes exactly as Keras 3 does: one output
unit means binary accuracy, integer labels (one rank fewer, or a last axis of 1
against several outputs) sparse categorical accuracy, otherwise categorical.
"""

import numpy as np

from layerkit import backend, registry
from layerkit.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)


def _match_rank(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    return y_true, y_pred


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-sample fraction of outputs on the right side of ``threshold``.

    Example
    -------
    >>> binary_accuracy(np.array([[1], [0]]), np.array([[0.7], [0.6]]))
    array([1., 0.])
    """
    y_true, y_pred = _match_rank(y_true, y_pred)
    return np.mean((y_pred > threshold) == (y_true > 0.5), axis=-1, dtype=np.float64)


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == argmax(y_true)``, per sample.

    Example
    -------
    >>> categorical_accuracy(np.array([[0, 1]]), np.array([[0.3, 0.7]]))
    array([1.])
    """
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred)`` equals the integer label, per sample.

    Example
    -------
    >>> sparse_categorical_accuracy(np.array([1, 0]), np.array([[0.3, 0.7], [0.4, 0.6]]))
    array([1., 0.])
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim:
        y_true = y_true[..., 0]
    return (y_true == np.argmax(y_pred, axis=-1)).astype(np.float64)


mae = mean_absolute_error
mse = mean_squared_error

_FUNCTIONS = {f.__name__: f for f in (binary_accuracy, categorical_accuracy,
                                      sparse_categorical_accuracy, mean_absolute_error,
                                      mean_squared_error, binary_crossentropy,
                                      categorical_crossentropy, sparse_categorical_crossentropy)}


class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state``, ``get_config``.

    Parameters
    ----------
    name : str, optional
    dtype : str, optional
        Dtype of the result; float64 by default (the running sums are float64,
        so an accuracy of 96 % reads 0.96, not 0.9599999785).
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.dtype = None if dtype is None else backend.standardize_dtype(dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate one batch."""
        raise NotImplementedError

    def result(self):
        """The metric's value over everything accumulated."""
        raise NotImplementedError

    def reset_state(self):
        """Forget everything accumulated."""
        raise NotImplementedError

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild a metric from :meth:`get_config`'s output."""
        return cls(**config)


class Mean(Metric):
    """The (weighted) mean of every value given to ``update_state``.

    Example
    -------
    >>> m = Mean(); m.update_state([1, 2]); m.update_state([3], sample_weight=[2])
    >>> float(m.result())
    2.25
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        if isinstance(values, float) and (sample_weight is None or isinstance(sample_weight, int)):
            weight = 1 if sample_weight is None else sample_weight  # the loss, once a step
            self.total += values * weight
            self.count += weight
            return
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
        else:
            weights = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), values.shape)
            self.total += float((values * weights).sum())
            self.count += float(weights.sum())

    def result(self):
        return np.asarray(self.total / self.count if self.count else 0.0,
                          dtype=self.dtype or np.float64)

    def reset_state(self):
        self.total, self.count = 0.0, 0.0


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example
    -------
    >>> m = MeanMetricWrapper(mse, name="mse")
    >>> m.update_state(np.array([[0.0]]), np.array([[2.0]])); float(m.result())
    4.0
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = registry.get_registered_name(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper:
            name = config.pop("fn")
            fn = registry.get_registered_object(name, module_objects=_FUNCTIONS)
            if fn is None:
                raise ValueError(f"Unknown metric function {name!r}: register it with "
                                 "`layerkit.saving.register_keras_serializable()`.")
            return cls(fn, **config)
        return cls(**config)


def _wrapper(fn, default_name, summary, **defaults):
    """A named MeanMetricWrapper class with Keras's constructor signature."""

    def __init__(self, name=default_name, dtype=None, **kwargs):
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**defaults, **kwargs})

    class_name = "".join(part.title() for part in default_name.split("_"))
    doc = f"{summary}\n\n    Example\n    -------\n    >>> {class_name}().name\n    {default_name!r}\n    "
    return type(class_name, (MeanMetricWrapper,),
                {"__init__": __init__, "__doc__": doc, "__module__": __name__})


BinaryAccuracy = _wrapper(binary_accuracy, "binary_accuracy",
                          "Share of outputs on the right side of ``threshold`` (0.5).",
                          threshold=0.5)
CategoricalAccuracy = _wrapper(categorical_accuracy, "categorical_accuracy",
                               "Share of samples whose argmax matches the one-hot target.")
SparseCategoricalAccuracy = _wrapper(sparse_categorical_accuracy, "sparse_categorical_accuracy",
                                     "Share of samples whose argmax equals the integer label.")
MeanAbsoluteError = _wrapper(mean_absolute_error, "mean_absolute_error",
                             "Mean of |y_pred - y_true|.")
MeanSquaredError = _wrapper(mean_squared_error, "mean_squared_error",
                            "Mean of (y_pred - y_true)².")
BinaryCrossentropy = _wrapper(binary_crossentropy, "binary_crossentropy",
                              "Mean binary cross-entropy.")
CategoricalCrossentropy = _wrapper(categorical_crossentropy, "categorical_crossentropy",
                                   "Mean categorical cross-entropy.")
SparseCategoricalCrossentropy = _wrapper(sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy",
                                         "Mean sparse categorical cross-entropy.")

_CLASSES = (Mean, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            MeanAbsoluteError, MeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy)
_METRICS = {cls.__name__: cls for cls in _CLASSES}
_METRICS.update({
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "accuracy": None, "acc": None,
})


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """Return a :class:`Metric` named after ``identifier`` (a string keeps its spelling).

    ``"accuracy"``/``"acc"`` need the shapes of the targets and predictions to
    pick binary, sparse categorical or categorical accuracy, as Keras does.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.

    Example
    -------
    >>> type(get("accuracy", (8,), (8, 1))).__name__
    'BinaryAccuracy'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        if y_pred_shape is None:
            raise ValueError("'accuracy' needs the shapes of the targets and the predictions.")
        is_binary = y_pred_shape[-1] == 1
        is_sparse = len(y_true_shape) < len(y_pred_shape) or (
            y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
        cls = BinaryAccuracy if is_binary else (
            SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy)
        return cls(name=identifier)
    if isinstance(identifier, str):
        found = registry.deserialize(identifier, _METRICS, "metric")
        metric = found(name=identifier) if isinstance(found, type) else MeanMetricWrapper(
            found, name=identifier)
        return metric
    if isinstance(identifier, dict):
        return registry.deserialize(identifier, _METRICS, "metric")
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")


def serialize(metric):
    """``{"class_name": ..., "config": ...}`` for a metric."""
    return registry.serialize(metric)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`."""
    return registry.deserialize(config, {k: v for k, v in _METRICS.items() if v}, "metric",
                                custom_objects)
