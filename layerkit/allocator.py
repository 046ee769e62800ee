"""Keep the memory a training step frees for the next step (glibc's malloc only).

By default glibc gives an array over 128 KiB pages of its own (``mmap``), or trims
the free top of its heap once more than 128 KiB lie there; either way the pages go
back to the operating system when the array is freed. A training step frees its
arrays and allocates the same sizes again at the next step, so it then pays a page
fault for every 4 KiB it writes: on a 900 x 50 float64 batch, ``X @ W + b`` took
480 µs against 110 µs for the product and the sum themselves (the W1 network of
``make bench``).

The first ``fit``, ``evaluate`` or ``predict`` therefore asks glibc, once, to serve
arrays of up to 32 MiB from its heap and to keep up to 64 MiB free at its top
(``mallopt``'s ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``): the memory stays with
the process between steps, as PyTorch's and TensorFlow's caching allocators keep
theirs. Elsewhere (macOS, Windows, musl) nothing is done. Set
``LAYERKIT_KEEP_FREED_MEMORY=0`` to leave glibc's defaults alone.
"""

import ctypes
import os
import platform

MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit machines
TRIM_THRESHOLD = 64 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>

_state = {}  # "kept": whether glibc was told


def keep_freed_memory():
    """Tell glibc to keep freed memory for reuse (once); return whether it was told.

    Returns
    -------
    bool
        True where glibc's ``mallopt`` accepted both settings (now or earlier);
        False where the C library is not glibc or ``LAYERKIT_KEEP_FREED_MEMORY=0``.

    Example
    -------
    >>> keep_freed_memory() in (True, False)
    True
    """
    if "kept" not in _state:
        _state["kept"] = _tell_glibc()
    return _state["kept"]


def _tell_glibc():
    if os.environ.get("LAYERKIT_KEEP_FREED_MEMORY", "1").strip() in ("0", "false", "no"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
