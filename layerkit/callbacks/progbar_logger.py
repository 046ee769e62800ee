"""``ProgbarLogger``: a live bar during each epoch (verbose=1), one full line at its end."""

import sys
import time

from tqdm.auto import tqdm

from layerkit import distribution
from layerkit.callbacks.callback import Callback

REFRESH_SECONDS = 0.25


def format_logs(logs):
    """``"loss: 0.6931 - accuracy: 0.5000"``.

    Example
    -------
    >>> format_logs({"loss": 0.5, "val_loss": 0.25, "precision": [0.5, 1.0]})
    'loss: 0.5000 - val_loss: 0.2500 - precision: [0.5000 1.0000]'
    """
    def text(value):
        if isinstance(value, (list, tuple)):
            return "[" + " ".join(f"{float(v):.4f}" for v in value) + "]"
        return f"{float(value):.4f}"

    return " - ".join(f"{key}: {text(value)}" for key, value in (logs or {}).items())


class ProgbarLogger(Callback):
    """Shows training progress on standard output.

    ``verbose=1``: during an epoch, a tqdm bar with the running loss and metrics
    (sized to the terminal, so its tail may be cut; redrawn at most four times a
    second); at the epoch's end the bar is cleared and one line is printed in
    full, never cut: ``Epoch 3/10 - 20/20 - 0.05s - loss: ... - val_loss: ...``.
    ``verbose=2``: that line only, without the step count. ``evaluate`` and
    ``predict`` get the same (``Evaluate - ...``, ``Predict - ...``; ``predict``
    with ``verbose=2`` says how many steps it ran: ``Predict 4 steps - 0.01s``); the
    validation inside ``fit`` shows nothing of its own. When the number of steps is
    not known ahead (a generator without ``steps``), the bar counts without a total
    and the closing line gives the steps that ran (``7/7``), as Keras does.

    It takes no constructor arguments, so its config is ``{}`` (the verbosity
    comes from the loop's ``params``). Under a distribution over several processes
    only process 0 shows anything.

    Example
    -------
    >>> logger = ProgbarLogger()
    >>> logger.set_params({"verbose": 2, "epochs": 3, "steps": 5})
    >>> logger.on_epoch_begin(0)
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25})  # doctest: +ELLIPSIS
    Epoch 1/3 - ...s - loss: 0.5000 - val_loss: 0.2500
    """

    def __init__(self):
        super().__init__()
        self._bar = None
        self._in_fit = False
        self._seen = 0
        self._started = self._last_refresh = 0.0

    @property
    def verbose(self):
        """The loop's ``verbose`` (1 when not told); 0 on processes other than process 0."""
        return self.params.get("verbose", 1) if distribution.is_chief() else 0

    def _open(self, description, total):
        self._started = self._last_refresh = time.perf_counter()
        self._seen = 0
        if self.verbose == 1:
            self._bar = tqdm(total=total, desc=description, unit="step", file=sys.stdout,
                             leave=False, dynamic_ncols=True, mininterval=REFRESH_SECONDS)

    def _advance(self, logs):
        self._seen += 1
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if logs and now - self._last_refresh >= REFRESH_SECONDS:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._last_refresh = now

    def _close(self, prefix, logs):
        """Clear the bar, then print the closing line whole (``verbose`` 1 or 2)."""
        elapsed = f"{time.perf_counter() - self._started:.2f}s"
        if self._bar is not None:
            count = f"{self._seen}/{self._bar.total or self._seen}"
            self._bar.close()
            self._bar = None
            parts = (prefix, count, elapsed, format_logs(logs))
        elif self.verbose == 2:
            parts = (prefix, elapsed, format_logs(logs))
        else:
            return
        print(" - ".join(p for p in parts if p), file=sys.stdout, flush=True)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._open(f"Epoch {epoch + 1}/{self.params.get('epochs')}", self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._advance(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._close(f"Epoch {epoch + 1}/{self.params.get('epochs')}", logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._open("Evaluate", self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._close("Evaluate", logs)

    def on_predict_begin(self, logs=None):
        self._open("Predict", self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(None)

    def on_predict_end(self, logs=None):
        self._close("Predict" if self._bar is not None else f"Predict {self._seen} steps", None)
