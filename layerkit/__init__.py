"""layerkit: a Keras-like deep-learning framework on NumPy whose layers own their backprop.

Example
-------
>>> import layerkit
>>> from layerkit import layers
>>> model = layerkit.Sequential([layers.Input((2,)), layers.Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
"""

import importlib

from layerkit import (
    activations,
    backend,
    blas,
    callbacks,
    constraints,
    datasets,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
from layerkit.layers import Input
from layerkit.models import Model, Sequential
from layerkit.version import __version__

__all__ = ["Input", "Model", "Sequential", "activations", "backend", "blas", "callbacks",
           "constraints", "datasets", "distribution", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "plotting", "random", "regularizers",
           "saving", "utils", "__version__"]


def __getattr__(name):
    """``layerkit.plotting`` is imported on first use: matplotlib is slow to import."""
    if name == "plotting":
        return importlib.import_module("layerkit.plotting")
    raise AttributeError(f"module 'layerkit' has no attribute {name!r}")
