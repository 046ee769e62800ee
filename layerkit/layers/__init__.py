"""Layers: each owns its weights, its forward pass and its backward pass."""

from layerkit import registry
from layerkit.layers.activation import Activation
from layerkit.layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax
from layerkit.layers.activity_regularization import ActivityRegularization
from layerkit.layers.batch_normalization import BatchNormalization
from layerkit.layers.category_encoding import CategoryEncoding
from layerkit.layers.dense import Dense
from layerkit.layers.discretization import Discretization
from layerkit.layers.dot import Dot
from layerkit.layers.dropout import Dropout, SpatialDropout1D
from layerkit.layers.embedding import Embedding
from layerkit.layers.flatten import Flatten
from layerkit.layers.input import Input, InputLayer
from layerkit.layers.keras_tensor import KerasTensor, Node
from layerkit.layers.lambda_layer import Lambda
from layerkit.layers.layer import Layer
from layerkit.layers.layer_normalization import LayerNormalization
from layerkit.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from layerkit.layers.merge_functions import (
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from layerkit.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from layerkit.layers.normalization import Normalization
from layerkit.layers.prelu import PReLU
from layerkit.layers.random_layer import hold_noise
from layerkit.layers.rescaling import Rescaling
from layerkit.layers.reshape import Identity, Permute, RepeatVector, Reshape
from layerkit.layers.unit_normalization import UnitNormalization

__all__ = ["Layer", "Input", "InputLayer", "KerasTensor", "Node", "Dense", "Activation", "Flatten",
           "Lambda", "Add", "Subtract", "Multiply", "Average", "Concatenate", "Maximum", "Minimum", "Dot",
           "add", "subtract", "multiply", "average", "concatenate", "maximum", "minimum", "dot",
           "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
           "ActivityRegularization", "hold_noise",
           "BatchNormalization", "LayerNormalization", "UnitNormalization", "Normalization",
           "Rescaling", "Reshape", "Permute", "RepeatVector", "Identity",
           "Embedding", "CategoryEncoding", "Discretization",
           "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
           "serialize", "deserialize"]

_LAYERS = {cls.__name__: cls for cls in (
    InputLayer, Dense, Activation, Flatten, Lambda, Add, Subtract, Multiply, Average, Concatenate,
    Maximum, Minimum, Dot, Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout,
    ActivityRegularization, BatchNormalization, LayerNormalization, UnitNormalization,
    Normalization, Rescaling, Reshape, Permute, RepeatVector, Identity, Embedding,
    CategoryEncoding, Discretization, ReLU, LeakyReLU, PReLU, ELU, Softmax)}


def serialize(layer):
    """``{"class_name": ..., "config": ...}`` for a layer.

    Example
    -------
    >>> serialize(Dense(2, name="out"))["config"]["units"]
    2
    """
    return registry.serialize(layer)


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s output (classes by name only; no code runs).

    Raises
    ------
    ValueError
        For a class name that is neither built in nor registered.

    Example
    -------
    >>> restored = deserialize(serialize(Dense(3, activation="relu")))
    >>> type(restored).__name__, restored.units
    ('Dense', 3)
    """
    return registry.deserialize(config, _LAYERS, "layer", custom_objects)


def register_layer_class(cls):
    """Make a built-in layer class known to :func:`deserialize` (used by models)."""
    _LAYERS[cls.__name__] = cls
    return cls
