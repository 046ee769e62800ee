"""Boston housing: 13 attributes of 506 Boston suburbs (1970s), target the median home value.

Harrison, D. and Rubinfeld, D.L. (1978), "Hedonic prices and the demand for
clean air", J. Environ. Economics & Management 5, 81-102; distributed by the
StatLib library (Carnegie Mellon University) and the UCI Machine Learning
Repository. The same data as Keras's ``keras.datasets.boston_housing``, split
the same way.

**Warning** (as Keras's own loader says): the data set has an ethical problem.
Its column ``B`` is ``1000 (Bk - 0.63)^2`` with ``Bk`` the proportion of Black
residents, built on the assumption that racial self-segregation influences
house prices. It is kept here only because the classic from-scratch tutorials
use it for regression; do not use it to draw conclusions about housing.

The file read is UCI's ``housing.data`` (506 whitespace-separated rows of 14
columns, the last one MEDV, the target, in k$), stored as
``boston_housing.data``; Keras's ``boston_housing.npz`` is accepted too.
"""

import numpy as np

from layerkit.datasets._files import RemoteFile, get_file
from layerkit.datasets._split import check_test_split, shuffle_split

FEATURE_NAMES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                 "PTRATIO", "B", "LSTAT")
TARGET_NAME = "MEDV"

DATA_FILE = RemoteFile(
    "boston_housing.data",
    # The reference copy, and UCI's current bytes: the same rows without the
    # reference copy's trailing space after the last newline.
    ("4a8425d42eb99b76feb7ee7cf0fb1d897a6cd19b72c437e4855d767cabb7e24e",
     "baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a"),
    ("https://archive.ics.uci.edu/ml/machine-learning-databases/housing/housing.data",),
    "Boston housing, UCI's housing.data")
KERAS_FILE = RemoteFile(
    "boston_housing.npz",
    ("f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",),
    ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz",),
    "Boston housing, Keras's copy")


def load_data(path=None, test_split=0.2, seed=113):
    """Load the Boston housing data, shuffled and split exactly as Keras does.

    The 506 rows are shuffled with ``numpy.random.RandomState(seed)`` (NumPy's
    global random state is untouched) and the first ``int(506 * (1 -
    test_split))`` are the training set: with the defaults, 404 training and
    102 test samples, the same arrays as ``keras.datasets.boston_housing.load_data()``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        ``boston_housing.data`` (or Keras's ``boston_housing.npz``), or a folder
        holding it. By default it is looked for in ``$LAYERKIT_DATA_DIR``, then
        in the cache (``~/.layerkit/datasets``), then downloaded into the cache.
    test_split : float
        The share of the data held out for testing, in [0, 1).
    seed : int
        Seed of the shuffle.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: float64 (n, 13), the columns of :data:`FEATURE_NAMES`;
        ``y``: float64 (n,), the median value of owner-occupied homes in k$.

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
    >>> x_train.shape, x_test.shape, y_train[:3].tolist()
    ((404, 13), (102, 13), [15.2, 42.3, 50.0])
    """
    test_split = check_test_split(test_split)
    remote, file = get_file((DATA_FILE, KERAS_FILE), path)
    if remote is KERAS_FILE:
        with np.load(file, allow_pickle=False) as arrays:
            x, y = arrays["x"], arrays["y"]
    else:
        table = np.loadtxt(file, dtype=np.float64)
        x, y = table[:, :-1], table[:, -1]
    return shuffle_split(x, y, test_split, seed)
