"""Losses: a value (the batch mean) and its gradient with respect to the prediction.

By name (``"mse"``, ``"huber"``, ``"kld"``...), class, instance or function, as in
Keras; a name of a Keras function (``"huber"``) gives its class (``Huber()``), so
that it trains with its own gradient. The families live in their own modules:
:mod:`.regression`, :mod:`.robust`, :mod:`.similarity`, :mod:`.probabilistic`,
:mod:`.crossentropy`, :mod:`.sparse_crossentropy`, :mod:`.focal`, :mod:`.hinge`, :mod:`.overlap`; the
reduction and the sample weights in :mod:`.loss` and :mod:`.reduction`.
"""

from layerkit import registry
from layerkit.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
)
from layerkit.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from layerkit.losses.function_wrapper import FUNCTIONS, LossFunctionWrapper
from layerkit.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from layerkit.losses.loss import Loss
from layerkit.losses.overlap import Dice, Tversky, dice, tversky
from layerkit.losses.probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from layerkit.losses.regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from layerkit.losses.robust import Huber, LogCosh, huber, log_cosh
from layerkit.losses.similarity import CosineSimilarity, cosine_similarity
from layerkit.losses.sparse_crossentropy import SparseCategoricalCrossentropy, sparse_categorical_crossentropy
from layerkit.losses.unsupported import CTC, Circle, circle, ctc

__all__ = [
    "Loss", "LossFunctionWrapper",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh", "CosineSimilarity",
    "KLDivergence", "Poisson", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
    "Hinge", "SquaredHinge", "CategoricalHinge", "Dice", "Tversky", "CTC", "Circle",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "cosine_similarity", "kl_divergence",
    "poisson", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "dice",
    "tversky", "ctc", "circle", "get", "serialize", "deserialize",
]

#: Each built-in function form and the class that computes it (and its gradient).
_FUNCTION_CLASSES = {
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    huber: Huber,
    log_cosh: LogCosh,
    cosine_similarity: CosineSimilarity,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    dice: Dice,
    tversky: Tversky,
    ctc: CTC,
    circle: Circle,
}
FUNCTIONS.update({f.__name__: f for f in _FUNCTION_CLASSES})

_CLASSES = (LossFunctionWrapper, *dict.fromkeys(_FUNCTION_CLASSES.values()))
_LOSSES = {cls.__name__: cls for cls in _CLASSES}
#: Every function by name: its own, Keras's aliases (keras/src/losses/__init__.py), and two
#: legacy ones Keras still exports.
_FUNCTIONS_BY_NAME = {
    **FUNCTIONS,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh,
}
_BY_NAME = {name: _FUNCTION_CLASSES[fn] for name, fn in _FUNCTIONS_BY_NAME.items()}


def get(identifier):
    """Return a :class:`Loss` from a name, class, instance, config dict or function.

    A built-in function (``layerkit.losses.huber``) gives its class with the
    default arguments; any other function is wrapped in a
    :class:`LossFunctionWrapper`. None gives None, as in Keras.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    NotImplementedError
        For a Keras loss layerkit does not implement (``"ctc"``, ``"circle"``).

    Example
    -------
    >>> type(get("mse")).__name__, type(get("kld")).__name__, type(get(huber)).__name__
    ('MeanSquaredError', 'KLDivergence', 'Huber')
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        found = registry.deserialize(identifier, {**_BY_NAME, **_LOSSES}, "loss")
        return get(found() if isinstance(found, type) else found)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        cls = next((c for fn, c in _FUNCTION_CLASSES.items() if fn is identifier), None)
        return LossFunctionWrapper(identifier) if cls is None else cls()
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    """``{"class_name": ..., "config": ...}`` for a loss.

    Example
    -------
    >>> serialize(MeanSquaredError())["class_name"]
    'MeanSquaredError'
    """
    return registry.serialize(loss)


def deserialize(name, custom_objects=None):
    """Inverse of :func:`serialize`: a loss from its config dict or its name, as Keras's.

    Parameters
    ----------
    name : dict or str
        A config ``{"class_name": ..., "config": {...}}``, or a name: a class name gives
        an instance with the class's defaults (``"Huber"``), a function's name or Keras's
        alias of it gives the function (``"huber"``, ``"mse"``). None gives None.
    custom_objects : dict, optional
        ``{name: class or function}`` for custom losses.

    Returns
    -------
    Loss or callable

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.

    Example
    -------
    >>> type(deserialize(serialize(Huber(delta=2.0)))).__name__
    'Huber'
    >>> type(deserialize("Huber")).__name__, deserialize("mse") is mean_squared_error
    ('Huber', True)
    """
    if name is None:
        return None
    if isinstance(name, str):
        found = registry.deserialize(name, {**_FUNCTIONS_BY_NAME, **_LOSSES}, "loss",
                                     custom_objects)
        return found() if isinstance(found, type) else found
    return registry.deserialize(name, _LOSSES, "loss", custom_objects)
