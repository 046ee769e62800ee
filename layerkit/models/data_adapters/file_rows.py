"""Reading some rows of an array kept in a file, without the rest coming into memory.

``take_rows(array, rows)`` reads the rows in increasing order (h5py needs it, and
disks prefer it) and puts them back in the order asked for.

A memmap is not read through its mapping: touching a mapped page brings a whole
block of the file (a megabyte on kernels with large page-cache folios) into the
process's resident memory, where it stays until memory runs short, so that a
shuffled epoch would end up holding the whole file. Its rows are read with
``os.preadv`` from the file instead, straight into the batch's array; runs of
consecutive rows are read in one call. A memmap whose rows are not contiguous,
or a copy-on-write one (mode ``"c"``, whose changes live only in memory), is read
through the mapping, and the pages it mapped are then released (``madvise``) when
the mapping is shared with the file; so is one whose file was removed after it was
mapped.
"""

import mmap
import os

import numpy as np


def _root(array):
    """The memmap that owns the mapping (views of memmaps are memmaps too)."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root if isinstance(root.base, mmap.mmap) else None


def file_layout(array):
    """``(path, position of row 0, bytes between rows)`` when rows can be read from the file, else None."""
    if not isinstance(array, np.memmap) or array.mode == "c" or array.ndim == 0:
        return None
    root = _root(array)
    path = getattr(root, "filename", None)
    row = array[0] if len(array) else None
    if root is None or path is None or row is None or not row.flags.c_contiguous:
        return None
    position = root.offset + (array.ctypes.data - root.ctypes.data)
    return path, position, array.strides[0]


def _read_exactly(fd, view, position, path):
    while len(view):
        count = os.preadv(fd, [view], position)
        if count == 0:
            raise ValueError(f"The file {path!r} behind a memmap is shorter than the memmap: it "
                             "was truncated after the memmap was made.")
        view, position = view[count:], position + count


def _read_from_file(layout, rows, out):
    """Fill ``out`` with rows ``rows`` (increasing) of the array laid out as ``layout``.

    Returns False, reading nothing, when the file is gone (removed after it was mapped).
    """
    path, start, stride = layout
    row_bytes = out.itemsize * int(np.prod(out.shape[1:], dtype=np.int64))
    flat = memoryview(out.reshape(-1).view(np.uint8))
    try:
        handle = open(path, "rb", buffering=0)
    except FileNotFoundError:
        return False
    with handle:
        k = 0
        while k < len(rows):
            run = 1
            if stride == row_bytes:  # rows that follow each other: one read
                while k + run < len(rows) and rows[k + run] == rows[k] + run:
                    run += 1
            _read_exactly(handle.fileno(), flat[k * row_bytes:(k + run) * row_bytes],
                          start + int(rows[k]) * stride, path)
            k += run
    return True


def _read_in_place(array, rows, out):
    """Fill ``out`` with rows ``rows`` (increasing) read through ``array`` itself (h5py needs
    increasing rows; a memmap's mapped pages are released afterwards)."""
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        out[...] = array[int(rows[0]):int(rows[-1]) + 1]
    else:
        out[...] = array[rows]
    _release_pages(array)


def _release_pages(array):
    """Release the pages a read mapped into this process (a mapping shared with its file only)."""
    if not isinstance(array, np.memmap) or array.mode == "c" or not hasattr(mmap, "MADV_DONTNEED"):
        return
    root = _root(array)
    if root is not None and not root.base.closed:
        root.base.madvise(mmap.MADV_DONTNEED)


def take_rows(array, rows):
    """``array[rows]`` as a new in-memory array, read in increasing row order.

    Parameters
    ----------
    array : ndarray, np.memmap or h5py.Dataset
    rows : slice (step 1) or 1-D int array

    Example
    -------
    >>> take_rows(np.arange(10) * 10, np.array([7, 2, 5])).tolist()
    [70, 20, 50]
    """
    if isinstance(rows, slice):
        rows = np.arange(*rows.indices(len(array)))
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    block = np.empty((len(rows),) + tuple(array.shape[1:]), dtype=array.dtype)
    layout = file_layout(array)
    if layout is None or not _read_from_file(layout, ordered, block):
        _read_in_place(array, ordered, block)
    if np.all(order[1:] > order[:-1]):
        return block
    result = np.empty_like(block)
    result[order] = block
    return result
