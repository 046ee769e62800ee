"""A model's compile config in Keras 3's form, and back.

Keras's ``get_compile_config`` holds the optimizer as a Keras object entry, each loss
and metric as a name, a Keras object entry or a function entry (in lists or dicts, one
per output), the loss weights, and three engine switches layerkit accepts and ignores
(``run_eagerly``, ``steps_per_execution``, ``jit_compile``). layerkit's
``Model.get_compile_config`` wraps each object in a loss or metric structure as
``{"__layerkit_object__": serialized}``; ``Model.compile_from_config`` reads that form.
"""

from layerkit import optimizers
from layerkit.saving.keras_objects import function_to_keras, object_to_keras

OBJECT = "__layerkit_object__"  # the wrapper of an object in layerkit's compile config
_KERAS_DEFAULTS = {"run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
_STRUCTURES = (("loss", "loss"), ("metrics", "metric"), ("weighted_metrics", "metric"))
_IGNORED = ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


def compile_to_keras(model):
    """``model.get_compile_config()`` in Keras's form (None for a model not compiled).

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> config = compile_to_keras(model)
    >>> config["optimizer"]["module"], config["optimizer"]["class_name"], config["loss"]
    ('keras.optimizers', 'Adam', 'mse')
    """
    config = model.get_compile_config()
    if config is None:
        return None
    result = {"optimizer": object_to_keras(optimizers.serialize(model.optimizer), "optimizer")}
    for key, kind in _STRUCTURES:
        result[key] = _structure_to_keras(config[key], kind)
    result["loss_weights"] = config["loss_weights"]
    return {**result, **_KERAS_DEFAULTS}


def _structure_to_keras(value, kind):
    if isinstance(value, list):
        return [_structure_to_keras(item, kind) for item in value]
    if isinstance(value, dict):
        if set(value) == {OBJECT}:
            item = value[OBJECT]
            return function_to_keras(item) if isinstance(item, str) else object_to_keras(item, kind)
        return {key: _structure_to_keras(item, kind) for key, item in value.items()}
    return value


def compile_from_keras(config, reader, where):
    """A Keras compile config as the argument of ``Model.compile_from_config``, checked.

    Raises
    ------
    ValueError
        For a malformed config, an unknown key, or an entry ``reader`` refuses.
    """
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected a JSON object, found {type(config).__name__}.")
    known = {"optimizer", "loss_weights", *(key for key, _ in _STRUCTURES), *_IGNORED}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"{where}: compile() takes no argument {unknown}; known: {sorted(known)}.")
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = reader.object(optimizer, f"{where}.optimizer")
    elif not isinstance(optimizer, str):
        raise ValueError(f"{where}.optimizer: expected an optimizer entry or name; found "
                         f"{optimizer!r}.")
    result = {"optimizer": optimizer, "loss_weights": config.get("loss_weights")}
    for key, _ in _STRUCTURES:
        result[key] = _structure_from_keras(config.get(key), reader, f"{where}.{key}")
    return result


def _structure_from_keras(value, reader, where):
    if isinstance(value, list):
        return [_structure_from_keras(item, reader, f"{where}[{k}]") for k, item in enumerate(value)]
    if isinstance(value, dict) and "class_name" in value:
        if value.get("class_name") == "function":  # a built-in by name, as compile() takes it
            name = reader.function(value, where)
            return {OBJECT: name} if reader.known(name) else name
        return {OBJECT: reader.object(value, where)}
    if isinstance(value, dict):
        return {key: _structure_from_keras(item, reader, f"{where}.{key}")
                for key, item in value.items()}
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: expected a name, an object entry, a list or a dict; found "
                         f"{value!r}.")
    return value
