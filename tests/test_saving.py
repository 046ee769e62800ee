"""Saving and loading: Keras-layout weights files, whole-model files, atomic writes, checkpoints.

Expected file layouts come from Keras 3's specification
(``shared/specs/keras-weights-h5.md``) and are checked with h5py directly,
not through layerkit's own reader. Every failure test starts from a model
holding known weights and checks, bit for bit, that a refused load left them
exactly as they were. The crash tests run a real subprocess and kill it with
SIGKILL in the middle of a save.
"""

import ast
import builtins
import importlib
import json
import os
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

import layerkit
from layerkit import Sequential, backend, losses, models, saving
from layerkit.callbacks import Callback, ModelCheckpoint
from layerkit.layers import Activation, Dense, Input, Layer
from layerkit.optimizers import SGD, Adam
from layerkit.saving import write_bytes_atomically, write_h5_atomically
from layerkit.saving.weights_h5 import MODEL_FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[1]
SAVING_DIR = ROOT / "layerkit" / "saving"

# ============================================================== helpers


def bits(arrays):
    """``[(dtype, shape, raw bytes)]``: equal only when the arrays are identical bit for bit."""
    return [(a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()) for a in arrays]


def assert_bit_identical(actual, expected):
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype, f"array {k}: dtype {a.dtype} != {e.dtype}"
        assert a.shape == e.shape, f"array {k}: shape {a.shape} != {e.shape}"
        assert a.tobytes() == e.tobytes(), f"array {k} differs"


def randomize(model, seed):
    """Give every weight (biases too) distinct, non-trivial values; return copies of them."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model.get_weights()


def mixed_model(names=None, dtype=None):
    """Input(4) -> Dense(5, relu) -> Activation(tanh) -> Dense(3, no bias) -> Activation -> Dense(2).

    ``names``: five layer names (default: automatic ones).
    """
    names = names or [None] * 5
    return Sequential([
        Input((4,)),
        Dense(5, activation="relu", name=names[0], dtype=dtype),
        Activation("tanh", name=names[1], dtype=dtype),
        Dense(3, use_bias=False, name=names[2], dtype=dtype),
        Activation("sigmoid", name=names[3], dtype=dtype),
        Dense(2, name=names[4], dtype=dtype),
    ])


def square_model(names=None):
    """Four Dense layers whose weights all have the same shapes but the last, plus an Activation.

    dense (4,4)+(4,), activation, dense_1 (4,4) no bias, dense_2 (4,4)+(4,), dense_3 (4,2)+(2,).
    """
    names = names or [None] * 5
    return Sequential([
        Input((4,)),
        Dense(4, activation="relu", name=names[0]),
        Activation("tanh", name=names[1]),
        Dense(4, use_bias=False, name=names[2]),
        Dense(4, name=names[3]),
        Dense(2, name=names[4]),
    ])


def h5_tree(path):
    """``{path: ("group", attrs) | ("dataset", dtype, shape)}`` of an HDF5 file, read with h5py."""
    tree = {}

    def visit(name, node):
        if isinstance(node, h5py.Dataset):
            tree[name] = ("dataset", node.dtype.str, node.shape)
        else:
            tree[name] = ("group", {k: _text(v) for k, v in node.attrs.items()})

    with h5py.File(path, "r") as handle:
        handle.visititems(visit)
    return tree


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def folder_listing(folder):
    return sorted(os.listdir(folder))


def data(n=37, in_dim=4, out_dim=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, in_dim)).astype("float32")
    y = rng.normal(size=(n, out_dim)).astype("float32")
    return x, y


# ============================================================== weights files: round trips


def test_save_load_weights_float32_bit_exact_with_special_values(tmp_path):
    source = mixed_model()
    weights = randomize(source, 1)
    # Values a lossy path (text, float64 detour with rounding, compression) would change.
    weights[0].flat[:6] = [-0.0, np.float32(1e-45), np.finfo("float32").max,
                           np.finfo("float32").tiny, -np.finfo("float32").max,
                           np.nextafter(np.float32(1), 2)]
    source.set_weights(weights)
    expected = source.get_weights()
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)

    target = mixed_model()
    randomize(target, 2)
    target.load_weights(path)
    assert_bit_identical(target.get_weights(), expected)
    assert all(w.dtype == np.float32 for w in target.get_weights())
    with h5py.File(path, "r") as handle:
        assert handle["layers/dense/vars/0"].dtype == np.dtype("<f4")


@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_weights_holding_nan_or_inf_are_refused_on_load(tmp_path, special):
    source = mixed_model()
    weights = randomize(source, 1)
    weights[2].flat[1] = special
    source.set_weights(weights)  # a model may hold them; a file that does is not loaded
    source.save_weights(tmp_path / "m.weights.h5")
    target = mixed_model()
    before = randomize(target, 2)
    with pytest.raises(ValueError, match=r"layers/dense_1/vars/0 \(layer '\w+' weight 'kernel'\)"
                                         r": holds NaN or inf"):
        target.load_weights(tmp_path / "m.weights.h5")
    assert_bit_identical(target.get_weights(), before)


def test_save_load_weights_float64_bit_exact(tmp_path, float64):
    source = mixed_model()
    expected = randomize(source, 3)
    assert all(w.dtype == np.float64 for w in expected)
    # float64 values that float32 cannot hold: a float32 detour would lose them.
    expected[0][0, 0] = 1 + 2.0**-40
    expected[0][0, 1] = 1e-300
    source.set_weights(expected)
    path = tmp_path / "m64.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "r") as handle:
        assert handle["layers/dense/vars/0"].dtype == np.dtype("<f8")

    target = mixed_model()
    randomize(target, 4)
    target.load_weights(path)
    assert_bit_identical(target.get_weights(), source.get_weights())


def test_weights_file_tree_is_keras_layout_with_per_class_numbering(tmp_path):
    model = mixed_model(names=["first", "squash", "middle", "gate", "out"])
    randomize(model, 5)
    path = tmp_path / "named.weights.h5"
    model.save_weights(path)
    tree = h5_tree(path)
    expected_datasets = {
        "layers/dense/vars/0": ("dataset", "<f4", (4, 5)),
        "layers/dense/vars/1": ("dataset", "<f4", (5,)),
        "layers/dense_1/vars/0": ("dataset", "<f4", (5, 3)),   # use_bias=False: no "1"
        "layers/dense_2/vars/0": ("dataset", "<f4", (3, 2)),
        "layers/dense_2/vars/1": ("dataset", "<f4", (2,)),
    }
    assert {k: v for k, v in tree.items() if v[0] == "dataset"} == expected_datasets
    groups = {k for k, v in tree.items() if v[0] == "group"}
    assert groups == {"layers", "vars", "layers/dense", "layers/dense/vars", "layers/dense_1",
                      "layers/dense_1/vars", "layers/dense_2", "layers/dense_2/vars",
                      "layers/activation", "layers/activation/vars", "layers/activation_1",
                      "layers/activation_1/vars"}
    # The layer's own name is only an attribute (as Keras writes it), never a path.
    assert tree["layers/dense/vars"][1] == {"name": "first"}
    assert tree["layers/activation_1/vars"][1] == {"name": "gate"}
    assert tree["vars"][1] == {"name": model.name}
    # Values are stored as they are: kernel (in, out), then bias.
    with h5py.File(path, "r") as handle:
        for (_, layer), group in zip([(0, model.layers[0]), (2, model.layers[2]),
                                      (4, model.layers[4])], ["dense", "dense_1", "dense_2"]):
            np.testing.assert_array_equal(handle[f"layers/{group}/vars/0"][()], layer.kernel)
            if layer.use_bias:
                np.testing.assert_array_equal(handle[f"layers/{group}/vars/1"][()], layer.bias)


def test_group_names_ignore_automatic_layer_names(tmp_path):
    for _ in range(7):          # push the automatic names to dense_7, activation_7...
        Dense(1), Activation("relu")
    model = mixed_model()
    assert model.layers[0].name != "dense"
    path = tmp_path / "auto.weights.h5"
    model.save_weights(path)
    datasets = {k for k, v in h5_tree(path).items() if v[0] == "dataset"}
    assert datasets == {"layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0",
                        "layers/dense_2/vars/0", "layers/dense_2/vars/1"}


def test_load_into_model_with_different_layer_names(tmp_path):
    source = mixed_model(names=["first", "squash", "middle", "gate", "out"])
    expected = randomize(source, 6)
    path = tmp_path / "a.weights.h5"
    source.save_weights(path)
    target = mixed_model(names=["alpha", "beta", "gamma", "delta", "epsilon"])
    randomize(target, 7)
    target.load_weights(path)
    assert_bit_identical(target.get_weights(), expected)
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    np.testing.assert_array_equal(target.predict(x, verbose=0), source.predict(x, verbose=0))


def test_files_of_differently_named_models_have_the_same_datasets(tmp_path):
    a = mixed_model(names=["first", "squash", "middle", "gate", "out"])
    b = mixed_model(names=["alpha", "beta", "gamma", "delta", "epsilon"])
    b.set_weights(randomize(a, 8))
    a.save_weights(tmp_path / "a.weights.h5")
    b.save_weights(tmp_path / "b.weights.h5")
    tree_a, tree_b = h5_tree(tmp_path / "a.weights.h5"), h5_tree(tmp_path / "b.weights.h5")
    assert tree_a.keys() == tree_b.keys()
    assert {k: v for k, v in tree_a.items() if v[0] == "dataset"} == \
        {k: v for k, v in tree_b.items() if v[0] == "dataset"}


def test_load_weights_reads_the_weights_of_a_whole_model_file(tmp_path):
    source = mixed_model()
    source.compile(optimizer="adam", loss="mse")
    x, y = data(out_dim=2)
    source.fit(x, y, epochs=1, batch_size=8, verbose=0)
    source.save(tmp_path / "full.h5")
    target = mixed_model()
    target.load_weights(tmp_path / "full.h5")
    assert_bit_identical(target.get_weights(), source.get_weights())


def write_legacy_keras2(path, model, chunked_names=False, fixed_length=True):
    """A Keras 2 ``save_weights("x.h5")`` file (spec §2.1), written with h5py alone."""
    names = [f"lyr_{k}" for k in range(len(model.layers))]   # names in the file are ignored

    def strings(values):
        return np.array(values, dtype="S" if fixed_length else h5py.string_dtype("utf-8"))

    with h5py.File(path, "w") as handle:
        if chunked_names:
            handle.attrs["layer_names0"] = strings(names[:2])
            handle.attrs["layer_names1"] = strings(names[2:])
        else:
            handle.attrs["layer_names"] = strings(names)
        handle.attrs["backend"] = b"tensorflow"
        handle.attrs["keras_version"] = b"2.15.0"
        for name, layer in zip(names, model.layers):
            group = handle.create_group(name)
            weight_names = [f"{name}/{w}:0" for w in layer.weight_names]
            if weight_names:
                group.attrs["weight_names"] = strings(weight_names)
            else:
                group.attrs["weight_names"] = np.zeros((0,), dtype="float64")
            for weight_name, value in zip(weight_names, layer.weights):
                group.create_dataset(weight_name, data=value)


@pytest.mark.parametrize("chunked_names, fixed_length", [(False, True), (True, False)])
def test_load_legacy_keras2_h5(tmp_path, chunked_names, fixed_length):
    source = mixed_model()
    expected = randomize(source, 9)
    path = tmp_path / "legacy.h5"
    write_legacy_keras2(path, source, chunked_names, fixed_length)
    target = mixed_model(names=["p", "q", "r", "s", "t"])
    randomize(target, 10)
    target.load_weights(path)
    assert_bit_identical(target.get_weights(), expected)


# ============================================================== weights files: argument errors


@pytest.mark.parametrize("name", ["m.h5", "m_weights.h5", "m.weights.hdf5", "m.keras",
                                  "m.weights.h5.tmp", "m"])
def test_save_weights_wrong_suffix(tmp_path, name):
    model = mixed_model()
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / name)
    assert folder_listing(tmp_path) == []


def test_save_weights_overwrite_false(tmp_path):
    model = mixed_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    before = path.read_bytes()
    randomize(model, 11)
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)
    assert path.read_bytes() == before


def test_save_weights_of_unbuilt_model(tmp_path):
    model = Sequential([Dense(3), Dense(1)])
    with pytest.raises(ValueError, match="built"):
        model.save_weights(tmp_path / "u.weights.h5")
    assert folder_listing(tmp_path) == []


def test_load_weights_into_unbuilt_model(tmp_path):
    mixed_model().save_weights(tmp_path / "m.weights.h5")
    model = Sequential([Dense(5), Activation("tanh"), Dense(3), Dense(2)])
    with pytest.raises(ValueError, match="not yet been built|has not been built"):
        model.load_weights(tmp_path / "m.weights.h5")
    assert not model.built


def test_load_weights_unsupported_suffix(tmp_path):
    model = mixed_model()
    model.save_weights(tmp_path / "m.weights.h5")
    shutil.copy(tmp_path / "m.weights.h5", tmp_path / "m.weights.npz")
    before = model.get_weights()
    with pytest.raises(ValueError, match="not supported"):
        model.load_weights(tmp_path / "m.weights.npz")
    assert_bit_identical(model.get_weights(), before)


# ============================================================== weights files: refused loads


def _delete(name):
    def corrupt(handle):
        del handle[name]
    return corrupt


def _replace(name, value):
    def corrupt(handle):
        del handle[name]
        handle[name] = value
    return corrupt


def _add(name, value):
    def corrupt(handle):
        handle[name] = value
    return corrupt


def _transpose_last_kernel(handle):
    kernel = handle["layers/dense_3/vars/0"][()]
    del handle["layers/dense_3/vars/0"]
    handle["layers/dense_3/vars/0"] = kernel.T


def _external_dataset(handle):
    # A dataset whose bytes live in another (raw) file: reading it reads any file on disk.
    raw = Path(handle.filename).with_name("secret.bin")
    np.arange(8, dtype="<f4").tofile(raw)
    del handle["layers/dense_3/vars/0"]
    handle.create_dataset("layers/dense_3/vars/0", shape=(4, 2), dtype="<f4",
                          external=[(str(raw), 0, 32)])


def _dataset_is_group(handle):
    del handle["layers/dense_3/vars/1"]
    handle.create_group("layers/dense_3/vars/1")


def _virtual_dataset(handle):
    source = handle["layers/dense_2/vars/0"]
    layout = h5py.VirtualLayout(shape=(4, 2), dtype="float32")
    layout[:, :] = h5py.VirtualSource(source)[:, :2]
    del handle["layers/dense_3/vars/0"]
    handle.create_virtual_dataset("layers/dense_3/vars/0", layout)


def _external_link(handle):
    other = Path(handle.filename).with_name("other.h5")
    with h5py.File(other, "w") as f:
        f["k"] = np.ones((4, 2), "float32")
    del handle["layers/dense_3/vars/0"]
    handle["layers/dense_3/vars/0"] = h5py.ExternalLink(str(other), "/k")


CORRUPTIONS = {
    # The problem is always in a late layer, so that a loader writing layer by layer
    # would already have changed the first ones.
    "missing layer group": (_delete("layers/dense_3"), r"dense_3|expected 2 variables"),
    "missing weight (bias)": (_delete("layers/dense_3/vars/1"), r"expected 2 variables"),
    "missing kernel, bias kept": (_delete("layers/dense_2/vars/0"), r"dense_2"),
    "extra weight": (_add("layers/dense_3/vars/2", np.zeros(2, "float32")),
                     r"expected 2 variables, but received 3"),
    "bias in a bias-less layer": (_add("layers/dense_1/vars/1", np.zeros(4, "float32")),
                                  r"expected 1 variables, but received 2"),
    "weight in an Activation group": (_add("layers/activation/vars/0", np.zeros(1, "float32")),
                                      r"expected 0 variables"),
    "dataset is a group": (_dataset_is_group, r"group"),
    "shape mismatch": (_transpose_last_kernel, r"\(4, 2\).*\(2, 4\)"),
    "bias 2-D": (_replace("layers/dense_3/vars/1", np.zeros((2, 1), "float32")),
                 r"\(2,\).*\(2, 1\)"),
    "soft link to a dataset": (_replace("layers/dense_2/vars/0",
                                        h5py.SoftLink("/layers/dense_1/vars/0")), r"SoftLink"),
    "soft link to a layer group": (_replace("layers/dense_2", h5py.SoftLink("/layers/dense")),
                                   r"SoftLink"),
    "soft link to a vars group": (_replace("layers/dense_2/vars",
                                           h5py.SoftLink("/layers/dense/vars")), r"SoftLink"),
    "external link": (_external_link, r"ExternalLink|[Ee]xternal"),
    "external dataset": (_external_dataset, r"[Ee]xternal"),
    "virtual dataset": (_virtual_dataset, r"[Vv]irtual"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_refused_weights_file_leaves_model_unchanged(tmp_path, case):
    corrupt, pattern = CORRUPTIONS[case]
    source = square_model()
    randomize(source, 12)
    path = tmp_path / "bad.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "a") as handle:
        corrupt(handle)
    target = square_model()
    before = randomize(target, 13)
    arrays = [id(w) for w in target.weights]
    with pytest.raises(ValueError, match=pattern):
        target.load_weights(path)
    assert_bit_identical(target.get_weights(), before)
    assert [id(w) for w in target.weights] == arrays


def test_shape_mismatch_message_names_layer_and_both_shapes(tmp_path):
    source = square_model(names=["a", "b", "c", "d", "last_dense"])
    randomize(source, 14)
    path = tmp_path / "s.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "a") as handle:
        _transpose_last_kernel(handle)
    target = square_model(names=["a", "b", "c", "d", "last_dense"])
    before = target.get_weights()
    with pytest.raises(ValueError) as error:
        target.load_weights(path)
    message = str(error.value)
    assert "last_dense" in message
    assert "(4, 2)" in message and "(2, 4)" in message
    assert_bit_identical(target.get_weights(), before)


def _truncate(path):
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def _not_hdf5(path):
    path.write_bytes(b"this is not an HDF5 file\n" * 200)


def _empty(path):
    path.write_bytes(b"")


def _no_signature(path):
    content = bytearray(path.read_bytes())
    content[:8] = b"\x00" * 8           # destroy the HDF5 signature
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("damage, error", [(None, FileNotFoundError), (_not_hdf5, ValueError),
                                           (_empty, ValueError), (_truncate, ValueError),
                                           (_no_signature, ValueError)],
                         ids=["missing", "not hdf5", "empty", "truncated", "no signature"])
@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_damaged_or_missing_file_leaves_model_unchanged(tmp_path, damage, error, suffix):
    source = square_model()
    randomize(source, 15)
    path = tmp_path / ("m" + suffix)
    if suffix == ".weights.h5":
        source.save_weights(path)
    else:
        source.save(path)
    if damage is None:
        path.unlink()
    else:
        damage(path)
    target = square_model()
    before = randomize(target, 16)
    with pytest.raises(error):
        target.load_weights(path)
    assert_bit_identical(target.get_weights(), before)


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = square_model()
    expected = randomize(source, 17)
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "a") as handle:
        _transpose_last_kernel(handle)
    target = square_model()
    before = randomize(target, 18)
    with pytest.warns(UserWarning, match=r"\(4, 2\)"):
        target.load_weights(path, skip_mismatch=True)
    after = target.get_weights()
    assert_bit_identical(after[:-2], expected[:-2])          # dense .. dense_2 loaded
    assert_bit_identical(after[-2:], before[-2:])            # dense_3 kept (kernel AND bias)


def test_skip_mismatch_missing_group(tmp_path):
    source = square_model()
    expected = randomize(source, 19)
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "a") as handle:
        del handle["layers/dense_1"]
    target = square_model()
    before = randomize(target, 20)
    with pytest.warns(UserWarning, match="expected 1 variables"):
        target.load_weights(path, skip_mismatch=True)
    after = target.get_weights()
    assert_bit_identical(after[:2] + after[3:], expected[:2] + expected[3:])
    assert_bit_identical(after[2:3], before[2:3])


def test_extra_layer_groups_in_file_are_ignored(tmp_path):
    # Keras ignores groups the model has no layer for (spec §1.3).
    source = square_model()
    expected = randomize(source, 21)
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "a") as handle:
        handle["layers/dense_9/vars/0"] = np.zeros((3, 3), "float32")
        handle["foo"] = np.zeros(3)
    target = square_model()
    target.load_weights(path)
    assert_bit_identical(target.get_weights(), expected)


# ============================================================== whole-model files


def compiled_model(optimizer, metrics=("mae",)):
    model = Sequential([Input((4,)), Dense(6, activation="tanh", name="hidden"),
                        Activation("relu", name="act"), Dense(5, use_bias=False, name="mid"),
                        Dense(2, name="out")], name="net")
    model.compile(optimizer=optimizer, loss="mse", metrics=list(metrics))
    return model


@pytest.mark.parametrize("make_optimizer", [lambda: SGD(0.05, momentum=0.9, nesterov=True),
                                            lambda: Adam(0.01, beta_1=0.8, amsgrad=True)],
                         ids=["sgd", "adam"])
def test_save_and_load_model_restores_everything(tmp_path, make_optimizer):
    x, y = data()
    model = compiled_model(make_optimizer(), metrics=("mae", "mse"))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = models.load_model(path)

    assert type(loaded) is Sequential and loaded.name == "net"
    assert [type(layer).__name__ for layer in loaded.layers] == ["Dense", "Activation", "Dense",
                                                                  "Dense"]
    assert [layer.name for layer in loaded.layers] == ["hidden", "act", "mid", "out"]
    assert loaded.get_config() == model.get_config()
    assert loaded.layers[0].activation is layerkit.activations.tanh
    assert loaded.layers[2].use_bias is False
    assert_bit_identical(loaded.get_weights(), model.get_weights())

    assert loaded.compiled
    assert type(loaded.loss) is type(model.loss)
    assert loaded.loss.get_config() == model.loss.get_config()
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 10
    assert_bit_identical(loaded.optimizer.variables, model.optimizer.variables)

    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    logs = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae", "mse"]          # the metrics came back too


def test_model_file_is_hdf5_with_config_weights_and_optimizer(tmp_path):
    x, y = data()
    model = compiled_model(Adam(0.01))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as handle:
        assert int(handle.attrs["layerkit_format_version"]) == MODEL_FORMAT_VERSION
        config = json.loads(_text(handle.attrs["model_config"]))
        assert config["class_name"] == "Sequential"
        training = json.loads(_text(handle.attrs["training_config"]))
        assert training["optimizer"]["class_name"] == "Adam"
        assert training["metrics"] == ["mae"]
        np.testing.assert_array_equal(handle["model_weights/layers/dense_2/vars/1"][()],
                                      model.layers[3].bias)
        assert "model_weights/layers/dense_1/vars/1" not in handle
        # iterations, the learning rate, then the m and v of each of the 5 trainable arrays
        assert len(handle["optimizer/vars"]) == 2 + 2 * 5
        assert int(handle["optimizer/vars/0"][()]) == 5


def test_save_load_model_float64(tmp_path, float64):
    x, y = data()
    model = compiled_model(SGD(0.1, momentum=0.5))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.get_weights()[0].dtype == np.float64
    model.save(tmp_path / "m.h5")
    backend.set_floatx("float32")      # the file, not the session, decides the dtype
    loaded = models.load_model(tmp_path / "m.h5")
    assert_bit_identical(loaded.get_weights(), model.get_weights())
    assert_bit_identical(loaded.optimizer.variables, model.optimizer.variables)


def test_load_model_uncompiled_and_compile_false(tmp_path):
    model = compiled_model("adam")
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = models.load_model(tmp_path / "m.h5", compile=False)
    assert not loaded.compiled
    assert_bit_identical(loaded.get_weights(), model.get_weights())

    plain = Sequential([Input((3,)), Dense(2)])
    plain.save(tmp_path / "plain.keras")
    again = models.load_model(tmp_path / "plain.keras")
    assert not again.compiled
    assert_bit_identical(again.get_weights(), plain.get_weights())


def test_save_model_wrong_suffix_and_unbuilt(tmp_path):
    with pytest.raises(ValueError, match="extension"):
        compiled_model("sgd").save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="built"):
        Sequential([Dense(2)]).save(tmp_path / "m.h5")
    assert folder_listing(tmp_path) == []


def test_load_model_refuses_weights_only_file(tmp_path):
    mixed_model().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="load_weights"):
        models.load_model(tmp_path / "w.weights.h5")


@pytest.mark.parametrize("version", [0, MODEL_FORMAT_VERSION - 1, MODEL_FORMAT_VERSION + 1, 99])
def test_load_model_unknown_format_version(tmp_path, version):
    model = compiled_model("adam")
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as handle:
        handle.attrs["layerkit_format_version"] = version
    with pytest.raises(ValueError, match=f"version {version}"):
        models.load_model(tmp_path / "m.h5")


def test_load_weights_from_model_file_of_unknown_version_is_refused(tmp_path):
    # A file of a format this layerkit does not know may lay its weights out differently:
    # reading it with this version's rules must be refused, not guessed.
    source = square_model()
    randomize(source, 22)
    source.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as handle:
        handle.attrs["layerkit_format_version"] = MODEL_FORMAT_VERSION + 1
    target = square_model()
    before = randomize(target, 23)
    with pytest.raises(ValueError, match="version"):
        target.load_weights(tmp_path / "m.h5")
    assert_bit_identical(target.get_weights(), before)


@pytest.mark.parametrize("damage, error", [(None, FileNotFoundError), (_not_hdf5, ValueError),
                                           (_truncate, ValueError)],
                         ids=["missing", "not hdf5", "truncated"])
def test_load_model_damaged_file(tmp_path, damage, error):
    path = tmp_path / "m.h5"
    compiled_model("adam").save(path)
    if damage is None:
        path.unlink()
    else:
        damage(path)
    with pytest.raises(error):
        models.load_model(path)


def test_load_model_weights_do_not_fit_architecture(tmp_path):
    path = tmp_path / "m.h5"
    compiled_model("adam").save(path)
    with h5py.File(path, "a") as handle:
        del handle["model_weights/layers/dense_2/vars/1"]
    with pytest.raises(ValueError, match="out"):
        models.load_model(path)


# ============================================================== resuming training exactly


def _fresh(make_optimizer, seed=5):
    backend.set_random_seed(seed)
    backend.clear_session()
    model = Sequential([Input((4,)), Dense(7, activation="tanh"), Activation("relu"),
                        Dense(3, use_bias=False), Dense(2)])
    model.compile(optimizer=make_optimizer(), loss="mse", metrics=["mae"])
    return model


OPTIMIZERS = {"sgd-momentum": lambda: SGD(0.05, momentum=0.9),
              "adam": lambda: Adam(0.01)}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_is_bit_identical(tmp_path, name):
    make_optimizer = OPTIMIZERS[name]
    x, y = data(n=37)                      # 37 samples, batches of 8: the last one has 5
    straight = _fresh(make_optimizer)
    history = straight.fit(x, y, batch_size=8, epochs=10, verbose=0)

    first = _fresh(make_optimizer)
    assert_bit_identical(first.get_weights(), _fresh(make_optimizer).get_weights())
    first.fit(x, y, batch_size=8, epochs=5, verbose=0)
    first.save(tmp_path / "half.h5")
    del first
    backend.set_random_seed(999)           # the session's state must not matter
    resumed = models.load_model(tmp_path / "half.h5")
    assert resumed.optimizer.iterations == 25
    second = resumed.fit(x, y, batch_size=8, epochs=10, initial_epoch=5, verbose=0)

    assert_bit_identical(resumed.get_weights(), straight.get_weights())
    assert_bit_identical(resumed.optimizer.variables, straight.optimizer.variables)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 50
    assert second.epoch == [5, 6, 7, 8, 9]
    assert second.history["loss"] == history.history["loss"][5:]
    assert second.history["mae"] == history.history["mae"][5:]


def test_resume_without_optimizer_state_would_differ(tmp_path):
    # The check above can fail: dropping the saved optimizer state changes the result.
    x, y = data(n=37)
    straight = _fresh(OPTIMIZERS["adam"])
    straight.fit(x, y, batch_size=8, epochs=10, verbose=0)
    first = _fresh(OPTIMIZERS["adam"])
    first.fit(x, y, batch_size=8, epochs=5, verbose=0)
    first.save(tmp_path / "half.h5")
    with h5py.File(tmp_path / "half.h5", "a") as handle:
        del handle["optimizer"]
    resumed = models.load_model(tmp_path / "half.h5")
    resumed.fit(x, y, batch_size=8, epochs=10, initial_epoch=5, verbose=0)
    assert bits(resumed.get_weights()) != bits(straight.get_weights())


def test_resume_from_model_checkpoint_file(tmp_path):
    x, y = data(n=37)
    x_val, y_val = data(n=9, seed=1)
    straight = _fresh(OPTIMIZERS["adam"])
    checkpoint = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.h5"))
    straight.fit(x, y, batch_size=8, epochs=10, validation_data=(x_val, y_val),
                 callbacks=[checkpoint], verbose=0)
    resumed = models.load_model(tmp_path / "ckpt-05.h5")
    resumed.fit(x, y, batch_size=8, epochs=10, initial_epoch=5,
                validation_data=(x_val, y_val), verbose=0)
    assert_bit_identical(resumed.get_weights(), straight.get_weights())
    assert_bit_identical(models.load_model(tmp_path / "ckpt-10.h5").get_weights(),
                         straight.get_weights())


# ============================================================== custom objects


@saving.register_keras_serializable(package="test_saving")
class Scale(Layer):
    """Multiplies each feature by a trainable factor."""

    def __init__(self, start=1.0, **kwargs):
        super().__init__(**kwargs)
        self.start = start

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(input_shape[-1],),
                                     initializer=lambda shape, dtype: np.full(shape, self.start,
                                                                              dtype),
                                     name="alpha")

    def forward(self, x, training=False):
        self.X = x
        return self.alpha * x

    def backward(self, grad_output):
        self.grads["alpha"] = (grad_output * self.X).reshape(-1, self.X.shape[-1]).sum(axis=0)
        return grad_output * self.alpha

    def get_config(self):
        return {**super().get_config(), "start": self.start}


@saving.register_keras_serializable(package="test_saving")
def cube(x):
    return x**3


cube.backward = lambda grad_output, x, y: grad_output * 3 * x * x


@saving.register_keras_serializable(package="test_saving")
class HalfSquares(losses.Loss):
    def __init__(self, factor=0.5, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, y_true, y_pred):
        return self.factor * ((y_pred - y_true) ** 2).sum(axis=-1)

    def backward(self, y_true, y_pred):
        return 2 * self.factor * (y_pred - y_true)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Shift(Layer):            # not registered
    def forward(self, x, training=False):
        return x + 1

    def backward(self, grad_output):
        return grad_output


def unregistered_softsign(x):  # not registered
    return x / (1 + np.abs(x))


unregistered_softsign.backward = lambda grad_output, x, y: grad_output / (1 + np.abs(x)) ** 2


def l4_loss(y_true, y_pred):   # not registered
    return ((y_pred - y_true) ** 4).mean(axis=-1)


l4_loss.backward = lambda y_true, y_pred: 4 * (y_pred - y_true) ** 3 / y_pred.shape[-1]


def test_registered_custom_layer_activation_and_loss_round_trip(tmp_path):
    x, y = data()
    model = Sequential([Input((4,)), Dense(5, activation=cube), Scale(start=0.5, name="sc"),
                        Dense(2)])
    model.compile(optimizer=Adam(0.01), loss=HalfSquares(factor=0.25))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.save(tmp_path / "custom.h5")
    with h5py.File(tmp_path / "custom.h5", "r") as handle:
        assert "model_weights/layers/scale/vars/0" in handle
    loaded = models.load_model(tmp_path / "custom.h5")
    assert isinstance(loaded.layers[1], Scale) and loaded.layers[1].start == 0.5
    assert loaded.layers[0].activation is cube
    assert isinstance(loaded.loss, HalfSquares) and loaded.loss.factor == 0.25
    assert_bit_identical(loaded.get_weights(), model.get_weights())
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.fit(x, y, batch_size=8, epochs=3, initial_epoch=2, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=3, initial_epoch=2, verbose=0)
    assert_bit_identical(loaded.get_weights(), model.get_weights())


def _unregistered_model(which):
    layer = Shift() if which == "layer" else Activation("linear")
    activation = unregistered_softsign if which == "activation" else "tanh"
    loss = l4_loss if which == "loss" else "mse"
    model = Sequential([Input((3,)), Dense(4, activation=activation), layer, Dense(1)])
    model.compile(optimizer="sgd", loss=loss)
    return model


@pytest.mark.parametrize("which, name, objects", [
    ("layer", "Shift", {"Shift": Shift}),
    ("activation", "unregistered_softsign", {"unregistered_softsign": unregistered_softsign}),
    ("loss", "l4_loss", {"l4_loss": l4_loss}),
])
def test_unregistered_custom_object(tmp_path, which, name, objects):
    model = _unregistered_model(which)
    model.fit(np.ones((4, 3)), np.ones(4), epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        models.load_model(tmp_path / "m.h5")
    loaded = models.load_model(tmp_path / "m.h5", custom_objects=objects)
    assert_bit_identical(loaded.get_weights(), model.get_weights())
    assert_bit_identical(loaded.optimizer.variables, model.optimizer.variables)
    with saving.custom_object_scope(objects):
        scoped = models.load_model(tmp_path / "m.h5")
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    np.testing.assert_array_equal(scoped.predict(x, verbose=0), model.predict(x, verbose=0))


# ============================================================== loading never runs code


def _with_config(path, mutate, key="model_config"):
    with h5py.File(path, "a") as handle:
        config = json.loads(_text(handle.attrs[key]))
        mutate(config)
        handle.attrs[key] = json.dumps(config)


def _set_layer(k, field, value):
    def mutate(config):
        config["config"]["layers"][k][field] = value
    return mutate


def _set_layer_config(k, field, value):
    def mutate(config):
        config["config"]["layers"][k]["config"][field] = value
    return mutate


PAYLOAD = ["os.system", ["touch PWNED"]]
MALICIOUS = {
    "model class os.system": (lambda c: c.__setitem__("class_name", "os.system"), "os.system"),
    "layer class os.system": (_set_layer(1, "class_name", "os.system"), "os.system"),
    "layer class builtins.eval": (_set_layer(1, "class_name", "builtins.eval"), "builtins.eval"),
    "layer class subprocess.Popen": (_set_layer(1, "class_name", "subprocess.Popen"),
                                     "subprocess.Popen"),
    "layer class __import__": (_set_layer(1, "class_name", "__import__"), "__import__"),
    "module path": (_set_layer(1, "module", "os"), None),
    "activation os.system": (_set_layer_config(1, "activation", "os.system"), "os.system"),
    "activation eval dict": (_set_layer_config(1, "activation",
                                               {"class_name": "eval", "config": {"x": "1"}}),
                             "eval"),
    "initializer os.system": (_set_layer_config(1, "kernel_initializer",
                                                {"class_name": "os.system", "config": {}}),
                              "os.system"),
    "__reduce__ entry": (_set_layer_config(1, "__reduce__", PAYLOAD), "__reduce__"),
    "py/reduce entry": (_set_layer(1, "config", {"py/reduce": PAYLOAD}), None),
}


@pytest.fixture
def no_code_runs(monkeypatch, tmp_path):
    """Make every way of running code record the attempt; yields the list of attempts."""
    calls = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called while loading")
        return refuse

    for module, name in [(os, "system"), (os, "popen"), (subprocess, "Popen"),
                         (pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"),
                         (importlib, "import_module"), (builtins, "eval"), (builtins, "exec")]:
        monkeypatch.setattr(module, name, trap(f"{module.__name__}.{name}"))
    monkeypatch.chdir(tmp_path)
    return calls


@pytest.mark.parametrize("case", list(MALICIOUS))
def test_malicious_model_config_only_errors(tmp_path, case, no_code_runs):
    mutate, named = MALICIOUS[case]
    model = compiled_model("adam")
    model.save(tmp_path / "m.h5")
    _with_config(tmp_path / "m.h5", mutate)
    try:
        loaded = models.load_model(tmp_path / "m.h5")
    except (ValueError, TypeError) as error:
        if named is not None:
            assert named in str(error)
    else:
        # An ignored key is acceptable as long as nothing ran and the model is the saved one.
        assert named is None, "the malicious entry was accepted"
        assert_bit_identical(loaded.get_weights(), model.get_weights())
    assert no_code_runs == []
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("optimizer_config", [
    {"class_name": "os.system", "config": {"command": "touch PWNED"}},
    {"class_name": "Adam", "config": {"learning_rate": {"class_name": "os.system",
                                                        "config": {}}}},
])
def test_malicious_training_config_only_errors(tmp_path, optimizer_config, no_code_runs):
    model = compiled_model("adam")
    model.save(tmp_path / "m.h5")
    _with_config(tmp_path / "m.h5", lambda c: c.__setitem__("optimizer", optimizer_config),
                 key="training_config")
    with pytest.raises((ValueError, TypeError)):
        models.load_model(tmp_path / "m.h5")
    assert no_code_runs == []
    assert not (tmp_path / "PWNED").exists()


def test_malicious_loss_function_name_only_errors(tmp_path, no_code_runs):
    model = _unregistered_model("loss")
    model.save(tmp_path / "m.h5")

    with h5py.File(tmp_path / "m.h5", "a") as handle:
        text = _text(handle.attrs["training_config"])
        assert '"l4_loss"' in text
        handle.attrs["training_config"] = text.replace('"l4_loss"', '"os.system"')
    with pytest.raises(ValueError, match="os.system"):
        models.load_model(tmp_path / "m.h5")
    assert no_code_runs == []


def test_pickle_payload_as_config_only_errors(tmp_path, no_code_runs):
    model = compiled_model("adam")
    model.save(tmp_path / "m.h5")
    payload = b"cos\nsystem\n(S'touch PWNED'\ntR."          # a classic pickle payload
    with h5py.File(tmp_path / "m.h5", "a") as handle:
        original = handle.attrs["model_config"]
        handle.attrs["model_config"] = np.void(payload)
    with pytest.raises(ValueError):
        models.load_model(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as handle:
        handle.attrs["model_config"] = original
        handle["model_weights/layers/dense/vars/2"] = np.void(payload)
    with pytest.raises(ValueError, match="received 3"):
        models.load_model(tmp_path / "m.h5")
    assert no_code_runs == []
    assert not (tmp_path / "PWNED").exists()


def _saving_sources():
    files = sorted(SAVING_DIR.glob("*.py")) + [ROOT / "layerkit" / "registry.py"]
    assert len(files) >= 5
    return files


@pytest.mark.parametrize("path", _saving_sources(), ids=lambda p: p.name)
def test_saving_source_has_no_pickle_eval_or_dynamic_import(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    forbidden_modules = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve",
                         "joblib", "importlib", "pydoc"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in forbidden_modules, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in forbidden_modules, node.module
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in {"eval", "exec", "compile", "__import__"}, \
                    f"{path.name}:{node.lineno} calls {func.id}"
            elif isinstance(func, ast.Attribute):
                assert func.attr not in {"import_module", "locate", "load_source"}, \
                    f"{path.name}:{node.lineno} calls {func.attr}"
            for keyword in node.keywords:
                assert keyword.arg != "allow_pickle", f"{path.name}:{node.lineno}"


# ============================================================== atomic writes


def _fail_on_nth_dataset(monkeypatch, n):
    """Make h5py's n-th ``create_dataset`` raise, after the earlier ones were written."""
    original = h5py.Group.create_dataset
    count = [0]

    def create_dataset(self, *args, **kwargs):
        count[0] += 1
        if count[0] == n:
            self.file.flush()
            raise OSError("disk full (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", create_dataset)


def _fail_write_weights_midway(monkeypatch):
    from layerkit.saving import model_file, weights_h5

    original = weights_h5.write_weights

    def write_weights(group, model):
        original(group, model)
        group.file.flush()
        raise RuntimeError("crash after writing the weights (injected)")

    monkeypatch.setattr(weights_h5, "write_weights", write_weights)
    monkeypatch.setattr(model_file, "write_weights", write_weights)


def _fail_replace(monkeypatch):
    def replace(src, dst, *args, **kwargs):
        raise OSError("rename failed (injected)")
    monkeypatch.setattr(os, "replace", replace)


def _fail_fsync(monkeypatch):
    def fsync(fd):
        raise OSError("I/O error (injected)")
    monkeypatch.setattr(os, "fsync", fsync)


FAILURES = {"h5py write": lambda mp: _fail_on_nth_dataset(mp, 3),
            "write_weights": _fail_write_weights_midway,
            "os.replace": _fail_replace,
            "fsync": _fail_fsync}


def _saver(kind):
    def save(model, path):
        if kind == "weights":
            model.save_weights(path)
        else:
            model.save(path)
    return save


@pytest.mark.parametrize("kind", ["weights", "model"])
@pytest.mark.parametrize("failure", list(FAILURES))
def test_failed_save_keeps_previous_file(tmp_path, monkeypatch, failure, kind):
    save = _saver(kind)
    path = tmp_path / ("m.weights.h5" if kind == "weights" else "m.h5")
    model = compiled_model("adam")
    model.fit(*data(), epochs=1, verbose=0)
    save(model, path)
    before = path.read_bytes()
    expected = model.get_weights()

    randomize(model, 24)
    model.fit(*data(), epochs=1, verbose=0)
    FAILURES[failure](monkeypatch)
    with pytest.raises((OSError, RuntimeError)):
        save(model, path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert folder_listing(tmp_path) == [path.name]        # no stray temporary file
    fresh = compiled_model("adam")
    fresh.load_weights(path)
    assert_bit_identical(fresh.get_weights(), expected)


@pytest.mark.parametrize("kind", ["weights", "model"])
def test_failed_first_save_leaves_nothing(tmp_path, monkeypatch, kind):
    path = tmp_path / ("m.weights.h5" if kind == "weights" else "m.h5")
    _fail_on_nth_dataset(monkeypatch, 2)
    with pytest.raises(OSError):
        _saver(kind)(compiled_model("adam"), path)
    assert folder_listing(tmp_path) == []


@pytest.mark.parametrize("kind", ["weights", "model"])
def test_save_writes_temp_in_same_folder_fsyncs_then_replaces(tmp_path, monkeypatch, kind):
    path = tmp_path / ("m.weights.h5" if kind == "weights" else "m.h5")
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        stat = os.fstat(fd)
        events.append(("fsync", stat.st_ino, stat.st_size))
        return real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        events.append(("replace", os.fspath(src), os.fspath(dst), os.stat(src).st_ino))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    _saver(kind)(compiled_model("adam"), path)
    monkeypatch.undo()

    replaces = [e for e in events if e[0] == "replace"]
    assert len(replaces) == 1
    _, src, dst, inode = replaces[0]
    assert os.path.abspath(dst) == str(path)
    assert os.path.dirname(os.path.abspath(src)) == str(tmp_path)     # same folder: same disk
    assert os.path.basename(src) != path.name
    index = events.index(replaces[0])
    synced = [e for e in events[:index] if e[0] == "fsync" and e[1] == inode]
    assert synced, "the temporary file was not fsynced before the replace"
    assert synced[-1][2] == path.stat().st_size          # ... with its full content
    assert folder_listing(tmp_path) == [path.name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("kind", ["weights", "model"])
def test_saved_file_gets_the_usual_permissions(tmp_path, kind):
    # The temporary file must not leave its private 0o600 mode on the result: a saved model
    # gets the permissions any new file gets (0o666 minus the umask), as h5py or Keras give.
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"")
    path = tmp_path / ("m.weights.h5" if kind == "weights" else "m.h5")
    _saver(kind)(compiled_model("adam"), path)
    assert oct(stat.S_IMODE(path.stat().st_mode)) == oct(stat.S_IMODE(plain.stat().st_mode))


def test_atomic_writes_directly(tmp_path):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")

    def failing_fill(handle):
        handle.create_dataset("half", data=np.zeros(3))
        raise KeyError("boom")

    with pytest.raises(KeyError):
        write_h5_atomically(target, failing_fill)
    assert target.read_bytes() == b"old"
    assert folder_listing(tmp_path) == ["x.bin"]
    write_bytes_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert folder_listing(tmp_path) == ["x.bin"]
    with pytest.raises(FileNotFoundError):
        write_bytes_atomically(tmp_path / "missing" / "x.bin", b"data")


def test_checkpoint_save_failure_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model = compiled_model("adam")
    x, y = data()
    path = tmp_path / "last.h5"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path))])
    before = path.read_bytes()

    class FailLater(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            _fail_on_nth_dataset(monkeypatch, 4)

    with pytest.raises(OSError):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[FailLater(), ModelCheckpoint(str(path))])
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert folder_listing(tmp_path) == ["last.h5"]


# ----------------------------------------------------------------- killed in the middle of a save

_CHILD_PAUSED = textwrap.dedent("""
    import os, sys, time
    import h5py
    import numpy as np
    from layerkit import Sequential
    from layerkit.layers import Dense, Input

    target, marker, kind = sys.argv[1:4]
    model = Sequential([Input((64,)), Dense(512), Dense(512), Dense(512), Dense(4)])
    if kind == "model":
        model.compile(optimizer="adam", loss="mse")
        model.train_on_batch(np.ones((2, 64)), np.ones((2, 4)))
    for w in model.weights:
        w[...] = 7.0
    original = os.write
    count = [0]

    def write(fd, data):               # the finished file's bytes going to disk
        out = original(fd, data[:len(data) // 2])
        count[0] += 1
        if count[0] == 1:              # half of the file is on disk: stop here
            with open(marker, "w") as f:
                f.write(os.readlink(f"/proc/self/fd/{fd}"))
            time.sleep(120)
        return out

    os.write = write
    model.save_weights(target) if kind == "weights" else model.save(target)
    print("finished", flush=True)
""")


def _big_model(kind):
    model = Sequential([Input((64,)), Dense(512), Dense(512), Dense(512), Dense(4)])
    if kind == "model":
        model.compile(optimizer="adam", loss="mse")
        model.train_on_batch(np.ones((2, 64)), np.ones((2, 4)))
    return model


def _child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs SIGKILL and /proc")
@pytest.mark.parametrize("kind", ["weights", "model"])
def test_sigkill_while_saving_keeps_previous_file(tmp_path, kind):
    folder, sync = tmp_path / "ckpt", tmp_path / "sync"
    folder.mkdir()
    sync.mkdir()
    target = folder / ("big.weights.h5" if kind == "weights" else "big.h5")
    marker = sync / "paused"
    previous = _big_model(kind)
    expected = randomize(previous, 25)
    _saver(kind)(previous, target)
    before = target.read_bytes()

    child = subprocess.Popen([sys.executable, "-c", _CHILD_PAUSED, str(target), str(marker), kind],
                             cwd=tmp_path, env=_child_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text()):
            assert child.poll() is None, child.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the child never reached the middle of the save"
            time.sleep(0.01)
        writing = Path(marker.read_text())
        # Mid-save: the new content goes to another file in the same folder; the target is
        # still the previous file.
        assert writing.parent == folder and writing.name != target.name
        assert writing.exists()
        assert target.read_bytes() == before
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert b"finished" not in child.stdout.read()
    child.stdout.close()
    child.stderr.close()

    assert target.read_bytes() == before
    reloaded = _big_model(kind)
    reloaded.load_weights(target)
    assert_bit_identical(reloaded.get_weights(), expected)
    if kind == "model":
        assert_bit_identical(models.load_model(target).get_weights(), expected)
    # Anything left over is a temporary file under another name, which a search for saved
    # files ("*.h5", "*.weights.h5") does not pick up.
    leftovers = [name for name in folder_listing(folder) if name != target.name]
    assert not any(name.endswith((".h5", ".hdf5", ".keras")) for name in leftovers), leftovers


_CHILD_LOOP = textwrap.dedent("""
    import sys, time
    from layerkit import Sequential
    from layerkit.layers import Dense, Input

    target, kind = sys.argv[1:3]
    model = Sequential([Input((512,)), Dense(2048), Dense(2048), Dense(2048), Dense(4)])
    if kind == "model":
        model.compile(optimizer="sgd", loss="mse")
    k = 0
    while True:
        k += 1
        for w in model.weights:
            w[...] = k
        print("start", k, time.monotonic(), flush=True)
        model.save_weights(target) if kind == "weights" else model.save(target)
        print("done", k, time.monotonic(), flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("kind", ["weights", "model"])
def test_sigkill_during_repeated_real_saves_never_leaves_a_broken_file(tmp_path, kind):
    """No patching: kill a process that saves a ~38 MB model over and over, mid-save."""
    target = tmp_path / ("loop.weights.h5" if kind == "weights" else "loop.h5")
    child = subprocess.Popen([sys.executable, "-c", _CHILD_LOOP, str(target), kind],
                             cwd=tmp_path, env=_child_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    started, durations, last_done = {}, [], 0
    try:
        while True:
            line = child.stdout.readline()
            assert line, child.stderr.read()[-2000:]
            what, k, when = line.split()
            k, when = int(k), float(when)
            if what == "start":
                started[k] = when
                if len(durations) >= 3:
                    # Kill early in this save (timed from the earlier ones).
                    time.sleep(max(0.0, started[k] + np.median(durations) / 4 - time.monotonic()))
                    child.send_signal(signal.SIGKILL)
                    break
            else:
                durations.append(when - started[k])
                last_done = k
            assert k < 200
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    model = Sequential([Input((512,)), Dense(2048), Dense(2048), Dense(2048), Dense(4)])
    model.load_weights(target)                 # loadable: never half written
    values = {float(v) for w in model.get_weights() for v in np.unique(w)}
    assert len(values) == 1                    # all from one single save
    assert values.pop() >= last_done           # the last complete save or a later one
    leftovers = [n for n in folder_listing(tmp_path) if n != target.name]
    assert not any(n.endswith((".h5", ".hdf5", ".keras")) for n in leftovers), leftovers


# ============================================================== ModelCheckpoint


def test_checkpoint_every_epoch_full_model_with_epoch_format(tmp_path):
    x, y = data()
    x_val, y_val = data(n=10, seed=3)
    model = compiled_model(SGD(0.05, momentum=0.9))
    weights_by_epoch = []

    class Record(Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights_by_epoch.append(self.model.get_weights())

    checkpoint = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.4f}.h5"),
                                 monitor="val_loss", save_best_only=False,
                                 save_weights_only=False)
    history = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x_val, y_val),
                        callbacks=[Record(), checkpoint], verbose=0)
    expected_names = [f"ckpt-{e + 1:02d}-{v:.4f}.h5"
                      for e, v in enumerate(history.history["val_loss"])]
    assert folder_listing(tmp_path) == sorted(expected_names)
    for name, weights in zip(expected_names, weights_by_epoch):
        loaded = models.load_model(tmp_path / name)
        assert_bit_identical(loaded.get_weights(), weights)
        assert loaded.compiled and isinstance(loaded.optimizer, SGD)
    assert bits(weights_by_epoch[0]) != bits(weights_by_epoch[2])


def test_checkpoint_weights_only(tmp_path):
    x, y = data()
    model = compiled_model("adam")
    checkpoint = ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.weights.h5"),
                                 save_weights_only=True)
    model.fit(x, y, batch_size=8, epochs=2, callbacks=[checkpoint], verbose=0)
    assert folder_listing(tmp_path) == ["w-01.weights.h5", "w-02.weights.h5"]
    fresh = compiled_model("adam")
    fresh.load_weights(tmp_path / "w-02.weights.h5")
    assert_bit_identical(fresh.get_weights(), model.get_weights())
    with h5py.File(tmp_path / "w-02.weights.h5", "r") as handle:
        assert "layers/dense/vars/0" in handle and "model_config" not in handle.attrs


def test_checkpoint_suffix_checks():
    with pytest.raises(ValueError, match="weights.h5"):
        ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError):
        ModelCheckpoint("w.npz")


@pytest.mark.parametrize("weights_only", [False, True])
def test_checkpoint_save_best_only_saves_only_on_improvement(tmp_path, monkeypatch, weights_only):
    model = compiled_model("adam")
    suffix = ".weights.h5" if weights_only else ".h5"
    checkpoint = ModelCheckpoint(str(tmp_path / ("best" + suffix)), monitor="val_loss",
                                 save_best_only=True, save_weights_only=weights_only)
    checkpoint.set_model(model)
    saves, current = [], [None]
    method = "save_weights" if weights_only else "save"
    original = getattr(model, method)

    def counting(path, *args, **kwargs):
        saves.append(current[0])
        return original(path, *args, **kwargs)

    monkeypatch.setattr(model, method, counting)
    val_losses = [1.0, 0.8, 0.8, 0.9, 0.5, 0.7, 0.5000001]
    by_epoch = {}
    for epoch, value in enumerate(val_losses):
        current[0] = epoch
        model.set_weights([np.full(w.shape, epoch, w.dtype) for w in model.get_weights()])
        by_epoch[epoch] = model.get_weights()
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {"loss": 3.0, "val_loss": value})
    assert saves == [0, 1, 4]
    fresh = compiled_model("adam")
    fresh.load_weights(tmp_path / ("best" + suffix))
    assert_bit_identical(fresh.get_weights(), by_epoch[4])


def test_checkpoint_save_best_only_in_fit_with_epoch_in_name(tmp_path):
    x, y = data()
    x_val, y_val = data(n=10, seed=4)
    model = compiled_model(SGD(0.3, momentum=0.9))
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch:02d}.h5"), monitor="val_loss",
                                 save_best_only=True)
    history = model.fit(x, y, batch_size=8, epochs=8, validation_data=(x_val, y_val),
                        callbacks=[checkpoint], verbose=0)
    val = history.history["val_loss"]
    improved = [e for e in range(len(val)) if val[e] < min(val[:e], default=np.inf)]
    assert folder_listing(tmp_path) == [f"best-{e + 1:02d}.h5" for e in improved]
    assert len(improved) < len(val), "pick data where val_loss does not always improve"


def test_checkpoint_max_mode_for_accuracy(tmp_path):
    model = compiled_model("adam")
    checkpoint = ModelCheckpoint(str(tmp_path / "acc-{epoch}.weights.h5"),
                                 monitor="val_accuracy", save_best_only=True,
                                 save_weights_only=True)
    checkpoint.set_model(model)
    for epoch, value in enumerate([0.5, 0.4, 0.7, 0.7, 0.9]):
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {"val_accuracy": value})
    assert folder_listing(tmp_path) == ["acc-1.weights.h5", "acc-3.weights.h5",
                                        "acc-5.weights.h5"]


# ============================================================== the documentation page

DOCS = ROOT / "docs" / "saving.md"


def _doc_blocks():
    text = DOCS.read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_docs_page_covers_the_topics():
    text = DOCS.read_text().lower()
    for topic in ["save_weights", "load_weights", ".weights.h5", "legacy", "load_model",
                  "modelcheckpoint", "initial_epoch", "atomic", "fsync", "register_keras_serializable",
                  "custom_objects", "keras", "skip_mismatch", "filenotfounderror", "valueerror"]:
        assert topic in text, topic
    assert len(_doc_blocks()) >= 6


def _layerkit_blocks():
    """The page's examples, less the Keras one (tests/test_keras_interop.py runs that)."""
    keras = re.compile(r"^\s*import keras|^\s*from keras", flags=re.M)
    return [i for i, code in enumerate(_doc_blocks()) if not keras.search(code)]


@pytest.mark.parametrize("index", _layerkit_blocks() if DOCS.exists() else [])
def test_docs_example_runs(tmp_path, monkeypatch, index):
    code = _doc_blocks()[index]
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # the skip_mismatch example warns
        exec(compile(code, f"docs/saving.md block {index}", "exec"), {"__name__": "__docs__"})
