"""Optimizers: Keras 3's set by class or name (``"sgd"``, ``"rmsprop"``...), and the protocol they share.

``SGD``, ``RMSprop``, ``Adam``, ``AdamW``, ``Adadelta``, ``Adagrad``, ``Adamax``,
``Adafactor``, ``Nadam``, ``Ftrl``, ``Lion`` and ``Muon``; names are matched without
regard to case, as in Keras (``"adamw"``, ``"AdamW"``).
"""

from layerkit import registry
from layerkit.optimizers import schedules
from layerkit.optimizers.adadelta import Adadelta
from layerkit.optimizers.adafactor import Adafactor
from layerkit.optimizers.adagrad import Adagrad
from layerkit.optimizers.adam import Adam
from layerkit.optimizers.adamax import Adamax
from layerkit.optimizers.adamw import AdamW
from layerkit.optimizers.ftrl import Ftrl
from layerkit.optimizers.lion import Lion
from layerkit.optimizers.muon import Muon
from layerkit.optimizers.nadam import Nadam
from layerkit.optimizers.optimizer import Optimizer
from layerkit.optimizers.rmsprop import RMSprop
from layerkit.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax",
           "Adafactor", "Nadam", "Ftrl", "Lion", "Muon", "schedules", "get", "serialize",
           "deserialize"]

_CLASSES = (SGD, RMSprop, Adam, AdamW, Adadelta, Adagrad, Adamax, Adafactor, Nadam, Ftrl, Lion, Muon)
_OPTIMIZERS = {**{cls.__name__: cls for cls in _CLASSES},
               **{cls.__name__.lower(): cls for cls in _CLASSES}}

# Keras 3 names that layerkit does not provide, and why.
_REFUSED = {
    "lossscaleoptimizer": "layerkit trains in float32/float64, where the loss needs no dynamic "
                          "scaling; an optimizer's `loss_scale_factor` argument gives a fixed one",
    "multioptimizer": "a layerkit model has one optimizer",
    "optimizermap": "a layerkit model has one optimizer",
    "schedulefreeadamw": "it is not implemented in layerkit",
}


def _builtin_name(name):
    """Keras's rule: a built-in name is matched without regard to case."""
    if not isinstance(name, str):
        raise TypeError(f"Could not interpret optimizer identifier: {name!r}")
    if name.lower() in _REFUSED:
        raise ValueError(f"Keras's optimizer {name!r} is not available: {_REFUSED[name.lower()]}. "
                         f"Valid names are {sorted(k for k in _OPTIMIZERS if k.islower())}.")
    return name.lower() if name.lower() in _OPTIMIZERS else name


def get(identifier):
    """Return an optimizer from a name, class, instance or config dict.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid names), or a Keras name
        layerkit refuses (the message says why).

    Example
    -------
    >>> get("sgd").learning_rate, type(get("RMSprop")).__name__
    (0.01, 'RMSprop')
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return registry.deserialize(_builtin_name(identifier), _OPTIMIZERS, "optimizer")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}`` for an optimizer.

    Example
    -------
    >>> config = serialize(SGD(learning_rate=0.1))
    >>> config["class_name"], config["config"]["learning_rate"]
    ('SGD', 0.1)
    """
    return registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (the class name is matched without regard to case).

    Raises
    ------
    ValueError
        For an unknown or refused class name.

    Example
    -------
    >>> optimizer = deserialize({"class_name": "adam", "config": {"learning_rate": 0.01}})
    >>> type(optimizer).__name__, float(optimizer.learning_rate)
    ('Adam', 0.01)
    """
    if isinstance(config, dict) and "class_name" in config:
        config = {**config, "class_name": _builtin_name(config["class_name"])}
    return registry.deserialize(config, _OPTIMIZERS, "optimizer", custom_objects)
