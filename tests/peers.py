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
