"""Opening HDF5 files for reading with errors a user understands."""

import contextlib
import os

import h5py


@contextlib.contextmanager
def open_for_reading(filepath, what="weights"):
    """Open ``filepath`` read-only, turning h5py's low-level errors into clear ones.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not HDF5, or is truncated or corrupt.
    """
    filepath = os.fspath(filepath)
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
    except (OSError, RuntimeError) as error:
        raise ValueError(f"Cannot load {what} from {filepath!r}: the HDF5 file is truncated "
                         f"or corrupt ({error}).") from None
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


def read_dataset(group, key, where):
    """The array at ``group[key]``; links and non-datasets are refused."""
    link = group.get(key, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"Not allowed: H5 file with {type(link).__name__} at {where}/{key}.")
    node = group[key]
    if not isinstance(node, h5py.Dataset):
        raise ValueError(f"Expected a dataset at {where}/{key}, found a group.")
    return node[()]


def as_text(value):
    """An HDF5 string attribute as ``str`` (bytes or str, fixed or variable length)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
