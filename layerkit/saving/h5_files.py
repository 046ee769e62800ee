"""Reading HDF5 files that come from other people: structure and values checked, nothing guessed.

A file is opened read-only; every group and dataset is checked to be what the layout
says before it is used (a group replaced by a dataset, a link, an external or virtual
dataset are refused); a dataset's shape and dtype are checked before it is read, so
that a few kilobytes declaring a terabyte allocate nothing; and its values are checked
after (no complex numbers, no NaN or inf, nothing beyond the target dtype's range).
Every problem is a ``ValueError`` naming the file and the part.
"""

import contextlib
import os

import h5py
import numpy as np

from layerkit.layers.weights import check_values


@contextlib.contextmanager
def open_for_reading(filepath, what="weights"):
    """Open ``filepath`` read-only, turning h5py's low-level errors into clear ones.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not HDF5, or is truncated or corrupt, or holds links.
    """
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"Cannot load {what}: no such file {filepath!r}.")
    if not h5py.is_hdf5(filepath):
        raise ValueError(f"Cannot load {what} from {filepath!r}: it is not an HDF5 file.")
    try:
        handle = h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(f"Cannot load {what} from {filepath!r}: the HDF5 file is truncated "
                         f"or corrupt ({error}).") from None
    try:
        _refuse_links(handle, filepath)
        yield handle
    except (OSError, RuntimeError, KeyError) as error:
        raise ValueError(f"Cannot load {what} from {filepath!r}: the HDF5 file is truncated "
                         f"or corrupt ({type(error).__name__}: {error}).") from None
    finally:
        handle.close()


def _refuse_links(handle, filepath):
    """Soft and external links, external and virtual datasets: refused, as Keras refuses them."""
    problems = []

    def check(name):
        link = handle.get(name, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            problems.append(f"{type(link).__name__} at /{name}")
        elif isinstance(link, h5py.HardLink):
            node = handle[name]
            if isinstance(node, h5py.Dataset) and (node.external or node.is_virtual):
                problems.append(f"{'external' if node.external else 'virtual'} dataset /{name}")

    handle.visit_links(check)
    if problems:
        raise ValueError(f"Not allowed: H5 file {filepath!r} with {', '.join(problems)}: only "
                         "plain groups and datasets are read.")


def child(group, path, kind, where):
    """``group[path]`` if it is a ``kind`` (h5py.Group or h5py.Dataset), None if it is missing.

    Raises
    ------
    ValueError
        If something else is there (a dataset where a group belongs, or the reverse).
    """
    node, walked = group, where
    for part in path.split("/"):
        if not isinstance(node, h5py.Group):
            raise ValueError(f"Expected a group at {walked}, found a dataset.")
        if part not in node:
            return None
        node, walked = node[part], f"{walked}/{part}"
    if not isinstance(node, kind):
        found = "dataset" if isinstance(node, h5py.Dataset) else "group"
        wanted = "dataset" if kind is h5py.Dataset else "group"
        raise ValueError(f"Expected a {wanted} at {walked}, found a {found}.")
    return node


def read_array(dataset, shape, dtype, where):
    """A numeric dataset of exactly ``shape``, read and checked to fit ``dtype``.

    The shape and dtype are checked before reading (nothing is allocated for a bogus
    declaration); the values after (finite, within ``dtype``'s range). Integers are
    accepted only where each converts exactly (Keras stores an adapted
    ``Normalization``'s ``count`` as int32).
    """
    if dataset.shape != tuple(shape):
        raise ValueError(f"{where}: expected shape {tuple(shape)}, found {dataset.shape} in the file.")
    if dataset.dtype.kind not in "fiu":
        raise ValueError(f"{where}: expected floating-point values, found dtype {dataset.dtype} "
                         "(values are not converted silently).")
    values = dataset[()]
    if dataset.dtype.kind in "iu":
        converted = np.asarray(values).astype(dtype)
        with np.errstate(invalid="ignore"):  # a value rounded past the integer range
            exact = np.array_equal(converted.astype(values.dtype), values)
        if not exact:
            raise ValueError(f"{where}: integer values that {np.dtype(dtype).name} cannot hold "
                             "exactly (values are not rounded silently).")
        values = converted
    if not np.isfinite(values).all():
        raise ValueError(f"{where}: holds NaN or inf.")
    try:
        check_values(np.asarray(values), dtype, where)
    except (TypeError, ValueError) as error:
        raise ValueError(str(error)) from None
    return values


def read_step_count(dataset, where):
    """A non-negative integer scalar (an optimizer's step count)."""
    if dataset.shape != () or dataset.dtype.kind not in "iu":
        raise ValueError(f"{where}: the step count must be an integer scalar; found shape "
                         f"{dataset.shape} and dtype {dataset.dtype}.")
    value = int(dataset[()])
    if not 0 <= value < 2**62:
        raise ValueError(f"{where}: the step count must be a non-negative integer; found {value}.")
    return np.asarray(value, dtype=np.int64)


def as_text(value):
    """An HDF5 string attribute as ``str`` (bytes or str, fixed or variable length)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_int_attribute(attrs, key, where):
    """An integer attribute (a format version), or a ValueError naming it."""
    value = attrs[key]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{where}: attribute {key!r} must be an integer; found {value!r}.")
    return int(value)
