"""Optical recognition of handwritten digits: 1,797 images of 8x8 pixels, digits 0 to 9.

E. Alpaydin and C. Kaynak (1998), UCI Machine Learning Repository (CC BY 4.0),
the test part as scikit-learn ships it (``digits.csv.gz``): each row is 64
pixel values (0..16, the count of set pixels in a 4x4 block of a 32x32
bitmap) and the digit.
"""

import gzip

import numpy as np

from layerkit.datasets._files import RemoteFile, get_file
from layerkit.datasets._split import check_test_split, shuffle_split

DATA_FILE = RemoteFile(
    "digits.csv.gz",
    ("09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",),
    ("https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/"
     "digits.csv.gz",
     "https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.5.2/sklearn/datasets/data/"
     "digits.csv.gz"),
    "handwritten digits 8x8, scikit-learn's copy")


def load_data(path=None, test_split=0.2, seed=113):
    """Load the 8x8 digits, shuffled and split as Keras's ``boston_housing`` is.

    Parameters
    ----------
    path : str or os.PathLike, optional
        ``digits.csv.gz``, or a folder holding it. By default it is looked for
        in ``$LAYERKIT_DATA_DIR``, then in the cache (``~/.layerkit/datasets``),
        then downloaded into the cache.
    test_split : float
        The share held out for testing, in [0, 1).
    seed : int
        Seed of the shuffle (``numpy.random.RandomState(seed)``, a generator of its own).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: uint8 (n, 8, 8), values 0..16; ``y``: uint8 (n,), the digit.
        1,437 training and 360 test images with the defaults.

    Raises
    ------
    ValueError
        If ``test_split`` is not in [0, 1).
    layerkit.datasets.DataFileNotFoundError
        If the file is missing and cannot be downloaded.
    layerkit.datasets.ChecksumMismatchError
        If the file is not the expected one.

    Example
    -------
    >>> (x_train, y_train), (x_test, y_test) = load_data()
    >>> x_train.shape, x_test.shape, int(x_train.max())
    ((1437, 8, 8), (360, 8, 8), 16)
    """
    test_split = check_test_split(test_split)
    _, file = get_file(DATA_FILE, path)
    with gzip.open(file, "rt", encoding="utf-8") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float64)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 8, 8)
    y = table[:, -1].astype(np.uint8)
    return shuffle_split(x, y, test_split, seed)
