"""``ReduceLROnPlateau``: lower the learning rate when a monitored quantity stops improving."""

import warnings

import numpy as np

from layerkit import distribution
from layerkit.callbacks.arguments import check_int, check_number
from layerkit.callbacks.learning_rate import get_learning_rate
from layerkit.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    ``new_lr = max(lr * factor, min_lr)``, applied while ``lr > min_lr``. After a
    reduction, ``cooldown`` epochs pass before epochs without improvement count
    again. The epoch logs get ``learning_rate`` (the rate in force at the end of
    the epoch, before any reduction), as in Keras.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs (``"val_loss"`` by default).
    factor : float
        In [0, 1): the rate is multiplied by it.
    patience : int
        Epochs without improvement before a reduction.
    verbose : int
        1 prints a line at each reduction.
    mode : {"auto", "min", "max"}
    min_delta : float
        Smallest change counted as an improvement.
    cooldown : int
        Epochs to wait after a reduction before counting again.
    min_lr : float
        Lower bound on the rate.

    Raises
    ------
    ValueError
        For ``factor`` outside [0, 1), a negative ``patience``, ``cooldown`` or
        ``min_lr``, or an unknown ``mode``.
    TypeError
        At the first reduction, if the optimizer follows a schedule.

    Example
    -------
    >>> from layerkit.optimizers import SGD
    >>> class Model:
    ...     optimizer = SGD(learning_rate=0.1)
    >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> reduce.set_model(Model()); reduce.on_train_begin()
    >>> for epoch in range(3):
    ...     reduce.on_epoch_end(epoch, {"loss": 1.0})
    >>> Model.optimizer.learning_rate
    0.025
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        factor = check_number("ReduceLROnPlateau", "factor", factor, minimum=0.0)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.factor, self.verbose = factor, verbose
        self.patience = check_int("ReduceLROnPlateau", "patience", patience)
        self.cooldown = check_int("ReduceLROnPlateau", "cooldown", cooldown)
        self.min_lr = check_number("ReduceLROnPlateau", "min_lr", min_lr, minimum=0.0)
        self.cooldown_counter = self.wait = 0

    def on_train_begin(self, logs=None):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def in_cooldown(self):
        """Whether reductions are paused after the last one."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.current_learning_rate())
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best, self.wait = float(current), 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, epoch):
        optimizer = self.model.optimizer
        old_lr = get_learning_rate(optimizer, "ReduceLROnPlateau")
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0 and distribution.is_chief():
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True

    def get_config(self):
        return {"monitor": self.monitor, "factor": self.factor, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "min_delta": self.min_delta,
                "cooldown": self.cooldown, "min_lr": self.min_lr}
