"""Whole models in one HDF5 file: architecture, weights, optimizer state, compile settings.

Layout (format version 2)::

    /  @layerkit_format_version=2  @layerkit_version  @model_config (JSON)
       @training_config (JSON: optimizer, loss, metrics, loss_weights, shuffle seed)
    /model_weights/...       the native Keras weights layout (see weights_h5)
    /optimizer/vars/0..N     the optimizer's state in Keras's order: iterations, the
                             learning rate (unless a schedule), then the slots

Nothing in the file is ever executed: classes are looked up by name among the
built-ins and the registered custom objects.

The suffix decides the format, as in Keras: ``.keras`` is Keras 3's zip archive
(:mod:`~layerkit.saving.keras_archive`; an HDF5 file written under that name by an
earlier layerkit is still read), ``.h5``/``.hdf5`` this HDF5 file.
"""

import json
import os
import zipfile

import h5py
import numpy as np

from layerkit import distribution, layers, registry
from layerkit.layers.weights import weight_budget
from layerkit.saving.atomic import fspath, write_h5_atomically
from layerkit.saving.h5_files import as_text, child, open_for_reading, read_int_attribute
from layerkit.saving.keras_archive import load_archive, load_archive_weights, save_archive
from layerkit.saving.save_arguments import check_save_arguments
from layerkit.saving.weights_h5 import MODEL_FORMAT_VERSION as FORMAT_VERSION
from layerkit.saving.weights_h5 import (
    assign,
    read_native,
    read_optimizer,
    write_optimizer,
    write_weights,
)
from layerkit.saving.weights_h5 import load_weights as load_h5_weights
from layerkit.version import __version__

_WEIGHT_SLACK = 64 * 2**20  # bytes a model rebuilt from a file may take beyond twice its size
_CONFIG_ERRORS = (KeyError, TypeError, AttributeError, IndexError, OverflowError, RecursionError)

_SUFFIXES = (".h5", ".hdf5")


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


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Write ``model`` (architecture, weights, optimizer state) to one file, atomically.

    ``.keras``: Keras 3's zip archive; ``.h5``/``.hdf5``: one HDF5 file. Under a
    distribution over several processes only process 0 writes: the others return at once.
    ``zipped`` and ``**kwargs`` are Keras's, checked by
    :func:`~layerkit.saving.save_arguments.check_save_arguments`: ``zipped=False``
    (Keras's unzipped model folder), ``include_optimizer=False``, ``save_format`` and
    unknown arguments are refused before anything is written.

    Raises
    ------
    ValueError
        For a suffix other than ``.h5``, ``.hdf5`` or ``.keras``, an unbuilt model, or
        an argument refused as above.
    FileExistsError
        If the file exists and ``overwrite`` is False.
    OSError
        If the disk is full (the previous file is then unchanged).

    Example
    -------
    >>> import os, tempfile
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(model, os.path.join(folder, "model.keras"))
    ...     sorted(os.listdir(folder))
    ['model.keras']
    """
    filepath = fspath(filepath)
    check_save_arguments(filepath, zipped, kwargs)
    if not distribution.is_chief():
        return None
    if filepath.endswith(".keras"):
        return save_archive(model, filepath, overwrite=overwrite)
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

    def fill(handle):
        handle.attrs["layerkit_format_version"] = FORMAT_VERSION
        handle.attrs["layerkit_version"] = __version__
        handle.attrs["model_config"] = model_config
        if training_config is not None:
            handle.attrs["training_config"] = training_config
        write_weights(handle.create_group("model_weights"), model)
        write_optimizer(handle, model)

    write_h5_atomically(filepath, fill)


_TRAINING_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                  "shuffle_seed")


def _json_attribute(attrs, key, filepath):
    try:
        value = json.loads(as_text(attrs[key]))
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
        raise ValueError(f"The {key} of {filepath!r} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"The {key} of {filepath!r} must be a JSON object; found "
                         f"{type(value).__name__}.")
    return value


def _read_config(handle, filepath):
    attrs = handle.attrs
    if "layerkit_format_version" not in attrs and "keras_version" in attrs:
        raise ValueError(f"{filepath!r} is a Keras model file, not a layerkit model file: layerkit "
                         "does not read its config. Build the model in layerkit and use "
                         "`model.load_weights()`.")
    if "layerkit_format_version" not in attrs or "model_config" not in attrs:
        raise ValueError(f"{filepath!r} is not a layerkit model file (no model config); for a "
                         "weights file use `model.load_weights()`.")
    version = read_int_attribute(attrs, "layerkit_format_version", filepath)
    if version != FORMAT_VERSION:
        raise ValueError(f"{filepath!r} has model-file format version {version}; this layerkit "
                         f"({__version__}) reads version {FORMAT_VERSION}.")
    config = _json_attribute(attrs, "model_config", filepath)
    training = None
    if "training_config" in attrs:
        training = _json_attribute(attrs, "training_config", filepath)
        missing = [key for key in _TRAINING_KEYS if key not in training]
        if missing:
            raise ValueError(f"The training_config of {filepath!r} lacks {missing}.")
        seed = training["shuffle_seed"]
        if not isinstance(training["optimizer"], dict) or isinstance(seed, bool) or not (
                isinstance(seed, int) and 0 <= seed < 2**63):
            raise ValueError(f"The training_config of {filepath!r} is malformed: expected an "
                             "optimizer config (a JSON object) and a shuffle seed in [0, 2**63).")
    return config, training


def _rebuild(config, custom_objects, filepath):
    """The model of ``config``; its weights may take at most about twice the file's size."""
    budget = 2 * os.path.getsize(filepath) + _WEIGHT_SLACK
    try:
        with weight_budget(budget, f"The model config in {filepath!r}"):
            model = layers.deserialize(config, custom_objects)
    except _CONFIG_ERRORS as error:
        raise ValueError(f"The model config in {filepath!r} is invalid: "
                         f"{type(error).__name__}: {error}") from None
    except ValueError as error:
        message = str(error)
        raise ValueError(message if filepath in message else
                         f"The model config in {filepath!r} is invalid: {message}") from None
    if not model.built:
        raise ValueError(f"The model in {filepath!r} has no input shape and cannot be built.")
    return model


def _compile_from(model, training, filepath):
    try:
        model.compile_from_config(training)
    except (*_CONFIG_ERRORS, ValueError) as error:
        raise ValueError(f"The training_config of {filepath!r} is invalid: "
                         f"{type(error).__name__}: {error}") from None
    model.shuffle_seed = training["shuffle_seed"]


def _is_archive(filepath):
    """A ``.keras`` path, unless it is an HDF5 file an earlier layerkit wrote under that name.

    Checked as a zip first: the HDF5 member of a zip can make the whole zip look like HDF5.
    """
    if not filepath.endswith(".keras"):
        return False
    return zipfile.is_zipfile(filepath) or not h5py.is_hdf5(filepath)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by ``model.save``: architecture, weights, optimizer state.

    Parameters
    ----------
    filepath : str, bytes or os.PathLike
    custom_objects : dict, optional
        ``{name: class or function}`` for custom layers, losses, activations.
    compile : bool
        Restore the optimizer (with its state), loss and metrics.
    safe_mode : bool
        For a ``.keras`` archive: refuse entries naming code outside layerkit, Keras and
        the registered objects. layerkit never runs code from a file.

    Returns
    -------
    Model

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not HDF5, is truncated, is of an unknown format version, is
        malformed (the message names the part), names an unregistered class, asks for
        weights far larger than the file, or its weights do not fit the architecture.

    Example
    -------
    >>> import os, tempfile
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((2,)), layers.Dense(1, name="out")])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     model.save(os.path.join(folder, "model.h5"))
    ...     restored = load_model(os.path.join(folder, "model.h5"))
    >>> restored.get_layer("out").units, type(restored.optimizer).__name__
    (1, 'Adam')
    """
    filepath = fspath(filepath)
    if _is_archive(filepath):
        return load_archive(filepath, custom_objects, compile, safe_mode)
    with registry.custom_object_scope(custom_objects), open_for_reading(filepath, "a model") \
            as handle:
        config, training = _read_config(handle, filepath)
        model = _rebuild(config, custom_objects, filepath)
        weights = child(handle, "model_weights", h5py.Group, filepath)
        if weights is None:
            raise ValueError(f"{filepath!r}: the model file has no /model_weights group.")
        found, problems = read_native(weights, model, "/model_weights")
        optimizer_state = None
        if compile and training is not None:
            _compile_from(model, training, filepath)
            optimizer_state = read_optimizer(handle, model, filepath, required=True)
        assign(model, found, problems, filepath, False, optimizer_state)
    return model


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights into ``model``: from a ``.keras`` archive, or a weights or model HDF5 file.

    See :func:`~layerkit.saving.weights_h5.load_weights` (HDF5) and
    :func:`~layerkit.saving.keras_archive.load_archive_weights` (``.keras``).

    Example
    -------
    >>> import os, tempfile
    >>> from layerkit import Sequential, layers
    >>> def build():
    ...     return Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> source, target = build(), build()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     source.save(os.path.join(folder, "model.keras"))
    ...     load_weights(target, os.path.join(folder, "model.keras"))
    >>> all((a == b).all() for a, b in zip(source.get_weights(), target.get_weights()))
    True
    """
    filepath = fspath(filepath)
    if _is_archive(filepath):
        return load_archive_weights(model, filepath, skip_mismatch)
    load_h5_weights(model, filepath, skip_mismatch)
