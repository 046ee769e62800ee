"""The callbacks against Keras 3's own, driven with the same random sequences of logs.

Values are multiples of 1/16 (exact in float32 and float64), so that Keras's float32
comparisons and layerkit's float64 ones decide every tie alike.
"""

import itertools
import warnings

import numpy as np
import pytest
from peers import import_peer
from test_callbacks import StubModel

from layerkit import callbacks

keras = import_peer("keras")
# Keras's set_weights warns about numpy 2's __array__ protocol; not what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def keras_model(learning_rate=1.0):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    return model


def sequences(count, length=12, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        steps = rng.integers(-3, 4, size=length)      # a random walk with plateaus
        yield [float(v) / 16 for v in 32 + np.cumsum(steps)]


def run(callback, model, values, monitor):
    """Epoch ends with ``{monitor: value}``; the weights are set to the epoch number first."""
    callback.set_model(model)
    callback.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        model.set_weights([np.full(w.shape, epoch, w.dtype) for w in model.get_weights()])
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    return stopped


# --------------------------------------------------------------------------- EarlyStopping
EARLY_STOPPING = [dict(zip(("patience", "min_delta", "baseline", "mode", "start_from_epoch"), c))
                  for c in itertools.product((0, 1, 3), (0, 0.0625), (None, 1.75), ("min", "max"),
                                             (0, 2))]


@pytest.mark.parametrize("kwargs", EARLY_STOPPING, ids=lambda k: "-".join(map(str, k.values())))
def test_early_stopping_matches_keras(kwargs):
    for values in sequences(6, seed=kwargs["patience"]):
        ours, theirs = (callbacks.EarlyStopping(monitor="loss", restore_best_weights=True, **kwargs),
                        keras.callbacks.EarlyStopping(monitor="loss", restore_best_weights=True,
                                                      **kwargs))
        stub, model = StubModel(), keras_model()
        assert run(ours, stub, values, "loss") == run(theirs, model, values, "loss"), values
        assert (ours.best_epoch, ours.wait, ours.stopped_epoch) == (
            theirs.best_epoch, theirs.wait, theirs.stopped_epoch), values
        assert stub.weights[0][0] == model.get_weights()[0].flat[0], "the same epoch restored"


# --------------------------------------------------------------------------- ReduceLROnPlateau
REDUCE = [dict(zip(("factor", "patience", "cooldown", "min_lr", "min_delta", "mode"), c))
          for c in itertools.product((0.5, 0.3), (0, 2), (0, 1, 3), (0.0, 0.05), (1e-4, 0.125),
                                     ("min", "max"))]


@pytest.mark.parametrize("kwargs", REDUCE, ids=lambda k: "-".join(map(str, k.values())))
def test_reduce_lr_on_plateau_matches_keras(kwargs):
    for values in sequences(4, seed=kwargs["cooldown"]):
        ours, theirs = (callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs),
                        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs))
        stub, model = StubModel(learning_rate=1.0), keras_model(learning_rate=1.0)
        for callback, target in ((ours, stub), (theirs, model)):
            callback.set_model(target)
            callback.on_train_begin()
        for epoch, value in enumerate(values):
            logs_ours, logs_theirs = {"val_loss": value}, {"val_loss": value}
            ours.on_epoch_end(epoch, logs_ours)
            theirs.on_epoch_end(epoch, logs_theirs)
            assert logs_ours["learning_rate"] == pytest.approx(logs_theirs["learning_rate"], rel=1e-6)
            assert stub.optimizer.learning_rate == pytest.approx(
                float(model.optimizer.learning_rate), rel=1e-6), (values, epoch)
            assert (ours.wait, ours.cooldown_counter) == (theirs.wait, theirs.cooldown_counter)


# --------------------------------------------------------------------------- ModelCheckpoint
def _saved_paths(checkpoint, model, values):
    saved = []
    model.save_weights = lambda filepath, overwrite=True: saved.append(filepath)
    checkpoint.set_model(model)
    if getattr(checkpoint, "monitor_op", "ours") is None:
        # Keras 3.15 sets its comparison only at an epoch's end, so a batch save with
        # save_best_only before the first epoch ends crashes there; set it up front.
        checkpoint._set_monitor_op()
    checkpoint.on_train_begin()
    for epoch in range(len(values) // 4):
        checkpoint.on_epoch_begin(epoch)
        for batch in range(4):
            checkpoint.on_train_batch_end(batch, {"loss": values[4 * epoch + batch]})
        checkpoint.on_epoch_end(epoch, {"loss": values[4 * epoch + 3],
                                        "val_loss": values[4 * epoch + 1]})
    return saved


CHECKPOINT = [dict(zip(("save_best_only", "mode", "save_freq", "initial_value_threshold"), c))
              for c in itertools.product((False, True), ("min", "max"), ("epoch", 1, 3),
                                         (None, 2.0))]


@pytest.mark.parametrize("kwargs", CHECKPOINT, ids=lambda k: "-".join(map(str, k.values())))
def test_model_checkpoint_saves_when_keras_does(tmp_path, kwargs):
    name = "ck-{epoch}-{batch}.weights.h5" if kwargs["save_freq"] != "epoch" else "ck-{epoch}.weights.h5"
    path = str(tmp_path / name)
    monitor = "val_loss" if kwargs["save_freq"] == "epoch" else "loss"
    for values in sequences(3, length=16, seed=int(kwargs["save_best_only"])):
        ours = callbacks.ModelCheckpoint(path, monitor=monitor, save_weights_only=True, **kwargs)
        theirs = keras.callbacks.ModelCheckpoint(path, monitor=monitor, save_weights_only=True,
                                                 **kwargs)
        expected = _saved_paths(theirs, keras_model(), values)
        assert _saved_paths(ours, StubModel(), values) == expected


def test_model_checkpoint_missing_monitor_warns_and_saves_as_keras_does(tmp_path):
    path = str(tmp_path / "ck-{epoch}.weights.h5")
    values = [1.0] * 8
    with warnings.catch_warnings(record=True) as keras_warnings:
        warnings.simplefilter("always")
        expected = _saved_paths(keras.callbacks.ModelCheckpoint(path, monitor="val_acc", mode="max",
                                                                save_best_only=True,
                                                                save_weights_only=True),
                                keras_model(), values)
    with pytest.warns(UserWarning, match="Can save best model only with val_acc available.") as ours:
        saved = _saved_paths(callbacks.ModelCheckpoint(path, monitor="val_acc", mode="max",
                                                       save_best_only=True, save_weights_only=True),
                             StubModel(), values)
    assert saved == expected and len(saved) == 2
    keras_messages = [str(w.message) for w in keras_warnings if "Can save best" in str(w.message)]
    assert len(keras_messages) == len([w for w in ours if "Can save best" in str(w.message)]) == 2
    assert all(str(w.message).startswith(keras_messages[0]) for w in ours)


# --------------------------------------------------------------------------- CSVLogger
def _write_csv(cls, path, runs):
    for append, logs_by_epoch in runs:
        logger = cls(str(path), append=append)
        logger.on_train_begin()
        for epoch, logs in logs_by_epoch:
            logger.on_epoch_end(epoch, logs)
        logger.on_train_end()
    return path.read_bytes()


@pytest.mark.parametrize("runs", [
    [(False, [(0, {"loss": 0.5, "val_loss": 0.25}), (1, {"loss": 0.125, "val_loss": 1 / 3})])],
    [(False, [(0, {"loss": 0.5, "acc": 0.75})])],
    [(False, [(0, {"loss": 0.5})]), (True, [(1, {"loss": 0.25}), (2, {"loss": 0.2})])],
    [(True, [(0, {"b": 1.0, "a": 2.0, "val_a": 3.0})]), (False, [(0, {"loss": 1e-9})])],
], ids=["validation", "no-validation", "append", "order-and-overwrite"])
def test_csv_logger_writes_the_bytes_keras_writes(tmp_path, runs):
    ours = _write_csv(callbacks.CSVLogger, tmp_path / "ours.csv", runs)
    assert ours == _write_csv(keras.callbacks.CSVLogger, tmp_path / "keras.csv", runs)


# --------------------------------------------------------------------------- LearningRateScheduler
@pytest.mark.parametrize("schedule", [lambda epoch, lr: lr * 0.75 if epoch % 2 else lr,
                                      lambda epoch: 0.5 / (1 + epoch)],
                         ids=["epoch-and-rate", "epoch"])
def test_learning_rate_scheduler_matches_keras(schedule):
    stub, model = StubModel(0.5), keras_model(0.5)
    ours = callbacks.LearningRateScheduler(schedule)
    theirs = keras.callbacks.LearningRateScheduler(schedule)
    ours.set_model(stub)
    theirs.set_model(model)
    for epoch in range(6):
        ours.on_epoch_begin(epoch)
        theirs.on_epoch_begin(epoch)
        logs_ours, logs_theirs = {"loss": 1.0}, {"loss": 1.0}
        ours.on_epoch_end(epoch, logs_ours)
        theirs.on_epoch_end(epoch, logs_theirs)
        assert stub.optimizer.learning_rate == pytest.approx(float(model.optimizer.learning_rate),
                                                             rel=1e-6)
        assert logs_ours["learning_rate"] == pytest.approx(logs_theirs["learning_rate"], rel=1e-6)

