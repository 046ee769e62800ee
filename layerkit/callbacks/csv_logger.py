"""``CSVLogger``: one CSV row per epoch, Keras's columns."""

import collections.abc
import csv
import io
import os

import numpy as np

from layerkit import distribution
from layerkit.callbacks.callback import Callback
from layerkit.saving.atomic import write_bytes_atomically


def _cell(value):
    """Keras's rendering: strings as they are, iterables as ``"[a, b]"``, numbers as numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
            isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: ``epoch`` then the log keys, sorted.

    The columns are fixed at the first epoch: its keys sorted, plus ``val_<key>``
    for each when there are no validation keys yet (Keras's rule); a missing value
    reads ``NA``. Each row is flushed as soon as it is written.

    Parameters
    ----------
    filename : str or os.PathLike
    separator : str
        The delimiter, ``","`` by default.
    append : bool
        Add to an existing file (no second header) instead of overwriting it.
        When ``fit`` resumes from a backup at epoch ``k`` (``BackupAndRestore``),
        the rows of epochs ``>= k`` already in the file, written by the
        interrupted run, are dropped first, so that no epoch appears twice.

    Under a distribution over several processes only process 0 writes the file.

    Example
    -------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25})
    >>> logger.on_train_end()
    >>> print(open(path).read().strip())
    epoch,loss,val_loss
    0,0.5,0.25
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"`separator` of CSVLogger must be a one-character string. "
                             f"Received: separator={separator!r}")
        self.filename, self.sep, self.append = os.fspath(filename), separator, bool(append)
        self.csv_file = self.writer = self.keys = None
        self.append_header = True

    def _open(self, mode):
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()

    def on_train_begin(self, logs=None):
        if not distribution.is_chief():
            return
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as handle:
                self.append_header = not handle.readline()
        self._close()
        self._open("a" if self.append else "w")
        self.writer = self.keys = None

    def on_train_resume(self, epoch):
        """Drop the rows of epochs ``>= epoch``: the resumed run writes them again."""
        if not self.append or self.csv_file is None:
            return
        self._close()
        with open(self.filename, newline="", encoding="utf-8") as handle:
            lines = handle.read().splitlines(keepends=True)
        kept = lines[:1] + [line for line in lines[1:] if not self._row_at_or_after(line, epoch)]
        if len(kept) != len(lines):
            write_bytes_atomically(self.filename, "".join(kept).encode("utf-8"))
        self._open("a")

    def _row_at_or_after(self, line, epoch):
        first = next(csv.reader(io.StringIO(line), delimiter=self.sep), [""])
        return bool(first) and first[0].strip().isdigit() and int(first[0]) >= epoch

    def on_epoch_end(self, epoch, logs=None):
        if not distribution.is_chief():
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:

            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{key: _cell(logs.get(key, "NA"))
                                                 for key in self.keys}})
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def get_config(self):
        return {"filename": self.filename, "separator": self.sep, "append": self.append}
