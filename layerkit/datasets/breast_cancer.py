"""Breast cancer Wisconsin (diagnostic): 30 features of cell nuclei, malignant or benign.

W.N. Street, W.H. Wolberg and O.L. Mangasarian (1993), UCI Machine Learning
Repository (CC BY 4.0), as scikit-learn ships it (``breast_cancer.csv``): 569
samples, 212 malignant (label 0) and 357 benign (label 1).
"""

import numpy as np

from layerkit.datasets._files import RemoteFile, get_file
from layerkit.datasets._split import check_test_split, shuffle_split

FEATURE_NAMES = tuple(
    f"{kind} {name}" for kind in ("mean", "error", "worst")
    for name in ("radius", "texture", "perimeter", "area", "smoothness", "compactness",
                 "concavity", "concave points", "symmetry", "fractal dimension"))

DATA_FILE = RemoteFile(
    "breast_cancer.csv",
    # The reference copy, and scikit-learn's copy at commits whose header line
    # ends with 27 commas (the same rows: the reference with those commas added).
    ("fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed",
     "9aec477dd15b75a2c96a23845831eb08dfa87d76f279d62bbad663497ecca02b"),
    ("https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/"
     "breast_cancer.csv",
     "https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.5.2/sklearn/datasets/data/"
     "breast_cancer.csv"),
    "breast cancer Wisconsin, scikit-learn's copy")


def _read(path):
    _, file = get_file(DATA_FILE, path)
    with open(file, encoding="utf-8") as handle:
        header = [field for field in handle.readline().strip().split(",") if field]
        table = np.loadtxt(handle, delimiter=",", dtype=np.float64)
    n_samples, n_features = int(header[0]), int(header[1])
    if table.shape != (n_samples, n_features + 1):
        raise ValueError(f"{file}: the header announces {n_samples} rows of {n_features} "
                         f"features and a label, but the table has shape {table.shape}.")
    return table[:, :-1], table[:, -1].astype(np.int64), header[2:]


def load_data(path=None, test_split=0.2, seed=113):
    """Load the breast cancer data, shuffled and split as Keras's ``boston_housing`` is.

    Parameters
    ----------
    path : str or os.PathLike, optional
        ``breast_cancer.csv``, or a folder holding it. By default it is looked
        for in ``$LAYERKIT_DATA_DIR``, then in the cache
        (``~/.layerkit/datasets``), then downloaded into the cache.
    test_split : float
        The share held out for testing, in [0, 1).
    seed : int
        Seed of the shuffle (``numpy.random.RandomState(seed)``, a generator of its own).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: float64 (n, 30), the columns of :data:`FEATURE_NAMES`;
        ``y``: int64 (n,), 0 = malignant, 1 = benign. 455 training and 114 test
        samples with the defaults.

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
    >>> x_train.shape, x_test.shape
    ((455, 30), (114, 30))
    """
    test_split = check_test_split(test_split)
    x, y, _ = _read(path)
    return shuffle_split(x, y, test_split, seed)


def load_class_names(path=None):
    """The class names stored in the file's header: ``["malignant", "benign"]``.

    Example
    -------
    >>> load_class_names()
    ['malignant', 'benign']
    """
    return _read(path)[2]
