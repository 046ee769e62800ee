"""Layers: each owns its weights, its forward pass and its backward pass."""

from layerkit import registry
from layerkit.layers.activation import Activation
from layerkit.layers.dense import Dense
from layerkit.layers.flatten import Flatten
from layerkit.layers.input import Input, InputLayer
from layerkit.layers.keras_tensor import KerasTensor, Node
from layerkit.layers.lambda_layer import Lambda
from layerkit.layers.layer import Layer
from layerkit.layers.merge import Add, Average, Concatenate, Multiply, Subtract

__all__ = ["Layer", "Input", "InputLayer", "KerasTensor", "Node", "Dense", "Activation", "Flatten",
           "Lambda",
           "Add", "Subtract", "Multiply", "Average", "Concatenate",
           "serialize", "deserialize"]

_LAYERS = {cls.__name__: cls for cls in (InputLayer, Dense, Activation, Flatten, Lambda, Add, Subtract,
                                         Multiply, Average, Concatenate)}


def serialize(layer):
    """``{"class_name": ..., "config": ...}`` for a layer."""
    return registry.serialize(layer)


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s output (classes by name only; no code runs).

    Raises
    ------
    ValueError
        For a class name that is neither built in nor registered.
    """
    return registry.deserialize(config, _LAYERS, "layer", custom_objects)


def register_layer_class(cls):
    """Make a built-in layer class known to :func:`deserialize` (used by models)."""
    _LAYERS[cls.__name__] = cls
    return cls
