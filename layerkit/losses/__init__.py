"""Losses: a value (the batch mean) and its gradient with respect to the prediction.

By name (``"mse"``, ``"binary_crossentropy"``...), class or instance, as in Keras.
"""

from layerkit import registry
from layerkit.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from layerkit.losses.loss import Loss, LossFunctionWrapper
from layerkit.losses.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    mean_absolute_error,
    mean_squared_error,
)

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "get", "serialize",
    "deserialize",
]

FUNCTIONS = {f.__name__: f for f in (mean_squared_error, mean_absolute_error, binary_crossentropy,
                                     categorical_crossentropy, sparse_categorical_crossentropy)}

_CLASSES = (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, LossFunctionWrapper)
_LOSSES = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(identifier):
    """Return a :class:`Loss` from a name, class, instance, config dict or function.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.

    Example
    -------
    >>> type(get("mse")).__name__
    'MeanSquaredError'
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        found = registry.deserialize(identifier, {**_BY_NAME, **_LOSSES}, "loss")
        return get(found() if isinstance(found, type) else found)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    """``{"class_name": ..., "config": ...}`` for a loss."""
    return registry.serialize(loss)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`."""
    return registry.deserialize(config, _LOSSES, "loss", custom_objects)
