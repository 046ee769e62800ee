"""What the worked examples share: a command line, their output folder, the course's cost print.

Each example writes its plots (and any other file) to ``examples/output/<name>/``,
which git ignores, and prints where. The environment variable
``LAYERKIT_EXAMPLES_OUTPUT`` names another root folder (the tests use it).
"""

import argparse
import os
from pathlib import Path

OUTPUT_ROOT = Path(__file__).resolve().parent / "output"


def parse_args(description):
    """Parse a command line that takes no arguments (so that ``--help`` says what the example is)."""
    return argparse.ArgumentParser(description=description).parse_args()


def output_dir(name):
    """``examples/output/<name>/`` (or ``$LAYERKIT_EXAMPLES_OUTPUT/<name>/``), created if need be."""
    folder = Path(os.environ.get("LAYERKIT_EXAMPLES_OUTPUT") or OUTPUT_ROOT) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_figure(figure, folder, filename):
    """Save a figure as a PNG in ``folder`` and say where."""
    path = Path(folder) / filename
    figure.savefig(path, dpi=100)
    print(f"wrote {path}")
    return path


def print_cost_every(every=100):
    """A callback printing ``Cost after iteration i: c`` every ``every`` epochs, as the course does.

    With one full batch per epoch, epoch ``i``'s loss is the cost computed by
    iteration ``i``'s forward pass, before its update: the course's number.
    """
    from layerkit.callbacks import Callback

    class PrintCost(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch % every == 0:
                print(f"Cost after iteration {epoch}: {logs['loss']:f}")

    return PrintCost()
