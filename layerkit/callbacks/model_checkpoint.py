"""``ModelCheckpoint``: save the model (or its weights) during training."""

import os
import string
import warnings

from layerkit import distribution
from layerkit.callbacks.arguments import check_number, check_save_freq
from layerkit.callbacks.monitor_callback import MonitorCallback


def template_fields(filepath):
    """The names ``filepath`` formats (``"{epoch:02d}-{val_loss:.2f}"`` -> ``{"epoch", "val_loss"}``).

    Raises
    ------
    ValueError
        For a malformed template or a positional field (``"{}"``, ``"{0}"``).

    Example
    -------
    >>> sorted(template_fields("ckpt-{epoch:02d}-{val_loss:.3f}.weights.h5"))
    ['epoch', 'val_loss']
    """
    try:
        parsed = list(string.Formatter().parse(filepath))
    except ValueError as error:
        raise ValueError(f"The filepath of ModelCheckpoint is not a valid format string ({error}). "
                         f"Received: filepath={filepath}") from None
    names = {field.split(".")[0].split("[")[0] for _, field, _, _ in parsed if field is not None}
    positional = sorted(name for name in names if name == "" or name.isdigit())
    if positional:
        raise ValueError("The filepath of ModelCheckpoint may only hold named fields such as "
                         f"{{epoch}} or {{val_loss}}, not positional ones. Received: filepath={filepath}")
    return names


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at the end of epochs, or every ``save_freq`` batches.

    Every save is atomic (an interrupted save leaves the previous file intact).

    Parameters
    ----------
    filepath : str or os.PathLike
        May hold ``{epoch}`` (1-based), ``{batch}`` (1-based, with an integer
        ``save_freq``) and log keys, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.keras"``.
        Must end in ``.weights.h5`` with ``save_weights_only=True``, else in
        ``.keras`` or ``.h5`` (or ``.hdf5``, which ``model.save`` also writes).
    monitor : str
        The log key compared with ``save_best_only``.
    verbose : int
        1 prints a line per decision and save.
    save_best_only : bool
        Save only when ``monitor`` improves on the best value so far. When the
        logs lack ``monitor`` (no validation data; batch logs, which never hold
        ``val_`` keys), a warning says so each time and the model is saved anyway,
        as Keras does: a checkpoint is never skipped silently.
    save_weights_only : bool
        ``model.save_weights`` instead of ``model.save``.
    mode : {"auto", "min", "max"}
    save_freq : "epoch" or int
        Save at each epoch's end, or every this many batches.
    initial_value_threshold : float, optional
        The initial "best": the first save needs ``monitor`` to beat it.

    Every save is atomic (an interrupted save leaves the previous file intact). Under
    a distribution over several processes every process decides, only process 0
    prints and saves.

    Raises
    ------
    ValueError
        At construction: a suffix that does not fit ``save_weights_only``, an
        unknown ``mode`` or ``save_freq``, a malformed template, ``{batch}`` with
        ``save_freq="epoch"``, or ``val_`` keys with an integer ``save_freq``.
    KeyError
        At a save, when ``filepath`` names a key the logs lack (the message gives
        the file path, the missing key and the keys there are).

    Example
    -------
    >>> checkpoint = ModelCheckpoint("best.weights.h5", save_best_only=True,
    ...                              save_weights_only=True)
    >>> checkpoint.get_config()["save_freq"]
    'epoch'
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        initial_value_threshold = check_number("ModelCheckpoint", "initial_value_threshold",
                                               initial_value_threshold, optional=True)
        super().__init__(monitor, mode, initial_value_threshold)
        filepath = os.fspath(filepath)
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                             "provided must end in `.weights.h5` (Keras weights format). "
                             f"Received: filepath={filepath}")
        if not save_weights_only and not filepath.endswith((".keras", ".h5", ".hdf5")):
            raise ValueError("The filepath provided must end in `.keras`, `.h5` or `.hdf5` (the whole "
                             "model), or in `.weights.h5` with save_weights_only=True. Received: "
                             f"filepath={filepath}")
        self.save_freq = check_save_freq("ModelCheckpoint", save_freq)
        fields = template_fields(filepath)
        if "batch" in fields and self.save_freq == "epoch":
            raise ValueError("The filepath of ModelCheckpoint uses {batch}, which is only known when "
                             f"`save_freq` is a number of batches. Received: filepath={filepath}, "
                             "save_freq='epoch'")
        val_fields = sorted(name for name in fields if name.startswith("val_"))
        if val_fields and self.save_freq != "epoch":
            raise ValueError(f"The filepath of ModelCheckpoint uses {val_fields}, but it saves every "
                             f"{self.save_freq} batches and batch logs never hold validation "
                             f"values. Received: filepath={filepath}")
        self.filepath, self.verbose = filepath, verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.initial_value_threshold = initial_value_threshold
        self._batches_seen_since_last_saving, self._last_batch_seen = 0, None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        """Count batches across epochs (Keras's rule); True every ``save_freq`` of them."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def file_path(self, epoch, batch, logs):
        """The path of a save at ``epoch`` (0-based) and ``batch`` (0-based, or None).

        Raises
        ------
        KeyError
            When the template names a key missing from ``logs``.
        ValueError
            When a value does not fit its format (``{loss:d}`` for a float...).
        """
        fields = {**(logs or {}), "epoch": epoch + 1}
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        where = f"epoch {epoch + 1}" + ("" if batch is None else f", batch {batch + 1}")
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            hint = (" Validation keys (`val_...`) need `validation_data` or `validation_split` "
                    "in fit()." if str(error.args[0]).startswith("val_") else "")
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: '
                           f'the key "{error.args[0]}" is not in the logs of {where}; the available '
                           f"keys are: {', '.join(sorted(fields))}.{hint}") from None
        except (ValueError, TypeError, IndexError, AttributeError) as error:
            raise ValueError(f'Failed to format this callback filepath: "{self.filepath}" at {where}. '
                             f"Reason: {error}. The available keys are {sorted(fields)}.") from None

    def _should_save_model(self, epoch, batch, logs, filepath):
        """Keras's decision, with its messages; a missing ``monitor`` warns and saves."""
        say = self.verbose > 0 and distribution.is_chief()
        if not self.save_best_only:
            if say:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            where = f"epoch {epoch + 1}" + ("" if batch is None else f", batch {batch + 1}")
            warnings.warn(f"Can save best model only with {self.monitor} available. The logs of "
                          f"{where} hold only {sorted(logs)}: saving to {filepath} anyway, as "
                          "with save_best_only=False.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self.is_improvement(current, self.best):
            if say:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{float(current):.5f}, saving model to {filepath}")
            self.best = float(current)
            return True
        if say:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self.file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath) or not distribution.is_chief():
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for ModelCheckpoint. "
                                    f"Filepath used is an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def get_config(self):
        return {"filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only,
                "save_weights_only": self.save_weights_only, "mode": self.mode,
                "save_freq": self.save_freq,
                "initial_value_threshold": self.initial_value_threshold}
