"""Models and objects in Keras 3's serialized form: ``to_json``, ``model_from_json``, and the rest.

Keras 3 describes an object as ``{"module", "class_name", "config", "registered_name"}``
and a model as such an entry whose config lists its layers, with ``build_config`` and,
once compiled, ``compile_config`` (``keras/src/saving/serialization_lib.py``). This
module turns a layerkit model into that form (``model.to_json()``, the ``config.json``
of a ``.keras`` archive) and builds a layerkit model from it, whether Keras or layerkit
wrote it. Reading never runs code: classes are looked up by name among layerkit's
built-ins and the registered objects, and entries naming other code are refused
(see :class:`~layerkit.saving.keras_objects.KerasReader`).
"""

import json

import numpy as np

from layerkit import (
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    registry,
    regularizers,
)
from layerkit.initializers import Initializer
from layerkit.layers.layer import Layer
from layerkit.losses import Loss
from layerkit.metrics import Metric
from layerkit.optimizers import Optimizer
from layerkit.optimizers.schedules import LearningRateSchedule
from layerkit.saving.keras_compile import compile_from_keras
from layerkit.saving.keras_models import entry_from_keras, entry_to_keras
from layerkit.saving.keras_objects import (
    CONFIG_ERRORS,
    KerasReader,
    explain,
    function_to_keras,
    object_to_keras,
)

# (base class, kind, layerkit module) of the objects serialize/deserialize_keras_object know
KINDS = ((Optimizer, "optimizer", optimizers), (LearningRateSchedule, "schedule",
                                                 optimizers.schedules),
          (Loss, "loss", losses), (Metric, "metric", metrics),
          (Initializer, "initializer", initializers),
          (regularizers.Regularizer, "regularizer", regularizers),
          (constraints.Constraint, "constraint", constraints))


def _plain(value):
    """Tuples as lists, NumPy scalars as Python numbers, arrays as Keras's ``__numpy__`` entry."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray) and value.ndim:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(),
                                                      "dtype": value.dtype.name}}
    if isinstance(value, (np.generic, np.ndarray)):
        return value.item()
    return value


def serialize_keras_object(obj):
    """``obj`` in Keras 3's serialized form (as ``keras.saving.serialize_keras_object``).

    A model's entry holds its ``build_config`` and, once compiled, its
    ``compile_config``; plain values, lists and dicts are serialized item by item.

    Raises
    ------
    TypeError
        For an object layerkit cannot describe (not a layer, model, optimizer, schedule,
        loss, metric, initializer, regularizer, constraint or function).

    Example
    -------
    >>> from layerkit import initializers
    >>> serialize_keras_object(initializers.Constant(0.5))
    {'module': 'keras.initializers', 'class_name': 'Constant', 'config': {'value': 0.5}, \
'registered_name': None}
    """
    if obj is None or isinstance(obj, (str, bool, int, float, np.generic, np.ndarray)):
        return _plain(obj)
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(item) for key, item in obj.items()}
    if isinstance(obj, Layer):
        return _plain(entry_to_keras(obj))
    for base, kind, module in KINDS:
        if isinstance(obj, base):
            return _plain(object_to_keras(module.serialize(obj), kind))
    if callable(obj) and hasattr(obj, "__name__"):
        return function_to_keras(registry.get_registered_name(obj))
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: layerkit describes "
                    "layers, models, optimizers, schedules, losses, metrics, initializers, "
                    "regularizers, constraints and functions.")


def model_from_keras(config, custom_objects=None, safe_mode=True, compile=True, where="config"):
    """Build the model a Keras-form config describes, compiled if it says so and ``compile``.

    Parameters
    ----------
    config : dict
        A model entry (``config.json``, ``model.to_json()``), from Keras or layerkit.
    custom_objects : dict, optional
    safe_mode : bool
    compile : bool
        Compile from the entry's ``compile_config`` (when it has one).
    where : str
        Names the source in error messages.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        For anything malformed, unknown or refused; the message names ``where`` and the part.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> entry = serialize_keras_object(Sequential([layers.Input((2,)), layers.Dense(1, name="d")]))
    >>> model_from_keras(entry).get_layer("d").kernel.shape
    (2, 1)
    """
    reader = KerasReader(custom_objects, safe_mode)
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected a model entry (a JSON object); found "
                         f"{type(config).__name__}.")
    with registry.custom_object_scope(custom_objects):
        try:
            serialized = entry_from_keras(config, reader, where)
            training = config.get("compile_config") if compile else None
            if training:
                training = compile_from_keras(training, reader, f"{where}.compile_config")
        except RecursionError:
            raise ValueError(f"{where}: nested too deeply to be a model config.") from None
        if "layers" not in serialized["config"]:
            raise ValueError(f"{where}: describes a {serialized['class_name']!r} layer, not a "
                             "model.")
        model = build_or_explain(lambda: layers.deserialize(serialized, custom_objects), where)
        if training:
            build_or_explain(lambda: model.compile_from_config(training), f"{where}.compile_config")
    return model


def to_json(model, **kwargs):
    """``model``'s Keras-form entry as a JSON string (``model.to_json(**kwargs)``).

    Parameters
    ----------
    model : Model
    **kwargs
        Passed to ``json.dumps`` (``indent``...).

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> text = to_json(Sequential([layers.Input((2,)), layers.Dense(1)]))
    >>> json.loads(text)["class_name"]
    'Sequential'
    """
    return json.dumps(serialize_keras_object(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """The model a JSON config describes (``model.to_json()``, Keras's ``model.to_json()``).

    As in Keras, a config holding a ``compile_config`` gives a compiled model (with a
    fresh optimizer); the weights are new. Entries naming code are refused (safe mode).

    Parameters
    ----------
    json_string : str
    custom_objects : dict, optional
        ``{name: class or function}`` for custom layers, losses, activations...

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        For text that is not JSON, or a config that is malformed, unknown or refused.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((2,)), layers.Dense(3, name="d")])
    >>> model_from_json(model.to_json()).get_layer("d").kernel.shape
    (2, 3)
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError, RecursionError) as error:
        raise ValueError(f"model_from_json: the text is not valid JSON "
                         f"({type(error).__name__}: {error}).") from None
    return model_from_keras(config, custom_objects, where="model_from_json")


def build_or_explain(make, where):
    """``make()``, its errors turned into a ValueError naming ``where``."""
    try:
        return make()
    except CONFIG_ERRORS as error:
        raise ValueError(f"{where}: invalid: {explain(error)}") from None
