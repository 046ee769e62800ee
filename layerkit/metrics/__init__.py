"""Metrics: stateful measures accumulated over the batches of an epoch, as in Keras 3.

A metric accumulates ``update_state(y_true, y_pred, sample_weight)`` batch by
batch and ``result()`` gives its value over everything seen since
``reset_state()``; the state is sums (of values, weights or confusion counts),
so the value after many batches is exactly the value over their union. Each
Keras metric is here under its Keras name, class and string (``"precision"``,
``"auc"``, ``"r2_score"``...), with its function form where Keras has one.

``"accuracy"`` is resolved from the shapes exactly as Keras 3 does: one output
unit means binary accuracy, integer labels (one rank fewer, or a last axis of 1
against several outputs) sparse categorical accuracy, otherwise categorical.
"""

import inspect

from layerkit import backend, registry
from layerkit.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
)
from layerkit.metrics.at_x import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from layerkit.metrics.auc import AUC
from layerkit.metrics.confusion import FalseNegatives, FalsePositives, TrueNegatives, TruePositives
from layerkit.metrics.correlation import (
    ConcordanceCorrelation,
    CosineSimilarity,
    PearsonCorrelation,
    concordance_correlation,
    cosine_similarity,
    pearson_correlation,
)
from layerkit.metrics.f_score import F1Score, FBetaScore
from layerkit.metrics.focal import binary_focal_crossentropy, categorical_focal_crossentropy
from layerkit.metrics.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from layerkit.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from layerkit.metrics.metric import Metric
from layerkit.metrics.precision_recall import Precision, Recall
from layerkit.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from layerkit.metrics.r2 import R2Score
from layerkit.metrics.reduction import FUNCTIONS, Mean, MeanMetricWrapper, Sum
from layerkit.metrics.regression import (
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from layerkit.metrics.top_k import (
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)

CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives,
    ConcordanceCorrelation, PearsonCorrelation,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)

#: Every name a metric class is known by: its class name, its snake-cased name
#: (``"auc"``, ``"mean_io_u"``...) and Keras's short aliases, as in Keras 3.
METRICS = {cls.__name__: cls for cls in CLASSES}
METRICS.update({backend.to_snake_case(cls.__name__): cls for cls in CLASSES})
METRICS.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError,
                "MSE": MeanSquaredError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
                "acc": Accuracy})

__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "F1Score",
    "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Metric", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "Poisson",
    "Precision", "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision", "RootMeanSquaredError",
    "SensitivityAtSpecificity", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity", "SquaredHinge", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives",
    "accuracy", "binary_accuracy", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_accuracy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_hinge", "concordance_correlation", "cosine_similarity", "hinge", "huber", "kl_divergence",
    "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "pearson_correlation", "poisson", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy", "FUNCTIONS", "METRICS", "get", "serialize", "deserialize",
]

_ACCURACY_NAMES = ("accuracy", "acc")


def _accuracy_for_shapes(name, y_true_shape, y_pred_shape):
    """Keras's pick for ``"accuracy"``: binary, sparse categorical or categorical."""
    if y_true_shape is None or y_pred_shape is None:
        raise ValueError(f"{name!r} needs the shapes of the targets and the predictions to choose "
                         "between binary, sparse categorical and categorical accuracy.")
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def _instantiate(cls, name=None):
    """``cls(name=name)``, or a clear error when the class needs arguments."""
    required = [p.name for p in inspect.signature(cls).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if required:
        raise ValueError(f"Metric {cls.__name__} needs the arguments {required}: pass an instance, "
                         f"e.g. {cls.__name__}({', '.join(f'{r}=...' for r in required)}).")
    return cls() if name is None else cls(name=name)


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """Return a :class:`Metric` from a name, class, instance, config dict or function.

    A string keeps its spelling as the metric's name (``get("mse").name ==
    "mse"``); ``"accuracy"``/``"acc"`` need the shapes of the targets and
    predictions to pick binary, sparse categorical or categorical accuracy. A
    function becomes a :class:`MeanMetricWrapper` named after it.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones), or a class
        that needs arguments given by name.
    TypeError
        For anything else that is not a metric.

    Example
    -------
    >>> type(get("accuracy", (8,), (8, 1))).__name__, get("auc").name
    ('BinaryAccuracy', 'auc')
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY_NAMES:
        return _accuracy_for_shapes(identifier, y_true_shape, y_pred_shape)
    if isinstance(identifier, str):
        found = registry.deserialize(identifier, METRICS, "metric")
        if isinstance(found, type) and issubclass(found, Metric):
            return _instantiate(found, name=identifier)
        return MeanMetricWrapper(found, name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return _instantiate(identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=backend.to_snake_case(
            getattr(identifier, "__name__", type(identifier).__name__)))
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")


def serialize(metric):
    """``{"class_name": ..., "config": ...}`` for a metric, a function's name for a function.

    Example
    -------
    >>> serialize(Precision(thresholds=0.7, name="p"))["config"]["thresholds"]
    0.7
    """
    return registry.serialize(metric)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`: a metric from its config (a class or function from a name).

    Raises
    ------
    ValueError
        For an unknown class name; the message lists the valid ones.

    Example
    -------
    >>> deserialize({"class_name": "AUC", "config": {"curve": "PR"}}).curve
    'PR'
    """
    return registry.deserialize(config, METRICS, "metric", custom_objects)
