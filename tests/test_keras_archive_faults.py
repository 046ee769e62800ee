"""Hostile and damaged ``.keras`` archives, Ctrl-C during a save, full disks.

Every damaged archive is a ``ValueError`` naming the file and the part (the member, the
config entry, the weight), raised before a model is returned; a model that
``load_weights`` refuses is left exactly as it was; nothing named in a file is ever
run. A save interrupted by Ctrl-C, by a full disk or by a file-size limit leaves the
previous file as it was, and no temporary file behind.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_keras_archive import (
    bits,
    data,
    edit_config,
    edit_weights,
    graph,
    graph_data,
    members,
    optimizer_state,
    rewrite,
    sequential,
)

from layerkit import Input, Sequential, layers, models, optimizers

ROOT = Path(__file__).resolve().parents[1]


def saved(tmp_path, name="m.keras", make=sequential, examples=data):
    model = make()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    model.fit(*examples(), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / name
    model.save(path)
    return model, path


def patch_central_directory(path, member, offset, value, size=4):
    """Overwrite a field of ``member``'s central-directory record (the reader's source)."""
    content = bytearray(path.read_bytes())
    position = content.find(b"PK\x01\x02")
    while position >= 0:
        length = int.from_bytes(content[position + 28:position + 30], "little")
        if content[position + 46:position + 46 + length].decode() == member:
            content[position + offset:position + offset + size] = value.to_bytes(size, "little")
            path.write_bytes(bytes(content))
            return
        position = content.find(b"PK\x01\x02", position + 46)
    raise AssertionError(f"no member {member}")


def add_member(name, content=b"x"):
    def change(path):
        rewrite(path, {**members(path), name: content})
    return change


def drop_member(name):
    def change(path):
        rewrite(path, {k: v for k, v in members(path).items() if k != name})
    return change


def set_member(name, content):
    def change(path):
        rewrite(path, {**members(path), name: content})
    return change


def duplicate_config(path):
    content = members(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("config.json", content["config.json"])


def deflated_bomb(path):
    content = members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in content.items():
            archive.writestr(name, value if name != "model.weights.h5" else bytes(64 << 20))


def dense_units(value):
    return lambda config: config["config"]["layers"][1]["config"].__setitem__("units", value)


def layer_entry(key, value):
    return lambda config: config["config"]["layers"][1].__setitem__(key, value)


def config_change(change):
    return lambda path: edit_config(path, change)


ARCHIVE_DAMAGE = {
    "not a zip": (lambda p: p.write_bytes(b"PK but no zip" * 100), "not a zip archive"),
    "empty file": (lambda p: p.write_bytes(b""), "not a zip archive"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2]),
                  "not a zip archive"),
    "no config.json": (drop_member("config.json"), "config.json: the archive has no such"),
    "no weights": (drop_member("model.weights.h5"), "model.weights.h5: the archive has no such"),
    "config not JSON": (set_member("config.json", b"{'module': }"), "config.json: not valid JSON"),
    "config not UTF-8": (set_member("config.json", b"\xff\xfe{}"), "config.json: not valid JSON"),
    "config a list": (set_member("config.json", b"[1, 2]"), "config.json: expected a JSON object"),
    "config nested too deep": (set_member("config.json", b"[" * 100000 + b"]" * 100000),
                               "config.json: not valid JSON"),
    "metadata not JSON": (set_member("metadata.json", b"nope"), "metadata.json: not valid JSON"),
    "metadata seed": (set_member("metadata.json", b'{"layerkit_shuffle_seed": -1}'),
                      "metadata.json: layerkit_shuffle_seed"),
    "declared zip bomb": (lambda p: patch_central_directory(p, "config.json", 24, 2**31),
                          "config.json: declares 2147483648 bytes.*zip bomb"),
    "deflated zip bomb": (deflated_bomb, "model.weights.h5: declares 67108864 bytes.*zip bomb"),
    "more than declared": (lambda p: patch_central_directory(p, "config.json", 24, 10),
                           "config.json: the member is damaged"),
    "parent path": (add_member("../evil.py"), r"\.\./evil\.py: the member's path"),
    "nested parent path": (add_member("assets/../../evil"), "assets/../../evil: the member's"),
    "absolute path": (add_member("/etc/evil"), "/etc/evil: the member's path"),
    "backslash path": (add_member("assets\\..\\evil"), "the member's path"),
    "duplicate member": (duplicate_config, "config.json: the archive holds two members"),
    "unexpected member": (add_member("run_me.py"), "run_me.py: unexpected member"),
    "encrypted": (lambda p: patch_central_directory(p, "config.json", 8, 1, size=2),
                  "config.json: the member is encrypted"),
    "weights not HDF5": (set_member("model.weights.h5", b"\x89HDF\r\n" + b"0" * 500),
                         "model.weights.h5.*not an HDF5 file"),
    "weights truncated": (lambda p: set_member("model.weights.h5", members(p)[
        "model.weights.h5"][:3000])(p), "model.weights.h5.*(truncated|corrupt|not an HDF5)"),
}

CONFIG_DAMAGE = {
    "unknown layer": (layer_entry("class_name", "NoSuchLayer"),
                      r"layers\[1\]: invalid 'NoSuchLayer' layer: Unknown layer"),
    "unknown module": (layer_entry("module", "evil.module"), r"layers\[1\].*safe mode"),
    "module not a string": (layer_entry("module", 7), r"layers\[1\]: `module` must be"),
    "layer config not a dict": (layer_entry("config", [1]), r"layers\[1\].*JSON object"),
    "units negative": (dense_units(-3), r"layers\[1\]: invalid 'Dense' layer.*units=-3"),
    "units a string": (dense_units("3"), r"layers\[1\]: invalid 'Dense' layer.*units='3'"),
    "huge kernel": (dense_units(2**31), "refused before allocating"),
    "unknown argument": (lambda c: c["config"]["layers"][1]["config"].__setitem__("rm", 1),
                         r"layers\[1\]: invalid 'Dense' layer.*Unrecognized keyword"),
    "quantized dtype": (lambda c: c["config"]["layers"][1]["config"].__setitem__("dtype", {
        "module": "keras", "class_name": "QuantizedDTypePolicy", "config": {"name": "int8"}}),
        r"layers\[1\]\.dtype: dtype policy 'QuantizedDTypePolicy'"),
    "mixed precision": (lambda c: c["config"]["layers"][1]["config"].__setitem__(
        "dtype", "mixed_float16"), r"layers\[1\]: invalid 'Dense' layer.*floating point only"),
    "layers not a list": (lambda c: c["config"].__setitem__("layers", {"a": 1}),
                          "config.json: `layers` must be a list"),
    "special class": (layer_entry("class_name", "__tensor__"), "not a class layerkit can"),
    "unknown optimizer": (lambda c: c["compile_config"]["optimizer"].__setitem__(
        "class_name", "Nadamax"), "compile_config: invalid: Unknown optimizer: 'Nadamax'"),
    "optimizer argument": (lambda c: c["compile_config"]["optimizer"]["config"].__setitem__(
        "beta_9", 1), "compile_config: invalid"),
    "unknown loss": (lambda c: c["compile_config"].__setitem__("loss", "nonsense_loss"),
                     "compile_config: invalid.*nonsense_loss"),
    "compile key": (lambda c: c["compile_config"].__setitem__("eager", True),
                    r"compile_config: compile\(\) takes no argument \['eager'\]"),
    "loss of a number": (lambda c: c["compile_config"].__setitem__("loss", 3),
                         "compile_config.loss: expected a name"),
    "nested too deeply": (lambda c: c["config"]["layers"][1]["config"].__setitem__(
        "extra", json.loads("[" * 900 + "]" * 900)), "config.json: nested too deeply"),
    "no input shape": (lambda c: (c["config"]["layers"].pop(0), c["config"].pop(
        "build_input_shape"), c.pop("build_config")), "cannot be built"),
}


@pytest.fixture(autouse=True)
def private_temp_dir(tmp_path_factory, monkeypatch):
    """Temporary folders go to a folder of this test's own: other processes' do not count."""
    folder = tmp_path_factory.mktemp("temp")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def _check_refused(path, message):
    with pytest.raises(ValueError, match=message) as raised:
        models.load_model(path)
    assert str(path) in str(raised.value)
    assert not os.listdir(tempfile.gettempdir())  # no unpacked folder left behind


@pytest.mark.parametrize("damage", sorted(ARCHIVE_DAMAGE))
def test_damaged_archive_is_a_value_error_naming_the_file_and_part(tmp_path, damage):
    change, message = ARCHIVE_DAMAGE[damage]
    _, path = saved(tmp_path)
    change(path)
    _check_refused(path, message)


@pytest.mark.parametrize("damage", sorted(CONFIG_DAMAGE))
def test_damaged_config_is_a_value_error_naming_the_file_and_part(tmp_path, damage):
    change, message = CONFIG_DAMAGE[damage]
    _, path = saved(tmp_path)
    edit_config(path, change)
    _check_refused(path, message)


def _graph_entry(name):
    return lambda config: next(e for e in config["config"]["layers"] if e["name"] == name)


def _first_call(name):
    return lambda config: _graph_entry(name)(config)["inbound_nodes"][0]


def _history(name):
    return lambda config: _first_call(name)(config)["args"][0]["config"]["keras_history"]


GRAPH_DAMAGE = {
    "call on a missing layer": (lambda c: _history("d1")(c).__setitem__(0, "ghost"),
                                "layer 'd1' is called on \\['ghost', 0\\]"),
    "call on a missing node": (lambda c: _history("d1")(c).__setitem__(1, 5),
                               "loops or calls on tensors that never exist"),
    "second output of a layer": (lambda c: _history("d1")(c).__setitem__(2, 1),
                                 "tensor index 1 of layer 'x'"),
    "a loop": (lambda c: _history("d1")(c).__setitem__(0, "d2"), "loops"),
    "call arguments": (lambda c: _first_call("d1")(c).__setitem__("kwargs", {"mask": [1]}),
                       "call arguments"),
    "two positional inputs": (lambda c: _first_call("d1")(c)["args"].append(1),
                              "expected \\{'args'"),
    "input not a tensor": (lambda c: _first_call("d1")(c)["args"].__setitem__(0, 3),
                           "__keras_tensor__ reference"),
    "names differ": (lambda c: _graph_entry("d1")(c).__setitem__("name", "other"),
                     "unique `name`, the same as its config's"),
    "duplicate name": (lambda c: c["config"]["layers"].append(_graph_entry("d1")(c)),
                       "unique `name`"),
    "output missing": (lambda c: c["config"].__setitem__("output_layers", {"out": ["nope", 0, 0]}),
                       "outputs name \\['nope', 0\\]"),
    "output structure": (lambda c: c["config"].__setitem__("output_layers", 42),
                         "output_layers: expected a tensor reference"),
    "a later call of a model": (lambda c: _history("flat")(c).__setitem__(1, 1),
                                "never exist"),
}


@pytest.mark.parametrize("damage", sorted(GRAPH_DAMAGE))
def test_damaged_graph_config_is_a_value_error(tmp_path, damage):
    change, message = GRAPH_DAMAGE[damage]
    _, path = saved(tmp_path, "g.keras", graph, graph_data)
    edit_config(path, change)
    _check_refused(path, message)


def _replace(handle, path, **kwargs):
    del handle[path]
    handle.create_dataset(path, **kwargs)


WEIGHTS_DAMAGE = {
    "missing kernel": (lambda h: h.__delitem__("layers/dense/vars/0"), "expected 2 variables"),
    "extra dataset": (lambda h: h.create_dataset("layers/dense/vars/2", data=[1.0]),
                      "received 3 variables"),
    "transposed kernel": (lambda h: _replace(h, "layers/dense/vars/0", data=np.ones((5, 4))),
                          "expected shape \\(4, 5\\)"),
    "NaN": (lambda h: _replace(h, "layers/dense_1/vars/1", data=np.full(3, np.nan, "f4")),
            "NaN or inf"),
    "integers no float holds": (lambda h: _replace(h, "layers/dense/vars/1",
                                                   data=np.full(5, 2**53 + 1, "i8")),
                                "cannot hold"),
    "booleans": (lambda h: _replace(h, "layers/dense/vars/1", data=np.ones(5, bool)),
                 "floating-point"),
    "too large for float32": (lambda h: _replace(h, "layers/dense/vars/1",
                                                 data=np.full(5, 1e300)), "do not fit"),
    "soft link": (lambda h: h.__setitem__("layers/link", h5py.SoftLink("/layers/dense")),
                  "SoftLink"),
    "external link": (lambda h: h.__setitem__("layers/ext", h5py.ExternalLink("/etc/x", "/")),
                      "ExternalLink"),
    "group for a dataset": (lambda h: (h.__delitem__("layers/dense/vars/1"),
                                       h.create_group("layers/dense/vars/1")), "found a group"),
    "optimizer state count": (lambda h: h.__delitem__("optimizer/vars/3"), "optimizer"),
    "negative step count": (lambda h: _replace(h, "optimizer/vars/0", data=np.int64(-1)),
                            "non-negative"),
    "slot shape": (lambda h: _replace(h, "optimizer/vars/2", data=np.ones((2, 2), "f4")),
                   "optimizer/vars/2: expected shape"),
}


@pytest.mark.parametrize("damage", sorted(WEIGHTS_DAMAGE))
def test_damaged_weights_are_refused_and_load_weights_changes_nothing(tmp_path, damage):
    change, message = WEIGHTS_DAMAGE[damage]
    _, path = saved(tmp_path)
    edit_weights(path, change)
    _check_refused(path, message)
    target, _ = saved(tmp_path, "other.keras")
    before = bits(target.get_weights() + optimizer_state(target))
    with pytest.raises(ValueError, match="m.keras"):
        target.load_weights(path)
    assert bits(target.get_weights() + optimizer_state(target)) == before


def test_nothing_named_in_a_file_runs(tmp_path, monkeypatch):
    """Entries naming os.system, a module's function, a lambda: refused, and nothing runs."""
    monkeypatch.chdir(tmp_path)
    _, path = saved(tmp_path)

    def change(config):
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "os", "class_name": "function", "config": "system",
            "registered_name": "system"}
        config["compile_config"]["loss"] = {"module": "subprocess", "class_name": "Popen",
                                            "config": {"args": ["touch", "PWNED"]}}
    edit_config(path, change)
    for safe_mode in (True, False):
        with pytest.raises(ValueError, match="'system' of module 'os'"):
            models.load_model(path, safe_mode=safe_mode)
    assert not (tmp_path / "PWNED").exists()


# ============================================================== Ctrl-C and full disks
@pytest.mark.skipif(not hasattr(signal, "raise_signal"), reason="needs signal.raise_signal")
@pytest.mark.parametrize("moment", ["weights", "zip", "writing"])
def test_ctrl_c_during_a_save_propagates_and_keeps_the_previous_file(tmp_path, monkeypatch,
                                                                      moment):
    model, target = saved(tmp_path)
    before = target.read_bytes()
    for w in model.weights:
        w += 1.0
    if moment == "weights":
        original = h5py.Group.create_dataset

        def create_dataset(self, *args, **kwargs):
            signal.raise_signal(signal.SIGINT)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(h5py.Group, "create_dataset", create_dataset)
    elif moment == "zip":
        original_writestr = zipfile.ZipFile.writestr

        def writestr(self, *args, **kwargs):
            signal.raise_signal(signal.SIGINT)
            return original_writestr(self, *args, **kwargs)

        monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    else:
        original_write = os.write

        def write(fd, content):
            written = original_write(fd, content[:len(content) // 3])
            signal.raise_signal(signal.SIGINT)
            return written

        monkeypatch.setattr(os, "write", write)
    with pytest.raises(KeyboardInterrupt):
        model.save(target)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert bits(models.load_model(target).get_weights()) != bits(model.get_weights())


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs")
def test_a_full_disk_is_an_os_error_and_keeps_the_previous_file(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        target = folder / "m.keras"
        small = sequential()
        small.save(target)
        before = target.read_bytes()
        big = Sequential([Input((64,)), layers.Dense(1024), layers.Dense(4)])
        big.compile(optimizer="adam", loss="mse")
        with pytest.raises(OSError, match="No space left on device"):
            big.save(target)
        assert target.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == [target.name]
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


_CHILD = textwrap.dedent("""
    import resource, sys
    from layerkit import Sequential, layers
    model = Sequential([layers.Input((64,)), layers.Dense(512), layers.Dense(512), layers.Dense(4)])
    model.compile(optimizer="adam", loss="mse")
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))   # far less than ~3.5 MB
    try:
        model.save(sys.argv[1])
    except OSError as error:
        print("OSError:", error, flush=True)
    else:
        print("saved", flush=True)
""")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE as on Linux")
def test_a_file_size_limit_is_an_os_error_and_keeps_the_previous_file(tmp_path):
    target = tmp_path / "m.keras"
    target.write_bytes(b"previous content")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", _CHILD, str(target)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OSError:" in result.stdout and "File too large" in result.stdout, result.stdout
    assert target.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_save_that_fails_midway_keeps_the_previous_file(tmp_path):
    class Unsaved(layers.Layer):          # a config json cannot hold: the save must fail whole
        cache_names = ()

        def forward(self, x, training=False):
            return x

        def backward(self, grad_output, input_gradient=True):
            return grad_output

        def get_config(self):
            return {**super().get_config(), "handle": object()}

    _, target = saved(tmp_path)
    before = target.read_bytes()
    with pytest.raises(TypeError):
        Sequential([Input((4,)), Unsaved()]).save(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert json.loads(members(target)["config.json"])["class_name"] == "Sequential"
