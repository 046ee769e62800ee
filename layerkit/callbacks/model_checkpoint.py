"""``ModelCheckpoint``: save the model (or its weights) during training."""

import math
import os

from layerkit.callbacks.callback import Callback


class ModelCheckpoint(Callback):
    """Save the model or its weights at the end of epochs (or every ``save_freq`` batches).

    Parameters
    ----------
    filepath : str
        May hold ``{epoch}`` and log keys, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.weights.h5"``.
        ``*.weights.h5`` with ``save_weights_only=True``, else ``.h5``/``.keras``.
    monitor : str
        The log key compared with ``save_best_only``.
    verbose : int
        1 prints a line per save.
    save_best_only : bool
        Save only when ``monitor`` improves.
    save_weights_only : bool
        ``model.save_weights`` instead of ``model.save``.
    mode : {"auto", "min", "max"}
    save_freq : "epoch" or int
        Save at each epoch's end, or every this many batches.
    initial_value_threshold : float, optional
        A value ``monitor`` must beat for the first save.

    Every save is atomic: an interrupted save leaves the previous file intact.

    Example
    -------
    >>> checkpoint = ModelCheckpoint("best.weights.h5", save_best_only=True,
    ...                              save_weights_only=True)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        filepath = os.fspath(filepath)
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the "
                             f"filepath must end in `.weights.h5`. Received: filepath={filepath}")
        if not save_weights_only and not filepath.endswith((".h5", ".hdf5", ".keras")):
            raise ValueError("The filepath of `ModelCheckpoint` must end in `.h5` or `.keras` "
                             f"(or `.weights.h5` with save_weights_only). Received: {filepath}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"`mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"`save_freq` must be 'epoch' or a positive integer. "
                             f"Received: save_freq={save_freq!r}")
        self.filepath, self.monitor, self.verbose = filepath, monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode, self.save_freq = mode, save_freq
        self.initial_value_threshold = initial_value_threshold
        higher = mode == "max" or (mode == "auto" and ("acc" in monitor or
                                                        monitor.startswith("fmeasure")))
        self._sign = 1 if higher else -1
        self.best = (-math.inf if initial_value_threshold is None
                     else self._sign * initial_value_threshold)
        self._batches_seen, self._epoch = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._save(self._epoch, logs or {}, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs, batch=None):
        fields = {"epoch": epoch + 1, **logs}
        if batch is not None:
            fields["batch"] = batch
        path = self.filepath.format(**fields)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                return
            score = self._sign * float(value)
            if not score > self.best:
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from "
                      f"{self._sign * self.best:.5f} to {float(value):.5f}, saving to {path}")
            self.best = score
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def get_config(self):
        return {"filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only,
                "save_weights_only": self.save_weights_only, "mode": self.mode,
                "save_freq": self.save_freq,
                "initial_value_threshold": self.initial_value_threshold}
