"""The optional peers (PyTorch, Keras, mpi4py): imported, or the module is skipped.

Outside CI a missing peer skips the module that needs it. In CI
(``LAYERKIT_REQUIRE_PEERS=1``, set by ``.ci/run``) a missing peer is a failure: a
parity test that silently skips hides exactly the regressions it exists to catch.
"""

import importlib
import os

import pytest

REQUIRED = os.environ.get("LAYERKIT_REQUIRE_PEERS") == "1"


def import_peer(name):
    """``import name``; skip the calling module when it is missing, fail instead in CI."""
    if name == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import_peer("torch")
    try:
        return importlib.import_module(name)
    except ImportError as error:
        if REQUIRED:
            pytest.fail(f"LAYERKIT_REQUIRE_PEERS=1 but the peer {name!r} cannot be imported: "
                        f"{error}", pytrace=False)
        pytest.skip(f"optional peer {name!r} is not installed", allow_module_level=True)


def needs_data(folder):
    """A mark that skips a test when the reference data sets are not in ``folder``.

    In CI (``LAYERKIT_REQUIRE_PEERS=1``) they are expected beside the checkout: their
    absence fails the module at collection instead of hiding its tests behind skips.
    """
    present = (folder / "train_catvnoncat.h5").is_file()
    if REQUIRED and not present:
        pytest.fail(f"LAYERKIT_REQUIRE_PEERS=1 but the reference data sets are not in {folder}",
                    pytrace=False)
    return pytest.mark.skipif(not present, reason=f"the reference data sets are not in {folder}")
