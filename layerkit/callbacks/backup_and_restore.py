"""``BackupAndRestore``: back up the training state, and resume from it after an interruption."""

import contextlib
import json
import os

from layerkit import distribution
from layerkit.callbacks.arguments import check_save_freq
from layerkit.callbacks.callback import Callback
from layerkit.saving.atomic import write_bytes_atomically

METADATA = "training_metadata.json"
PREVIOUS_METADATA = METADATA + ".bkp"
_PREFIX = "backup-"
_SUFFIX = ".weights.h5"


class BackupAndRestore(Callback):
    """Save the training state at each epoch's end; a restarted ``fit`` resumes from it.

    The state is the model's weights file (``model.save_weights``, which carries the
    optimizer's state too) and the number of epochs done. A backup is committed in
    three steps: the weights go to a new file ``backup-<n>.weights.h5``, then
    ``training_metadata.json`` (``{"epoch", "batch", "weights"}``) is replaced
    atomically to point at it, then the older weights file is deleted. A kill at
    any moment leaves the last committed backup whole. At ``on_train_begin`` the
    backup, if any, is loaded and :meth:`resume_epoch` answers the first epoch
    not done; training then starts there. When training ends normally (not by an
    exception), the backup is deleted.

    Under a distribution over several processes only process 0 reads, writes and
    deletes the backup; ``fit`` gives the others what it restored.

    Parameters
    ----------
    backup_dir : str or os.PathLike
        A folder for this callback alone (created if needed).
    save_freq : "epoch" or int
        Back up at each epoch's end, or every this many batches; a backup taken
        mid-epoch resumes at the start of that epoch (with the weights of the
        backup), as in Keras.
    double_checkpoint : bool
        Also keep the previous backup, and fall back to it if the latest one
        cannot be read.
    delete_checkpoint : bool
        Delete the backup files (and the folder, if then empty) at the end of training.

    Raises
    ------
    ValueError
        For an empty ``backup_dir`` or a bad ``save_freq``; at ``on_train_begin``,
        for an unbuilt model or a backup that cannot be loaded.

    Example
    -------
    >>> import os, tempfile
    >>> backup = BackupAndRestore(os.path.join(tempfile.mkdtemp(), "backup"))
    >>> backup.resume_epoch() is None          # nothing restored yet
    True
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = check_save_freq("BackupAndRestore", save_freq)
        self.double_checkpoint, self.delete_checkpoint = bool(double_checkpoint), bool(delete_checkpoint)
        self._saves = 0
        self._current_epoch = self._last_batch_seen = self._batches_since_save = 0
        self._restored_epoch = None

    def _path(self, name):
        return os.path.join(self.backup_dir, name)

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        self._restored_epoch = None
        self._current_epoch = self._last_batch_seen = self._batches_since_save = 0
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {self.model.name!r} is unbuilt.")
        if not distribution.is_chief():
            return
        candidates = [METADATA] + ([PREVIOUS_METADATA] if self.double_checkpoint else [])
        errors = []
        for name in candidates:
            if not os.path.exists(self._path(name)):
                continue
            try:
                metadata = self._load(name)
            except (OSError, ValueError, KeyError) as error:
                errors.append(f"{name}: {error}")
                continue
            if name == PREVIOUS_METADATA:  # the latest backup is unreadable: the previous one rules
                self._write(METADATA, self._read_text(PREVIOUS_METADATA))
            self._saves = int(metadata.get("save", 0))
            self._current_epoch = self._restored_epoch = int(metadata["epoch"])
            return
        if errors:
            raise ValueError(f"BackupAndRestore could not restore the backup in "
                             f"{self.backup_dir!r}: " + "; ".join(errors))

    def _load(self, name):
        with open(self._path(name), encoding="utf-8") as handle:
            metadata = json.load(handle)
        self.model.load_weights(self._path(os.path.basename(metadata["weights"])))
        return metadata

    def resume_epoch(self):
        """The epoch after the last one backed up, when a backup was restored; else None."""
        return self._restored_epoch

    # ------------------------------------------------------------------ back up
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch, self._last_batch_seen = epoch + 1, 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_since_save += added
        self._last_batch_seen = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save()

    def _save(self):
        """Weights to a new file, then the metadata (the commit), then the old file deleted."""
        if not distribution.is_chief():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        self._saves += 1
        weights = f"{_PREFIX}{self._saves}{_SUFFIX}"
        self.model.save_weights(self._path(weights), overwrite=True)
        if self.double_checkpoint and os.path.exists(self._path(METADATA)):
            self._write(PREVIOUS_METADATA, self._read_text(METADATA))
        self._write(METADATA, json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen,
                                          "weights": weights, "save": self._saves}))
        keep = {weights}
        if self.double_checkpoint and os.path.exists(self._path(PREVIOUS_METADATA)):
            keep.add(json.loads(self._read_text(PREVIOUS_METADATA))["weights"])
        self._remove(name for name in self._own_files()
                     if name.endswith((_SUFFIX, ".tmp")) and name not in keep)

    def _read_text(self, name):
        with open(self._path(name), encoding="utf-8") as handle:
            return handle.read()

    def _write(self, name, text):
        write_bytes_atomically(self._path(name), text.encode("utf-8"))

    def _own_files(self):
        """This callback's files in ``backup_dir``, and what an interrupted write left behind."""
        if not os.path.isdir(self.backup_dir):
            return []
        return [name for name in os.listdir(self.backup_dir)
                if name in (METADATA, PREVIOUS_METADATA)
                or (name.startswith(_PREFIX) and name.endswith(_SUFFIX))
                or (name.startswith(("." + _PREFIX, "." + METADATA)) and name.endswith(".tmp"))]

    def _remove(self, names):
        for name in list(names):
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._path(name))

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not distribution.is_chief():
            return
        self._remove(self._own_files())
        with contextlib.suppress(OSError):  # kept when it holds other files
            os.rmdir(self.backup_dir)

    def get_config(self):
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq,
                "double_checkpoint": self.double_checkpoint,
                "delete_checkpoint": self.delete_checkpoint}
