"""``.keras`` archives and Keras-form JSON exchanged with real Keras 3 (on torch), both ways.

For Sequential and graph models of dense layers (with and without bias, activations,
Flatten, every merge layer, shared layers, a nested model, dict inputs and outputs), an
archive layerkit writes loads in Keras compiled, with the same weights bit for bit, the
same optimizer state (``model.optimizer.variables``) and the same predictions; one more
training step in each then agrees, which it would not without the optimizer state. An
archive Keras writes loads in layerkit likewise; ``to_json``/``model_from_json`` go both
ways, and layerkit's config and weights layout are Keras's own. The worst relative
errors are printed at the end of the module.
"""

import io
import json
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

keras = import_peer("keras")

import layerkit  # noqa: E402
from layerkit import backend, models, saving  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*input_shape.*:UserWarning")]

PREDICTION_BOUND = 1e-6   # float32 forward passes computed by two libraries
STEP_BOUND = 1e-5         # one more training step from the same state, in each library
WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    if not WORST:
        return
    lines = ["", "Keras archives: worst relative errors (layerkit vs Keras)"]
    lines += [f"  {kind:<40}{value:.3e}" for kind, value in sorted(WORST.items())]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def check(kind, ours, theirs, bound):
    ours, theirs = _flat(ours), _flat(theirs)
    error = max(rel_err(a, b) for a, b in zip(ours, theirs))
    assert len(ours) == len(theirs)
    WORST[kind] = max(WORST.get(kind, 0.0), error)
    assert error <= bound, f"{kind}: relative error {error:.3e} > {bound:.0e}"


def _flat(outputs):
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


# ============================================================== the architectures, in either library
def mlp(lib):
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(16, activation="relu", name="h1"),
                           lib.layers.Dense(8, activation="tanh", use_bias=False, name="h2"),
                           lib.layers.Activation("sigmoid", name="act"),
                           lib.layers.Dense(3, activation="softmax", name="out")], name="mlp")


def no_bias(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(7, activation="elu", use_bias=False),
                           lib.layers.Dense(7, activation="selu"),
                           lib.layers.Dense(2, use_bias=False)], name="no_bias")


def flatten(lib):
    return lib.Sequential([lib.Input((3, 4)), lib.layers.Flatten(name="flat"),
                           lib.layers.Dense(5, activation="softplus", name="h"),
                           lib.layers.Dense(1, name="out")], name="flatten")


def merges(lib):
    """Every merge layer; ``d3`` made before ``d1 -> d2`` (the two libraries order them apart)."""
    x, z = lib.Input((3,), name="x"), lib.Input((5,), name="z")
    d3, d1 = lib.layers.Dense(4, name="d3"), lib.layers.Dense(4, name="d1", activation="tanh")
    b = d3(x)
    a = lib.layers.Dense(4, name="d2", use_bias=False)(d1(x))
    s = lib.layers.Add(name="add")([a, b])
    m = lib.layers.Multiply(name="mul")([lib.layers.Subtract(name="sub")([s, a]), b])
    c = lib.layers.Concatenate(name="cat")([lib.layers.Average(name="avg")([m, s]),
                                            lib.layers.Dense(2, name="dz", activation="relu")(z)])
    return lib.Model([x, z], [lib.layers.Dense(1, name="o1")(c), s], name="merges")


def shared(lib):
    """A layer called twice, dict inputs and outputs."""
    x, z = lib.Input((4,), name="x"), lib.Input((4,), name="z")
    twice = lib.layers.Dense(4, activation="relu", name="twice")
    y = lib.layers.Concatenate(name="cat")([twice(x), twice(lib.layers.Dense(4, name="pre")(z))])
    return lib.Model({"x": x, "z": z}, {"main": lib.layers.Dense(2, name="main")(y),
                                        "side": lib.layers.Dense(1, name="side")(twice(x))},
                     name="shared")


def nested(lib):
    inner = lib.Sequential([lib.Input((6,)), lib.layers.Dense(3, activation="sigmoid", name="i1"),
                            lib.layers.Dense(2, name="i2")], name="inner")
    x = lib.Input((6,), name="x")
    return lib.Model(x, lib.layers.Dense(1, name="head")(lib.layers.Concatenate(name="cat")(
        [inner(x), lib.layers.Dense(2, name="skip")(x)])), name="nested")


# name: (builder, input shapes, output shapes): one shape, a list, or a dict by name
ARCHITECTURES = {"mlp": (mlp, (6,), (3,)), "no bias": (no_bias, (4,), (2,)),
                 "flatten": (flatten, (3, 4), (1,)),
                 "merges": (merges, [(3,), (5,)], [(1,), (4,)]),
                 "shared": (shared, {"x": (4,), "z": (4,)}, {"main": (2,), "side": (1,)}),
                 "nested": (nested, (6,), (1,))}
OPTIMIZERS = {"adam": lambda lib: lib.optimizers.Adam(0.01),
              "sgd-nesterov": lambda lib: lib.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              "adam-decay": lambda lib: lib.optimizers.Adam(
                  lib.optimizers.schedules.ExponentialDecay(0.01, 5, 0.5), amsgrad=True)}


def build(arch, lib):
    return ARCHITECTURES[arch][0](lib)


def _like(structure, make):
    if isinstance(structure, dict):
        return {key: make(shape) for key, shape in structure.items()}
    if isinstance(structure, list):
        return [make(shape) for shape in structure]
    return make(structure)


def example_data(arch, seed=0, n=16):
    """``(x, y)`` shaped as ``arch`` takes them, float32 normal values."""
    rng = np.random.default_rng(seed)
    _, inputs, outputs = ARCHITECTURES[arch]
    return tuple(_like(structure, lambda shape: rng.normal(size=(n,) + shape).astype("float32"))
                 for structure in (inputs, outputs))


def compile_both(model, arch, lib, optimizer):
    outputs = ARCHITECTURES[arch][2]
    model.compile(optimizer=OPTIMIZERS[optimizer](lib), loss=_like(outputs, lambda _: "mse"),
                  metrics=_like(outputs, lambda _: ["mae"]))


def train(model, arch):
    model.fit(*example_data(arch), batch_size=4, epochs=2, verbose=0)


def one_step(model, arch):
    model.train_on_batch(*example_data(arch, seed=3, n=8))


def predictions(model, arch):
    return model.predict(example_data(arch, seed=7)[0], verbose=0)


def weights_by_layer(model):
    return {layer.name: [np.asarray(w) for w in layer.get_weights()]
            for layer in _leaf_layers(model) if layer.get_weights()}


def _leaf_layers(model):
    found = []
    for layer in model.layers:
        found += _leaf_layers(layer) if hasattr(layer, "layers") else [layer]
    return found


def keras_state(model):
    return [np.asarray(v) for v in model.optimizer.variables]


def layerkit_state(model):
    return model.optimizer.variables_for(model.trainable_weights)


def assert_same_state(ours, theirs):
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        assert np.array_equal(mine.astype(reference.dtype), reference)


def all_weights(model):
    found = weights_by_layer(model)
    return [w for name in sorted(found) for w in found[name]]


def assert_same_weights(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        assert [w.shape for w in ours[name]] == [w.shape for w in theirs[name]], name
        for mine, reference in zip(ours[name], theirs[name]):
            assert mine.astype("float32").tobytes() == reference.astype("float32").tobytes(), name


CASES = [(arch, optimizer) for arch in ARCHITECTURES for optimizer in ("adam", "sgd-nesterov")]
CASES += [("mlp", "adam-decay"), ("merges", "adam-decay")]


# ============================================================== layerkit -> Keras
@pytest.mark.parametrize("arch, optimizer", CASES)
def test_layerkit_archive_loads_in_keras(tmp_path, arch, optimizer):
    ours = build(arch, layerkit)
    compile_both(ours, arch, layerkit, optimizer)
    train(ours, arch)
    ours.save(tmp_path / "m.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = keras.models.load_model(tmp_path / "m.keras")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert theirs.compiled
    assert type(theirs.optimizer).__name__ == type(ours.optimizer).__name__
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in
                                                       ours.layers]
    assert_same_weights(weights_by_layer(ours), weights_by_layer(theirs))
    assert_same_state(layerkit_state(ours), keras_state(theirs))
    check("predictions, layerkit -> Keras", predictions(ours, arch), predictions(theirs, arch),
          PREDICTION_BOUND)
    one_step(ours, arch)
    one_step(theirs, arch)
    check("one more step, layerkit -> Keras", all_weights(ours), all_weights(theirs), STEP_BOUND)


# ============================================================== Keras -> layerkit
@pytest.mark.parametrize("arch, optimizer", CASES)
def test_keras_archive_loads_in_layerkit(tmp_path, arch, optimizer):
    keras.utils.set_random_seed(1)
    theirs = build(arch, keras)
    compile_both(theirs, arch, keras, optimizer)
    train(theirs, arch)
    theirs.save(tmp_path / "k.keras")
    ours = models.load_model(tmp_path / "k.keras")
    assert ours.compiled
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__
    assert saving.serialize_keras_object(ours.optimizer)["config"] == \
        keras.saving.serialize_keras_object(theirs.optimizer)["config"]
    assert_same_weights(weights_by_layer(ours), weights_by_layer(theirs))
    assert_same_state(keras_state(theirs), layerkit_state(ours))
    check("predictions, Keras -> layerkit", predictions(ours, arch), predictions(theirs, arch),
          PREDICTION_BOUND)
    one_step(ours, arch)
    one_step(theirs, arch)
    check("one more step, Keras -> layerkit", all_weights(ours), all_weights(theirs), STEP_BOUND)


# ============================================================== to_json / model_from_json
def _set_weights_by_name(target, source):
    found = weights_by_layer(source)
    for layer in _leaf_layers(target):
        if layer.name in found:
            layer.set_weights(found[layer.name])


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_layerkit_json_rebuilds_in_keras(arch):
    ours = build(arch, layerkit)
    compile_both(ours, arch, layerkit, "adam")
    theirs = keras.models.model_from_json(ours.to_json())
    assert theirs.compiled and theirs.name == ours.name
    assert type(theirs.optimizer).__name__ == "Adam"
    _set_weights_by_name(theirs, ours)
    check("predictions, layerkit JSON in Keras", predictions(ours, arch),
          predictions(theirs, arch), PREDICTION_BOUND)


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_keras_json_rebuilds_in_layerkit(arch):
    keras.utils.set_random_seed(2)
    theirs = build(arch, keras)
    compile_both(theirs, arch, keras, "sgd-nesterov")
    ours = models.model_from_json(theirs.to_json())
    assert ours.compiled and ours.name == theirs.name
    assert ours.optimizer.get_config()["nesterov"] is True
    _set_weights_by_name(ours, theirs)
    check("predictions, Keras JSON in layerkit", predictions(ours, arch),
          predictions(theirs, arch), PREDICTION_BOUND)


def _normalized(config):
    """A config with what may differ between writers taken out (see the test's comment)."""
    if isinstance(config, dict):
        config = {k: _normalized(v) for k, v in config.items()
                  if k not in ("shared_object_id", "input_axes", "output_axes")}
        if config.get("class_name") in ("Adam", "SGD"):  # Keras numbers its optimizers' names
            config = {**config, "module": "keras.optimizers", "registered_name": None}
            config["config"] = {**config["config"], "name": "optimizer", "learning_rate": float(
                np.float32(config["config"]["learning_rate"]))}
        if isinstance(config.get("layers"), list) and "input_layers" in config:
            config["layers"] = sorted(config["layers"], key=lambda entry: entry["name"])
        return config
    if isinstance(config, list):
        return [_normalized(v) for v in config]
    return config


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_layerkit_writes_the_config_keras_writes(arch):
    # Allowed differences: Keras names its optimizer by its torch class's module, numbers its
    # optimizers' names, stores the learning rate in float32, writes unused initializer
    # axes, marks shared objects, and lists a graph's layers by depth (layerkit by call
    # order; Keras reorders them on load).
    keras.backend.clear_session()                    # the same automatic names in both
    ours, theirs = build(arch, layerkit), build(arch, keras)
    compile_both(ours, arch, layerkit, "adam")
    compile_both(theirs, arch, keras, "adam")
    assert _normalized(json.loads(ours.to_json())) == _normalized(json.loads(theirs.to_json()))


def _tree(path):
    tree = {}
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(
            archive.read("model.weights.h5")), "r") as handle:
        handle.visititems(lambda name, node: tree.__setitem__(
            name, node.shape if isinstance(node, h5py.Dataset) else {
                k: v.decode() if isinstance(v, bytes) else v for k, v in node.attrs.items()}))
    return tree


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_layerkit_and_keras_write_the_same_weights_tree(tmp_path, arch):
    keras.backend.clear_session()
    ours, theirs = build(arch, layerkit), build(arch, keras)
    for model, lib in ((ours, layerkit), (theirs, keras)):
        compile_both(model, arch, lib, "adam")
        train(model, arch)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    mine, reference = _tree(tmp_path / "ours.keras"), _tree(tmp_path / "theirs.keras")
    reference["optimizer/vars"] = {"name": ours.optimizer.name}   # Keras numbers the names
    assert mine == reference
    with zipfile.ZipFile(tmp_path / "theirs.keras") as archive:
        assert [i.filename for i in archive.infolist()] == [
            "metadata.json", "config.json", "model.weights.h5"]


# ============================================================== weights only, untrained, code
def test_load_weights_both_ways(tmp_path):
    ours, theirs = mlp(layerkit), mlp(keras)
    ours.save(tmp_path / "ours.keras")
    theirs.load_weights(tmp_path / "ours.keras")
    assert_same_weights(weights_by_layer(ours), weights_by_layer(theirs))
    keras.utils.set_random_seed(3)
    other = mlp(keras)
    other.save(tmp_path / "theirs.keras")
    ours.load_weights(tmp_path / "theirs.keras")
    assert_same_weights(weights_by_layer(ours), weights_by_layer(other))


def test_untrained_compiled_models_both_ways(tmp_path):
    theirs = mlp(keras)
    compile_both(theirs, "mlp", keras, "adam")     # Keras saves an unbuilt Adam: 2 variables
    theirs.save(tmp_path / "theirs.keras")
    ours = models.load_model(tmp_path / "theirs.keras")
    assert ours.optimizer.iterations == 0 and all(not np.any(v) for v in layerkit_state(ours)[2:])
    ours.save(tmp_path / "ours.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = keras.models.load_model(tmp_path / "ours.keras")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert_same_state(layerkit_state(ours), keras_state(again))


def test_a_keras_sequential_built_without_input_loads(tmp_path):
    theirs = keras.Sequential([keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    theirs.build((None, 5))
    theirs.save(tmp_path / "built.keras")
    ours = models.load_model(tmp_path / "built.keras")
    x = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")
    check("predictions, Keras -> layerkit", ours.predict(x, verbose=0),
          theirs.predict(x, verbose=0), PREDICTION_BOUND)


def test_a_keras_lambda_is_refused_by_both(tmp_path):
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    theirs.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="(?i)lambda"):
        keras.models.load_model(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match=r"lambda.keras.*layers\[1\].*lambda.*safe mode"):
        models.load_model(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="even with safe_mode=False"):
        models.load_model(tmp_path / "lambda.keras", safe_mode=False)


@saving.register_keras_serializable(package="archive_peers")
def scaled_tanh(x):
    return 1.5 * layerkit.activations.tanh(x)


scaled_tanh.backward = lambda grad_output, x, y: grad_output * 1.5 * (1 - (y / 1.5) ** 2)


@keras.saving.register_keras_serializable(package="archive_peers", name="scaled_tanh")
def keras_scaled_tanh(x):
    return 1.5 * keras.ops.tanh(x)


def test_a_registered_custom_activation_crosses_over(tmp_path):
    ours = layerkit.Sequential([layerkit.Input((4,)),
                                layerkit.layers.Dense(3, activation=scaled_tanh, name="d")])
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    assert theirs.get_layer("d").activation is keras_scaled_tanh
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    check("predictions, custom activation", ours.predict(x, verbose=0),
          theirs.predict(x, verbose=0), PREDICTION_BOUND)
    theirs.save(tmp_path / "theirs.keras")
    again = models.load_model(tmp_path / "theirs.keras")
    assert again.get_layer("d").activation is scaled_tanh
    check("predictions, custom activation", again.predict(x, verbose=0),
          theirs.predict(x, verbose=0), PREDICTION_BOUND)


def test_backend_float64_archive_reads_in_keras(tmp_path, float64):
    ours = no_bias(layerkit)
    ours.save(tmp_path / "f64.keras")
    backend.set_floatx("float32")
    theirs = keras.models.load_model(tmp_path / "f64.keras")
    assert theirs.layers[0].dtype == "float64"
    assert_same_weights(weights_by_layer(ours), weights_by_layer(theirs))
