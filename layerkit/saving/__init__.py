"""Saving and loading: weights in Keras's HDF5 layout, whole models, atomic writes.

Custom layers, losses and activations become loadable by registering them with
:func:`register_keras_serializable` (or passing ``custom_objects``).
"""

from layerkit.registry import (
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from layerkit.saving.atomic import write_bytes_atomically, write_h5_atomically
from layerkit.saving.model_file import load_model, save_model
from layerkit.saving.weights_h5 import load_weights, save_weights

__all__ = ["register_keras_serializable", "custom_object_scope", "get_registered_name",
           "get_registered_object", "write_bytes_atomically", "write_h5_atomically",
           "save_weights", "load_weights", "save_model", "load_model"]
