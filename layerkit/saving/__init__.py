"""Saving: the registry of custom objects (weights and model files come with their issue)."""

from layerkit.registry import (
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = ["register_keras_serializable", "custom_object_scope", "get_registered_name",
           "get_registered_object"]
