"""Weights in HDF5, in Keras 3's ``.weights.h5`` layout (and Keras 2's legacy ``.h5``).

The native layout (``../shared/specs/keras-weights-h5.md``, §1): each layer of
``model.layers`` has a group ``/layers/<class in snake_case><_k>/vars`` (k a
per-class counter, the layer's own name is not used) holding its weights as
datasets ``"0"``, ``"1"``... in the layer's order (Dense: kernel, bias). A file
written here loads in Keras with ``load_weights``, and a Keras file loads here.

Loading reads and checks every array first; only when all are right does it
write them into the model, so a bad file never leaves a model half-loaded.
"""

import os
import warnings

import h5py
import numpy as np

from layerkit import backend
from layerkit.saving.atomic import atomic_write
from layerkit.saving.h5_files import as_text, open_for_reading, read_dataset

_STRING = h5py.string_dtype("utf-8")
MODEL_FORMAT_VERSION = 2  # of the whole-model files (model_file.py), which hold weights too


def layer_groups(model, prefix="layers"):
    """``[(group path, layer)]`` for every layer, with Keras's per-class numbering."""
    counts, paths = {}, []
    for layer in model.layers:
        stem = backend.to_snake_case(type(layer).__name__)
        k = counts.get(stem, 0)
        counts[stem] = k + 1
        path = f"{prefix}/{stem}" + (f"_{k}" if k else "")
        paths.append((path, layer))
        if layer.sublayers():  # a nested model: its layers inside its group
            paths.extend(layer_groups(layer, path + "/layers"))
    return paths


def _own_weights(layer):
    """A layer's own weights by name (a nested model owns none itself)."""
    return [(name, getattr(layer, name)) for name in layer.weight_names]


def write_weights(group, model):
    """Write ``model``'s weights under ``group`` in the native layout."""
    group.create_group("vars").attrs.create("name", model.name, dtype=_STRING)
    for path, layer in layer_groups(model):
        vars_group = group.create_group(path + "/vars")
        vars_group.attrs.create("name", layer.name, dtype=_STRING)
        for index, (_, value) in enumerate(_own_weights(layer)):
            vars_group.create_dataset(str(index), data=np.ascontiguousarray(value))


def _check_built(model, verb):
    if not model.built:
        raise ValueError(f"You are {verb} weights of model {model.name!r}, which has not yet "
                         "been built. Build it first by calling it on some data, by starting "
                         "it with Input(shape), or with `build()`.")


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights to ``filepath`` (which must end in ``.weights.h5``), atomically.

    Raises
    ------
    ValueError
        For another suffix, or an unbuilt model.
    FileExistsError
        If the file exists and ``overwrite`` is False.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
    _check_built(model, "saving")
    with atomic_write(filepath) as tmp, h5py.File(tmp, "w") as handle:
        write_weights(handle, model)


def read_native(root, model, where):
    """``{id(layer): [arrays]}`` from a native-layout group, and the problems found."""
    found, problems = {}, []
    for path, layer in layer_groups(model):
        expected = _own_weights(layer)
        group = root.get(path + "/vars") if path in root else None
        keys = sorted(group.keys(), key=lambda k: (len(k), k)) if group is not None else []
        if len(keys) != len(expected):
            problems.append((layer, f"Layer {layer.name!r} expected {len(expected)} variables, "
                                    f"but received {len(keys)} variables during loading from "
                                    f"{where}/{path}/vars. Expected: {[n for n, _ in expected]}"))
            continue
        arrays = []
        for index, (name, current) in enumerate(expected):
            if str(index) not in group:
                problems.append((layer, f"Layer {layer.name!r}: no dataset {str(index)!r} for "
                                        f"weight {name!r} in {where}/{path}/vars (found {keys})."))
                break
            value = read_dataset(group, str(index), f"{where}/{path}/vars")
            if value.shape != current.shape:
                problems.append((layer, f"Layer {layer.name!r} weight {name!r}: expected shape "
                                        f"{current.shape}, found {value.shape} in the file."))
                break
            arrays.append(value)
        else:
            found[id(layer)] = arrays
    return found, problems


def read_legacy(handle, model, where):
    """``{id(layer): [arrays]}`` from a Keras 2 / legacy ``.h5`` file (paired by order)."""
    root = handle if "layer_names" in handle.attrs else handle.get("model_weights", handle)
    names = _string_list(root.attrs, "layer_names")
    saved = []
    for name in names:
        if name not in root:
            return {}, [(None, f"The file lists layer {name!r} but has no group for it.")]
        weight_names = _string_list(root[name].attrs, "weight_names")
        if weight_names:
            saved.append((name, [read_dataset(root[name], w, where) for w in weight_names]))
    layers = [layer for _, layer in layer_groups(model) if _own_weights(layer)]
    if len(saved) != len(layers):
        return {}, [(None, f"Layer count mismatch when loading weights from file. Model "
                           f"expected {len(layers)} layers, found {len(saved)} saved layers.")]
    found, problems = {}, []
    for k, (layer, (saved_name, arrays)) in enumerate(zip(layers, saved)):
        expected = _own_weights(layer)
        if len(arrays) != len(expected):
            problems.append((layer, f"Weight count mismatch for layer #{k} (named {layer.name} "
                                    f"in the current model, {saved_name} in the save file). Layer "
                                    f"expects {len(expected)} weight(s). Received {len(arrays)} "
                                    "saved weight(s)"))
            continue
        bad = [(n, c.shape, a.shape) for (n, c), a in zip(expected, arrays) if c.shape != a.shape]
        if bad:
            name, want, got = bad[0]
            problems.append((layer, f"Shape mismatch in layer #{k} (named {layer.name}) for "
                                    f"weight {name}. Weight expects shape {want}. Received saved "
                                    f"weight with shape {got}"))
            continue
        found[id(layer)] = arrays
    return found, problems


def _string_list(attrs, key):
    if key in attrs:
        return [as_text(v) for v in np.atleast_1d(attrs[key]) if not isinstance(v, float)]
    chunks, k = [], 0
    while f"{key}{k}" in attrs:
        chunks += [as_text(v) for v in np.atleast_1d(attrs[f"{key}{k}"])]
        k += 1
    return chunks


def assign(model, found, problems, filepath, skip_mismatch):
    """Write the arrays read into the model, all at once, or raise and change nothing."""
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
    model.set_weights(values)


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights written by :func:`save_weights`, by Keras 3 or by Keras 2 into ``model``.

    The format follows the suffix as in Keras: ``.weights.h5`` native, other
    ``.h5``/``.hdf5`` legacy (a layerkit model file is read natively too).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For another suffix, an unbuilt model, a file that is not HDF5 or is
        corrupt, a missing layer or weight, or a shape mismatch (the message
        names the layer and both shapes). The model is unchanged then.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith((".weights.h5", ".h5", ".hdf5", ".keras")):
        raise ValueError(f"File format not supported: filepath={filepath}. layerkit reads "
                         "`.weights.h5` files and legacy `.h5`/`.hdf5` files.")
    _check_built(model, "loading")
    with open_for_reading(filepath) as handle:
        if "layerkit_format_version" in handle.attrs:
            version = int(handle.attrs["layerkit_format_version"])
            if version != MODEL_FORMAT_VERSION:
                raise ValueError(f"{filepath!r} is a layerkit model file of format version "
                                 f"{version}; this layerkit reads version {MODEL_FORMAT_VERSION}.")
            found, problems = read_native(handle["model_weights"], model, "/model_weights")
        elif filepath.endswith((".weights.h5", ".keras")):
            found, problems = read_native(handle, model, "")
        else:
            found, problems = read_legacy(handle, model, "")
    assign(model, found, problems, filepath, skip_mismatch)
