"""Programs that ``tests/test_distribution_mpi.py`` runs alone and under ``mpiexec -n 2``.

``python tests/distribution_programs.py <program> <folder> [arguments]``: each
program writes what it found to ``<folder>`` (``<name>.<rank>.npz`` / ``.json``) for
the test to compare. Process 0 seeds as the run alone does and the other processes
seed differently, so that equal results show that process 0's weights and order
were given to every process.
"""

import contextlib
import json
import math
import os
import sys
from pathlib import Path

import h5py
import numpy as np

import layerkit
from layerkit import callbacks, distribution, layers
from layerkit.models.data_adapters import sliced_data_adapter
from layerkit.optimizers import SGD
from layerkit.utils import PyDataset

BATCH, EPOCHS = 32, 3
ROWS, VALIDATION_ROWS = 161, 41  # 161 = 5 batches of 32 and one row: process 1's share is empty


def start(auto_shard_dataset=True):
    """Set the distribution; seed as the run alone does on process 0, differently elsewhere."""
    strategy = distribution.DataParallel(auto_shard_dataset=auto_shard_dataset)
    distribution.set_distribution(strategy)
    layerkit.utils.set_random_seed(0 if strategy.process_id == 0 else 100 + strategy.process_id)
    return strategy


def make_data(dtype, rows, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5)).astype(dtype)
    return x, ((x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1)).astype(dtype)


def make_model(kind):
    if kind == "two_heads":  # two outputs, each with its own sample weights
        inputs = layerkit.Input((5,))
        hidden = layers.Dense(8, activation="tanh")(inputs)
        return layerkit.Model(inputs, [layers.Dense(3, activation="softmax", name="p")(hidden),
                                       layers.Dense(3, activation="softmax", name="q")(hidden)])
    if kind == "sequential":
        return layerkit.Sequential([layers.Input((5,)), layers.Dense(8, activation="tanh"),
                                    layers.Dense(3, activation="softmax")])
    inputs = layerkit.Input((5,))
    wide = layers.Dense(8, activation="relu")(inputs)
    narrow = layers.Dense(4, activation="tanh")(inputs)
    outputs = layers.Dense(3, activation="softmax")(layers.Concatenate()([wide, narrow]))
    return layerkit.Model(inputs, outputs)


def compiled(kind, units=8, momentum=0.9):
    model = make_model(kind) if units == 8 else layerkit.Sequential(
        [layers.Input((5,)), layers.Dense(units, activation="tanh"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=SGD(0.05, momentum=momentum), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class Batches(PyDataset):
    """The rows in batches of 32; with ``shard``, only this process's rows of each batch are read."""

    def __init__(self, x, y, shard=False):
        super().__init__()
        self.x, self.y, self.shard, self.read = x, y, shard, []

    def __len__(self):
        return math.ceil(len(self.x) / BATCH)

    def __getitem__(self, index):
        first, stop = index * BATCH, min((index + 1) * BATCH, len(self.x))
        if self.shard:
            first, stop = distribution.distribution().shard_rows(first, stop)
        self.read.extend(range(first, stop))
        return self.x[first:stop], self.y[first:stop]


def batches(x, y):
    """A generator of the epochs' batches, in order."""
    return iter([(x[i:i + BATCH], y[i:i + BATCH]) for _ in range(EPOCHS) for i in range(0, ROWS, BATCH)])


def record_rows(read):
    """Record the rows each batch read from a file takes (the adapter's reader, wrapped)."""
    take = sliced_data_adapter.take_rows

    def recording(array, rows):
        read.extend(np.arange(len(array))[rows].tolist())
        return take(array, rows)

    sliced_data_adapter.take_rows = recording


def train(folder, dtype):
    """Train each kind of model on each kind of data; save weights, history, predictions."""
    layerkit.backend.set_floatx(dtype)
    x, y = make_data(dtype, ROWS, 0)
    x_val, y_val = make_data(dtype, VALIDATION_ROWS, 1)
    rank = start().process_id
    h5_path = Path(folder) / f"data.{rank}.h5"
    with h5py.File(h5_path, "w") as handle:
        handle["x"], handle["y"] = x, y
    np.save(Path(folder) / f"x.{rank}.npy", x)
    file_rows = []
    record_rows(file_rows)
    cases = {"sequential": ("sequential", lambda: (x, y), {}),
             "graph": ("graph", lambda: (x, y), {}),
             "split": ("sequential", lambda: (x, y), {"validation_split": 0.25}),
             "memmap": ("sequential", lambda: (np.load(Path(folder) / f"x.{rank}.npy", mmap_mode="r"), y),
                        {}),
             "hdf5": ("graph", lambda: (h5py.File(h5_path, "r")["x"], h5py.File(h5_path, "r")["y"]), {}),
             "pydataset": ("sequential", lambda: (Batches(x, y), None), {}),
             "generator": ("sequential", lambda: (batches(x, y), None),
                           {"steps_per_epoch": 6, "shuffle": False}),
             "weighted": ("two_heads", lambda: (x, [y, y]),
                          {"sample_weight": {"p": 1 + np.abs(x[:, 3]), "q": 1 + x[:, 4] ** 2}})}
    report = {}
    for name, (kind, data, options) in cases.items():
        model = compiled(kind)
        untrained = model.predict(x, verbose=0)  # process 0's weights, on every process
        targets_val = [y_val, y_val] if kind == "two_heads" else y_val
        if "validation_split" not in options:
            options = {"validation_data": (x_val, targets_val), **options}
        del file_rows[:]
        history = model.fit(*data(), batch_size=BATCH, epochs=EPOCHS, verbose=0, **options)
        report[name] = {"history": history.history,
                        "evaluate": model.evaluate(x_val, targets_val, verbose=0),
                        "rows": sorted(file_rows)}
        predicted = model.predict(x, verbose=0)
        untrained, predicted = (np.concatenate(p, axis=1) if isinstance(p, list) else p
                                for p in (untrained, predicted))
        np.savez(Path(folder) / f"{name}.{rank}.npz", *model.get_weights(), untrained=untrained,
                 predicted=predicted)
    strategy = start(auto_shard_dataset=False)  # each process reads only its rows of each batch
    model, dataset = compiled("sequential"), Batches(x, y, shard=True)
    history = model.fit(dataset, epochs=EPOCHS, verbose=0, validation_data=(x_val, y_val))
    report["manual"] = {"history": history.history, "rows": sorted(dataset.read)}
    np.savez(Path(folder) / f"manual.{strategy.process_id}.npz", *model.get_weights())
    Path(folder, f"report.{rank}.json").write_text(json.dumps(report))


def chief(folder):
    """Every callback that writes or prints, on every process, each given a path of its own."""
    rank = start().process_id
    own = Path(folder) / f"rank{rank}"
    x, y = make_data("float32", ROWS, 0)
    model = compiled("sequential")
    with open(Path(folder) / f"stdout.{rank}", "w") as out, contextlib.redirect_stdout(out):
        os.dup2(out.fileno(), 1)  # what is printed below Python too
        model.fit(x, y, batch_size=BATCH, epochs=2, verbose=1, validation_split=0.2, callbacks=[
            callbacks.ModelCheckpoint(str(own / "ckpt-{epoch}.weights.h5"), save_weights_only=True,
                                      verbose=1),
            callbacks.CSVLogger(str(own) + ".csv"),
            callbacks.BackupAndRestore(str(own / "backup"), delete_checkpoint=False),
            callbacks.EarlyStopping(monitor="loss", patience=5, verbose=1, restore_best_weights=True),
            callbacks.TerminateOnNaN()])
        model.evaluate(x, y, verbose=2)
        model.predict(x, verbose=2)
        model.save(str(own) + ".keras")
        model.save_weights(str(own) + ".weights.h5")
        sys.stdout.flush()


def fail(folder):
    """Process 1 raises in the middle of an epoch; nothing catches it."""
    rank = start().process_id
    x, y = make_data("float32", 4000, 0)

    class Explode(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if rank == 1 and batch == 7:
                raise RuntimeError("process 1 failed on purpose at batch 7")

    compiled("sequential").fit(x, y, batch_size=BATCH, epochs=50, verbose=0, callbacks=[Explode()])
    Path(folder, f"finished.{rank}").write_text("training ended normally")


def mismatch(folder):
    """Data of another length, a model of another shape, another optimizer: each refused everywhere."""
    rank = start().process_id
    x, y = make_data("float32", ROWS, 0)
    cases = {"length": lambda: compiled("sequential").fit(x[:ROWS - rank], y[:ROWS - rank], verbose=0),
             "model": lambda: compiled("sequential", units=8 + rank).fit(x, y, verbose=0),
             "optimizer": lambda: compiled("sequential", momentum=0.9 - 0.1 * rank).fit(x, y, verbose=0),
             "losses": lambda: _summed_loss_model().fit(x, y, verbose=0)}
    errors = {}
    for name, run in cases.items():
        try:
            run()
        except ValueError as error:
            errors[name] = str(error)
    Path(folder, f"errors.{rank}.json").write_text(json.dumps(errors))


def _summed_loss_model():
    model = make_model("sequential")
    model.compile(optimizer="sgd", loss=layerkit.losses.SparseCategoricalCrossentropy(reduction="sum"))
    return model


def resume(folder):
    """Training interrupted after epoch 1, resumed by BackupAndRestore; process 0 alone reads the backup."""
    rank = start().process_id
    x, y = make_data("float64", ROWS, 0)
    layerkit.backend.set_floatx("float64")
    backup = Path(folder) / ("backup" if rank == 0 else f"backup-not-read-{rank}")

    class Interrupt(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    with contextlib.suppress(RuntimeError):
        start()
        compiled("sequential").fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, callbacks=[
            Interrupt(), callbacks.BackupAndRestore(str(backup))])
    start()
    model = compiled("sequential")
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                        callbacks=[callbacks.BackupAndRestore(str(backup))])
    Path(folder, f"resumed.{rank}.json").write_text(json.dumps(history.epoch))
    np.savez(Path(folder) / f"resumed.{rank}.npz", *model.get_weights())


def uninterrupted(folder):
    """What ``resume`` must end with: three epochs in a row, alone."""
    x, y = make_data("float64", ROWS, 0)
    layerkit.backend.set_floatx("float64")
    start()
    model = compiled("sequential")
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    np.savez(Path(folder) / "uninterrupted.0.npz", *model.get_weights())


if __name__ == "__main__":
    program, folder, *arguments = sys.argv[1:]
    {"train": train, "chief": chief, "fail": fail, "mismatch": mismatch, "resume": resume,
     "uninterrupted": uninterrupted}[program](folder, *arguments)
