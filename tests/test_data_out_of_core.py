"""Arrays larger than memory: ``np.memmap`` and ``h5py.Dataset`` inputs, read batch by batch.

They train to exactly the weights of the same arrays in memory (shuffled the same
way), never come into memory whole (the peak resident size of a process training on
a memmap several times larger is measured), and a bad row is refused at its batch,
before the batch's step, with the arrays' message.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

import layerkit
from layerkit import Input, Model, Sequential, layers
from layerkit.models.data_adapters.file_rows import take_rows

REPO = Path(__file__).resolve().parents[1]
N, FEATURES, BATCH = 53, 4, 8


def _data(dtype="float32"):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(N, FEATURES)).astype(dtype)
    y = (x[:, 0] - x[:, 2] > 0).astype("float32")
    return x, y, rng.uniform(0.5, 2.0, size=N)


def _memmap(path, array, mode="r", order="C"):
    stored = np.memmap(path, dtype=array.dtype, mode="w+", shape=array.shape, order=order)
    stored[:] = array
    stored.flush()
    del stored
    return np.memmap(path, dtype=array.dtype, mode=mode, shape=array.shape, order=order)


def _model():
    layerkit.utils.set_random_seed(2)
    model = Sequential([Input((FEATURES,)), layers.Dense(6, activation="relu"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.shuffle_seed = 99
    return model


def _same_weights(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


@pytest.fixture
def stored(tmp_path):
    """The same data in memory, as memmaps and as h5py datasets (the file stays open)."""
    x, y, w = _data()
    with h5py.File(tmp_path / "data.h5", "w") as handle:
        for name, array in (("x", x), ("y", y), ("w", w)):
            handle[name] = array
    handle = h5py.File(tmp_path / "data.h5", "r")
    yield {"memory": (x, y, w),
           "memmap": tuple(_memmap(tmp_path / f"{n}.dat", a) for n, a in zip("xyw", (x, y, w))),
           "h5py": (handle["x"], handle["y"], handle["w"])}
    handle.close()


@pytest.mark.parametrize("kind", ["memmap", "h5py"])
@pytest.mark.parametrize("shuffle", [True, "batch", False])
def test_out_of_core_arrays_train_to_the_weights_of_the_same_arrays_in_memory(stored, kind,
                                                                             shuffle):
    x, y, w = stored["memory"]
    reference = _model()
    reference.fit(x, y, sample_weight=w, batch_size=BATCH, epochs=3, shuffle=shuffle, verbose=0,
                  validation_split=0.25)
    model = _model()
    xs, ys, ws = stored[kind]
    history = model.fit(xs, ys, sample_weight=ws, batch_size=BATCH, epochs=3, shuffle=shuffle,
                        verbose=0, validation_split=0.25)
    assert _same_weights(model, reference)
    assert history.history == reference.history.history
    assert model.evaluate(xs, ys, batch_size=BATCH, verbose=0) == reference.evaluate(
        x, y, batch_size=BATCH, verbose=0)
    np.testing.assert_array_equal(model.predict(xs, batch_size=BATCH, verbose=0),
                                  reference.predict(x, batch_size=BATCH, verbose=0))


def test_named_inputs_mixing_memmaps_and_arrays(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(N, 3)).astype("float32"), rng.normal(size=(N, 2)).astype("float32")
    y = rng.normal(size=(N, 1)).astype("float32")

    def model():
        layerkit.utils.set_random_seed(4)
        ia, ib = Input((3,), name="a"), Input((2,), name="b")
        out = layers.Dense(1)(layers.Concatenate()([layers.Dense(3)(ia), ib]))
        m = Model({"a": ia, "b": ib}, out)
        m.compile(optimizer="sgd", loss="mse")
        m.shuffle_seed = 3
        return m

    reference, lazy = model(), model()
    reference.fit({"a": a, "b": b}, y, batch_size=BATCH, epochs=2, verbose=0)
    lazy.fit({"a": _memmap(tmp_path / "a.dat", a), "b": b}, _memmap(tmp_path / "y.dat", y),
             batch_size=BATCH, epochs=2, verbose=0)
    assert _same_weights(lazy, reference)


@pytest.mark.parametrize("layout", ["view", "fortran", "copy-on-write", "offset", "removed", "h5py"])
def test_rows_are_read_in_any_order_from_any_layout(tmp_path, layout):
    full = np.arange(120, dtype=np.float64).reshape(30, 4)
    if layout == "view":
        array, expected = _memmap(tmp_path / "m.dat", full)[5:25], full[5:25]
    elif layout == "fortran":
        array, expected = _memmap(tmp_path / "m.dat", full, order="F"), full
    elif layout == "copy-on-write":
        array = _memmap(tmp_path / "m.dat", full, mode="c")
        array[3] = -1.0  # lives in memory only: it must be read from the mapping
        expected = full.copy()
        expected[3] = -1.0
    elif layout == "offset":
        np.save(tmp_path / "m.npy", full)
        array, expected = np.load(tmp_path / "m.npy", mmap_mode="r"), full
    elif layout == "removed":  # the mapping outlives its file's name
        array, expected = _memmap(tmp_path / "m.dat", full), full
        (tmp_path / "m.dat").unlink()
    else:
        with h5py.File(tmp_path / "m.h5", "w") as handle:
            handle["x"] = full
        array, expected = h5py.File(tmp_path / "m.h5", "r")["x"], full
    rows = np.random.default_rng(1).permutation(len(expected))[:9]
    np.testing.assert_array_equal(take_rows(array, rows), expected[rows])
    np.testing.assert_array_equal(take_rows(array, slice(2, 7)), expected[2:7])
    np.testing.assert_array_equal(take_rows(array, np.array([4, 5, 6, 1])), expected[[4, 5, 6, 1]])


def test_a_bad_row_is_refused_at_its_batch_before_the_step(tmp_path):
    x, y, _ = _data("float64")
    x[2 * BATCH + 3, 1] = np.nan
    reference = _model()
    for k in range(2):
        reference.train_on_batch(x[k * BATCH:(k + 1) * BATCH], y[k * BATCH:(k + 1) * BATCH])
    model = _model()
    with pytest.raises(ValueError, match=r"Batch 2 of epoch 0 \(rows 16 to 23\): `x` of fit\(\) "
                                         r"contains NaN or inf \(first at index \(3, 1\)"):
        model.fit(_memmap(tmp_path / "x.dat", x), y, batch_size=BATCH, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 2 and _same_weights(model, reference)
    x[2 * BATCH + 3, 1] = 1e39  # finite in float64, inf in the model's float32
    with pytest.raises(ValueError, match=r"rows 16 to 23\): `x` of fit\(\) holds 1e\+39 .*too large "
                                         "for the model's dtype float32"):
        _model().fit(_memmap(tmp_path / "big.dat", x), y, batch_size=BATCH, shuffle=False,
                     verbose=0)
    with pytest.raises(ValueError, match=r"Batch \d+ of epoch 0 \(rows \d+, \d+, \d+, \d+, \.\.\. in "
                                         r"the batch's order\): `x` of fit\(\) holds 1e\+39"):
        _model().fit(_memmap(tmp_path / "big2.dat", x), y, batch_size=BATCH, verbose=0)


def test_what_the_first_batch_shows_is_refused_before_anything_changes(tmp_path):
    x, y, _ = _data()
    with h5py.File(tmp_path / "text.h5", "w") as handle:
        handle["x"] = np.array([["a"] * FEATURES] * N, dtype="S1")
        handle["wide"] = np.zeros((N, FEATURES + 1), dtype="float32")
        handle["empty"] = np.zeros((0, FEATURES), dtype="float32")
    with h5py.File(tmp_path / "text.h5", "r") as handle:
        for data, targets, error, message in (
                (handle["x"], y, TypeError,
                 r"The first batch \(rows 0 to 7\): `x` of fit\(\) must be numeric"),
                (handle["wide"], y, ValueError, r"expected shape \(None, 4\).*\(8, 5\)"),
                (handle["empty"], y[:0], ValueError, r"`x` of fit\(\) is empty")):
            model = _model()
            before = model.get_weights()
            with pytest.raises(error, match=message):
                model.fit(data, targets, batch_size=BATCH, verbose=0)
            assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(ValueError, match="same number of samples: x has 53, y has 52"):
        _model().fit(_memmap(tmp_path / "x.dat", x), y[:-1], verbose=0)


def test_training_on_a_memmap_never_holds_it_in_memory(tmp_path):
    """A subprocess trains on a 256 MB memmap; its peak resident size grows by far less."""
    rows, features = 65536, 1024
    path = tmp_path / "big.dat"
    rng = np.random.default_rng(0)
    with open(path, "wb") as handle:  # written without mapping it
        for _ in range(rows // 4096):
            handle.write(rng.normal(size=(4096, features)).astype("float32").tobytes())
    np.save(tmp_path / "y.npy", rng.normal(size=rows).astype("float32"))
    data_mb = path.stat().st_size / 2**20
    script = textwrap.dedent(f"""
        import numpy as np
        from layerkit import Input, Sequential, layers

        def status(key):
            with open("/proc/self/status") as handle:
                return next(int(line.split()[1]) for line in handle if line.startswith(key)) / 1024

        x = np.memmap({str(path)!r}, dtype="float32", mode="r", shape=({rows}, {features}))
        y = np.load({str(tmp_path / "y.npy")!r})
        model = Sequential([Input(({features},)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.predict(x[:2], verbose=0)
        before = status("VmRSS")
        history = model.fit(x, y, batch_size=512, epochs=1, shuffle=True, verbose=0,
                            validation_split=0.1)
        model.evaluate(x, y, batch_size=2048, verbose=0)
        print(before, status("VmHWM"), history.history["loss"][0])
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    before, peak, loss = (float(v) for v in done.stdout.split())
    assert np.isfinite(loss)
    assert peak - before < data_mb / 8, f"peak grew by {peak - before:.0f} MB for {data_mb:.0f} MB"


def test_a_resumed_run_on_a_memmap_is_the_uninterrupted_run_in_memory(tmp_path):
    x, y, _ = _data()
    uninterrupted = _model()
    uninterrupted.fit(x, y, batch_size=BATCH, epochs=3, verbose=0)
    resumed = _model()
    stored = _memmap(tmp_path / "x.dat", x)
    resumed.fit(stored, y, batch_size=BATCH, epochs=1, verbose=0)
    resumed.fit(stored, y, batch_size=BATCH, epochs=3, initial_epoch=1, verbose=0)
    assert _same_weights(resumed, uninterrupted)
