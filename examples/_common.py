"""What the worked examples share: a command line, the data, their output folder, the course's cost print.

Each example writes its plots (and any other file) to ``examples/output/<name>/``,
which git ignores, and prints where. The environment variable
``LAYERKIT_EXAMPLES_OUTPUT`` names another root folder (the tests use it).

The data sets are read from ``$LAYERKIT_DATA_DIR``; when it is unset and the
reference folder ``../shared/datasets`` sits beside the checkout, from there
(as ``make`` and the tests arrange); else from the download cache
(``~/.layerkit/datasets``), downloading what is missing.
"""

import argparse
import os
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
OUTPUT_ROOT = REPOSITORY / "examples" / "output"
REFERENCE_DATA = REPOSITORY.parent / "shared" / "datasets"
DATA_DIR_VARIABLE = "LAYERKIT_DATA_DIR"


def parse_args(doc, configure=None):
    """Parse the example's command line; ``--help`` prints its docstring.

    ``configure(parser)`` adds the example's own options.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     epilog=doc.split("\n\n", 1)[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if configure is not None:
        configure(parser)
    return parser.parse_args()


def use_reference_data():
    """Read the data sets from ``../shared/datasets`` beside the checkout when nothing else is set.

    Returns the places looked at, for the message when a file is missing.
    """
    if os.environ.get(DATA_DIR_VARIABLE, "").strip():
        return []
    if REFERENCE_DATA.is_dir():
        os.environ[DATA_DIR_VARIABLE] = str(REFERENCE_DATA)
        return []
    return [f"{REFERENCE_DATA} (the reference folder beside the checkout: not there)"]


def run(main):
    """Run an example's ``main()``; a missing data file ends it with the places looked at."""
    from layerkit.datasets import DataFileNotFoundError

    also_looked = use_reference_data()
    try:
        return main()
    except DataFileNotFoundError as error:
        lines = [f"{Path(sys.argv[0]).name} needs a data file it could not find.", str(error)]
        lines += [f"Also looked for {place}." for place in also_looked]
        lines.append("See datasets/README.md for where each file comes from.")
        raise SystemExit("\n".join(lines)) from None


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
