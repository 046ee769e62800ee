"""What a training step does not pay for: per-step allocations, copies of the batch, undo copies.

The speed itself is measured by ``make bench`` (ratios against peers in one run);
these tests pin the contracts that make it fast without changing results.
"""

import tracemalloc

import numpy as np
import pytest

import layerkit
from layerkit import Sequential, layers, optimizers
from layerkit.models.data_adapters.array_data_adapter import ArrayDataAdapter, epoch_order
from layerkit.utils import set_random_seed


def _model(momentum=0.9):
    set_random_seed(3)
    model = Sequential([layers.Input((5,)), layers.Dense(8, activation="relu"),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(0.05, momentum=momentum),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data(rows=37):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 5)), rng.integers(0, 3, rows)


def test_shuffled_batches_are_gathered_into_buffers_reused_at_every_step():
    x, y = _data()
    adapter = ArrayDataAdapter([[x], [y], None], batch_size=8, shuffle=True, seed=1,
                               reuse_buffers=True)
    batches = [xs[0] for (xs, ys, _), _ in adapter.get_numpy_iterator()]
    assert len({b.__array_interface__["data"][0] for b in batches}) == 1  # one buffer
    order = epoch_order(len(x), 8, True, 1, 0, 0)
    assert np.array_equal(batches[-1], x[order[32:]])  # the last, smaller batch: its rows


def test_fit_with_reused_buffers_trains_exactly_as_on_fresh_batches():
    x, y = _data()
    x_before, y_before = x.copy(), y.copy()
    fitted = _model()
    fitted.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=True)
    by_hand = _model()
    by_hand.fit(x[:1], y[:1], epochs=0, verbose=0)  # builds and draws the same shuffle seed
    for epoch in range(3):
        order = epoch_order(len(x), 8, True, by_hand.shuffle_seed, epoch,
                            by_hand.optimizer.iterations)
        for start in range(0, len(x), 8):
            rows = order[start:start + 8]
            by_hand.train_on_batch(x[rows].copy(), y[rows].copy())
    for a, b in zip(fitted.get_weights(), by_hand.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, x_before)  # the user's arrays are as they were
    np.testing.assert_array_equal(y, y_before)


def test_evaluate_and_predict_batches_are_not_overwritten():
    x, _ = _data()
    model = Sequential([layers.Input((5,)), layers.Identity()])
    model.compile(loss="mse")
    np.testing.assert_array_equal(model.predict(x, batch_size=8, verbose=0),
                                  x.astype(layerkit.backend.floatx()))


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_no_allocation_grows_with_the_number_of_steps(momentum):
    x, y = _data(rows=64)
    model = _model(momentum)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)  # warm: buffers, slots, caches

    def retained(epochs):
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        model.fit(x, y, batch_size=4, epochs=epochs, verbose=0)
        grown = sum(stat.size_diff for stat in
                    tracemalloc.take_snapshot().compare_to(before, "filename"))
        tracemalloc.stop()
        return grown

    short, long = retained(2), retained(20)  # 32 steps, then 320 steps
    assert long - short < 16 * 1024, (short, long)  # the history's floats, not the steps


# ---------------------------------------------------------------- BLAS threads by shape
class _ThreadsSeen(layerkit.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        from threadpoolctl import threadpool_info
        self.seen = {info["num_threads"] for info in threadpool_info()
                     if info["user_api"] == "blas"}


def _blas_default():
    from threadpoolctl import threadpool_info
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


@pytest.fixture
def auto_threads():
    yield
    layerkit.blas.set_blas_threads(None)


def test_small_steps_train_with_one_blas_thread_and_the_default_comes_back(auto_threads):
    from threadpoolctl import threadpool_limits
    x, y = _data()
    model = _model()
    with threadpool_limits(limits=2, user_api="blas"):  # a count other than 1 to come back to
        assert _blas_default() == {2}
        for run in ("fit", "evaluate", "predict", "fit"):
            seen = _ThreadsSeen()
            if run == "fit":
                model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[seen])
                assert seen.seen == {1}
            else:
                getattr(model, run)(x, *([y] if run == "evaluate" else []), verbose=0)
            assert _blas_default() == {2}, run


def test_the_thread_count_can_be_fixed_and_changes_results_only_by_rounding(auto_threads):
    x, y = _data()
    results = []
    for threads in (1, 2):
        layerkit.blas.set_blas_threads(threads)
        model, seen = _model(), _ThreadsSeen()
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[seen])
        assert seen.seen == {threads}
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "two"])
def test_a_bad_thread_count_is_refused(bad, auto_threads):
    with pytest.raises(ValueError, match="BLAS threads"):
        layerkit.blas.set_blas_threads(bad)


def test_the_environment_variable_is_read_and_checked(monkeypatch, auto_threads):
    layerkit.blas.set_blas_threads(None)  # as at import: the environment decides
    monkeypatch.setenv("LAYERKIT_BLAS_THREADS", "2")
    assert layerkit.blas.blas_threads_for(10) == 2
    monkeypatch.setenv("LAYERKIT_BLAS_THREADS", "many")
    with pytest.raises(ValueError, match="LAYERKIT_BLAS_THREADS"):
        layerkit.blas.blas_threads_for(10)


# ---------------------------------------------------------------- freed memory kept
def test_fit_tells_glibc_to_keep_freed_memory_unless_told_not_to(tmp_path):
    import platform
    import subprocess
    import sys
    program = ("import numpy as np, layerkit\n"
               "from layerkit import allocator\n"
               "m = layerkit.Sequential([layerkit.Input((2,)), layerkit.layers.Dense(1)])\n"
               "m.compile(loss='mse')\n"
               "m.fit(np.ones((4, 2)), np.ones(4), verbose=0)\n"
               "print(allocator.keep_freed_memory())\n")
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    for setting, expected in (("1", glibc), ("0", False)):
        env = {**__import__("os").environ, "LAYERKIT_KEEP_FREED_MEMORY": setting}
        done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(expected)


def test_an_adapter_with_epoch_hooks_has_them_called_around_each_epoch():
    calls = []

    class Hooked(ArrayDataAdapter):
        def on_epoch_begin(self):
            calls.append("begin")

        def stop(self):
            calls.append("stop")

    x, y = np.arange(12.0).reshape(6, 2), np.arange(6.0)
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(loss="mse")
    model.fit(Hooked([[x], [y], None], batch_size=4), epochs=3, verbose=0)
    assert calls == ["begin", "stop"] * 3  # arrays skip the base class's empty hooks, not these


@pytest.mark.parametrize("kept", [0, 1 << 12])
def test_epochs_in_order_give_the_same_batches_whether_they_are_kept_or_not(kept, monkeypatch):
    from layerkit.models.data_adapters import array_data_adapter

    monkeypatch.setattr(array_data_adapter, "KEPT_BATCHES", kept)
    x, y = _data(rows=10)
    adapter = ArrayDataAdapter([[x], [y], None], batch_size=4)
    for epoch in range(3):
        x[0, 0] = epoch  # the user's arrays changed between epochs: the batches see it
        batches = [(xs[0], ys[0]) for (xs, ys, _), _ in adapter.get_numpy_iterator(epoch)]
        assert [len(b) for b, _ in batches] == [4, 4, 2]
        assert np.array_equal(np.concatenate([b for b, _ in batches]), x)
        assert np.array_equal(np.concatenate([t for _, t in batches]), y)


def test_a_kept_batch_cannot_be_changed_by_the_step_that_reads_it():
    x, y = _data(rows=10)
    adapter = ArrayDataAdapter([[x], [y], None], batch_size=4)
    (batch, _), *_ = adapter.get_numpy_iterator(0)
    with pytest.raises(TypeError):
        batch[0][0] = x[:4] * 2  # e.g. a train_step that rescales its inputs in place
    (again, _), *_ = adapter.get_numpy_iterator(1)
    assert again[0][0] is batch[0][0] and np.array_equal(again[0][0], x[:4])


@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_keep_the_structure_of_the_items_none_included(shuffle):
    x1, x2 = np.arange(10.0).reshape(5, 2), np.arange(5.0)
    y = np.arange(5.0) * 10
    adapter = ArrayDataAdapter([[x1, x2], [y, None], None], batch_size=2, shuffle=shuffle,
                               seed=3, reuse_buffers=shuffle)
    order = epoch_order(5, 2, shuffle, 3, 0, 0)
    rows = np.arange(5) if order is None else order
    for step, ((xs, ys, weights), _) in enumerate(adapter.get_numpy_iterator()):
        index = rows[2 * step:2 * step + 2]
        assert len(xs) == 2 and len(ys) == 2 and weights is None and ys[1] is None
        assert np.array_equal(xs[0], x1[index]) and np.array_equal(xs[1], x2[index])
        assert np.array_equal(ys[0], y[index])


def test_the_first_batch_of_shuffled_arrays_is_their_first_rows_without_drawing_an_order(
        monkeypatch):
    from layerkit.models.data_adapters import array_data_adapter

    drawn = []
    order = array_data_adapter.epoch_order
    monkeypatch.setattr(array_data_adapter, "epoch_order",
                        lambda *args: (drawn.append(args), order(*args))[1])
    x, y = _data(rows=10)
    adapter = ArrayDataAdapter([[x], [y], None], batch_size=4, shuffle=True, seed=0,
                               reuse_buffers=True)
    (xs, ys, weights), _ = adapter.first_batch()
    assert np.array_equal(xs[0], x[:4]) and np.array_equal(ys[0], y[:4]) and weights is None
    assert drawn == []
    next(adapter.get_numpy_iterator())  # an epoch does draw its order
    assert len(drawn) == 1
