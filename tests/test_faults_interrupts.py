"""Ctrl-C at any moment: a training step is applied whole or not at all, a save completes or
leaves the previous file, and the KeyboardInterrupt always reaches the user.

The random-moment tests send a real SIGINT from a timer thread while ``fit`` runs, many
times, and compare the interrupted model with a clean run of exactly as many steps as
the interrupted one counts: every weight and every optimizer slot must be bit-identical.
"""

import os
import signal
import threading
import time

import h5py
import numpy as np
import pytest

from layerkit import Sequential, layers, optimizers
from layerkit.interrupts import deferred_interrupts, interrupt_handler

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")


@pytest.fixture(autouse=True)
def python_handles_sigint():
    """Python's own Ctrl-C handler, as in a terminal: a shell that starts pytest in the
    background (``cmd &`` without job control) leaves SIGINT ignored, and layerkit then
    rightly installs nothing, so no interrupt would ever arrive."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _model(seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential([layers.Input((64,)), layers.Dense(128, activation="relu"),
                        layers.Dense(128, activation="relu"), layers.Dense(3)])
    model.set_weights([rng.normal(size=w.shape) * 0.05 for w in model.get_weights()])
    model.compile(optimizer=optimizers.Adam(1e-3), loss="mse")
    model.shuffle_seed = 7
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(256, 64)), rng.normal(size=(256, 3))


def _state(model):
    return [w.copy() for w in model.get_weights()] + [
        np.array(v, copy=True) for v in model.optimizer.variables_for(model.trainable_weights)]


def _fit_interrupted_after(model, x, y, seconds):
    """``fit`` with a real SIGINT sent after ``seconds``; True when it interrupted training."""
    main = threading.main_thread().ident
    timer = threading.Timer(seconds, lambda: signal.pthread_kill(main, signal.SIGINT))
    interrupted = False
    try:
        timer.start()
        try:
            model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        except KeyboardInterrupt:
            interrupted = True
        timer.cancel()
        timer.join()
        time.sleep(0.005)  # a signal sent just as fit returned arrives here
    except KeyboardInterrupt:
        pass               # after training ended: nothing was interrupted
    return interrupted


def test_sigint_at_random_moments_leaves_the_state_of_a_whole_step():
    x, y = _data()
    rng = np.random.default_rng(3)
    references = {}
    interrupted_counts = []
    duration = None
    for trial in range(60):
        if len(interrupted_counts) == 12:
            break
        model = _model()
        started = time.perf_counter()
        # a moment within the run: its length is measured on this machine, under its load
        delay = 0.05 if duration is None else float(rng.uniform(0.0, 0.8 * duration))
        if not _fit_interrupted_after(model, x, y, delay):
            duration = time.perf_counter() - started
            continue
        steps = model.optimizer.iterations
        interrupted_counts.append(steps)
        if steps not in references:
            clean = _model()
            epochs, rest = divmod(steps, 16)
            if epochs:
                clean.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
            if rest:
                clean.fit(x, y, batch_size=16, epochs=epochs + 1, initial_epoch=epochs,
                          steps_per_epoch=rest, verbose=0)
            assert clean.optimizer.iterations == steps
            references[steps] = _state(clean)
        for k, (a, b) in enumerate(zip(_state(model), references[steps])):
            assert a.tobytes() == b.tobytes(), f"trial {trial}: array {k} is not that of step {steps}"
    assert len(interrupted_counts) == 12, "the timer should interrupt runs at random moments"
    assert len(set(interrupted_counts)) > 3, "the interrupts should land at various steps"


def test_sigint_in_the_middle_of_an_update_is_held_until_the_step_is_whole(monkeypatch):
    """A deterministic version: the signal arrives between the first and second weight."""
    x, y = _data()
    model = _model()
    calls = []
    update_step = model.optimizer.update_step

    def interrupting(gradient, variable, learning_rate):
        calls.append(1)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)
        update_step(gradient, variable, learning_rate)

    monkeypatch.setattr(model.optimizer, "update_step", interrupting)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert model.optimizer.iterations == 1
    monkeypatch.undo()
    clean = _model()
    clean.fit(x, y, batch_size=16, epochs=1, steps_per_epoch=1, verbose=0)
    for a, b in zip(_state(model), _state(clean)):
        np.testing.assert_array_equal(a, b)


def test_train_on_batch_holds_the_interrupt_too(monkeypatch):
    model = _model()
    x, y = _data()
    update_step = model.optimizer.update_step
    calls = []

    def interrupting(gradient, variable, learning_rate):
        calls.append(1)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)
        update_step(gradient, variable, learning_rate)

    monkeypatch.setattr(model.optimizer, "update_step", interrupting)
    with pytest.raises(KeyboardInterrupt):
        model.train_on_batch(x[:16], y[:16])
    assert len(calls) == len(model.trainable_weights)      # every weight was updated
    assert model.optimizer.iterations == 1


def test_the_previous_sigint_handler_comes_back_and_sees_later_signals():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with interrupt_handler():
            with deferred_interrupts():
                signal.raise_signal(signal.SIGINT)
                assert seen == []               # held
            assert seen == [signal.SIGINT]      # delivered to the user's handler at the end
        signal.raise_signal(signal.SIGINT)
        assert seen == [signal.SIGINT] * 2
        assert signal.getsignal(signal.SIGINT) is not None
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("kind", ["weights", "model"])
@pytest.mark.parametrize("moment", ["building", "writing"])
def test_ctrl_c_during_a_save_propagates_and_keeps_the_previous_file(tmp_path, monkeypatch,
                                                                      kind, moment):
    model = _model()
    model.train_on_batch(*[a[:16] for a in _data()])
    target = tmp_path / ("m.weights.h5" if kind == "weights" else "m.h5")
    save = model.save_weights if kind == "weights" else model.save
    save(target)
    before = target.read_bytes()
    for w in model.weights:
        w += 1.0
    if moment == "building":
        original = h5py.Group.create_dataset

        def create_dataset(self, *args, **kwargs):
            signal.raise_signal(signal.SIGINT)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(h5py.Group, "create_dataset", create_dataset)
    else:
        original_write = os.write

        def write(fd, data):
            written = original_write(fd, data[:len(data) // 3])
            signal.raise_signal(signal.SIGINT)
            return written

        monkeypatch.setattr(os, "write", write)
    with pytest.raises(KeyboardInterrupt):
        save(target)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_ctrl_c_during_load_weights_leaves_the_model_as_it_was(tmp_path, monkeypatch):
    source = _model(seed=1)
    source.train_on_batch(*[a[:16] for a in _data()])
    source.save_weights(tmp_path / "m.weights.h5")
    target = _model(seed=2)
    target.train_on_batch(*[a[:16] for a in _data()])
    before = _state(target)
    copies = []
    original = np.copyto

    def copyto(dst, src, *args, **kwargs):
        copies.append(1)
        if len(copies) == 2:
            signal.raise_signal(signal.SIGINT)
        return original(dst, src, *args, **kwargs)

    monkeypatch.setattr(np, "copyto", copyto)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        target.load_weights(tmp_path / "m.weights.h5")
    monkeypatch.undo()
    assert time.perf_counter() - start < 30
    # Held until the whole load was written: the model is entirely the file's state.
    after = _state(target)
    assert any(not np.array_equal(a, b) for a, b in zip(after, before))
    for a, b in zip(after, _state(source)):
        np.testing.assert_array_equal(a, b)


def test_an_ignored_sigint_stays_ignored_during_fit():
    """A process that ignores Ctrl-C (started in the background, a daemon) keeps ignoring it."""
    from layerkit.callbacks import LambdaCallback

    seen = []
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=[LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(signal.getsignal(signal.SIGINT)))])
    assert seen and all(handler is signal.SIG_IGN for handler in seen)
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # ignored: nothing raised
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


@pytest.mark.parametrize("installed", ["python's", "the user's"])
def test_the_sigint_handler_in_place_before_a_call_is_the_one_after_it(tmp_path, installed):
    def users(signum, frame):
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    handler = signal.default_int_handler if installed == "python's" else users
    signal.signal(signal.SIGINT, handler)
    try:
        model = _model()
        x, y = _data()
        seen = []
        calls = {"fit": lambda: model.fit(x, y, batch_size=64, epochs=1, verbose=0),
                 "train_on_batch": lambda: model.train_on_batch(x[:8], y[:8]),
                 "save_weights": lambda: model.save_weights(tmp_path / "w.weights.h5")}
        for name, call in calls.items():
            call()
            seen.append((name, signal.getsignal(signal.SIGINT)))
        assert all(after is handler for _, after in seen), seen
    finally:
        signal.signal(signal.SIGINT, previous)
