"""``EarlyStopping``: stop when a monitored quantity stops improving."""

import warnings

from layerkit import distribution
from layerkit.callbacks.arguments import check_int, check_number
from layerkit.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras 3's rules).

    Each monitored epoch counts ``wait += 1``; an improvement (``current`` beats the
    best by more than ``min_delta``) makes it the new best and resets ``wait`` to 0
    when it also beats ``baseline``; an epoch without improvement stops training
    once ``wait >= patience`` (never at epoch 0). Epochs before
    ``start_from_epoch`` are not monitored.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs (``"val_loss"`` by default).
    min_delta : float
        Smallest change that counts as an improvement (its absolute value is used).
    patience : int
        Epochs without improvement before stopping.
    verbose : int
        1 prints a line when stopping and when restoring weights.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better (``"auto"``: from the name).
    baseline : float, optional
        A value to beat: until an epoch beats it, ``wait`` is never reset, so
        training stops after ``patience`` epochs that do not beat it.
    restore_best_weights : bool
        At the end of training (stopped early or not), restore the weights of the
        best monitored epoch, even if it did not beat ``baseline``. When the best
        epoch is the last one, the weights are those of the last epoch.
    start_from_epoch : int
        Epochs to wait before monitoring.

    Raises
    ------
    ValueError
        For an unknown ``mode``, a name ``"auto"`` cannot judge, a negative
        ``patience`` or ``start_from_epoch``, or a non-finite ``min_delta``/``baseline``.

    Example
    -------
    >>> stop = EarlyStopping(monitor="loss", patience=1)
    >>> class Model:
    ...     stop_training = False
    >>> stop.set_model(Model()); stop.on_train_begin()
    >>> for epoch, loss in enumerate([0.9, 0.8, 0.85]):
    ...     stop.on_epoch_end(epoch, {"loss": loss})
    >>> stop.model.stop_training, stop.stopped_epoch
    (True, 2)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = check_int("EarlyStopping", "patience", patience)
        self.start_from_epoch = check_int("EarlyStopping", "start_from_epoch", start_from_epoch)
        self.verbose, self.restore_best_weights = verbose, bool(restore_best_weights)
        self.baseline = check_number("EarlyStopping", "baseline", baseline, optional=True)
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best = self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best, self.best_epoch = float(current), epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        say = self.verbose > 0 and distribution.is_chief()
        if self.stopped_epoch > 0 and say:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if say:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or None with Keras's warning (naming the keys there are)."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=3)
        return value

    def get_config(self):
        return {"monitor": self.monitor, "min_delta": self.min_delta,
                "patience": self.patience, "verbose": self.verbose, "mode": self.mode,
                "baseline": self.baseline, "restore_best_weights": self.restore_best_weights,
                "start_from_epoch": self.start_from_epoch}
