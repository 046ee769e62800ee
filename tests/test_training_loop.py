"""fit / evaluate / predict behave as a Keras user expects."""

import math
import re

import numpy as np
import pytest
from helpers import two_moons

from layerkit import Sequential, backend, callbacks, layers, metrics, optimizers
from layerkit.utils import set_random_seed


# --------------------------------------------------------------------------- helpers
def binary_data(n=40, seed=0, n_features=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float64)
    return x, y


def regression_data(n=30, seed=0, n_features=2, outputs=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features))
    w = rng.normal(size=(n_features, outputs))
    return x, x @ w + 0.1 * rng.normal(size=(n, outputs))


def binary_model(n_features=2, hidden=4, optimizer=None, metrics=None, loss="binary_crossentropy"):
    model = Sequential([layers.Input((n_features,)), layers.Dense(hidden, activation="tanh"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer or optimizers.SGD(0.1, momentum=0.9), loss=loss,
                  metrics=metrics)
    return model


def regression_model(n_features=2, outputs=1, optimizer=None, metrics=None, loss="mse"):
    model = Sequential([layers.Input((n_features,)), layers.Dense(outputs)])
    model.compile(optimizer=optimizer or optimizers.SGD(0.05), loss=loss, metrics=metrics)
    return model


def bce_per_sample(y, p):
    p = np.asarray(p, dtype=np.float64).reshape(len(y))
    y = np.asarray(y, dtype=np.float64)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def assert_weights_equal(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype
        assert np.array_equal(u, v)


def weights_differ(a, b):
    return any(not np.array_equal(u, v) for u, v in zip(a, b))


class Recorder(callbacks.Callback):
    """Records every hook the loop calls, with its argument."""

    def __init__(self):
        super().__init__()
        self.events = []

    def _record(name):  # a factory for the hook methods below
        def hook(self, *args):
            self.events.append((name,) + tuple(a for a in args[:1] if not isinstance(a, dict)
                                               and a is not None))
        return hook

    on_train_begin = _record("on_train_begin")
    on_train_end = _record("on_train_end")
    on_epoch_begin = _record("on_epoch_begin")
    on_epoch_end = _record("on_epoch_end")
    on_train_batch_begin = _record("on_train_batch_begin")
    on_train_batch_end = _record("on_train_batch_end")
    on_test_begin = _record("on_test_begin")
    on_test_end = _record("on_test_end")
    on_test_batch_begin = _record("on_test_batch_begin")
    on_test_batch_end = _record("on_test_batch_end")
    on_predict_begin = _record("on_predict_begin")
    on_predict_end = _record("on_predict_end")
    on_predict_batch_begin = _record("on_predict_batch_begin")
    on_predict_batch_end = _record("on_predict_batch_end")

    def count(self, name):
        return sum(1 for event in self.events if event[0] == name)


class EpochWeights(callbacks.Callback):
    """The weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


# --------------------------------------------------------------------------- History
@pytest.mark.parametrize("metric_name", ["accuracy", "acc"])
@pytest.mark.parametrize("validation", ["split", "data"])
def test_history_keys_and_one_value_per_epoch(metric_name, validation):
    x, y = binary_data()
    model = binary_model(metrics=[metric_name])
    extra = ({"validation_split": 0.25} if validation == "split"
             else {"validation_data": binary_data(n=12, seed=1)})
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, **extra)
    assert set(history.history) == {"loss", metric_name, "val_loss", "val_" + metric_name}
    assert history.epoch == [0, 1, 2]
    for values in history.history.values():
        assert len(values) == 3
        assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert model.history is history


def test_history_without_validation_has_no_val_keys():
    x, y = binary_data()
    history = binary_model(metrics=["accuracy"]).fit(x, y, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


def test_validation_split_holds_out_the_last_samples(float64):
    x, y = binary_data(n=40)
    model = binary_model(metrics=["accuracy"])
    recorder = Recorder()
    history = model.fit(x, y, validation_split=0.25, epochs=2, batch_size=8, verbose=0,
                        callbacks=[recorder])
    assert recorder.count("on_train_batch_end") == 2 * math.ceil(30 / 8)
    val_loss, val_acc = model.evaluate(x[30:], y[30:], batch_size=8, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-12)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_acc, rel=1e-12)


def test_initial_epoch_numbers_the_epochs():
    x, y = binary_data(n=20)
    model = binary_model()
    history = model.fit(x, y, epochs=5, initial_epoch=2, batch_size=8, verbose=0)
    assert history.epoch == [2, 3, 4]
    assert len(history.history["loss"]) == 3
    assert model.optimizer.iterations == 3 * math.ceil(20 / 8)


@pytest.mark.parametrize("epochs, initial_epoch", [(0, 0), (2, 2)])
def test_no_epoch_to_run_returns_an_empty_history(epochs, initial_epoch):
    x, y = binary_data()
    model = binary_model()
    before = model.get_weights()
    history = model.fit(x, y, epochs=epochs, initial_epoch=initial_epoch, verbose=0)
    assert history.history == {}
    assert history.epoch == []
    assert model.optimizer.iterations == 0
    assert_weights_equal(before, model.get_weights())


# --------------------------------------------------------------------------- evaluate
def test_evaluate_return_types():
    x, y = binary_data()
    plain = binary_model()
    loss = plain.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    assert plain.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss}

    model = binary_model(metrics=["accuracy"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    assert all(isinstance(v, float) for v in result)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]
    assert list(logs.values()) == result
    assert model.metrics_names == ["loss", "accuracy"]


@pytest.mark.parametrize("kind", ["mse", "bce"])
def test_evaluate_loss_is_the_mean_over_the_whole_set(float64, kind):
    n, batch_size = 23, 5   # batches of 5, 5, 5, 5, 3
    if kind == "mse":
        x, y = regression_data(n=n)
        model = regression_model()
    else:
        x, y = binary_data(n=n)
        model = binary_model()
    pred = model.predict(x, verbose=0)
    per_sample = np.mean((pred - y) ** 2, axis=1) if kind == "mse" else bce_per_sample(y, pred)
    expected = per_sample.mean()
    batch_means = [per_sample[i:i + batch_size].mean() for i in range(0, n, batch_size)]
    assert not np.isclose(np.mean(batch_means), expected, rtol=1e-9, atol=0)
    assert model.evaluate(x, y, batch_size=batch_size, verbose=0) == pytest.approx(expected,
                                                                                    rel=1e-10)


# --------------------------------------------------------------------------- predict
def test_predict_is_batch_invariant_and_has_the_output_shape():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 4))
    model = Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                        layers.Dense(3, activation="softmax")])
    one_by_one = model.predict(x, batch_size=1, verbose=0)
    at_once = model.predict(x, batch_size=1000, verbose=0)
    default = model.predict(x, verbose=0)
    assert one_by_one.shape == at_once.shape == default.shape == (37, 3)
    assert one_by_one.dtype == np.float32
    np.testing.assert_allclose(one_by_one, at_once, rtol=0, atol=1e-6)
    np.testing.assert_allclose(default, at_once, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), at_once, rtol=0, atol=1e-6)


def test_predict_includes_the_last_partial_batch():
    x, _ = binary_data(n=10)
    model = binary_model()
    recorder = Recorder()
    out = model.predict(x, batch_size=4, verbose=0, callbacks=[recorder])
    assert recorder.count("on_predict_batch_end") == 3
    assert out.shape == (10, 1)
    np.testing.assert_allclose(out, model.predict(x, batch_size=10, verbose=0), atol=1e-6)


def test_fit_trains_on_the_last_partial_batch():
    x, y = binary_data(n=10)
    set_random_seed(5)
    model = binary_model()
    recorder = Recorder()
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    assert recorder.count("on_train_batch_end") == 2 * 3
    assert model.optimizer.iterations == 6

    backend.clear_session()
    set_random_seed(5)
    by_hand = binary_model()
    for _ in range(2):
        for start in (0, 4, 8):
            by_hand.train_on_batch(x[start:start + 4], y[start:start + 4])
    assert_weights_equal(by_hand.get_weights(), model.get_weights())


# --------------------------------------------------------------------------- the user's data
@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_evaluate_predict_do_not_modify_the_users_arrays(shuffle):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2)).astype(np.float32)          # already in the model's dtype
    y = (x[:, :1] > 0).astype(np.float32)                     # already (N, 1)
    weights = rng.uniform(0.5, 2.0, size=30).astype(np.float32)
    copies = [a.copy() for a in (x, y, weights)]
    model = binary_model(metrics=["accuracy"])
    model.fit(x, y, sample_weight=weights, batch_size=7, epochs=3, shuffle=shuffle,
              validation_split=0.2, verbose=0)
    model.evaluate(x, y, sample_weight=weights, verbose=0)
    model.predict(x, verbose=0)
    model.train_on_batch(x, y, sample_weight=weights)
    for array, copy in zip((x, y, weights), copies):
        assert array.dtype == copy.dtype
        assert np.array_equal(array, copy)


def test_training_never_touches_numpys_global_random_state():
    np.random.seed(99)
    before = np.random.get_state()
    set_random_seed(3)
    x, y = binary_data()
    model = binary_model(metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, shuffle=True, validation_split=0.2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    after = np.random.get_state()
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


# --------------------------------------------------------------------------- determinism
def _seeded_run(seed, epochs=3):
    backend.clear_session()
    set_random_seed(seed)
    x, y = binary_data(n=50)
    model = binary_model(hidden=6)
    history = model.fit(x, y, epochs=epochs, batch_size=8, shuffle=True, verbose=0)
    return model.get_weights(), history.history["loss"]


def test_same_seed_gives_bit_identical_weights():
    weights_a, loss_a = _seeded_run(7)
    weights_b, loss_b = _seeded_run(7)
    assert_weights_equal(weights_a, weights_b)
    assert loss_a == loss_b


def test_different_seeds_give_different_weights():
    weights_a, _ = _seeded_run(7)
    weights_b, _ = _seeded_run(8)
    assert weights_differ(weights_a, weights_b)


@pytest.mark.parametrize("optimizer", [lambda: optimizers.SGD(0.1, momentum=0.9),
                                       lambda: optimizers.Adam(0.01)], ids=["sgd", "adam"])
def test_resumed_fit_equals_uninterrupted_fit(optimizer):
    x, y = binary_data(n=45)

    def build():
        backend.clear_session()
        set_random_seed(11)
        return binary_model(hidden=5, optimizer=optimizer())

    straight = build()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=True, verbose=0)

    resumed = build()
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=True, verbose=0)
    halfway = resumed.get_weights()
    history = resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, shuffle=True, verbose=0)
    assert history.epoch == [2, 3]
    assert weights_differ(halfway, resumed.get_weights())
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    assert_weights_equal(straight.get_weights(), resumed.get_weights())


# --------------------------------------------------------------------------- callbacks
def test_callback_hooks_are_called_in_keras_order():
    x, y = binary_data(n=10)
    x_val, y_val = binary_data(n=5, seed=1)
    recorder = Recorder()
    binary_model().fit(x, y, epochs=2, batch_size=4, validation_data=(x_val, y_val), verbose=0,
                       callbacks=[recorder])
    expected = [("on_train_begin",)]
    for epoch in range(2):
        expected.append(("on_epoch_begin", epoch))
        for step in range(3):   # 4 + 4 + 2
            expected += [("on_train_batch_begin", step), ("on_train_batch_end", step)]
        expected.append(("on_test_begin",))
        for step in range(2):   # 4 + 1
            expected += [("on_test_batch_begin", step), ("on_test_batch_end", step)]
        expected += [("on_test_end",), ("on_epoch_end", epoch)]
    expected.append(("on_train_end",))
    assert recorder.events == expected


def test_callback_logs_and_params():
    x, y = binary_data(n=10)
    seen = {}

    class Logs(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batch", []).append(dict(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen.setdefault("epoch", []).append(dict(logs))

    model = binary_model(metrics=["accuracy"])
    callback = Logs()
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=0,
                        callbacks=[callback])
    assert callback.model is model
    assert callback.params["epochs"] == 2 and callback.params["steps"] == 2
    assert all(set(logs) == {"loss", "accuracy"} for logs in seen["batch"])
    assert [set(logs) for logs in seen["epoch"]] == [set(history.history)] * 2
    assert [logs["loss"] for logs in seen["epoch"]] == history.history["loss"]


def test_evaluate_and_predict_call_their_hooks():
    x, y = binary_data(n=10)
    model = binary_model()
    recorder = Recorder()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[recorder])
    assert recorder.events == [("on_test_begin",)] + [
        (hook, step) for step in range(3)
        for hook in ("on_test_batch_begin", "on_test_batch_end")] + [("on_test_end",)]
    recorder.events.clear()
    model.predict(x, batch_size=4, verbose=0, callbacks=[recorder])
    assert recorder.events == [("on_predict_begin",)] + [
        (hook, step) for step in range(3)
        for hook in ("on_predict_batch_begin", "on_predict_batch_end")] + [("on_predict_end",)]


def test_stop_training_in_a_batch_hook_stops_after_that_step():
    x, y = binary_data(n=40)

    class StopAtSecondBatch(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    recorder = Recorder()
    model = binary_model()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[StopAtSecondBatch(), recorder])
    assert model.optimizer.iterations == 2
    assert recorder.count("on_train_batch_end") == 2
    assert recorder.count("on_epoch_end") == 1
    assert recorder.events[-1] == ("on_train_end",)
    assert history.epoch == [0]


def test_stop_training_in_an_epoch_hook_stops_after_that_epoch():
    x, y = binary_data(n=40)

    class StopAfterSecondEpoch(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = binary_model()
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0,
                        callbacks=[StopAfterSecondEpoch()])
    assert history.epoch == [0, 1]
    assert model.optimizer.iterations == 2 * 5
    # a new fit starts again (stop_training is reset)
    assert model.fit(x, y, epochs=1, batch_size=8, verbose=0).epoch == [0]


def test_terminate_on_nan_sets_stop_training(capsys):
    model = binary_model()
    callback = callbacks.TerminateOnNaN()
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_batch_end(0, {"loss": 0.5})
    assert model.stop_training is False
    callback.on_train_batch_end(3, {"loss": float("nan")})
    assert model.stop_training is True
    assert "Batch 3: Invalid loss, terminating training" in capsys.readouterr().out
    model.stop_training = False
    callback.on_train_batch_end(4, {"loss": float("inf")})
    assert model.stop_training is True


def test_terminate_on_nan_in_fit(capsys):
    x, y = regression_data(n=40)
    model = regression_model(optimizer=optimizers.SGD(1e15))
    recorder = Recorder()
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(
            RuntimeWarning, match="stopped at step"):
        history = model.fit(x, y, epochs=5, batch_size=4, verbose=0,
                            callbacks=[callbacks.TerminateOnNaN(), recorder])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert recorder.count("on_train_batch_end") == model.optimizer.iterations + 1
    assert history.epoch == [0]
    assert all(np.isfinite(w).all() for w in model.get_weights())


def _descend_then_ascend(turn_at_step):
    """A learning-rate schedule that descends, then climbs (a negative rate): the loss
    gets better for a while and then only worse."""
    def schedule(iterations):
        return 0.05 if iterations < turn_at_step else -0.05
    return schedule


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_on_the_training_loss(restore):
    x, y = regression_data(n=40)
    steps = math.ceil(40 / 8)
    patience = 2
    model = regression_model(optimizer=optimizers.SGD(_descend_then_ascend(4 * steps)))
    epoch_weights = EpochWeights()
    stopper = callbacks.EarlyStopping(monitor="loss", patience=patience,
                                      restore_best_weights=restore)
    history = model.fit(x, y, epochs=30, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[epoch_weights, stopper])
    losses = history.history["loss"]
    best = int(np.argmin(losses))
    assert 0 < best < len(losses) - 1
    assert all(loss > losses[best] for loss in losses[best + 1:])
    assert len(losses) == best + patience + 1 < 30, "stopped `patience` epochs after the best"
    assert stopper.stopped_epoch == best + patience
    assert weights_differ(epoch_weights.weights[best], epoch_weights.weights[-1])
    expected = epoch_weights.weights[best] if restore else epoch_weights.weights[-1]
    assert_weights_equal(expected, model.get_weights())


def test_early_stopping_does_not_stop_while_improving():
    x, y = regression_data(n=40)
    model = regression_model()
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0,
                        callbacks=[callbacks.EarlyStopping(monitor="loss", patience=1)])
    assert history.epoch == list(range(6))


# --------------------------------------------------------------------------- verbose
def test_verbose_0_prints_nothing(capsys):
    x, y = binary_data()
    model = binary_model(metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def _epoch_lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = binary_data()
    binary_model(metrics=["accuracy"]).fit(x, y, epochs=3, validation_split=0.2, verbose=2)
    captured = capsys.readouterr()
    lines = _epoch_lines(captured.out)
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert f"Epoch {epoch}/3" in line
        assert "loss:" in line and "accuracy:" in line and "val_loss:" in line
    assert "\r" not in captured.out


def test_verbose_2_evaluate_prints_one_line(capsys):
    x, y = binary_data()
    binary_model().evaluate(x, y, verbose=2)
    lines = _epoch_lines(capsys.readouterr().out)
    assert len(lines) == 1 and "loss:" in lines[0]


def test_verbose_1_prints_a_progress_bar(capsys):
    x, y = binary_data()
    binary_model().fit(x, y, epochs=3, batch_size=8, verbose=1)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    for epoch in (1, 2, 3):
        assert f"Epoch {epoch}/3" in out
    assert "loss" in out
    assert re.search(r"5/5", out), "the bar counts the steps of the epoch"


def test_verbose_auto_on_captured_stdout_behaves_like_2(capsys):
    x, y = binary_data()
    binary_model().fit(x, y, epochs=3)
    auto = capsys.readouterr()
    binary_model().fit(x, y, epochs=3, verbose=2)
    two = capsys.readouterr()

    def shape(text):   # drop the timings, keep the structure
        return [re.sub(r"\d+\.\d+s", "T", re.sub(r"\d\.\d{4}", "V", line))
                for line in _epoch_lines(text)]

    assert len(_epoch_lines(auto.out)) == 3
    assert shape(auto.out) == shape(two.out)
    assert "\r" not in auto.out


# --------------------------------------------------------------------------- on one batch
def test_train_test_predict_on_batch_return_what_keras_returns(float64):
    x, y = binary_data(n=16)
    model = binary_model()
    expected_loss = bce_per_sample(y, model.predict(x, verbose=0)).mean()

    test_loss = model.test_on_batch(x, y)
    assert isinstance(test_loss, float)
    assert test_loss == pytest.approx(expected_loss, rel=1e-10)
    assert model.test_on_batch(x, y, return_dict=True) == {"loss": test_loss}

    before = model.get_weights()
    train_loss = model.train_on_batch(x, y)
    assert isinstance(train_loss, float)
    assert train_loss == pytest.approx(expected_loss, rel=1e-10), "loss before the update"
    assert weights_differ(before, model.get_weights())
    assert model.optimizer.iterations == 1

    pred = model.predict_on_batch(x)
    assert isinstance(pred, np.ndarray) and pred.shape == (16, 1)
    np.testing.assert_array_equal(pred, model.predict(x, batch_size=16, verbose=0))


def test_on_batch_with_metrics_returns_a_list_or_a_dict(float64):
    x, y = binary_data(n=16)
    model = binary_model(metrics=["accuracy"])
    pred = model.predict(x, verbose=0)
    expected = [bce_per_sample(y, pred).mean(), np.mean((pred[:, 0] > 0.5) == (y > 0.5))]

    result = model.test_on_batch(x, y)
    assert isinstance(result, list) and len(result) == 2
    np.testing.assert_allclose(result, expected, rtol=1e-10)
    assert model.test_on_batch(x, y, return_dict=True) == dict(zip(["loss", "accuracy"], result))

    result = model.train_on_batch(x, y)
    assert isinstance(result, list) and len(result) == 2
    np.testing.assert_allclose(result, expected, rtol=1e-10)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]


# --------------------------------------------------------------------------- dtypes
def _dtypes_after_training(x, y):
    model = binary_model(metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    grads, input_grad = model.compute_gradients(x, y, wrt_inputs=True)
    layer_grads = [g for layer in model.layers for g in layer.grads.values()]
    return {
        "weights": {w.dtype for w in model.get_weights()},
        "predict": {model.predict(x, verbose=0).dtype,
                    model.predict(x.astype(np.float32), verbose=0).dtype,
                    model.predict(x.astype(np.int64), verbose=0).dtype},
        "gradients": {g.dtype for g in grads} | {input_grad.dtype},
        "layer_grads": {g.dtype for g in layer_grads},
        "optimizer": {np.asarray(v).dtype for v in model.optimizer.variables[2:]},  # the slots
    }


def test_float64_everywhere_under_floatx_float64(float64):
    x, y = binary_data()
    dtypes = _dtypes_after_training(x.astype(np.float32), y)
    for name, found in dtypes.items():
        assert found == {np.dtype(np.float64)}, name


def test_float32_by_default():
    assert backend.floatx() == "float32"
    x, y = binary_data()
    dtypes = _dtypes_after_training(x, y)   # float64 data does not promote the model
    for name, found in dtypes.items():
        assert found == {np.dtype(np.float32)}, name


# --------------------------------------------------------------------------- weighting
def test_sample_weight_in_evaluate_is_a_weighted_sum_over_n(float64):
    x, y = binary_data(n=23)
    weights = np.random.default_rng(4).uniform(0.0, 3.0, size=23)
    model = binary_model()
    per_sample = bce_per_sample(y, model.predict(x, verbose=0))
    expected = np.sum(weights * per_sample) / 23
    assert not np.isclose(expected, per_sample.mean(), rtol=1e-6)
    loss = model.evaluate(x, y, sample_weight=weights, batch_size=5, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-10)
    doubled = model.evaluate(x, y, sample_weight=np.full(23, 2.0), batch_size=5, verbose=0)
    assert doubled == pytest.approx(2 * per_sample.mean(), rel=1e-10)


def test_class_weight_and_sample_weight_in_fit(float64):
    """With a zero learning rate the epoch's loss is the weighted loss of the fixed model."""
    x, y = binary_data(n=23)
    class_weight = {0: 0.5, 1: 3.0}
    sample_weight = np.random.default_rng(5).uniform(0.5, 1.5, size=23)
    model = binary_model(optimizer=optimizers.SGD(0.0))
    per_sample = bce_per_sample(y, model.predict(x, verbose=0))
    per_class = np.where(y == 1, class_weight[1], class_weight[0])

    history = model.fit(x, y, class_weight=class_weight, batch_size=5, verbose=0)
    assert history.history["loss"][0] == pytest.approx(np.sum(per_class * per_sample) / 23,
                                                       rel=1e-10)
    history = model.fit(x, y, class_weight=class_weight, sample_weight=sample_weight,
                        batch_size=5, verbose=0)
    assert history.history["loss"][0] == pytest.approx(
        np.sum(per_class * sample_weight * per_sample) / 23, rel=1e-10)


def test_class_weight_steps_like_the_equivalent_sample_weight():
    x, y = binary_data(n=16)
    class_weight = {0: 2.0, 1: 0.25}

    def one_step(**kwargs):
        backend.clear_session()
        set_random_seed(2)
        model = binary_model()
        loss = model.train_on_batch(x, y, **kwargs)
        return loss, model.get_weights()

    loss_cw, weights_cw = one_step(class_weight=class_weight)
    loss_sw, weights_sw = one_step(sample_weight=np.where(y == 1, 0.25, 2.0))
    loss_plain, weights_plain = one_step()
    assert loss_cw == loss_sw != loss_plain
    assert_weights_equal(weights_cw, weights_sw)
    assert weights_differ(weights_cw, weights_plain)


# --------------------------------------------------------------------------- metrics
@pytest.mark.parametrize("units, activation, loss, targets, expected", [
    (1, "sigmoid", "binary_crossentropy", "flat", metrics.BinaryAccuracy),
    (1, "sigmoid", "binary_crossentropy", "column", metrics.BinaryAccuracy),
    (3, "softmax", "categorical_crossentropy", "one_hot", metrics.CategoricalAccuracy),
    (3, "softmax", "sparse_categorical_crossentropy", "flat", metrics.SparseCategoricalAccuracy),
    (3, "softmax", "sparse_categorical_crossentropy", "column",
     metrics.SparseCategoricalAccuracy),
])
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_resolves_by_shapes_as_keras_3(float64, units, activation, loss, targets,
                                                 expected, name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    labels = rng.integers(0, 2 if units == 1 else 3, size=30)
    y = {"flat": labels, "column": labels[:, None],
         "one_hot": np.eye(3)[labels]}[targets].astype(np.float64)
    model = Sequential([layers.Input((4,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss, metrics=[name])
    model.fit(x, y, epochs=1, batch_size=8, steps_per_epoch=1, verbose=0)
    metric = model.metrics[1]
    assert type(metric) is expected
    assert metric.name == name

    pred = model.predict(x, verbose=0)
    predicted = (pred[:, 0] > 0.5).astype(int) if units == 1 else pred.argmax(axis=1)
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert logs[name] == pytest.approx(np.mean(predicted == labels), rel=1e-12)


def test_mae_and_mse_metrics_equal_hand_computed_values(float64):
    x, y = regression_data(n=31, outputs=2)
    model = regression_model(outputs=2, metrics=["mae", "mse"], loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    pred = model.predict(x, verbose=0)
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse"]
    assert logs["mae"] == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-10)
    assert logs["mse"] == pytest.approx(np.mean((pred - y) ** 2), rel=1e-10)
    assert logs["loss"] == pytest.approx(logs["mse"], rel=1e-10)
    assert [type(m) for m in model.metrics[1:]] == [metrics.MeanAbsoluteError,
                                                    metrics.MeanSquaredError]


# --------------------------------------------------------------------------- a Keras user's script
EPOCHS = 120   # 16-16 tanh, SGD(0.1, momentum 0.9): >= 0.95 for each of 25 seeds tried


def _two_moons_script(seed):
    backend.clear_session()
    set_random_seed(seed)
    x, y = two_moons(n_samples=1000, noise=0.2, seed=0)
    x_train, y_train, x_test, y_test = x[:800], y[:800], x[800:], y[800:]

    model = Sequential([
        layers.Input((2,)),
        layers.Dense(16, activation="tanh"),
        layers.Dense(16, activation="tanh"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, validation_split=0.1,
                        verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    probabilities = model.predict(x_test, verbose=0)
    lines = []
    model.summary(print_fn=lines.append)
    return model, history, test_loss, test_accuracy, probabilities, "\n".join(lines), (
        x_test, y_test)


def test_keras_user_script_learns_two_moons():
    model, history, test_loss, test_accuracy, probabilities, summary, (x_test, y_test) = \
        _two_moons_script(seed=42)
    assert test_accuracy >= 0.95
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == EPOCHS
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] >= 0.9
    assert probabilities.shape == (200, 1)
    # metrics are float32 (floatx), as in Keras
    assert test_accuracy == pytest.approx(np.mean((probabilities[:, 0] > 0.5) == y_test),
                                          abs=1e-6)
    assert test_loss == pytest.approx(bce_per_sample(y_test, probabilities).mean(), rel=1e-4)
    for layer in model.layers:
        assert layer.name in summary
    assert f"Total params: {model.count_params():,}" in summary
    assert model.count_params() == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)

    again = _two_moons_script(seed=42)
    assert_weights_equal(model.get_weights(), again[0].get_weights())
    assert history.history == again[1].history
