"""``deserialize_keras_object``: any object from its Keras 3 entry, as Keras's ``serialization_lib``.

The object's kind comes from the entry's module (``keras.losses``, ``keras.src.backend.
torch.optimizers.torch_adam``, ``layerkit.initializers``...) or, for a registered class,
from the class itself; the layerkit module of that kind then rebuilds it from the checked
entry. Model entries go through :func:`~layerkit.saving.keras_config.model_from_keras`.
"""

import inspect

from layerkit import activations, layers, losses, metrics, registry
from layerkit.saving.keras_config import KINDS, build_or_explain, model_from_keras
from layerkit.saving.keras_models import entry_from_keras
from layerkit.saving.keras_objects import KerasReader


def deserialize_keras_object(config, custom_objects=None, safe_mode=True):
    """The layerkit object a Keras-form entry describes (as ``keras.saving.deserialize_keras_object``).

    Models (compiled when the entry says so), layers, optimizers, schedules, losses,
    metrics, initializers, regularizers and constraints are rebuilt; a function entry
    gives the registered function or layerkit's built-in of that name; plain values,
    lists and dicts are read item by item.

    Raises
    ------
    ValueError
        For an entry that is malformed, unknown or refused (see ``safe_mode``).

    Example
    -------
    >>> deserialize_keras_object({"module": "keras.losses", "class_name": "MeanSquaredError",
    ...                           "config": {}, "registered_name": None}).name
    'mean_squared_error'
    """
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects, safe_mode) for item in config]
    if not isinstance(config, dict):
        return config
    if "class_name" not in config:
        return {key: deserialize_keras_object(item, custom_objects, safe_mode)
                for key, item in config.items()}
    reader = KerasReader(custom_objects, safe_mode)
    if config.get("class_name") == "function":
        return _function(reader.function(config, "function"), custom_objects)
    kind = _kind(config, reader, custom_objects)
    if kind is None:
        inner = config.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
            return model_from_keras(config, custom_objects, safe_mode)
        serialized = entry_from_keras(config, reader, "config")
        with registry.custom_object_scope(custom_objects):
            return build_or_explain(lambda: layers.deserialize(serialized, custom_objects), "config")
    owner = next(module for _, name, module in KINDS if name == kind)
    serialized = reader.object(config, "config")
    with registry.custom_object_scope(custom_objects):
        return build_or_explain(lambda: owner.deserialize(serialized, custom_objects), "config")


def _kind(config, reader, custom_objects):
    """The kind of object an entry describes (None: a layer or model), by module or class."""
    found = registry.get_registered_object(reader.class_name(config, "config"), custom_objects)
    if isinstance(found, type):
        return next((kind for base, kind, _ in KINDS if issubclass(found, base)), None)
    parts = str(config.get("module") or "").split(".")
    if "schedules" in parts:
        return "schedule"
    return next((kind for _, kind, module in KINDS
                 if module.__name__.split(".")[-1] in parts), None)


def _function(name, custom_objects):
    """A function named in a file: a registered one, or a layerkit built-in of that name."""
    found = registry.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    for module in (activations, losses, metrics):
        candidate = getattr(module, name, None) if name in module.__all__ else None
        if inspect.isfunction(candidate):
            return candidate
    raise ValueError(f"Unknown function {name!r}: neither registered nor a layerkit activation, "
                     "loss or metric function.")
