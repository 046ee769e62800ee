"""Weights in HDF5, in Keras 3's ``.weights.h5`` layout (and Keras 2's legacy ``.h5``).

The native layout (``../shared/specs/keras-weights-h5.md``, §1): each layer of
``model.layers`` has a group ``/layers/<class in snake_case><_k>/vars`` (k a
per-class counter, the layer's own name is not used) holding its weights as
datasets ``"0"``, ``"1"``... in the layer's order (Dense: kernel, bias); a compiled
model whose optimizer has state adds ``/optimizer/vars/0..N`` in Keras's order
(iterations, learning rate, slots). A file written here loads in Keras with
``load_weights``, and a Keras file loads here.

Loading reads and checks every array first; only when all are right does it write
them (weights and optimizer state together, Ctrl-C held), so a bad file never leaves
a model half-loaded.
"""

import os
import warnings

import h5py
import numpy as np

from layerkit import backend, distribution
from layerkit.interrupts import deferred_interrupts
from layerkit.saving.atomic import fspath, write_h5_atomically
from layerkit.saving.h5_files import (
    child,
    open_for_reading,
    read_array,
    read_int_attribute,
    read_step_count,
)
from layerkit.saving.legacy_h5 import read_legacy

_STRING = h5py.string_dtype("utf-8")
MODEL_FORMAT_VERSION = 2  # of the whole-model files (model_file.py), which hold weights too


def layer_groups(model):
    """``[(group path, layer)]`` for ``model`` (path "") and every layer inside it, as Keras's
    saving walks them.

    The layers of a Sequential or graph model form a container ``layers``, each named by
    its class with a per-class counter (``layers/dense``, ``layers/dense_1``); the layers
    of a ``call()`` layer or subclassed model are found by attribute name, in sorted
    order with private names last (``dense1``, ``blocks/dense``...), a subclassed model's
    ``layers`` container taking its place in that order. A layer is saved once, under
    the first path that reaches it.
    """
    groups, visited = [], {id(model)}

    def add(layer, path):
        if id(layer) not in visited:
            visited.add(id(layer))
            groups.append((path, layer))
            walk(layer, path)

    def container(layers, path):
        counts = {}
        for layer in layers:
            stem = backend.to_snake_case(type(layer).__name__)
            k = counts.get(stem, 0)
            counts[stem] = k + 1
            add(layer, f"{path}/{stem}" + (f"_{k}" if k else ""))

    def walk(owner, path):
        prefix = f"{path}/" if path else ""
        if not owner.writes_call():
            if owner.sublayers():  # a Sequential or graph model: its layers in a container
                container(owner.sublayers(), prefix + "layers")
            return
        children = list(owner.tracked_attributes())
        if owner.sublayers() and hasattr(owner, "layers"):
            children.append(("layers", owner.layers))
        for attr, value in sorted(children, key=lambda item: ("~" if item[0].startswith("_")
                                                              else "") + item[0]):
            if isinstance(value, list):
                container(value, prefix + attr)
            else:
                add(value, prefix + attr)

    walk(model, "")
    return [("", model)] + groups


def vars_path(path):
    """The group of a layer's variables: ``<path>/vars`` (``vars`` for the model itself)."""
    return f"{path}/vars" if path else "vars"


def write_weights(group, model):
    """Write ``model``'s weights under ``group`` in the native layout."""
    for path, layer in layer_groups(model):
        vars_group = group.create_group(vars_path(path))
        vars_group.attrs.create("name", layer.name, dtype=_STRING)
        for index, name in enumerate(layer.weight_names):
            vars_group.create_dataset(str(index), data=np.array(getattr(layer, name), order="C"))


def write_optimizer(handle, model):
    """``/optimizer/vars`` with the optimizer's state, when the model has one with state."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not optimizer.built:
        return
    group = handle.create_group("optimizer/vars")
    group.attrs.create("name", optimizer.name, dtype=_STRING)
    for index, value in enumerate(optimizer.variables_for(model.trainable_weights)):
        group.create_dataset(str(index), data=np.asarray(value))


def check_built(model, verb):
    if not model.built:
        raise ValueError(f"You are {verb} weights of model {model.name!r}, which has not yet "
                         "been built. Build it first by calling it on some data, by starting "
                         "it with Input(shape), or with `build()`.")


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights (and optimizer state) to ``filepath`` (``*.weights.h5``), atomically.

    Under a distribution over several processes only process 0 writes: the others return at once.

    Raises
    ------
    ValueError
        For another suffix, or an unbuilt model.
    FileExistsError
        If the file exists and ``overwrite`` is False.
    OSError
        If the disk is full (the previous file is then unchanged).

    Example
    -------
    >>> import os, tempfile
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_weights(model, os.path.join(folder, "m.weights.h5"))
    ...     sorted(os.listdir(folder))
    ['m.weights.h5']
    """
    filepath = fspath(filepath)
    if not distribution.is_chief():
        return
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
    check_built(model, "saving")

    def fill(handle):
        write_weights(handle, model)
        write_optimizer(handle, model)

    write_h5_atomically(filepath, fill)


def read_native(root, model, where):
    """``({id(layer): [arrays]}, problems)`` from a native-layout group, every array checked."""
    found, problems = {}, []
    for path, layer in layer_groups(model):
        group = child(root, vars_path(path), h5py.Group, where)
        expected = layer.weight_names
        keys = sorted(group.keys(), key=lambda k: (len(k), k)) if group is not None else []
        if len(keys) != len(expected):
            problems.append((layer, f"Layer {layer.name!r} expected {len(expected)} variables, "
                                    f"but received {len(keys)} variables during loading from "
                                    f"{where}/{vars_path(path)}. Expected: {expected}"))
            continue
        arrays = []
        for index, name in enumerate(expected):
            dataset = child(group, str(index), h5py.Dataset, f"{where}/{vars_path(path)}")
            if dataset is None:
                problems.append((layer, f"Layer {layer.name!r}: no dataset {str(index)!r} for "
                                        f"weight {name!r} in {where}/{vars_path(path)} (found "
                                        f"{keys})."))
                break
            current = getattr(layer, name)
            if dataset.shape != current.shape:
                problems.append((layer, f"Layer {layer.name!r} weight {name!r}: expected shape "
                                        f"{current.shape}, found {dataset.shape} in the file."))
                break
            arrays.append(read_array(dataset, current.shape, current.dtype,
                                     f"{where}/{vars_path(path)}/{index} (layer {layer.name!r} "
                                     f"weight {name!r})"))
        else:
            found[id(layer)] = arrays
    return found, problems


def read_optimizer(handle, model, where, required=False):
    """The optimizer state stored in ``handle`` for ``model``, checked; None if it does not apply.

    Nothing is read for a model without an optimizer. A state with another number of
    arrays than the model's optimizer has (another optimizer) is skipped with a warning,
    as Keras does, unless ``required``; any other problem is a ValueError.
    """
    optimizer = getattr(model, "optimizer", None)
    group = child(handle, "optimizer/vars", h5py.Group, where)
    if optimizer is None or group is None:
        return None
    expected = optimizer.variables_for(model.trainable_weights)
    keys = sorted(group.keys(), key=lambda k: (len(k), k))
    if keys != [str(k) for k in range(len(keys))]:
        raise ValueError(f"{where}/optimizer/vars: expected datasets named 0 to {len(keys) - 1}, "
                         f"found {keys}.")
    if len(keys) != len(expected):
        message = (f"Skipping variable loading for optimizer {optimizer.name!r}, because it has "
                   f"{len(expected)} variables whereas the saved optimizer has {len(keys)} "
                   f"variables ({where}).")
        if required:
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=4)
        return None
    values = []
    for index, target in enumerate(expected):
        dataset = child(group, str(index), h5py.Dataset, f"{where}/optimizer/vars")
        part = f"{where}/optimizer/vars/{index}"
        if index == 0:
            values.append(read_step_count(dataset, part))
        elif target.shape == () and dataset.shape == () and dataset.dtype.kind in "iu":
            values.append(np.asarray(int(dataset[()]), target.dtype))  # Keras's 0-d placeholders
        else:
            values.append(read_array(dataset, target.shape, target.dtype, part))
    return values


def assign(model, found, problems, filepath, skip_mismatch, optimizer_state=None):
    """Write the arrays read into the model (and optimizer), all at once, or raise and change nothing."""
    if problems and (not skip_mismatch or any(layer is None for layer, _ in problems)):
        details = "\n".join(f"- {message}" for _, message in problems)
        raise ValueError(f"Could not load weights from {filepath!r} into model {model.name!r}; "
                         f"nothing was changed. {len(problems)} problem(s):\n{details}")
    for _, message in problems:
        warnings.warn(f"Skipping loading: {message}", UserWarning, stacklevel=3)
    values = []
    for layer, name in model.weight_slots():
        arrays = found.get(id(layer))
        index = layer.weight_names.index(name)
        values.append(getattr(layer, name) if arrays is None else arrays[index])
    with deferred_interrupts():
        model.set_weights(values)
        if optimizer_state is not None:
            model.optimizer.load_variables_for(optimizer_state, model.trainable_weights)


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights written by :func:`save_weights`, by Keras 3 or by Keras 2 into ``model``.

    The format follows the suffix as in Keras: ``.weights.h5`` native, other
    ``.h5``/``.hdf5`` legacy (a layerkit model file is read natively too). The
    optimizer's state in a native file is restored into a compiled model.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For another suffix, an unbuilt model, a file that is not HDF5 or is
        corrupt, a missing layer or weight, a shape mismatch, or values that are not
        finite real numbers fitting the weights' dtype (the message names the layer
        and the part). The model is unchanged then.
    """
    filepath = fspath(filepath)
    if not filepath.endswith((".weights.h5", ".h5", ".hdf5", ".keras")):
        raise ValueError(f"File format not supported: filepath={filepath}. layerkit reads "
                         "`.weights.h5` files and legacy `.h5`/`.hdf5` files.")
    check_built(model, "loading")
    optimizer_state = None
    with open_for_reading(filepath) as handle:
        if "layerkit_format_version" in handle.attrs:
            version = read_int_attribute(handle.attrs, "layerkit_format_version", filepath)
            if version != MODEL_FORMAT_VERSION:
                raise ValueError(f"{filepath!r} is a layerkit model file of format version "
                                 f"{version}; this layerkit reads version {MODEL_FORMAT_VERSION}.")
            root = child(handle, "model_weights", h5py.Group, filepath)
            if root is None:
                raise ValueError(f"{filepath!r}: the model file has no /model_weights group.")
            found, problems = read_native(root, model, "/model_weights")
        elif filepath.endswith((".weights.h5", ".keras")):
            found, problems = read_native(handle, model, "")
            optimizer_state = read_optimizer(handle, model, filepath)
        else:
            owners = [layer for _, layer in layer_groups(model) if layer.weight_names]
            found, problems = read_legacy(handle, owners, "")
    assign(model, found, problems, filepath, skip_mismatch, optimizer_state)
