"""Weights files exchanged with real Keras 3, both ways.

A layerkit ``.weights.h5`` file must load into the equivalent ``keras.Sequential``
with Keras's own ``load_weights``, and a Keras ``.weights.h5`` file (and a
Keras legacy full-model ``model.save("x.h5")`` file) must load into layerkit,
with the same weights bit for bit and the same predictions to 1e-6. The
architectures mix Dense layers with and without bias, Activation layers and
several widths. The largest prediction difference of each direction is printed
at the end of the module.

The module is optional: it is skipped when PyTorch or Keras is not installed.
Keras runs on its torch back end (``KERAS_BACKEND`` is set before the import).
"""

import re
from pathlib import Path

import h5py
import numpy as np
import pytest
from peers import import_peer  # noqa: E402

keras = import_peer("keras")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras on numpy 2

from layerkit import Sequential, backend, models  # noqa: E402
from layerkit.layers import Activation, Dense, Input  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-6

# (input width, layers): ("dense", units, activation, use_bias) or ("activation", name)
ARCHITECTURES = {
    "spec example": (4, [("dense", 3, "relu", True), ("dense", 2, None, True),
                         ("activation", "sigmoid"), ("dense", 1, None, True)]),
    "no bias + softmax": (7, [("dense", 16, "tanh", False), ("activation", "relu"),
                              ("dense", 5, "softmax", True)]),
    "wide, mixed": (3, [("dense", 64, "elu", True), ("dense", 32, "selu", False),
                        ("activation", "softplus"), ("dense", 10, None, True),
                        ("activation", "softmax")]),
    "one unit": (1, [("dense", 1, "sigmoid", True)]),
    "two activations in a row": (12, [("dense", 128, "silu", True), ("activation", "tanh"),
                                      ("activation", "sigmoid"), ("dense", 3, None, False),
                                      ("dense", 9, "linear", True)]),
}

MAX_DIFFERENCES = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    if not MAX_DIFFERENCES:
        return
    lines = ["", "Keras interop: largest |prediction difference| per direction"]
    lines += [f"  {direction:<45} {value:.3g}" for direction, value in
              sorted(MAX_DIFFERENCES.items())]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def record(direction, difference):
    MAX_DIFFERENCES[direction] = max(MAX_DIFFERENCES.get(direction, 0.0), float(difference))


def layerkit_model(arch, names=False):
    in_dim, spec = ARCHITECTURES[arch]
    layers = [Input((in_dim,))]
    for k, entry in enumerate(spec):
        name = f"lk_{k}_{entry[0]}" if names else None
        if entry[0] == "dense":
            _, units, activation, use_bias = entry
            layers.append(Dense(units, activation=activation, use_bias=use_bias, name=name))
        else:
            layers.append(Activation(entry[1], name=name))
    return Sequential(layers)


def keras_model(arch):
    in_dim, spec = ARCHITECTURES[arch]
    layers = [keras.Input((in_dim,))]
    for entry in spec:
        if entry[0] == "dense":
            _, units, activation, use_bias = entry
            layers.append(keras.layers.Dense(units, activation=activation, use_bias=use_bias))
        else:
            layers.append(keras.layers.Activation(entry[1]))
    return keras.Sequential(layers)


def random_weights(shapes, seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=shape) / np.sqrt(shape[0] if len(shape) == 2 else 10))
            .astype("float32") for shape in shapes]


def inputs(arch, n=16, seed=0):
    return np.random.default_rng(seed).normal(size=(n, ARCHITECTURES[arch][0])).astype("float32")


def keras_weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def assert_same_weights(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        np.testing.assert_array_equal(np.asarray(a, dtype="float32"), e)


def compare_predictions(direction, ours, theirs, x):
    mine = ours.predict(x, verbose=0)
    reference = np.asarray(theirs.predict(x, verbose=0))
    assert mine.shape == reference.shape
    difference = float(np.max(np.abs(mine.astype("float64") - reference)))
    record(direction, difference)
    assert difference <= TOLERANCE, f"{direction}: max |difference| {difference:.3g}"


# ============================================================== layerkit -> Keras


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_layerkit_weights_file_loads_in_keras(tmp_path, arch):
    ours = layerkit_model(arch, names=True)       # layer names Keras has never seen
    ours.set_weights(random_weights([w.shape for w in ours.get_weights()], seed=1))
    path = tmp_path / "from_layerkit.weights.h5"
    ours.save_weights(path)

    theirs = keras_model(arch)
    theirs.load_weights(str(path))
    assert_same_weights(keras_weights(theirs), ours.get_weights())
    compare_predictions("layerkit .weights.h5 -> keras", ours, theirs, inputs(arch))


def test_layerkit_float64_weights_file_loads_in_keras(tmp_path, float64):
    arch = "wide, mixed"
    ours = layerkit_model(arch)
    ours.set_weights([w.astype("float64") for w in
                      random_weights([w.shape for w in ours.get_weights()], seed=2)])
    assert ours.get_weights()[0].dtype == np.float64
    ours.save_weights(tmp_path / "f64.weights.h5")
    theirs = keras_model(arch)
    theirs.load_weights(str(tmp_path / "f64.weights.h5"))    # Keras casts to float32
    assert_same_weights(keras_weights(theirs), [w.astype("float32") for w in ours.get_weights()])
    compare_predictions("layerkit float64 .weights.h5 -> keras", ours, theirs,
                        inputs(arch).astype("float64"))


def test_layerkit_weights_taken_from_a_trained_model_load_in_keras(tmp_path):
    arch = "spec example"
    ours = layerkit_model(arch)
    ours.compile(optimizer="adam", loss="mse")
    x = inputs(arch, n=40)
    ours.fit(x, np.sin(x[:, :1]), epochs=3, batch_size=8, verbose=0)
    ours.save_weights(tmp_path / "trained.weights.h5")
    theirs = keras_model(arch)
    theirs.load_weights(str(tmp_path / "trained.weights.h5"))
    compare_predictions("layerkit .weights.h5 -> keras", ours, theirs, x)


# ============================================================== Keras -> layerkit


def keras_with_random_weights(arch, seed):
    keras.utils.set_random_seed(seed)
    theirs = keras_model(arch)
    theirs.set_weights(random_weights([w.shape for w in theirs.get_weights()], seed=seed))
    return theirs


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_keras_weights_file_loads_in_layerkit(tmp_path, arch):
    theirs = keras_with_random_weights(arch, seed=3)
    path = tmp_path / "from_keras.weights.h5"
    theirs.save_weights(str(path))

    ours = layerkit_model(arch, names=True)
    ours.load_weights(path)
    assert_same_weights(ours.get_weights(), keras_weights(theirs))
    compare_predictions("keras .weights.h5 -> layerkit", ours, theirs, inputs(arch))


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_keras_legacy_full_model_h5_loads_in_layerkit(tmp_path, arch):
    theirs = keras_with_random_weights(arch, seed=4)
    path = tmp_path / "keras_full.h5"
    theirs.save(str(path))                        # Keras 3's legacy full-model HDF5
    with h5py.File(path, "r") as handle:          # really the legacy layout
        assert "layer_names" in handle["model_weights"].attrs
        assert "model_config" in handle.attrs

    ours = layerkit_model(arch)
    ours.load_weights(path)
    assert_same_weights(ours.get_weights(), keras_weights(theirs))
    compare_predictions("keras legacy model.save('x.h5') -> layerkit", ours, theirs,
                        inputs(arch))


def test_keras_compiled_and_trained_files_load_in_layerkit(tmp_path):
    arch = "no bias + softmax"
    theirs = keras_with_random_weights(arch, seed=5)
    theirs.compile(optimizer="adam", loss="categorical_crossentropy")
    x = inputs(arch, n=32)
    y = np.eye(5, dtype="float32")[np.arange(32) % 5]
    theirs.fit(x, y, epochs=2, batch_size=8, verbose=0)
    theirs.save_weights(str(tmp_path / "trained.weights.h5"))
    theirs.save(str(tmp_path / "trained_full.h5"))
    with h5py.File(tmp_path / "trained.weights.h5", "r") as handle:
        assert "optimizer" in handle                  # Keras wrote its optimizer state too
    with h5py.File(tmp_path / "trained_full.h5", "r") as handle:
        assert "optimizer_weights" in handle and "training_config" in handle.attrs

    for name, label in [("trained.weights.h5", "keras trained+compiled .weights.h5"),
                        ("trained_full.h5", "keras trained+compiled legacy .h5")]:
        ours = layerkit_model(arch)
        ours.load_weights(tmp_path / name)
        assert_same_weights(ours.get_weights(), keras_weights(theirs))
        compare_predictions(f"{label} -> layerkit", ours, theirs, x)


def test_keras_legacy_full_model_is_not_taken_for_a_layerkit_model(tmp_path):
    theirs = keras_with_random_weights("spec example", seed=6)
    theirs.save(str(tmp_path / "keras_full.h5"))
    with pytest.raises(ValueError, match="layerkit model file"):
        models.load_model(tmp_path / "keras_full.h5")


def test_keras_file_for_another_architecture_is_refused(tmp_path):
    theirs = keras_with_random_weights("spec example", seed=7)
    theirs.save_weights(str(tmp_path / "k.weights.h5"))
    ours = layerkit_model("no bias + softmax")
    before = ours.get_weights()
    with pytest.raises(ValueError):
        ours.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(ours.get_weights(), before):
        assert a.tobytes() == b.tobytes()


# ============================================================== the files themselves


def _layout(path):
    """Every group and dataset (with its dtype and shape), without attributes."""
    layout = {}

    def visit(name, node):
        layout[name] = (node.dtype.str, node.shape) if isinstance(node, h5py.Dataset) else "group"

    with h5py.File(path, "r") as handle:
        handle.visititems(visit)
    return layout


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_layerkit_and_keras_write_the_same_tree(tmp_path, arch):
    keras.utils.set_random_seed(8)
    backend.clear_session()
    keras_model(arch).save_weights(str(tmp_path / "k.weights.h5"))
    layerkit_model(arch, names=True).save_weights(tmp_path / "l.weights.h5")
    assert _layout(tmp_path / "l.weights.h5") == _layout(tmp_path / "k.weights.h5")


# ============================================================== the documentation's Keras example


def test_docs_keras_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "saving.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
              if re.search(r"^import keras", b, flags=re.M)]
    assert blocks, "docs/saving.md has no Keras example"
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, "docs/saving.md (Keras example)", "exec"), {"__name__": "__docs__"})
    assert (tmp_path / "from_keras_full.h5").exists()
