"""``split_dataset``'s sizes, ``normalize`` and ``to_categorical`` against Keras 3.

Keras's numpy ``normalize`` has two slips that layerkit does not copy: it returns a
1-D input as a (1, n) row, and ``axis=0`` becomes ``-1`` (``axis or -1``), which
fails or normalizes the wrong axis. Those cases are compared on the values Keras
means (a 1-D input reshaped; axis 0 by transposing). The worst relative errors are
printed at the end.
"""

import numpy as np
import pytest
from parity import WorstErrors, report_worst_errors
from peers import import_peer

from layerkit.utils import normalize, split_dataset, to_categorical
from layerkit.utils.dataset_utils import rescale_split_sizes

keras = import_peer("keras")
from keras.src.utils.dataset_utils import _rescale_dataset_split_sizes  # noqa: E402

WORST = WorstErrors()
_report = report_worst_errors("utilities vs Keras", WORST)

SIZES = [None, 0, 1, 3, 7, 10, 11, -2, 0.0, 0.05, 0.3, 0.35, 0.5, 0.7, 0.95, 1.0, 1.5]


def _outcome(function, *args):
    try:
        return function(*args)
    except (TypeError, ValueError) as error:
        return type(error)


@pytest.mark.parametrize("total", [10, 7])
def test_split_sizes_agree_with_keras_for_every_pair(total):
    for left in SIZES:
        for right in SIZES:
            if left is None and right is None:
                continue  # refused by split_dataset before Keras sizes them (a ValueError in both)
            ours = _outcome(rescale_split_sizes, left, right, total)
            theirs = _outcome(_rescale_dataset_split_sizes, left, right, total)
            assert ours == theirs, (left, right, total)


@pytest.mark.parametrize("left, right", [(0.8, None), (None, 0.25), (6, None), (0.35, 0.65),
                                         (3, 7)])
def test_split_dataset_lengths_agree_with_keras(left, right):
    x = np.arange(20.0).reshape(10, 2)
    ours = split_dataset(x, left_size=left, right_size=right)
    theirs = keras.utils.split_dataset(x, left_size=left, right_size=right)
    assert [len(part) for part in ours] == [len(part) for part in theirs]


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("shape, axis", [((6, 5), -1), ((6, 5), 1), ((3, 4, 5), 1), ((3, 4, 5), -1),
                                         ((2, 3, 4), 2)])
def test_normalize_agrees_with_keras(shape, axis, order, rng):
    x = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4, size=shape)
    x[0] = 0.0
    WORST.check("normalize", normalize(x, axis=axis, order=order),
                keras.utils.normalize(x, axis=axis, order=order), f"{shape} axis={axis}")
    x32 = x.astype(np.float32)
    result = normalize(x32, axis=axis, order=order)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, keras.utils.normalize(x32, axis=axis, order=order),
                               rtol=1e-5, atol=1e-7)


def test_normalize_where_keras_slips():
    x = np.array([3.0, 4.0])
    assert keras.utils.normalize(x).shape == (1, 2)  # Keras's (1, n) row for a 1-D input
    WORST.check("normalize", normalize(x), keras.utils.normalize(x)[0], "1-D")
    m = np.arange(1.0, 7.0).reshape(2, 3)
    WORST.check("normalize", normalize(m, axis=0), keras.utils.normalize(m.T, axis=1).T, "axis 0")


@pytest.mark.parametrize("labels, num_classes", [
    ([0, 1, 2, 3], None), ([0, 1, 2, 3], 6), ([[1], [2]], None), ([[0, 2], [1, 1]], None),
    ([3], 0), (np.array([1.7, 0.2, 2.9]), None), (np.array(2), 4),
])
def test_to_categorical_agrees_with_keras(labels, num_classes):
    ours, theirs = to_categorical(labels, num_classes), keras.utils.to_categorical(labels, num_classes)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
