"""``ProgbarLogger``: a tqdm bar per epoch (verbose=1) or one line per epoch (verbose=2)."""

import sys
import time

from tqdm.auto import tqdm

from layerkit.callbacks.callback import Callback

REFRESH_SECONDS = 0.25


def format_logs(logs):
    """``"loss: 0.6931 - accuracy: 0.5000"``.

    Example
    -------
    >>> format_logs({"loss": 0.5, "val_loss": 0.25})
    'loss: 0.5000 - val_loss: 0.2500'
    """
    return " - ".join(f"{key}: {float(value):.4f}" for key, value in (logs or {}).items())


class ProgbarLogger(Callback):
    """Shows training progress on standard output.

    ``verbose=1``: a tqdm bar per epoch with the running loss and metrics,
    refreshed at most four times a second. ``verbose=2``: one line per epoch.
    ``evaluate`` and ``predict`` get a bar (1) or a closing line (2) likewise.
    """

    def __init__(self):
        super().__init__()
        self._bar = None
        self._in_fit = False

    @property
    def verbose(self):
        return self.params.get("verbose", 1)

    def _open(self, description, total):
        self._started = self._last_refresh = time.perf_counter()
        if self.verbose == 1:
            self._bar = tqdm(total=total, desc=description, unit="step", file=sys.stdout,
                             leave=True, dynamic_ncols=True, mininterval=REFRESH_SECONDS)

    def _advance(self, logs):
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if logs and now - self._last_refresh >= REFRESH_SECONDS:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._last_refresh = now

    def _close(self, prefix, logs):
        elapsed = time.perf_counter() - self._started
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.close()  # draws the final state once
            self._bar = None
        elif self.verbose == 2:
            parts = [p for p in (prefix, f"{elapsed:.2f}s", format_logs(logs)) if p]
            print(" - ".join(parts), file=sys.stdout, flush=True)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
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
        self._close(f"Predict {self.params.get('steps')} steps", None)
