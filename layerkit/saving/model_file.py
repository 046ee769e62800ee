"""Whole models in one HDF5 file: architecture, weights, optimizer state, compile settings.

Layout (format version 2)::

    /  @layerkit_format_version=2  @layerkit_version  @model_config (JSON)
       @training_config (JSON: optimizer, loss, metrics, loss_weights, shuffle seed)
    /model_weights/...       the native Keras weights layout (see weights_h5)
    /optimizer/vars/0..N     the optimizer's state in Keras's order: iterations, the
                             learning rate (unless a schedule), then the slots

Nothing in the file is ever executed: classes are looked up by name among the
built-ins and the registered custom objects.
"""

import json
import os

import h5py
import numpy as np

from layerkit import layers, registry
from layerkit.saving.atomic import atomic_write
from layerkit.saving.h5_files import as_text, open_for_reading, read_dataset
from layerkit.saving.weights_h5 import MODEL_FORMAT_VERSION as FORMAT_VERSION
from layerkit.saving.weights_h5 import assign, read_native, write_weights
from layerkit.version import __version__

_SUFFIXES = (".h5", ".hdf5", ".keras")


def _json(value):
    def plain(obj):
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        raise TypeError(f"Cannot save {obj!r} in a model config: not a plain value.")

    return json.dumps(value, default=plain)


def _training_config(model):
    return {**model.get_compile_config(), "shuffle_seed": model.shuffle_seed}


def save_model(model, filepath, overwrite=True):
    """Write ``model`` (architecture, weights, optimizer state) to one HDF5 file, atomically.

    Raises
    ------
    ValueError
        For a suffix other than ``.h5``, ``.hdf5`` or ``.keras``, or an unbuilt model.
    FileExistsError
        If the file exists and ``overwrite`` is False.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(_SUFFIXES):
        raise ValueError(f"Invalid filepath extension for saving. Please add a `.h5` (or "
                         f"`.keras`) extension. Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} has not been built: call it on data or start "
                         "it with Input(shape) before saving.")
    model_config = _json(layers.serialize(model))
    training_config = _json(_training_config(model)) if model.compiled else None
    with atomic_write(filepath) as tmp, h5py.File(tmp, "w") as handle:
        handle.attrs["layerkit_format_version"] = FORMAT_VERSION
        handle.attrs["layerkit_version"] = __version__
        handle.attrs["model_config"] = model_config
        if training_config is not None:
            handle.attrs["training_config"] = training_config
        write_weights(handle.create_group("model_weights"), model)
        if model.compiled and model.optimizer.built:
            group = handle.create_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            for index, value in enumerate(model.optimizer.variables_for(model.trainable_weights)):
                group.create_dataset(str(index), data=np.asarray(value))


def _read_config(handle, filepath):
    attrs = handle.attrs
    if "layerkit_format_version" not in attrs and "keras_version" in attrs:
        raise ValueError(f"{filepath!r} is a Keras model file, not a layerkit model file: layerkit does not "
                         "read its config. Build the model in layerkit and use `model.load_weights()`.")
    if "layerkit_format_version" not in attrs or "model_config" not in attrs:
        raise ValueError(f"{filepath!r} is not a layerkit model file (no model config); for a "
                         "weights file use `model.load_weights()`.")
    version = int(attrs["layerkit_format_version"])
    if version != FORMAT_VERSION:
        raise ValueError(f"{filepath!r} has model-file format version {version}; this layerkit "
                         f"({__version__}) reads version {FORMAT_VERSION}.")
    training = attrs.get("training_config")
    try:
        return (json.loads(as_text(attrs["model_config"])),
                None if training is None else json.loads(as_text(training)))
    except json.JSONDecodeError as error:
        raise ValueError(f"The model config in {filepath!r} is not valid JSON: {error}") from None


def _compile_from(model, training):
    model.compile_from_config(training)
    model.shuffle_seed = training["shuffle_seed"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by ``model.save``: architecture, weights, optimizer state.

    Parameters
    ----------
    filepath : str or os.PathLike
    custom_objects : dict, optional
        ``{name: class or function}`` for custom layers, losses, activations.
    compile : bool
        Restore the optimizer (with its state), loss and metrics.
    safe_mode : bool
        Accepted for Keras compatibility: layerkit never runs code from a file.

    Returns
    -------
    Model

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not HDF5, is truncated, is of an unknown format version,
        names an unregistered class, or its weights do not fit the architecture.
    """
    filepath = os.fspath(filepath)
    with registry.custom_object_scope(custom_objects), open_for_reading(filepath, "a model") \
            as handle:
        config, training = _read_config(handle, filepath)
        try:
            model = layers.deserialize(config, custom_objects)
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"The model config in {filepath!r} is invalid: "
                             f"{type(error).__name__}: {error}") from None
        if not model.built:
            raise ValueError(f"The model in {filepath!r} has no input shape and cannot be built.")
        found, problems = read_native(handle["model_weights"], model, "/model_weights")
        optimizer_state = None
        if compile and training is not None and "optimizer/vars" in handle:
            group = handle["optimizer/vars"]
            optimizer_state = [read_dataset(group, str(k), "/optimizer/vars")
                               for k in range(len(group))]
        assign(model, found, problems, filepath, skip_mismatch=False)
        if compile and training is not None:
            _compile_from(model, training)
            if optimizer_state is not None:
                model.optimizer.load_variables_for(optimizer_state, model.trainable_weights)
    return model
