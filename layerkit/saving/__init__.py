"""Saving and loading: Keras 3's ``.keras`` archives, weights in Keras's HDF5 layout, whole
models in HDF5, atomic writes, and Keras-form configs (``serialize_keras_object``).

Custom layers, losses and activations become loadable by registering them with
:func:`register_keras_serializable` (or passing ``custom_objects``).
"""

from layerkit.registry import (
    CustomObjectScope,
    custom_object_scope,
    enable_unsafe_deserialization,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from layerkit.saving.atomic import write_bytes_atomically, write_h5_atomically
from layerkit.saving.keras_config import model_from_json, serialize_keras_object
from layerkit.saving.keras_serialization import deserialize_keras_object
from layerkit.saving.model_file import load_model, load_weights, save_model
from layerkit.saving.weights_h5 import save_weights

__all__ = ["register_keras_serializable", "custom_object_scope", "CustomObjectScope",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "enable_unsafe_deserialization", "serialize_keras_object", "deserialize_keras_object",
           "model_from_json", "write_bytes_atomically", "write_h5_atomically", "save_weights",
           "load_weights", "save_model", "load_model"]
