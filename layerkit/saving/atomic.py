"""Atomic file writes: a file is either the old one or the complete new one, never half.

An HDF5 file is built in memory first (h5py's ``core`` driver), with Ctrl-C held until
it is complete: h5py writing to disk can crash the interpreter when the disk fills up
or a file-size limit is hit, and can swallow a KeyboardInterrupt in its cleanup. The
finished bytes are then written with ordinary file calls to a temporary file in the
target's folder, flushed and fsynced, and ``os.replace``-d onto the target (atomic on
POSIX and Windows). A full disk is an ``OSError``; any error or interrupt before the
replace removes the temporary file and leaves the previous file untouched.
"""

import contextlib
import itertools
import os
import tempfile

import h5py

from layerkit.interrupts import deferred_interrupts

_CHUNK = 1 << 20
_images = itertools.count()


def fspath(path):
    """A ``str`` path from a ``str``, ``bytes`` or ``os.PathLike`` path.

    Raises
    ------
    TypeError
        For anything else.
    """
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"Expected a file path (str, bytes or os.PathLike). Received: "
                        f"{path!r} of type {type(path).__name__}") from None


def h5_image(fill):
    """The bytes of an HDF5 file built in memory by ``fill(handle)``, Ctrl-C held meanwhile."""
    with deferred_interrupts():
        with h5py.File(f"layerkit-image-{next(_images)}.h5", "w", driver="core",
                       backing_store=False) as handle:
            fill(handle)
            handle.flush()
            return handle.id.get_file_image()


def write_bytes_atomically(path, content):
    """Write ``content`` to ``path`` via a temporary file and an atomic rename.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist.
    OSError
        If the disk is full or a file-size limit is hit (the previous file is unchanged).

    Example
    -------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "notes.txt")
    ...     write_bytes_atomically(path, b"all or nothing")
    ...     open(path, "rb").read(), sorted(os.listdir(folder))
    (b'all or nothing', ['notes.txt'])
    """
    path = fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {path!r}: the folder {folder!r} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        os.fchmod(fd, _mode_for(path))
        view = memoryview(content)
        try:
            for start in range(0, len(view), _CHUNK):
                chunk = view[start:start + _CHUNK]
                while chunk:
                    chunk = chunk[os.write(fd, chunk):]
            os.fsync(fd)
        except OSError as error:
            raise OSError(error.errno, f"Cannot write {path!r}: {error.strerror}. The previous "
                                       "file, if any, is unchanged.") from error
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def write_h5_atomically(path, fill):
    """Build an HDF5 file in memory with ``fill(handle)``, then write it atomically to ``path``.

    Example
    -------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "x.h5")
    >>> write_h5_atomically(target, lambda handle: handle.create_dataset("a", data=[1, 2]))
    >>> h5py.File(target, "r")["a"][()].tolist()
    [1, 2]
    """
    write_bytes_atomically(path, h5_image(fill))


def _mode_for(path):
    """The old file's permissions, else what a plain ``open(path, "w")`` would give."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder):
    """Make the rename itself durable (best effort: not every system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
