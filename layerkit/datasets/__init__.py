"""Data sets: real ones loaded from files, and two-class toy data made with NumPy.

One module per data set, each with Keras's shape of call::

    from layerkit.datasets import cat_vs_noncat
    (x_train, y_train), (x_test, y_test) = cat_vs_noncat.load_data()

- :mod:`~layerkit.datasets.cat_vs_noncat`: 64x64 images, cat or not (the deep-learning course).
- :mod:`~layerkit.datasets.boston_housing`: 13 features, a house price (Keras's split).
- :mod:`~layerkit.datasets.breast_cancer`: 30 features, malignant or benign.
- :mod:`~layerkit.datasets.digits`: 8x8 images of the digits 0 to 9.
- :func:`make_moons`, :func:`make_circles`, :func:`make_xor`: 2-D toy data.

Files are looked for at ``path=``, then in ``$LAYERKIT_DATA_DIR``, then in the
cache ``~/.layerkit/datasets``; otherwise they are downloaded into the cache
from public mirrors. Every file's SHA-256 is checked before it is read.

This package never imports the engine (layers, models, training): it makes arrays.

Example
-------
>>> from layerkit import datasets
>>> x, y = datasets.make_moons(100, noise=0.2, random_state=0)
>>> x.shape, y.shape
((100, 2), (100,))
"""

from layerkit.datasets import boston_housing, breast_cancer, cat_vs_noncat, digits
from layerkit.datasets._files import ChecksumMismatchError, DataFileNotFoundError
from layerkit.datasets.synthetic import make_circles, make_moons, make_xor

__all__ = ["boston_housing", "breast_cancer", "cat_vs_noncat", "digits", "make_moons",
           "make_circles", "make_xor", "DataFileNotFoundError", "ChecksumMismatchError"]
