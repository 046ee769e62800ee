"""``split_dataset``: cut arrays (or a tuple / dict of them) into a left and a right part."""

import numbers

import numpy as np

from layerkit import backend


def _columns(dataset):
    """``[(key, array)]`` of the dataset's arrays, checked to have the same length."""
    if isinstance(dataset, np.ndarray):
        items = [(None, dataset)]
    elif isinstance(dataset, (list, tuple, dict)):
        if not dataset:
            raise ValueError(f"Received an empty {type(dataset).__name__} dataset. Please provide a "
                             "non-empty list/tuple/dict of arrays.")
        items = list(dataset.items()) if isinstance(dataset, dict) else list(enumerate(dataset))
    else:
        raise TypeError("The `dataset` argument must be a NumPy array, or a list, tuple or dict of "
                        f"arrays. Received: dataset of type {type(dataset)}")
    for key, array in items:
        if not isinstance(array, np.ndarray):
            raise ValueError(f"Expected a {type(dataset).__name__} of `numpy.ndarray` objects, "
                             f"Received: {type(array)} at index {key!r}.")
        if array.ndim == 0:
            raise ValueError(f"The array at index {key!r} of `dataset` is a scalar: the samples "
                             "are along the first axis.")
    lengths = {key: len(array) for key, array in items}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Received a {type(dataset).__name__} of NumPy arrays with different "
                         f"lengths: {lengths}. Please provide arrays of the same length.")
    if not next(iter(lengths.values())):
        raise ValueError("Received an empty dataset. Argument `dataset` must have samples.")
    return items


def _size_kind(size):
    if size is None:
        return None
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return int
    if isinstance(size, numbers.Real) and not isinstance(size, bool):
        return float
    return type(size)


def rescale_split_sizes(left_size, right_size, total_length):
    """``(left, right)`` sample counts from fractions or counts, as Keras computes them.

    A float is a fraction in (0, 1) of ``total_length``, rounded half to even (Python's
    ``round``); an int is a count in (0, total); a missing size is the complement of
    the other.

    Raises
    ------
    TypeError
        For a size that is neither an int, a float nor None.
    ValueError
        For sizes out of range, summing to more than the whole, or leaving a side empty.

    Example
    -------
    >>> rescale_split_sizes(0.8, None, 10), rescale_split_sizes(None, 3, 10)
    ((8, 2), (7, 3))
    """
    left_kind, right_kind = _size_kind(left_size), _size_kind(right_size)
    for name, size, kind in (("left_size", left_size, left_kind),
                             ("right_size", right_size, right_kind)):
        if kind not in (None, int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: "
                            f"type({name})={type(size)}.")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split "
                         "sizes must be non-zero.")
    for name, size, kind in (("left_size", left_size, left_kind),
                             ("right_size", right_size, right_kind)):
        if (kind is int and not 0 < size < total_length) or (kind is float and not 0 < size < 1):
            raise ValueError(f"`{name}` should be either a positive integer smaller than "
                             f"{total_length}, or a float within the range `[0, 1]`. Received: "
                             f"{name}={size}")
    if left_kind is right_kind is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be "
                         "less than or equal to 1.")
    left = None if left_size is None else (
        round(left_size * total_length) if left_kind is float else int(left_size))
    right = None if right_size is None else (
        round(right_size * total_length) if right_kind is float else int(right_size))
    left = total_length - right if left is None else left
    right = total_length - left if right is None else right
    if left + right > total_length:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the "
                         f"{total_length}. Received: left_size + right_size = {left + right} and "
                         f"total_length = {total_length}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total_length}, `left_size`={left} and "
                             f"`right_size`={right}. Resulting {side} side dataset split will be "
                             "empty. Adjust any of the aforementioned parameters")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split arrays into a left part (e.g. training) and a right part (e.g. test).

    The left part is the first ``left`` samples and the right part the last
    ``right`` (after shuffling the samples when asked); samples in neither are left
    out, as in Keras. The sizes follow :func:`rescale_split_sizes`.

    Parameters
    ----------
    dataset : ndarray, or a list / tuple / dict of arrays of the same length
    left_size, right_size : int or float, optional
        A count of samples, or a fraction in (0, 1). One may be None: the rest.
    shuffle : bool
        Shuffle the samples first (the arrays given are not touched).
    seed : int, optional
        The shuffling seed; layerkit's generator (``set_random_seed``) when None.
    preferred_backend : None
        Keras's choice between tf.data and torch datasets; layerkit returns arrays.

    Returns
    -------
    (left, right)
        Each of the same kind as ``dataset``: an array, a list, tuple or dict of arrays.

    Raises
    ------
    TypeError, ValueError
        For a dataset that is not arrays of one length, or bad sizes.

    Example
    -------
    >>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> (x_left, y_left), (x_right, y_right) = split_dataset((x, y), left_size=0.6)
    >>> y_left.tolist(), y_right.tolist()
    ([0, 1, 2], [3, 4])
    """
    if preferred_backend is not None:
        raise ValueError("layerkit splits NumPy arrays into NumPy arrays: `preferred_backend` "
                         f"must be None. Received: preferred_backend={preferred_backend!r}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"`shuffle` must be True or False. Received: shuffle={shuffle!r}")
    items = _columns(dataset)
    total = len(items[0][1])
    left, right = rescale_split_sizes(left_size, right_size, total)
    order = backend.make_generator(seed).permutation(total) if shuffle else None

    def part(rows):
        pieces = [(key, array[rows] if order is None else array[order[rows]]) for key, array in items]
        if isinstance(dataset, np.ndarray):
            return pieces[0][1]
        if isinstance(dataset, dict):
            return dict(pieces)
        return type(dataset)(array for _, array in pieces)

    return part(slice(0, left)), part(slice(total - right, total))
