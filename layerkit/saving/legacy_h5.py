"""Reading Keras 2's legacy ``.h5`` weights layout (and Keras 3's legacy full-model files).

The legacy layout (``../shared/specs/keras-weights-h5.md``, §2) lists the layers in an
attribute ``layer_names`` and each layer's datasets in its group's ``weight_names``; the
k-th saved layer with weights is paired with the model's k-th layer with weights, by
order. Every array is checked (shape and dtype before reading, values after) before
any is written.
"""

import h5py
import numpy as np

from layerkit.saving.h5_files import as_text, child, read_array


def _string_list(attrs, key):
    if key in attrs:
        return [as_text(v) for v in np.atleast_1d(attrs[key]) if not isinstance(v, float)]
    chunks, k = [], 0
    while f"{key}{k}" in attrs:
        chunks += [as_text(v) for v in np.atleast_1d(attrs[f"{key}{k}"])]
        k += 1
    return chunks


def _saved_layers(root, where):
    """``[(layer name, [(dataset, path)])]`` for each saved layer that has weights."""
    saved = []
    for name in _string_list(root.attrs, "layer_names"):
        group = child(root, name, h5py.Group, where)
        if group is None:
            return None, f"The file lists layer {name!r} but has no group for it."
        datasets = []
        for weight in _string_list(group.attrs, "weight_names"):
            dataset = child(group, weight, h5py.Dataset, f"{where}/{name}")
            if dataset is None:
                return None, f"Layer {name!r} lists weight {weight!r}, which is not in the file."
            datasets.append((dataset, f"{where}/{name}/{weight}"))
        if datasets:
            saved.append((name, datasets))
    return saved, None


def read_legacy(handle, owners, where):
    """``({id(layer): [arrays]}, problems)`` from a legacy file, for the layers ``owners``.

    ``owners`` lists the model's layers that own weights, in order.
    """
    root = handle if "layer_names" in handle.attrs else child(handle, "model_weights",
                                                               h5py.Group, where) or handle
    saved, error = _saved_layers(root, where + ("/model_weights" if root is not handle else ""))
    if error:
        return {}, [(None, error)]
    if len(saved) != len(owners):
        return {}, [(None, f"Layer count mismatch when loading weights from file. Model "
                           f"expected {len(owners)} layers, found {len(saved)} saved layers.")]
    found, problems = {}, []
    for k, (layer, (saved_name, datasets)) in enumerate(zip(owners, saved)):
        expected = [(name, getattr(layer, name)) for name in layer.weight_names]
        if len(datasets) != len(expected):
            problems.append((layer, f"Weight count mismatch for layer #{k} (named {layer.name} "
                                    f"in the current model, {saved_name} in the save file). Layer "
                                    f"expects {len(expected)} weight(s). Received "
                                    f"{len(datasets)} saved weight(s)"))
            continue
        bad = [(n, c.shape, d.shape) for (n, c), (d, _) in zip(expected, datasets)
               if c.shape != d.shape]
        if bad:
            name, want, got = bad[0]
            problems.append((layer, f"Shape mismatch in layer #{k} (named {layer.name}) for "
                                    f"weight {name}. Weight expects shape {want}. Received saved "
                                    f"weight with shape {got}"))
            continue
        found[id(layer)] = [read_array(d, c.shape, c.dtype, path)
                            for (_, c), (d, path) in zip(expected, datasets)]
    return found, problems
