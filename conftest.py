"""pytest set-up shared by the test suite and the doctests (the loaders' examples read real data).

The docstring examples read the real files. When ``LAYERKIT_DATA_DIR`` is unset
and the reference folder ``../shared/datasets`` sits beside the repository,
they read it from there (as the Makefile and ``.ci/run`` arrange); when a file
is nowhere on this machine, the examples that need it are skipped rather than
trying the network.
"""

import os
import signal
from pathlib import Path

import pytest

from layerkit.datasets import _files

_REFERENCE = Path(__file__).resolve().parent.parent / "shared" / "datasets"
if not os.environ.get(_files.DATA_DIR_VARIABLE) and _REFERENCE.is_dir():
    os.environ[_files.DATA_DIR_VARIABLE] = str(_REFERENCE)

# Started as a background job of a non-interactive shell, Python inherits SIGINT ignored, and the
# Ctrl-C tests (which press it with signal.raise_signal) would see nothing happen: they test what
# a user at a terminal gets, Python's KeyboardInterrupt, so the suite starts from that.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _available(remote):
    folders = [_files.data_dir(), _files.cache_dir()]
    return any(folder is not None and (folder / remote.name).is_file() for folder in folders)


def pytest_runtest_setup(item):
    if type(item).__name__ != "DoctestItem":
        return
    module = getattr(item.dtest, "globs", {})
    remotes = [value for value in module.values() if isinstance(value, _files.RemoteFile)]
    if remotes and "load_" in item.name and not all(_available(r) for r in remotes
                                                    if r.name != "boston_housing.npz"):
        pytest.skip("the data file is not on this machine (set LAYERKIT_DATA_DIR)")
