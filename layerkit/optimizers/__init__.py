"""Optimizers: ``SGD`` (``"sgd"``) and ``Adam`` (``"adam"``), and the protocol they share."""

from layerkit import registry
from layerkit.optimizers import schedules
from layerkit.optimizers.adam import Adam
from layerkit.optimizers.optimizer import Optimizer
from layerkit.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "schedules", "get", "serialize", "deserialize"]

_OPTIMIZERS = {"SGD": SGD, "sgd": SGD, "Adam": Adam, "adam": Adam}


def get(identifier):
    """Return an optimizer from a name, class, instance or config dict.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.

    Example
    -------
    >>> get("sgd").learning_rate
    0.01
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return registry.deserialize(identifier, _OPTIMIZERS, "optimizer")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}`` for an optimizer."""
    return registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`."""
    return registry.deserialize(config, _OPTIMIZERS, "optimizer", custom_objects)
