"""ModelCheckpoint: every Keras 3.15 argument, and it never saves nothing silently."""

import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from test_callbacks import regression_data, small_model

from layerkit import callbacks, models
from layerkit.callbacks import ModelCheckpoint
from layerkit.optimizers import SGD


def listing(folder):
    return sorted(os.listdir(folder))


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and np.array_equal(u, v)


class Snapshots(callbacks.Callback):
    """The weights after every batch, by (epoch, batch)."""

    def __init__(self):
        super().__init__()
        self.weights, self.epoch = {}, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.weights[(self.epoch, batch)] = self.model.get_weights()


def drive(checkpoint, model, values, monitor="val_loss"):
    """Epoch ends with ``{monitor: value}``; the model's weights are set to the epoch number."""
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch, value in enumerate(values):
        model.set_weights([np.full(w.shape, epoch, w.dtype) for w in model.get_weights()])
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {"loss": 1.0} if value is None else {monitor: value})


# --------------------------------------------------------------------------- save_freq in batches
def test_save_freq_in_batches_counts_across_epochs(tmp_path):
    x, y = regression_data(n=40)                      # batch_size 8: 5 steps an epoch
    model = small_model(SGD(0.05, momentum=0.9))
    snapshots = Snapshots()
    checkpoint = ModelCheckpoint(str(tmp_path / "ck-{epoch}-{batch}.weights.h5"),
                                 save_weights_only=True, save_freq=3)
    model.fit(x, y, epochs=3, batch_size=8, callbacks=[snapshots, checkpoint], verbose=0)
    steps = [(epoch, batch) for epoch in range(3) for batch in range(5)]
    saved = [steps[k - 1] for k in range(3, len(steps) + 1, 3)]   # every 3rd step overall
    names = [f"ck-{epoch + 1}-{batch + 1}.weights.h5" for epoch, batch in saved]
    assert listing(tmp_path) == sorted(names)
    for name, key in zip(names, saved):
        fresh = small_model(SGD(0.05, momentum=0.9))   # the same optimizer: its state loads too
        fresh.load_weights(tmp_path / name)
        assert_same_weights(fresh.get_weights(), snapshots.weights[key])


def test_save_freq_in_batches_with_save_best_only_on_the_running_loss(tmp_path):
    x, y = regression_data(n=40)
    model = small_model(SGD(0.05))
    seen = []
    spy = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}-{batch}.h5"), monitor="loss",
                                 save_best_only=True, save_freq=2)
    model.fit(x, y, epochs=2, batch_size=8, callbacks=[spy, checkpoint], verbose=0)
    steps = [(epoch, batch) for epoch in range(2) for batch in range(5)]
    best, expected = None, []
    for k in range(2, len(steps) + 1, 2):
        if best is None or seen[k - 1] < best:
            best = seen[k - 1]
            expected.append(f"best-{steps[k - 1][0] + 1}-{steps[k - 1][1] + 1}.h5")
    assert listing(tmp_path) == sorted(expected)


# --------------------------------------------------------------------------- save_best_only
@pytest.mark.parametrize("mode, monitor, values, best", [
    ("min", "val_loss", [1.0, 0.8, 0.9, 0.5, 0.6], [0, 1, 3]),
    ("auto", "val_loss", [1.0, 0.8, 0.9, 0.5, 0.6], [0, 1, 3]),
    ("max", "val_loss", [1.0, 0.8, 1.2, 0.5, 1.3], [0, 2, 4]),
    ("auto", "val_accuracy", [0.5, 0.4, 0.7, 0.7, 0.9], [0, 2, 4]),
    ("auto", "val_mae", [0.5, 0.4, 0.7, 0.3, 0.9], [0, 1, 3]),
])
def test_save_best_only_modes(tmp_path, mode, monitor, values, best):
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}.weights.h5"), monitor=monitor,
                                 mode=mode, save_best_only=True, save_weights_only=True)
    drive(checkpoint, small_model(), values, monitor)
    assert listing(tmp_path) == sorted(f"best-{e + 1}.weights.h5" for e in best)


def test_initial_value_threshold(tmp_path):
    values = [1.0, 0.8, 0.45, 0.6, 0.3]
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}.weights.h5"), save_best_only=True,
                                 save_weights_only=True, initial_value_threshold=0.5)
    drive(checkpoint, small_model(), values)
    assert listing(tmp_path) == ["best-3.weights.h5", "best-5.weights.h5"]
    assert checkpoint.best == 0.3
    folder = tmp_path / "max"
    checkpoint = ModelCheckpoint(str(folder / "best-{epoch}.weights.h5"), monitor="val_accuracy",
                                 save_best_only=True, save_weights_only=True,
                                 initial_value_threshold=0.95)
    drive(checkpoint, small_model(), [0.5, 0.9, 0.94], "val_accuracy")
    assert not folder.exists(), "nothing beat the threshold"


def test_initial_value_threshold_ignored_without_save_best_only(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "every-{epoch}.weights.h5"), save_weights_only=True,
                                 initial_value_threshold=0.1)
    drive(checkpoint, small_model(), [1.0, 2.0])
    assert listing(tmp_path) == ["every-1.weights.h5", "every-2.weights.h5"]


def test_the_best_file_holds_the_best_epochs_weights(tmp_path):
    model = small_model()
    checkpoint = ModelCheckpoint(str(tmp_path / "best.h5"), save_best_only=True)
    drive(checkpoint, model, [1.0, 0.5, 0.7, 0.6])
    restored = models.load_model(tmp_path / "best.h5")
    assert_same_weights(restored.get_weights(),
                        [np.full(w.shape, 1, w.dtype) for w in model.get_weights()])


# --------------------------------------------------------------------------- save_weights_only
@pytest.mark.parametrize("weights_only, name", [(True, "m.weights.h5"), (False, "m.h5"),
                                                (False, "m.keras"), (False, "m.hdf5")])
def test_save_weights_only_or_the_whole_model(tmp_path, weights_only, name):
    x, y = regression_data(n=16)
    model = small_model(SGD(0.05, momentum=0.9))
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / name), save_weights_only=weights_only)])
    if name.endswith(".keras"):   # Keras 3's zip archive
        with zipfile.ZipFile(tmp_path / name) as archive:
            assert "config.json" in archive.namelist()
    else:
        with h5py.File(tmp_path / name, "r") as handle:
            assert ("model_config" in handle.attrs) is not weights_only
    if weights_only:
        fresh = small_model(SGD(0.05, momentum=0.9))
        fresh.load_weights(tmp_path / name)
    else:
        fresh = models.load_model(tmp_path / name)
        assert fresh.compiled
    assert_same_weights(fresh.get_weights(), model.get_weights())


# --------------------------------------------------------------------------- never silently nothing
def test_missing_monitor_warns_every_time_and_still_saves(tmp_path):
    x, y = regression_data(n=16)
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}.weights.h5"), monitor="val_loss",
                                 save_best_only=True, save_weights_only=True)
    with pytest.warns(UserWarning) as record:
        small_model().fit(x, y, epochs=3, callbacks=[checkpoint], verbose=0)   # no validation data
    messages = [str(w.message) for w in record if "Can save best model" in str(w.message)]
    assert len(messages) == 3
    for epoch, message in enumerate(messages, start=1):
        assert message.startswith("Can save best model only with val_loss available.")
        assert f"logs of epoch {epoch} hold only ['loss']" in message
        assert str(tmp_path / f"best-{epoch}.weights.h5") in message
    assert listing(tmp_path) == [f"best-{e}.weights.h5" for e in (1, 2, 3)]


def test_missing_monitor_in_batch_logs_warns_at_each_batch_save(tmp_path):
    x, y = regression_data(n=32)                       # 4 steps an epoch, a save every 2
    checkpoint = ModelCheckpoint(str(tmp_path / "b.weights.h5"), monitor="val_loss",
                                 save_best_only=True, save_weights_only=True, save_freq=2)
    with pytest.warns(UserWarning) as record:
        small_model().fit(x, y, epochs=2, batch_size=8, validation_data=(x, y),
                          callbacks=[checkpoint], verbose=0)
    messages = [str(w.message) for w in record if "Can save best model" in str(w.message)]
    assert [m.split("logs of ")[1].split(" hold")[0] for m in messages] == [
        "epoch 1, batch 2", "epoch 1, batch 4", "epoch 2, batch 2", "epoch 2, batch 4"]
    assert listing(tmp_path) == ["b.weights.h5"]


def test_no_warning_when_the_monitor_is_there(tmp_path):
    x, y = regression_data(n=16)
    checkpoint = ModelCheckpoint(str(tmp_path / "b.weights.h5"), save_best_only=True,
                                 save_weights_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small_model().fit(x, y, epochs=2, validation_data=(x, y), callbacks=[checkpoint], verbose=0)


def test_a_file_name_key_missing_from_the_logs_is_a_clear_error(tmp_path):
    x, y = regression_data(n=16)
    path = str(tmp_path / "ck-{val_loss:.3f}.h5")
    epochs = []
    count = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))
    with pytest.raises(KeyError) as error:
        small_model().fit(x, y, epochs=3, callbacks=[count, ModelCheckpoint(path)], verbose=0)
    message = error.value.args[0]
    assert f'"{path}"' in message and 'the key "val_loss" is not in the logs of epoch 1' in message
    assert "the available keys are: epoch, loss." in message and "validation_data" in message
    assert epochs == [0], "raised at the first save"
    assert listing(tmp_path) == []


def test_a_value_that_does_not_fit_its_format_is_a_clear_error(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "ck-{loss:d}.h5"))
    with pytest.raises(ValueError, match=r"ck-\{loss:d\}.h5\" at epoch 1. Reason: Unknown format code"):
        drive(checkpoint, small_model(), [None])


@pytest.mark.parametrize("kwargs, match", [
    ({"filepath": "ck-{batch}.h5"}, r"uses \{batch\}, which is only known when `save_freq`"),
    ({"filepath": "ck-{val_loss}.h5", "save_freq": 10}, r"uses \['val_loss'\], but it saves every 10"),
    ({"filepath": "ck-{}.h5"}, "not positional ones"),
    ({"filepath": "ck-{epoch.h5"}, "not a valid format string"),
    ({"filepath": "ck.h5", "save_freq": 0}, "Received: save_freq=0"),
    ({"filepath": "ck.h5", "save_freq": "batch"}, "Received: save_freq='batch'"),
    ({"filepath": "ck.h5", "save_freq": True}, "Received: save_freq=True"),
    ({"filepath": "ck.h5", "mode": "best"}, "Received: mode='best'"),
    ({"filepath": "ck.h5", "monitor": "val_score"}, "Pass `mode='max'`"),
    ({"filepath": "ck.h5", "initial_value_threshold": "low"}, "Received: initial_value_threshold='low'"),
    ({"filepath": "ck.h5", "save_weights_only": True}, "must end in `.weights.h5`"),
    ({"filepath": "ck.npz"}, r"must end in `.keras`, `.h5` or `.hdf5`"),
])
def test_bad_arguments_fail_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ModelCheckpoint(**kwargs)


def test_batch_in_the_name_with_a_numeric_save_freq_is_one_based(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "ck-{epoch}-{batch:03d}.h5"), save_freq=1)
    checkpoint.set_model(small_model())
    checkpoint.on_epoch_begin(4)
    checkpoint.on_train_batch_end(0, {"loss": 1.0})
    assert listing(tmp_path) == ["ck-5-001.h5"]


def test_a_directory_in_the_way_is_named(tmp_path):
    (tmp_path / "ck.h5").mkdir()
    with pytest.raises(IsADirectoryError, match="non-directory filepath.*ck.h5"):
        drive(ModelCheckpoint(str(tmp_path / "ck.h5")), small_model(), [None])


def test_verbose_messages_are_keras(tmp_path, capsys):
    path = str(tmp_path / "b.weights.h5")
    checkpoint = ModelCheckpoint(path, save_best_only=True, save_weights_only=True, verbose=1)
    drive(checkpoint, small_model(), [1.0, 2.0])
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from None to 1.00000, saving model to {path}" in out
    assert f"Epoch 1: finished saving model to {path}" in out
    assert "Epoch 2: val_loss did not improve from 1.00000" in out
    drive(ModelCheckpoint(path, save_weights_only=True, verbose=1), small_model(), [1.0])
    assert f"Epoch 1: saving model to {path}" in capsys.readouterr().out


def test_the_folder_is_created(tmp_path):
    drive(ModelCheckpoint(str(tmp_path / "a" / "b" / "{epoch}.weights.h5"), save_weights_only=True),
          small_model(), [1.0])
    assert listing(tmp_path / "a" / "b") == ["1.weights.h5"]
