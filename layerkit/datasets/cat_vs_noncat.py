"""Cat vs non-cat: 64x64 colour images labelled 1 (cat) or 0 (non-cat).

The data set of the logistic-regression assignment of the deep-learning
course "Neural Networks and Deep Learning" (deeplearning.ai): 209 training and
50 test images, in two HDF5 files, ``train_catvnoncat.h5`` and
``test_catvnoncat.h5``. Licence: distributed with the course's assignments for
teaching; no licence of its own is stated.
"""

import os
from pathlib import Path

import h5py
import numpy as np

from layerkit.datasets._files import RemoteFile, get_file

_COURSE_MIRRORS = (
    "https://raw.githubusercontent.com/Kulbear/deep-learning-coursera/"
    "8ef9dd4fd4a627217d4ff31e63b661dbb3db9150/Neural%20Networks%20and%20Deep%20Learning/datasets/",
    "https://raw.githubusercontent.com/ramakris/coursera-deeplearning/"
    "b1c8f954b5711f918c75f764138837bbe1b3f7fc/datasets/",
)
TRAIN_FILE = RemoteFile(
    "train_catvnoncat.h5",
    ("fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242",),
    tuple(m + "train_catvnoncat.h5" for m in _COURSE_MIRRORS),
    "cat vs non-cat, training split")
TEST_FILE = RemoteFile(
    "test_catvnoncat.h5",
    ("6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951",),
    tuple(m + "test_catvnoncat.h5" for m in _COURSE_MIRRORS),
    "cat vs non-cat, test split")


def _check_folder(path):
    if path is not None and Path(path).expanduser().is_file():
        raise ValueError(f"`path` must be a folder holding {TRAIN_FILE.name} and "
                         f"{TEST_FILE.name}. Received the file {os.fspath(path)!r}.")


def _read(remote, prefix, path):
    _, file = get_file(remote, path)
    with h5py.File(file, "r") as h5:
        return np.array(h5[f"{prefix}_set_x"]), np.array(h5[f"{prefix}_set_y"])


def load_data(path=None):
    """Load the cat vs non-cat images, as stored.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A folder holding ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``.
        By default they are looked for in ``$LAYERKIT_DATA_DIR``, then in the
        cache (``~/.layerkit/datasets``), then downloaded into the cache.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_train``: uint8 (209, 64, 64, 3); ``y_train``: int64 (209,), 1 = cat;
        ``x_test``: uint8 (50, 64, 64, 3); ``y_test``: int64 (50,).

    Raises
    ------
    ValueError
        If ``path`` is a file rather than a folder.
    layerkit.datasets.DataFileNotFoundError
        If a file is missing and cannot be downloaded (the message says how to provide it).
    layerkit.datasets.ChecksumMismatchError
        If a file is not the expected one.

    Example
    -------
    >>> (x_train, y_train), (x_test, y_test) = load_data()
    >>> x_train.shape, x_test.shape, int(y_train.sum())
    ((209, 64, 64, 3), (50, 64, 64, 3), 72)
    """
    _check_folder(path)
    return _read(TRAIN_FILE, "train", path), _read(TEST_FILE, "test", path)


def load_class_names(path=None):
    """The class names stored with the data: index 0 is ``"non-cat"``, 1 is ``"cat"``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        As for :func:`load_data`.

    Returns
    -------
    list of str

    Example
    -------
    >>> load_class_names()
    ['non-cat', 'cat']
    """
    _check_folder(path)
    _, file = get_file(TRAIN_FILE, path)
    with h5py.File(file, "r") as h5:
        return [name.decode("utf-8") for name in h5["list_classes"][:]]
