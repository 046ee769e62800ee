"""How a global batch is shared between processes, and how rows travel between them.

A batch of rows ``[start, stop)`` is cut into ``count`` contiguous shares, in rank
order, as equal as possible: the first ``(stop - start) % count`` shares have one row
more. Rank ``r``'s rows followed by rank ``r + 1``'s are the batch in its order, so
that joining the shares (:func:`pack_rows`, then an all-gather, then
:func:`unpack_rows`) gives back exactly the batch one process would have.
"""

import numpy as np


def share(start, stop, index, count):
    """``(first, stop)``: the rows of ``[start, stop)`` that share ``index`` of ``count`` holds.

    ``share_r = ⌊n / count⌋ + (1 if r < n mod count else 0)`` rows, ``n = stop - start``.

    Parameters
    ----------
    start, stop : int
        The batch's rows.
    index : int
        This share, in ``[0, count)`` (the process's rank).
    count : int
        The number of shares (processes).

    Returns
    -------
    (int, int)
        Empty (``first == stop``) when the batch has fewer rows than ``index + 1``.

    Example
    -------
    >>> [share(0, 5, r, 2) for r in range(2)], share(10, 11, 1, 2)
    ([(0, 3), (3, 5)], (11, 11))
    """
    rows = stop - start
    base, extra = divmod(rows, count)
    first = start + index * base + min(index, extra)
    return first, first + base + (1 if index < extra else 0)


def take_rows(batch, first, stop):
    """The rows ``[first, stop)`` of a checked batch (lists of arrays, arrays and None, nested).

    Example
    -------
    >>> batch = [[np.arange(4)], [np.arange(4) * 10], None]
    >>> take_rows(batch, 1, 3)
    [[array([1, 2])], [array([10, 20])], None]
    """
    if batch is None:
        return None
    if isinstance(batch, (list, tuple)):
        return type(batch)(take_rows(item, first, stop) for item in batch)
    return batch[first:stop]


def pack_rows(arrays):
    """``(block, layout)``: the arrays side by side as one float64 block of shape ``(rows, width)``.

    Each array (``None`` entries are skipped) becomes ``array.reshape(rows, -1)``; the
    layout keeps each one's trailing shape and dtype for :func:`unpack_rows`. Every
    dtype a model's targets, weights and outputs use (floats up to 64 bits, integers
    up to 2**53) goes through float64 unchanged.

    Example
    -------
    >>> block, layout = pack_rows([np.ones((2, 3), "float32"), None, np.arange(2)])
    >>> block.shape
    (2, 4)
    """
    present = [a for a in arrays if a is not None]
    rows = len(present[0]) if present else 0
    layout = [None if a is None else (a.shape[1:], a.dtype) for a in arrays]
    width = sum(int(np.prod(a.shape[1:], dtype=np.int64)) for a in present)
    block = np.empty((rows, width), dtype=np.float64)
    column = 0
    for a in present:
        size = int(np.prod(a.shape[1:], dtype=np.int64))
        block[:, column:column + size] = a.reshape(rows, size)
        column += size
    return block, layout


def unpack_rows(block, layout):
    """The arrays :func:`pack_rows` put side by side, with ``len(block)`` rows each.

    Example
    -------
    >>> block, layout = pack_rows([np.arange(3, dtype="int32"), None])
    >>> unpack_rows(block, layout)
    [array([0, 1, 2], dtype=int32), None]
    """
    arrays, column = [], 0
    for entry in layout:
        if entry is None:
            arrays.append(None)
            continue
        shape, dtype = entry
        size = int(np.prod(shape, dtype=np.int64))
        part = block[:, column:column + size].reshape((len(block),) + tuple(shape))
        arrays.append(part.astype(dtype))
        column += size
    return arrays
