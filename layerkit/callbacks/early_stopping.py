"""``EarlyStopping``: stop when a monitored quantity stops improving."""

import warnings

import numpy as np

from layerkit.callbacks.callback import Callback


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs (``"val_loss"`` by default).
    min_delta : float
        Smallest change that counts as an improvement.
    patience : int
        Epochs without improvement before stopping.
    verbose : int
        1 prints a line when stopping.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better (``auto``: higher for accuracies).
    baseline : float, optional
        A value the quantity must beat.
    restore_best_weights : bool
        Restore the weights of the best epoch when stopping.
    start_from_epoch : int
        Epochs to wait before monitoring.

    Example
    -------
    >>> stop = EarlyStopping(monitor="loss", patience=3)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"`mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.verbose, self.mode, self.baseline = verbose, mode, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        higher = mode == "max" or (mode == "auto" and "acc" in monitor)
        self._sign = 1 if higher else -1

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch = 0, 0
        self.best = -np.inf if self.baseline is None else self._sign * self.baseline
        self.best_weights, self.best_epoch = None, 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"EarlyStopping: {self.monitor!r} is not in the logs "
                          f"(available: {sorted(logs or {})}).", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        score = self._sign * float(value)
        if score - self.min_delta > self.best:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.stopped_epoch and self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def get_config(self):
        return {"monitor": self.monitor, "min_delta": self.min_delta, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "baseline": self.baseline,
                "restore_best_weights": self.restore_best_weights,
                "start_from_epoch": self.start_from_epoch}
