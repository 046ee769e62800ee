"""Keras 3's ``.keras`` archive: a zip holding ``config.json``, ``metadata.json`` and weights.

Layout (``keras/src/saving/saving_lib.py``), members stored uncompressed::

    metadata.json      {"keras_version", "date_saved"} (+ layerkit's version and shuffle seed)
    config.json        the model's Keras-form entry, with build_config and compile_config
    model.weights.h5   the native weights layout (weights_h5), optimizer state included

Writing builds the whole zip in memory with Ctrl-C held, then writes it atomically: a
file is the old one or the complete new one. Reading checks everything before a model
is returned: the zip (member names, sizes against the archive's, duplicates), the JSON,
the config (classes by name only; entries naming code refused), the weights (the
strict readers of ``h5_files``) and the optimizer state. Every problem is a
``ValueError`` naming the file and the part.
"""

import contextlib
import datetime
import io
import json
import os
import zipfile

import h5py

from layerkit import registry
from layerkit.interrupts import deferred_interrupts
from layerkit.layers.weights import weight_budget
from layerkit.saving.atomic import fspath, h5_image, write_bytes_atomically
from layerkit.saving.h5_files import child, open_for_reading
from layerkit.saving.keras_config import model_from_keras, serialize_keras_object
from layerkit.saving.keras_zip import CONFIG, METADATA, WEIGHTS, ArchiveReader
from layerkit.saving.weights_h5 import (
    assign,
    check_built,
    read_native,
    read_optimizer,
    write_optimizer,
    write_weights,
)
from layerkit.version import __version__

KERAS_VERSION = "3.15.1"      # the Keras release whose format layerkit writes
_WEIGHT_SLACK = 64 * 2**20    # bytes a rebuilt model may allocate beyond twice its weights


def save_archive(model, filepath, overwrite=True):
    """Write ``model`` (config, weights, optimizer state) as a Keras 3 ``.keras`` archive.

    Raises
    ------
    ValueError
        For a path not ending in ``.keras``, or an unbuilt model.
    FileExistsError
        If the file exists and ``overwrite`` is False.
    OSError
        If the disk is full (the previous file is then unchanged).

    Example
    -------
    >>> import os, tempfile, zipfile
    >>> from layerkit import Sequential, layers
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> save_archive(Sequential([layers.Input((2,)), layers.Dense(1)]), path)
    >>> zipfile.ZipFile(path).namelist()
    ['metadata.json', 'config.json', 'model.weights.h5']
    """
    filepath = fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError("Invalid `filepath` argument: expected a `.keras` extension. "
                         f"Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} has not been built: call it on data or start "
                         "it with Input(shape) before saving.")
    write_bytes_atomically(filepath, archive_bytes(model))


def archive_bytes(model):
    """The bytes of ``model``'s ``.keras`` archive, built in memory (Ctrl-C held meanwhile)."""
    with deferred_interrupts():
        metadata = {"keras_version": KERAS_VERSION,
                    "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                    "layerkit_version": __version__}
        if model.compiled:  # Keras builds the optimizer it loads: its state is saved whole
            model.optimizer.build(model.trainable_weights)
            metadata["layerkit_shuffle_seed"] = model.shuffle_seed
        config = json.dumps(serialize_keras_object(model))

        def fill(handle):
            write_weights(handle, model)
            write_optimizer(handle, model)

        weights = h5_image(fill)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA, json.dumps(metadata))
            archive.writestr(CONFIG, config)
            archive.writestr(WEIGHTS, weights)
        return buffer.getvalue()


@contextlib.contextmanager
def _weights(archive):
    """The weights member opened by the strict HDF5 reader; its errors name the archive."""
    with archive.weights_file() as path:
        try:
            with open_for_reading(path, "weights") as handle:
                yield handle
        except (ValueError, FileNotFoundError) as error:
            message = str(error).replace(repr(path), WEIGHTS).replace(path, WEIGHTS)
            raise ValueError(message if archive.filepath in message else
                             f"Cannot load {archive.filepath!r}: {WEIGHTS}: {message}") from None


def _shuffle_seed(archive):
    if METADATA not in archive.members:
        return None
    seed = archive.json(METADATA).get("layerkit_shuffle_seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed < 2**63):
        archive.fail(METADATA, f"layerkit_shuffle_seed must be an integer in [0, 2**63); "
                               f"found {seed!r}.")
    return seed


def load_archive(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model from a ``.keras`` archive written by layerkit or Keras 3.

    Parameters
    ----------
    filepath : str, bytes or os.PathLike
    custom_objects : dict, optional
        ``{name: class or function}`` for custom layers, losses, activations.
    compile : bool
        Restore the optimizer (with its state), loss and metrics.
    safe_mode : bool
        Refuse entries that name code outside layerkit, Keras and the registered
        objects (a lambda's bytecode is refused in either mode).

    Returns
    -------
    Model

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        For any problem with the archive, its config or its weights (naming the part).

    Example
    -------
    >>> import os, tempfile
    >>> from layerkit import Sequential, layers
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> model = Sequential([layers.Input((2,)), layers.Dense(3)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> save_archive(model, path)
    >>> loaded = load_archive(path)
    >>> loaded.compiled, type(loaded.optimizer).__name__
    (True, 'Adam')
    """
    filepath = fspath(filepath)
    with ArchiveReader(filepath) as archive, registry.custom_object_scope(custom_objects):
        config = archive.json(CONFIG)
        seed = _shuffle_seed(archive)
        budget = 2 * archive.members[WEIGHTS].file_size + _WEIGHT_SLACK
        where = f"Cannot load {filepath!r}: {CONFIG}"
        with weight_budget(budget, f"The config of {filepath!r}"):
            model = model_from_keras(config, custom_objects, safe_mode, compile, where)
        if not model.built:
            archive.fail(CONFIG, "the model has no input shape and cannot be built.")
        with _weights(archive) as handle:
            found, problems = read_native(handle, model, "")
            state = _optimizer_state(handle, model, filepath) if model.compiled else None
        assign(model, found, problems, filepath, False, state)
    if seed is not None and model.compiled:
        model.shuffle_seed = seed
    return model


def _optimizer_state(handle, model, filepath):
    """The saved optimizer state, checked; None for a fresh one (Keras's unbuilt optimizer)."""
    group = child(handle, "optimizer/vars", h5py.Group, f"{filepath}: {WEIGHTS}")
    unbuilt = len(model.optimizer.variables_for([]))
    if group is not None and len(group) == unbuilt < len(
            model.optimizer.variables_for(model.trainable_weights)):
        return None
    return read_optimizer(handle, model, f"{filepath}: {WEIGHTS}", required=True)


def load_archive_weights(model, filepath, skip_mismatch=False):
    """Load the weights (and optimizer state) of a ``.keras`` archive into ``model``.

    As Keras's ``load_weights``: the layers are matched by the archive's layout, an
    optimizer state of another size is skipped with a warning; on any error nothing
    changes.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        For a malformed archive, a weight that does not fit, or an unbuilt model.
    """
    filepath = fspath(filepath)
    check_built(model, "loading")
    with ArchiveReader(filepath) as archive, _weights(archive) as handle:
        found, problems = read_native(handle, model, "")
        state = read_optimizer(handle, model, f"{filepath}: {WEIGHTS}")
    assign(model, found, problems, filepath, skip_mismatch, state)
