"""Keras 3's callbacks: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN,
LambdaCallback, CallbackList, ProgbarLogger, and every callback's config round trip.

ModelCheckpoint is in test_callbacks_checkpoint.py, BackupAndRestore and CSVLogger in
test_callbacks_backup.py, the comparisons with Keras itself in test_callbacks_keras.py.
"""

import copy
import json
import re

import numpy as np
import pytest

from layerkit import Sequential, callbacks, layers, optimizers
from layerkit.optimizers import SGD, schedules
from layerkit.saving import register_keras_serializable


# --------------------------------------------------------------------------- helpers
def regression_data(n=40, seed=0, n_features=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features))
    return x, x @ rng.normal(size=n_features) + 0.1 * rng.normal(size=n)


def small_model(optimizer=None, metrics=None, n_features=3):
    model = Sequential([layers.Input((n_features,)), layers.Dense(4, activation="tanh"),
                        layers.Dense(1)])
    model.compile(optimizer=optimizer or SGD(0.05), loss="mse", metrics=metrics)
    return model


class StubModel:
    """The public surface callbacks use: stop_training, optimizer, get/set_weights."""

    def __init__(self, learning_rate=1.0):
        self.stop_training = False
        self.optimizer = SGD(learning_rate)
        self.weights = [np.zeros(2)]
        self.name = "stub"

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def drive(callback, values, monitor="loss", model=None):
    """Run ``callback`` through epochs whose logs hold ``values``; the model's weights at
    epoch e are ``[e, e]``. Returns (the epoch it stopped at or None, the model, the logs)."""
    model = model or StubModel()
    callback.set_model(model)
    callback.on_train_begin()
    stopped, all_logs = None, []
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_begin(epoch)
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        all_logs.append(logs)
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end(all_logs[-1] if all_logs else None)
    return stopped, model, all_logs


# --------------------------------------------------------------------------- EarlyStopping
def test_early_stopping_patience_on_a_real_plateau():
    x, y = regression_data()
    model = small_model(optimizer=SGD(0.0))          # lr 0: the loss is the same every epoch
    stop = callbacks.EarlyStopping(monitor="loss", patience=2)
    history = model.fit(x, y, epochs=10, batch_size=8, shuffle=False, callbacks=[stop], verbose=0)
    # epoch 0 sets the best; epochs 1 and 2 do not improve: wait reaches 2 at epoch 2.
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 2 and model.stop_training
    assert len(set(history.history["loss"])) == 1


def test_early_stopping_waits_for_patience_epochs_after_the_best():
    values = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5]
    for patience in (1, 2, 3):
        stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=patience), values)
        assert stopped == 1 + patience            # the best is epoch 1


def test_early_stopping_never_stops_at_epoch_0_and_patience_0_stops_at_once():
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=0), [1.0, 1.0, 0.5])
    assert stopped == 1


def test_early_stopping_min_delta_ignores_small_improvements():
    values = [1.0, 0.95, 0.91, 0.88, 0.5]           # each step improves by less than 0.1
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=2, min_delta=0.1), values)
    assert stopped == 2
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=2, min_delta=-0.1), values)
    assert stopped == 2, "the absolute value of min_delta is used"
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=2), values)
    assert stopped is None


@pytest.mark.parametrize("mode, monitor", [("max", "loss"), ("auto", "val_accuracy"),
                                           ("auto", "binary_accuracy")])
def test_early_stopping_higher_is_better(mode, monitor):
    values = [0.5, 0.6, 0.55, 0.58, 0.9]
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=2), values,
                          monitor=monitor)
    assert stopped == 3


def test_early_stopping_baseline_never_beaten_stops_after_patience_epochs():
    values = [0.9, 0.8, 0.7, 0.75, 0.6, 0.5]       # improving, but never below 0.55
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=3, baseline=0.55), values)
    # wait counts every monitored epoch and is never reset: 4 >= 3 at the first non-improving epoch
    assert stopped == 3
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=3, baseline=0.85), values)
    assert stopped is None                          # epoch 1 beats the baseline: wait reset


def test_early_stopping_restores_the_best_epoch_when_stopping():
    values = [1.0, 0.5, 0.7, 0.8, 0.9]
    stop = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    stopped, model, _ = drive(stop, values)
    assert stopped == 3 and stop.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))


def test_early_stopping_restore_when_the_best_epoch_is_the_last():
    values = [1.0, 0.9, 0.8]
    stop = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    stopped, model, _ = drive(stop, values)
    assert stopped is None and stop.best_epoch == 2
    np.testing.assert_array_equal(model.weights[0], np.full(2, 2.0))


def test_early_stopping_restores_the_best_even_without_stopping():
    values = [1.0, 0.5, 0.7]                       # training ends before patience runs out
    stopped, model, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=5,
                                                      restore_best_weights=True), values)
    assert stopped is None
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))


def test_early_stopping_restores_the_best_below_a_baseline_never_beaten():
    values = [0.9, 0.7, 0.8, 0.85, 0.95]
    stop = callbacks.EarlyStopping(monitor="loss", patience=3, baseline=0.1,
                                   restore_best_weights=True)
    stopped, model, _ = drive(stop, values)
    assert stopped == 2 and stop.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))


def test_early_stopping_restore_in_fit_gives_the_best_epochs_weights():
    x, y = regression_data()
    model = small_model(optimizer=SGD(0.5, momentum=0.9))   # too fast: the loss goes up
    weights = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: weights.append(model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=30, batch_size=8, callbacks=[record, stop], verbose=0)
    best = int(np.argmin(history.history["loss"]))
    assert stop.best_epoch == best
    for restored, expected in zip(model.get_weights(), weights[best]):
        np.testing.assert_array_equal(restored, expected)


def test_early_stopping_start_from_epoch():
    values = [5.0, 4.0, 3.0, 10.0, 10.0, 10.0]
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=1), values)
    assert stopped == 3
    stopped, _, _ = drive(callbacks.EarlyStopping(monitor="loss", patience=1, start_from_epoch=3),
                          values)
    assert stopped == 4                             # epoch 3 is the first one watched


def test_early_stopping_missing_monitor_warns_with_the_keys_there_are():
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=0)
    stop.set_model(StubModel())
    stop.on_train_begin()
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss` which is "
                                         "not available. Available metrics are: loss,mae"):
        stop.on_epoch_end(0, {"loss": 1.0, "mae": 2.0})
    assert not stop.model.stop_training


def test_early_stopping_verbose_messages(capsys):
    drive(callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1, restore_best_weights=True),
          [1.0, 0.5, 0.9])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


@pytest.mark.parametrize("kwargs, match", [
    ({"mode": "maximum"}, r"`mode` of EarlyStopping must be one of \['auto', 'min', 'max'\]"),
    ({"patience": -1}, "Received: patience=-1"),
    ({"patience": 1.5}, "Received: patience=1.5"),
    ({"start_from_epoch": -2}, "Received: start_from_epoch=-2"),
    ({"baseline": float("nan")}, "Received: baseline=nan"),
    ({"min_delta": "0.1"}, "Received: min_delta='0.1'"),
    ({"monitor": "val_my_score"}, "Pass `mode='max'`"),
])
def test_early_stopping_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        callbacks.EarlyStopping(**kwargs)


# --------------------------------------------------------------------------- ReduceLROnPlateau
def _expected_rates(losses, lr, factor, patience, cooldown, min_lr, min_delta):
    """Keras's rule, written out: the rate logged at each epoch, and the final one."""
    best, wait, cool, logged = None, 0, 0, []
    for loss in losses:
        logged.append(lr)
        if cool > 0:
            cool, wait = cool - 1, 0
        if best is None or loss + min_delta < best:
            best, wait = loss, 0
        elif cool == 0:
            wait += 1
            if wait >= patience and lr > np.float32(min_lr):
                lr, cool, wait = max(lr * factor, min_lr), cooldown, 0
    return logged, lr


def test_reduce_lr_on_a_real_plateau():
    x = np.zeros((32, 3))                        # the loss only depends on the bias: it plateaus
    y = np.random.default_rng(1).normal(size=32)
    model = small_model(optimizer=SGD(0.3))
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=1e-3)
    history = model.fit(x, y, epochs=25, batch_size=32, callbacks=[reduce], verbose=0)
    logged, final = _expected_rates(history.history["loss"], 0.3, 0.5, 2, 0, 0.0, 1e-3)
    assert history.history["learning_rate"] == pytest.approx(logged, rel=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(final, rel=1e-12)
    assert final < 0.3 / 4, "the plateau must trigger several reductions"


def test_reduce_lr_cooldown():
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2)
    _, model, logs = drive(reduce, [1.0] * 8)
    # Keras counts the cooldown down before judging the epoch: with cooldown=2 the epoch after a
    # reduction is skipped, the next one counts again (wait 1 = patience): reductions at 1, 3, 5, 7.
    assert [log["learning_rate"] for log in logs] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    assert model.optimizer.learning_rate == 0.0625
    assert [log["learning_rate"] for log in logs] == _expected_rates([1.0] * 8, 1.0, 0.5, 1, 2, 0.0,
                                                                      1e-4)[0]


def test_reduce_lr_stops_at_min_lr():
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, min_lr=0.004)
    _, model, _ = drive(reduce, [1.0] * 6)
    assert model.optimizer.learning_rate == 0.004   # 1 -> 0.1 -> 0.01 -> 0.004, then no lower


def test_reduce_lr_improvement_resets_the_wait():
    values = [1.0, 1.0, 0.5, 0.5, 0.2, 0.2]
    _, model, _ = drive(callbacks.ReduceLROnPlateau(monitor="loss", patience=2), values)
    assert model.optimizer.learning_rate == 1.0


def test_reduce_lr_verbose_and_missing_monitor(capsys):
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, verbose=1)
    drive(reduce, [1.0, 1.0])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.5." in capsys.readouterr().out
    reduce = callbacks.ReduceLROnPlateau()
    reduce.set_model(StubModel())
    reduce.on_train_begin()
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not available. "
                                         "Available metrics are: loss,learning_rate"):
        reduce.on_epoch_end(0, {"loss": 1.0})


def test_reduce_lr_refuses_a_schedule_and_bad_arguments():
    model = StubModel()
    model.optimizer = SGD(schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", patience=1)
    with pytest.raises(TypeError, match="learning rate is not settable"):
        drive(reduce, [1.0, 1.0], model=model)
    with pytest.raises(ValueError, match="does not support a factor >= 1.0. Received factor=1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="Received: factor=-0.5"):
        callbacks.ReduceLROnPlateau(factor=-0.5)
    with pytest.raises(ValueError, match="Received: cooldown=-1"):
        callbacks.ReduceLROnPlateau(cooldown=-1)
    with pytest.raises(ValueError, match="Received: min_lr=-1"):
        callbacks.ReduceLROnPlateau(min_lr=-1)


# --------------------------------------------------------------------------- LearningRateScheduler
def _rates_seen(schedule, epochs=4, initial=0.1):
    """Fit with the scheduler; the optimizer's rate as each epoch's first step runs."""
    x, y = regression_data(n=16)
    model = small_model(optimizer=SGD(initial))
    seen = []
    spy = callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(model.optimizer.learning_rate)
        if batch == 0 else None)
    history = model.fit(x, y, epochs=epochs, batch_size=8,
                        callbacks=[callbacks.LearningRateScheduler(schedule), spy], verbose=0)
    return seen, history


def test_scheduler_with_epoch_and_rate():
    def halve_after_one(epoch, lr):
        return lr if epoch < 1 else lr / 2

    seen, history = _rates_seen(halve_after_one)
    expected = [0.1 / 2 ** e for e in range(4)]
    assert seen == pytest.approx(expected, rel=1e-15)
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-15)


def test_scheduler_with_epoch_only():
    seen, _ = _rates_seen(lambda epoch: 0.2 * 0.5 ** epoch)
    assert seen == pytest.approx([0.2 * 0.5 ** e for e in range(4)], rel=1e-15)


def test_scheduler_rate_is_the_one_the_steps_use():
    x, y = regression_data(n=16)
    model = small_model(optimizer=SGD(0.1))
    weights = [model.get_weights()]
    keep = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: weights.append(model.get_weights()))
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda e, lr: 0.1 if e == 0 else 0.0), keep])
    assert any(not np.array_equal(a, b) for a, b in zip(weights[0], weights[1]))
    for a, b in zip(weights[1], weights[3]):
        np.testing.assert_array_equal(a, b)         # a rate of 0 moves nothing


def test_scheduler_errors_and_verbose(capsys):
    model = StubModel(0.1)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: 1)
    scheduler.set_model(model)
    with pytest.raises(ValueError, match="should be a float. Got: 1"):
        scheduler.on_epoch_begin(0)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: -0.5)
    scheduler.set_model(model)
    with pytest.raises(ValueError, match="non-negative"):
        scheduler.on_epoch_begin(0)
    with pytest.raises(TypeError, match="must be a function"):
        callbacks.LearningRateScheduler(0.1)
    model.optimizer = SGD(schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr)
    scheduler.set_model(model)
    with pytest.raises(TypeError, match="not settable"):
        scheduler.on_epoch_begin(0)
    scheduler = callbacks.LearningRateScheduler(lambda epoch: 0.25, verbose=1)
    scheduler.set_model(StubModel())
    scheduler.on_epoch_begin(2)
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.25." in capsys.readouterr().out


# --------------------------------------------------------------------------- TerminateOnNaN
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_terminate_on_nan(bad, capsys):
    callback = callbacks.TerminateOnNaN()
    model = StubModel()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 1e30})
    assert not model.stop_training
    callback.on_train_batch_end(4, {"loss": bad})
    assert model.stop_training
    assert "Batch 4: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match=f"NaN or Inf loss encountered at batch 4. Loss value: {bad}"):
        callbacks.TerminateOnNaN(raise_error=True).on_train_batch_end(4, {"loss": bad})


# --------------------------------------------------------------------------- LambdaCallback
def test_lambda_callback_calls_every_hook_with_keras_arguments():
    x, y = regression_data(n=16)
    model = small_model()
    calls = []
    callback = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_begin=lambda logs: calls.append(("train_begin",)),
        on_train_end=lambda logs: calls.append(("train_end", sorted(logs))),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, sorted(logs))),
        on_test_begin=lambda logs: calls.append(("test_begin",)),
        on_test_batch_end=lambda batch, logs: calls.append(("test_batch_end", batch)))
    model.fit(x, y, epochs=2, batch_size=8, validation_data=(x[:8], y[:8]), callbacks=[callback],
              verbose=0)
    expected = [("train_begin",)]
    for e in range(2):
        expected += [("epoch_begin", e), ("batch_begin", 0), ("batch_end", 0, ["loss"]),
                     ("batch_begin", 1), ("batch_end", 1, ["loss"]), ("test_begin",),
                     ("test_batch_end", 0), ("epoch_end", e, ["loss", "val_loss"])]
    assert calls == expected + [("train_end", ["loss", "val_loss"])]


def test_lambda_callback_without_a_hook_is_not_a_batch_listener():
    plain = callbacks.CallbackList([callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None)])
    assert not plain.wants_batch_logs("on_train_batch_end")
    listening = callbacks.CallbackList([callbacks.LambdaCallback(on_batch_end=lambda b, logs: None)])
    assert listening.wants_batch_logs("on_train_batch_end")


def test_epoch_hooks_reach_every_callback_that_implements_them_in_order(monkeypatch):
    calls = []

    class Begins(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            calls.append(("subclass", epoch))

    silent = callbacks.Callback()
    monkeypatch.setattr(callbacks.Callback, "on_epoch_begin",
                        lambda self, epoch, logs=None: calls.append(("base", epoch)))
    listeners = callbacks.CallbackList([
        Begins(), silent, callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: calls.append(
            ("lambda", e)), on_epoch_end=lambda e, logs: calls.append(("end", e, logs)))])
    listeners.on_epoch_begin(3)
    listeners.on_epoch_end(3, {"loss": 0.5})
    # the callback without its own hook is not called (the base's, patched here, would say so)
    assert calls == [("subclass", 3), ("lambda", 3), ("end", 3, {"loss": 0.5})]


def test_callbacks_added_to_or_removed_from_the_list_later_get_the_frequent_hooks_as_keras():
    calls = []

    def recorder(name):
        return callbacks.LambdaCallback(
            on_epoch_end=lambda e, logs: calls.append((name, "epoch", e)),
            on_train_batch_end=lambda b, logs: calls.append((name, "batch", b)))

    first = recorder("first")
    listeners = callbacks.CallbackList([callbacks.Callback()])
    assert not listeners.wants_batch_logs("on_train_batch_end")
    listeners.callbacks.append(first)  # Keras calls whatever the list holds
    assert listeners.wants_batch_logs("on_train_batch_end")
    listeners.on_train_batch_end(0, {})
    listeners.on_epoch_end(0, {})
    listeners.callbacks[-1] = recorder("second")  # replaced in place, the length unchanged
    listeners.on_epoch_end(1, {})
    del listeners.callbacks[-1]
    listeners.on_epoch_end(2, {})
    assert calls == [("first", "batch", 0), ("first", "epoch", 0), ("second", "epoch", 1)]
    assert not listeners.wants_batch_logs("on_train_batch_end")


def test_lambda_callback_refuses_unknown_hooks_and_non_functions():
    with pytest.raises(TypeError, match=r"unknown hooks \['on_epoch_finish'\]. Valid hooks are"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="must be a function. Received: on_epoch_end=3"):
        callbacks.LambdaCallback(on_epoch_end=3)


# --------------------------------------------------------------------------- CallbackList
def test_callback_list_takes_one_callback_or_nested_lists():
    stop = callbacks.EarlyStopping()
    assert callbacks.CallbackList(stop).callbacks == [stop]
    nan = callbacks.TerminateOnNaN()
    assert callbacks.CallbackList([[stop], (nan,)]).callbacks == [stop, nan]
    with pytest.raises(TypeError, match=r"`callbacks` must be Callback instances. Received: 'print'"):
        callbacks.CallbackList(["print"])


def test_fit_accepts_a_single_callback():
    x, y = regression_data(n=16)
    seen = []
    small_model().fit(x, y, epochs=2, verbose=0,
                      callbacks=callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e)))
    assert seen == [0, 1]


def test_callback_list_resume_epoch_is_the_first_answer_and_is_announced():
    class Answer(callbacks.Callback):
        def __init__(self, epoch):
            super().__init__()
            self.epoch, self.told = epoch, []

        def resume_epoch(self):
            return self.epoch

        def on_train_resume(self, epoch):
            self.told.append(epoch)

    group = [Answer(None), Answer(3), Answer(5)]
    assert callbacks.CallbackList(group).resume_epoch() == 3
    assert [a.told for a in group] == [[3], [3], [3]]
    silent = [Answer(None)]
    assert callbacks.CallbackList(silent).resume_epoch() is None and silent[0].told == []
    assert callbacks.Callback().resume_epoch() is None


# --------------------------------------------------------------------------- config round trips
@register_keras_serializable(package="test_callbacks")
def halve_each_epoch(epoch, lr):
    return lr / 2


@register_keras_serializable(package="test_callbacks")
def print_epoch(epoch, logs):
    print(epoch)


def _not_default(tmp_path):
    """One instance of every callback, each with non-default arguments."""
    return [
        callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0.01, patience=4, verbose=1,
                                mode="max", baseline=0.6, restore_best_weights=True,
                                start_from_epoch=2),
        callbacks.ModelCheckpoint(str(tmp_path / "ck-{epoch:02d}-{batch}.weights.h5"),
                                  monitor="loss", verbose=1, save_best_only=True,
                                  save_weights_only=True, mode="min", save_freq=7,
                                  initial_value_threshold=0.25),
        callbacks.ReduceLROnPlateau(monitor="loss", factor=0.3, patience=3, verbose=1, mode="min",
                                    min_delta=0.01, cooldown=2, min_lr=1e-5),
        callbacks.LearningRateScheduler(halve_each_epoch, verbose=1),
        callbacks.CSVLogger(str(tmp_path / "log.tsv"), separator="\t", append=True),
        callbacks.LambdaCallback(on_epoch_end=print_epoch, on_test_end=print_epoch),
        callbacks.BackupAndRestore(str(tmp_path / "backup"), save_freq=5, double_checkpoint=True,
                                   delete_checkpoint=False),
        callbacks.TerminateOnNaN(raise_error=True),
        callbacks.History(),
        callbacks.ProgbarLogger(),
        callbacks.Callback(),
    ]


def test_every_callback_round_trips_its_config(tmp_path):
    for callback in _not_default(tmp_path):
        config = callback.get_config()
        assert json.loads(json.dumps(config)) == config, type(callback).__name__
        restored = type(callback).from_config(copy.deepcopy(config))
        assert type(restored) is type(callback)
        assert restored.get_config() == config, type(callback).__name__


def test_configs_hold_the_arguments(tmp_path):
    configs = {type(c).__name__: c.get_config() for c in _not_default(tmp_path)}
    assert configs["ReduceLROnPlateau"] == {"monitor": "loss", "factor": 0.3, "patience": 3,
                                            "verbose": 1, "mode": "min", "min_delta": 0.01,
                                            "cooldown": 2, "min_lr": 1e-5}
    assert configs["LearningRateScheduler"] == {"schedule": "test_callbacks>halve_each_epoch",
                                                "verbose": 1}
    assert configs["CSVLogger"] == {"filename": str(tmp_path / "log.tsv"), "separator": "\t",
                                    "append": True}
    assert configs["LambdaCallback"]["on_test_end"] == "test_callbacks>print_epoch"
    assert configs["BackupAndRestore"] == {"backup_dir": str(tmp_path / "backup"), "save_freq": 5,
                                           "double_checkpoint": True, "delete_checkpoint": False}
    assert configs["TerminateOnNaN"] == {"raise_error": True}
    assert configs["ModelCheckpoint"]["initial_value_threshold"] == 0.25
    assert configs["History"] == configs["ProgbarLogger"] == {}


def test_a_round_tripped_callback_behaves_the_same():
    values = [1.0, 0.8, 0.85, 0.9, 0.7, 0.95, 0.99, 1.2]
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=1,
                                         min_delta=0.01)
    twin = callbacks.ReduceLROnPlateau.from_config(reduce.get_config())
    assert drive(reduce, values)[2] == drive(twin, values)[2]


def test_unregistered_functions_stay_in_the_config_as_themselves():
    def schedule(epoch):
        return 0.1

    scheduler = callbacks.LearningRateScheduler(schedule)
    assert scheduler.get_config()["schedule"] is schedule
    assert callbacks.LearningRateScheduler.from_config(scheduler.get_config()).schedule is schedule
    with pytest.raises(ValueError, match="Unknown function 'nobody>nothing'"):
        callbacks.LearningRateScheduler.from_config({"schedule": "nobody>nothing", "verbose": 0})


def test_callback_list_config_round_trip(tmp_path):
    group = callbacks.CallbackList(_not_default(tmp_path), add_history=True, add_progbar=True,
                                   verbose=2, epochs=3, steps=4)
    config = group.get_config()
    assert json.loads(json.dumps(config)) == config
    restored = callbacks.CallbackList.from_config(copy.deepcopy(config))
    assert restored.get_config() == config
    assert [type(c) for c in restored.callbacks] == [type(c) for c in group.callbacks]
    assert restored.params == {"verbose": 2, "epochs": 3, "steps": 4}

    class Mine(callbacks.Callback):
        pass

    with pytest.raises(ValueError, match="Unknown callback: 'Mine'"):
        callbacks.CallbackList.from_config(callbacks.CallbackList([Mine()]).get_config())


# --------------------------------------------------------------------------- ProgbarLogger
def test_progress_bar_at_80_columns_shows_the_validation_metrics_in_full(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    x, y = regression_data(n=64)
    model = small_model(metrics=["mae", "mse"])
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=1)
    lines = capsys.readouterr().out.replace("\r", "\n").splitlines()
    for epoch in range(3):
        closing = [line for line in lines if line.startswith(f"Epoch {epoch + 1}/3 - ")]
        assert len(closing) == 1, lines
        expected = " - ".join(f"{key}: {history.history[key][epoch]:.4f}"
                              for key in ("loss", "mae", "mse", "val_loss", "val_mae", "val_mse"))
        assert closing[0].endswith(expected)
        assert len(closing[0]) > 80, "a line longer than the terminal is printed whole"
        assert re.search(r" - 6/6 - \d+\.\d\ds - loss", closing[0])


def test_progress_bar_evaluate_and_predict_close_with_a_full_line(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "40")
    x, y = regression_data(n=24)
    model = small_model(metrics=["mae"])
    loss, mae = model.evaluate(x, y, batch_size=8, verbose=1)
    model.predict(x, batch_size=8, verbose=1)
    lines = capsys.readouterr().out.replace("\r", "\n").splitlines()
    assert any(line.startswith("Evaluate - 3/3 - ") and line.endswith(f"loss: {loss:.4f} - mae: {mae:.4f}")
               for line in lines)
    assert any(re.fullmatch(r"Predict - 3/3 - \d+\.\d\ds", line) for line in lines)


def test_progress_bar_config_is_empty_and_verbose_comes_from_params():
    logger = callbacks.ProgbarLogger()
    assert logger.get_config() == {} and logger.verbose == 1
    logger.set_params({"verbose": 2, "epochs": 1, "steps": 1})
    assert logger.verbose == 2


def test_a_reduced_rate_shows_in_the_optimizer_config():
    """The callbacks set the public ``learning_rate``: the optimizer's own config follows."""
    optimizer = optimizers.SGD(0.1)
    model = StubModel()
    model.optimizer = optimizer
    drive(callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1), [1.0, 1.0], model=model)
    assert optimizer.get_config()["learning_rate"] == 0.05
