"""Files from other people, and disks that fill up.

Loading never allocates what a file merely declares, never converts a value silently,
and fails only with the documented ValueError naming the file and the part, leaving the
model as it was. Saving onto a full disk or past a file-size limit is an OSError (never a
crash of the interpreter), leaves no temporary file and keeps the previous file.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from layerkit import Sequential, layers, models, optimizers

ROOT = Path(__file__).resolve().parents[1]


def _model(seed=0, compiled=True):
    rng = np.random.default_rng(seed)
    model = Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    if compiled:
        model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="mse")
        model.train_on_batch(rng.normal(size=(8, 4)), rng.normal(size=(8, 2)))
    return model


def _state(model):
    arrays = [w.copy() for w in model.get_weights()]
    if model.compiled and model.optimizer.built:
        arrays += [np.array(v, copy=True) for v in
                   model.optimizer.variables_for(model.trainable_weights)]
    return arrays


def _assert_unchanged(model, before):
    after = _state(model)
    assert len(after) == len(before)
    for a, b in zip(after, before):
        assert a.tobytes() == b.tobytes()


def _edit(path, change):
    with h5py.File(path, "a") as handle:
        change(handle)


def _replace(handle, path, **kwargs):
    del handle[path]
    handle.create_dataset(path, **kwargs)


# ------------------------------------------------------------------ weights files
WEIGHTS_DAMAGE = {
    "huge declared kernel": lambda h: _replace(h, "layers/dense/vars/0", shape=(10**6, 10**6),
                                               dtype="f4", chunks=(1, 1)),
    "complex values": lambda h: _replace(h, "layers/dense/vars/1", data=np.ones(3) + 5j),
    "integers no float holds exactly": lambda h: _replace(
        h, "layers/dense/vars/1", data=np.array([2**53 + 1, 0, 0], dtype=np.int64)),
    "strings": lambda h: _replace(h, "layers/dense/vars/1", data=np.array([b"a", b"b", b"c"])),
    "nan": lambda h: _replace(h, "layers/dense/vars/1", data=np.array([0.0, np.nan, 0.0])),
    "inf": lambda h: _replace(h, "layers/dense_1/vars/0", data=np.full((3, 2), np.inf)),
    "too large for float32": lambda h: _replace(h, "layers/dense/vars/1",
                                                data=np.array([1e300, 0.0, 0.0])),
    "transposed kernel": lambda h: _replace(h, "layers/dense/vars/0", data=np.ones((3, 4))),
    "missing layer group": lambda h: h.__delitem__("layers/dense_1"),
    "group replaced by a dataset": lambda h: (h.__delitem__("layers/dense"),
                                              h.create_dataset("layers/dense", data=[1.0])),
    "vars replaced by a dataset": lambda h: (h.__delitem__("layers/dense/vars"),
                                             h.create_dataset("layers/dense/vars", data=[1.0])),
    "weight replaced by a group": lambda h: (h.__delitem__("layers/dense/vars/1"),
                                             h.create_group("layers/dense/vars/1")),
    "renamed optimizer variable": lambda h: h.move("optimizer/vars/3", "optimizer/vars/x"),
    "negative step count": lambda h: _replace(h, "optimizer/vars/0", data=np.int64(-5)),
    "overflowing step count": lambda h: _replace(h, "optimizer/vars/0",
                                                 data=np.uint64(2**64 - 1)),
    "fractional step count": lambda h: _replace(h, "optimizer/vars/0", data=2.5),
    "optimizer slot of the wrong shape": lambda h: _replace(h, "optimizer/vars/3",
                                                            data=np.ones((4, 3))),
    "non-finite optimizer slot": lambda h: _replace(h, "optimizer/vars/2",
                                                    data=np.full((4, 3), np.nan)),
    "optimizer group replaced by a dataset": lambda h: (h.__delitem__("optimizer/vars"),
                                                        h.create_dataset("optimizer/vars",
                                                                         data=[0])),
}


@pytest.mark.parametrize("damage", sorted(WEIGHTS_DAMAGE))
def test_damaged_weights_file_is_refused_and_the_model_is_unchanged(tmp_path, damage):
    path = tmp_path / "m.weights.h5"
    _model(seed=1).save_weights(path)
    _edit(path, WEIGHTS_DAMAGE[damage])
    target = _model(seed=2)
    before = _state(target)
    with pytest.raises(ValueError, match=r"m\.weights\.h5|/layers/|optimizer") as error:
        target.load_weights(path)
    assert "Traceback" not in str(error.value)
    _assert_unchanged(target, before)


def test_a_declared_terabyte_is_refused_before_any_allocation(tmp_path):
    path = tmp_path / "m.weights.h5"
    _model(seed=1).save_weights(path)
    _edit(path, WEIGHTS_DAMAGE["huge declared kernel"])
    assert path.stat().st_size < 100_000
    with pytest.raises(ValueError, match=r"expected shape \(4, 3\), found \(1000000, 1000000\)"):
        _model(seed=2).load_weights(path)


def test_integer_weights_that_convert_exactly_load(tmp_path):
    """Keras writes some weights as integers (an adapted Normalization's count)."""
    path = tmp_path / "m.weights.h5"
    _model(seed=1).save_weights(path)
    _edit(path, lambda h: _replace(h, "layers/dense/vars/1", data=np.array([3, -2, 7],
                                                                           dtype=np.int32)))
    target = _model(seed=2)
    target.load_weights(path)
    np.testing.assert_array_equal(target.layers[0].bias, [3.0, -2.0, 7.0])
    assert target.layers[0].bias.dtype == np.float32


# ------------------------------------------------------------------ model files
def _set_attr(key, value):
    return lambda h: h.attrs.__setitem__(key, value)


def _edit_json(key, change):
    def edit(handle):
        config = json.loads(handle.attrs[key])
        change(config)
        handle.attrs[key] = json.dumps(config)
    return edit


def _first_dense(config):
    return config["config"]["layers"][1]["config"]


MODEL_DAMAGE = {
    "format version as text": _set_attr("layerkit_format_version", "two"),
    "format version as a float": _set_attr("layerkit_format_version", 2.5),
    "model config not JSON": _set_attr("model_config", "{not json"),
    "model config a list": _set_attr("model_config", "[1, 2]"),
    "training config a list": _set_attr("training_config", "[]"),
    "training config missing keys": _edit_json("training_config", lambda c: c.pop("loss")),
    "training config bad seed": _edit_json("training_config",
                                           lambda c: c.__setitem__("shuffle_seed", -3)),
    "training config bad optimizer": _edit_json("training_config",
                                                lambda c: c.__setitem__("optimizer", "sgd!")),
    "units 2**31": _edit_json("model_config",
                              lambda c: _first_dense(c).__setitem__("units", 2**31)),
    "units a string": _edit_json("model_config",
                                 lambda c: _first_dense(c).__setitem__("units", "many")),
    "integer dtype": _edit_json("model_config",
                                lambda c: _first_dense(c).__setitem__("dtype", "int32")),
    "complex dtype": _edit_json("model_config",
                                lambda c: _first_dense(c).__setitem__("dtype", "complex64")),
    "bogus activation keyword": _edit_json(
        "model_config", lambda c: _first_dense(c).__setitem__(
            "activation", {"class_name": "relu", "config": {"bogus": 1}})),
    "unknown layer class": _edit_json(
        "model_config", lambda c: c["config"]["layers"][1].__setitem__("class_name", "Evil")),
    "missing weights group": lambda h: h.__delitem__("model_weights"),
    "weights group replaced": lambda h: (h.__delitem__("model_weights"),
                                         h.create_dataset("model_weights", data=[0])),
    "renamed optimizer variable": lambda h: h.move("optimizer/vars/3", "optimizer/vars/y"),
    "negative step count": lambda h: _replace(h, "optimizer/vars/0", data=np.int64(-1)),
    "missing optimizer variable": lambda h: h.__delitem__("optimizer/vars/5"),
}


@pytest.mark.parametrize("damage", sorted(MODEL_DAMAGE))
def test_damaged_model_file_is_a_value_error_naming_the_file(tmp_path, damage):
    path = tmp_path / "m.h5"
    _model(seed=1).save(path)
    _edit(path, MODEL_DAMAGE[damage])
    with pytest.raises(ValueError, match=r"m\.h5"):
        models.load_model(path)


def test_huge_config_is_refused_before_allocating(tmp_path):
    path = tmp_path / "m.h5"
    _model(seed=1).save(path)
    _edit(path, _edit_json("model_config", lambda c: _first_dense(c).__setitem__("units", 2**31)))
    with pytest.raises(ValueError, match=r"weight 'kernel' of shape \(4, 2147483648\)"):
        models.load_model(path)


@pytest.mark.parametrize("dtype", ["int32", "complex64", "object", "bool", "mixed_float16"])
def test_layers_compute_in_floating_point_only(dtype):
    with pytest.raises(ValueError, match="floating point only"):
        layers.Dense(1, dtype=dtype)
    with pytest.raises(ValueError, match="floating point only"):
        Sequential([layers.Input((2,)), layers.Dense(1)]).layers[0].add_weight((2,), dtype=dtype)


@pytest.mark.parametrize("path_type", [str, Path, os.fsencode])
def test_file_paths_as_str_path_or_bytes(tmp_path, path_type):
    model = _model(seed=3)
    model.save_weights(path_type(str(tmp_path / "m.weights.h5")))
    model.save(path_type(str(tmp_path / "m.h5")))
    other = _model(seed=4)
    other.load_weights(path_type(str(tmp_path / "m.weights.h5")))
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    loaded = models.load_model(path_type(str(tmp_path / "m.h5")))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_path_of_another_type_is_a_clear_type_error(tmp_path):
    with pytest.raises(TypeError, match="file path"):
        _model().save_weights(42)


# ------------------------------------------------------------------ full disks
_CHILD = textwrap.dedent("""
    import os, resource, sys
    import numpy as np
    from layerkit import Sequential, layers, callbacks
    target, kind = sys.argv[1:3]
    model = Sequential([layers.Input((64,)), layers.Dense(512), layers.Dense(512), layers.Dense(4)])
    model.compile(optimizer="adam", loss="mse")
    limit = 200_000                       # bytes: far less than the ~1.3 MB file
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        if kind == "weights":
            model.save_weights(target)
        elif kind == "model":
            model.save(target)
        else:
            checkpoint = callbacks.ModelCheckpoint(target, save_weights_only=True)
            model.fit(np.ones((8, 64)), np.ones((8, 4)), epochs=1, verbose=0,
                      callbacks=[checkpoint])
    except OSError as error:
        print("OSError:", error, flush=True)
    else:
        print("saved", flush=True)
""")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE as on Linux")
@pytest.mark.parametrize("kind", ["weights", "model", "checkpoint"])
def test_a_file_size_limit_is_an_os_error_and_keeps_the_previous_file(tmp_path, kind):
    target = tmp_path / ("m.h5" if kind == "model" else "m.weights.h5")
    target.write_bytes(b"previous content")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", _CHILD, str(target), kind], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OSError:" in result.stdout and "File too large" in result.stdout, result.stdout
    assert "previous file, if any, is unchanged" in result.stdout
    assert target.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def _small_tmpfs(folder):
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                             capture_output=True)
    return mounted.returncode == 0


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs")
def test_a_full_disk_is_an_os_error_and_keeps_the_previous_file(tmp_path):
    folder = tmp_path / "small"
    if not _small_tmpfs(folder):
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        target = folder / "m.weights.h5"
        small = _model(seed=1)
        small.save_weights(target)
        before = target.read_bytes()
        big = Sequential([layers.Input((64,)), layers.Dense(1024), layers.Dense(4)])
        big.compile(optimizer="adam", loss="mse")
        with pytest.raises(OSError, match="No space left on device"):
            big.save_weights(target)
        assert target.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == [target.name]
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)
