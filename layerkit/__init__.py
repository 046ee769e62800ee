"""layerkit: a Keras-like deep-learning framework on NumPy whose layers own their backprop.

Example
-------
>>> import layerkit
>>> from layerkit import layers
>>> model = layerkit.Sequential([layers.Input((2,)), layers.Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
"""

from layerkit import (
    activations,
    backend,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    saving,
    utils,
)
from layerkit.layers import Input
from layerkit.models import Model, Sequential

__version__ = "0.1.0"

__all__ = ["Input", "Model", "Sequential", "activations", "backend", "callbacks",
           "initializers", "layers", "losses", "metrics", "models", "optimizers", "saving",
           "utils", "__version__"]
