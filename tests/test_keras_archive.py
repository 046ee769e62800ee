"""Keras 3's ``.keras`` archive and Keras-form configs, without Keras: round trips and layout.

A model saved as ``.keras`` and loaded back has the same weights and optimizer state bit
for bit, the same compile config, and resumes training bit-identically. The archive is
checked with ``zipfile``, ``json`` and ``h5py`` directly against Keras 3's layout
(``keras/src/saving/saving_lib.py``). ``to_json``/``model_from_json``, the registry
(``get_custom_objects``, ``CustomObjectScope``, ``register_keras_serializable``), safe
mode and ``serialize_keras_object``/``deserialize_keras_object`` are checked here too;
hostile archives, Ctrl-C and full disks are in ``test_keras_archive_faults.py``, the
comparison with real Keras in ``test_keras_archive_keras.py``.
"""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import layerkit
from layerkit import (
    Input,
    Model,
    Sequential,
    backend,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
)
from layerkit.registry import SafeModeScope, in_safe_mode


# ============================================================== helpers
def bits(arrays):
    return [(np.asarray(a).dtype.str, np.shape(a), np.ascontiguousarray(a).tobytes())
            for a in arrays]


def optimizer_state(model):
    """The optimizer's variables in Keras's order (what the archive stores)."""
    return model.optimizer.variables_for(model.trainable_weights)


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])


def sequential(use_bias=True):
    return Sequential([Input((4,)), layers.Dense(5, activation="relu"),
                       layers.Activation("tanh"), layers.Dense(3, use_bias=use_bias),
                       layers.Dense(2, activation="sigmoid")])


def graph():
    """Dict inputs and outputs, a shared layer, a nested Sequential, every merge layer.

    ``d3`` is made before ``d1 -> d2``: layerkit's order differs from Keras's here.
    """
    x, z = Input((3,), name="x"), Input((5,), name="z")
    d3, d1, d2 = layers.Dense(4, name="d3"), layers.Dense(4, name="d1"), layers.Dense(
        4, name="d2", use_bias=False, activation="tanh")
    b = d3(x)
    a = d2(d1(x))
    shared = layers.Dense(4, name="shared", activation="relu")
    s = layers.Add(name="add")([shared(a), shared(b)])
    m = layers.Multiply(name="mul")([layers.Subtract(name="sub")([s, a]), b])
    c = layers.Concatenate(name="cat")([layers.Average(name="avg")([m, s]),
                                        layers.Dense(2, name="dz")(z)])
    inner = Sequential([Input((6,)), layers.Dense(3, activation="sigmoid"), layers.Dense(2)],
                       name="inner")
    out = layers.Dense(1, name="out")(layers.Flatten(name="flat")(inner(c)))
    return Model({"x": x, "z": z}, {"out": out, "aux": layers.Activation("relu", name="aux")(s)})


def data(n=37, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def graph_data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    xs = {"x": rng.normal(size=(n, 3)), "z": rng.normal(size=(n, 5))}
    ys = {"out": rng.normal(size=(n, 1)), "aux": rng.normal(size=(n, 4))}
    return xs, ys


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rewrite(path, new_members):
    """Replace the archive at ``path`` by one holding ``new_members`` ({name: bytes}), in order."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in new_members.items():
            archive.writestr(name, content)


def edit_config(path, change):
    """Apply ``change(config dict)`` to the archive's config.json."""
    content = members(path)
    config = json.loads(content["config.json"])
    change(config)
    rewrite(path, {**content, "config.json": json.dumps(config)})


def edit_weights(path, change):
    """Apply ``change(h5py handle)`` to the archive's model.weights.h5."""
    content = members(path)
    image = io.BytesIO(content["model.weights.h5"])
    with h5py.File(image, "a") as handle:
        change(handle)
    rewrite(path, {**content, "model.weights.h5": image.getvalue()})


def weights_tree(path):
    tree = {}
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read(
            "model.weights.h5")), "r") as handle:
        handle.visititems(lambda name, node: tree.__setitem__(
            name, node.shape if isinstance(node, h5py.Dataset) else dict(node.attrs)))
    return tree


OPTIMIZERS = {"sgd-momentum": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              "adam": lambda: optimizers.Adam(0.01, amsgrad=True),
              "adam-schedule": lambda: optimizers.Adam(
                  optimizers.schedules.ExponentialDecay(0.01, 3, 0.5))}


# ============================================================== round trips
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_sequential_round_trip_is_bit_identical(tmp_path, name, use_bias):
    model = sequential(use_bias)
    model.compile(optimizer=OPTIMIZERS[name](), loss="mse",
                  metrics=["mae", metrics.RootMeanSquaredError(name="rmse")])
    model.fit(*data(), batch_size=8, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert bits(loaded.get_weights()) == bits(model.get_weights())
    assert bits(optimizer_state(loaded)) == bits(optimizer_state(model))
    assert loaded.optimizer.iterations == model.optimizer.iterations == 10
    assert loaded.get_compile_config() == model.get_compile_config()
    assert loaded.get_config() == model.get_config()
    assert loaded.shuffle_seed == model.shuffle_seed


def test_graph_round_trip_is_bit_identical(tmp_path):
    model = graph()
    model.compile(optimizer=optimizers.Adam(0.01), loss={"out": "mse", "aux": "mae"},
                  loss_weights={"out": 1.0, "aux": 0.5}, metrics={"out": ["mae"]})
    model.fit(*graph_data(), batch_size=8, epochs=2, verbose=0)
    model.save(tmp_path / "g.keras")
    loaded = models.load_model(tmp_path / "g.keras")
    assert [layer.name for layer in loaded.layers] == [
        layer.name for layer in model.layers]
    for layer in model.layers:
        assert bits(loaded.get_layer(layer.name).get_weights()) == bits(layer.get_weights())
    assert bits(optimizer_state(loaded)) == bits(optimizer_state(model))
    assert loaded.get_compile_config() == model.get_compile_config()
    xs, _ = graph_data(seed=1)
    mine, theirs = loaded.predict(xs, verbose=0), model.predict(xs, verbose=0)
    assert bits([mine["out"], mine["aux"]]) == bits([theirs["out"], theirs["aux"]])


def nested_graph():
    """A graph model used twice inside another (Keras numbers its calls from 1)."""
    x = Input((3,), name="block_in")
    block = Model(x, layers.Dense(3, activation="tanh", name="block_dense")(x), name="block")
    a, b = Input((3,), name="a"), Input((3,), name="b")
    return Model([a, b], layers.Dense(1, name="head")(layers.Concatenate(name="both")(
        [block(a), block(layers.Dense(3, name="pre")(b))])), name="outer")


def test_nested_graph_model_used_twice_round_trip(tmp_path):
    model = nested_graph()
    randomize(model, 4)
    model.save(tmp_path / "n.keras")
    config = json.loads(members(tmp_path / "n.keras")["config.json"])["config"]
    both = next(e for e in config["layers"] if e["name"] == "both")
    assert [t["config"]["keras_history"] for t in both["inbound_nodes"][0]["args"][0]] == [
        ["block", 1, 0], ["block", 2, 0]]
    loaded = models.load_model(tmp_path / "n.keras")
    xs = [np.random.default_rng(k).normal(size=(4, 3)) for k in (0, 1)]
    assert bits([loaded.predict(xs, verbose=0)]) == bits([model.predict(xs, verbose=0)])
    assert bits(loaded.get_weights()) == bits(model.get_weights())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_is_bit_identical(tmp_path, name):
    def fresh():
        backend.set_random_seed(5)
        backend.clear_session()
        model = sequential()
        model.compile(optimizer=OPTIMIZERS[name](), loss="mse", metrics=["mae"])
        return model

    x, y = data()                                    # 37 samples: the last batch has 5
    straight = fresh()
    history = straight.fit(x, y, batch_size=8, epochs=6, verbose=0)
    first = fresh()
    first.fit(x, y, batch_size=8, epochs=3, verbose=0)
    first.save(tmp_path / "half.keras")
    del first
    backend.set_random_seed(999)                      # the session's state must not matter
    resumed = models.load_model(tmp_path / "half.keras")
    second = resumed.fit(x, y, batch_size=8, epochs=6, initial_epoch=3, verbose=0)
    assert bits(resumed.get_weights()) == bits(straight.get_weights())
    assert bits(resumed.optimizer.variables) == bits(straight.optimizer.variables)
    assert second.history["loss"] == history.history["loss"][3:]


def test_resume_without_the_optimizer_state_would_differ(tmp_path):
    # The check above can fail: the same archive without its optimizer state resumes elsewhere.
    x, y = data()
    backend.set_random_seed(5)
    straight = sequential()
    straight.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    backend.set_random_seed(5)
    first = sequential()
    first.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    straight.fit(x, y, batch_size=8, epochs=4, verbose=0)
    first.fit(x, y, batch_size=8, epochs=2, verbose=0)
    first.save(tmp_path / "half.keras")
    edit_weights(tmp_path / "half.keras", lambda handle: handle.__delitem__("optimizer"))
    resumed = models.load_model(tmp_path / "half.keras")
    assert resumed.optimizer.iterations == 0
    resumed.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, verbose=0)
    assert bits(resumed.get_weights()) != bits(straight.get_weights())


def test_uncompiled_and_compile_false(tmp_path):
    plain = sequential()
    randomize(plain, 1)
    plain.save(tmp_path / "plain.keras")
    loaded = models.load_model(tmp_path / "plain.keras")
    assert not loaded.compiled
    assert bits(loaded.get_weights()) == bits(plain.get_weights())
    plain.compile(optimizer="adam", loss="mse")
    plain.fit(*data(), epochs=1, verbose=0)
    plain.save(tmp_path / "compiled.keras")
    again = models.load_model(tmp_path / "compiled.keras", compile=False)
    assert not again.compiled
    assert bits(again.get_weights()) == bits(plain.get_weights())


def test_float64_weights_stay_float64(tmp_path, float64):
    model = sequential()
    randomize(model, 2)
    model.save(tmp_path / "m.keras")
    backend.set_floatx("float32")                    # the file, not the session, decides
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.get_weights()[0].dtype == np.float64
    assert bits(loaded.get_weights()) == bits(model.get_weights())


def test_load_weights_from_an_archive(tmp_path):
    source = sequential()
    source.compile(optimizer="adam", loss="mse")
    source.fit(*data(), epochs=1, verbose=0)
    source.save(tmp_path / "m.keras")
    target = sequential()
    target.compile(optimizer="adam", loss="mse")
    target.load_weights(tmp_path / "m.keras")
    assert bits(target.get_weights()) == bits(source.get_weights())
    assert bits(optimizer_state(target)) == bits(optimizer_state(source))
    other = Sequential([Input((4,)), layers.Dense(7)])
    before = other.get_weights()
    with pytest.raises(ValueError, match="m.keras"):
        other.load_weights(tmp_path / "m.keras")
    assert bits(other.get_weights()) == bits(before)


def test_an_hdf5_model_file_named_keras_by_an_earlier_layerkit_still_loads(tmp_path):
    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "old.h5")
    (tmp_path / "old.h5").rename(tmp_path / "old.keras")
    assert bits(models.load_model(tmp_path / "old.keras").get_weights()) == bits(
        model.get_weights())


# ============================================================== the layout, as Keras writes it
def test_archive_members_and_metadata(tmp_path):
    model = sequential()
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    metadata = json.loads(members(tmp_path / "m.keras")["metadata.json"])
    assert metadata["keras_version"] == "3.15.1"
    assert set(metadata) >= {"keras_version", "date_saved"}
    assert metadata["layerkit_shuffle_seed"] == model.shuffle_seed


def test_config_json_is_keras_serialized_form(tmp_path):
    model = sequential(use_bias=False)
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.5), loss="mse",
                  metrics=["mae", metrics.AUC(name="auc")])
    model.save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")["config.json"])
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == {
        "module": "keras", "class_name": "Sequential", "registered_name": None}
    assert config["build_config"] == {"input_shape": [None, 4]}
    entries = config["config"]["layers"]
    assert [e["class_name"] for e in entries] == ["InputLayer", "Dense", "Activation", "Dense",
                                                 "Dense"]
    assert all(e["module"] == "keras.layers" and e["registered_name"] is None for e in entries)
    input_config = {k: v for k, v in entries[0]["config"].items() if k != "name"}
    assert input_config == {"dtype": "float32", "batch_shape": [None, 4], "sparse": False,
                            "ragged": False, "optional": False}
    dense = entries[3]["config"]
    assert dense["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                              "config": {"name": "float32"}, "registered_name": None}
    assert dense["use_bias"] is False and dense["kernel_regularizer"] is None
    assert dense["kernel_initializer"]["module"] == "keras.initializers"
    assert entries[3]["build_config"] == {"input_shape": [None, 5]}
    assert "build_config" not in entries[2]                   # Keras builds Activation at once
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["optimizer"]["config"]["momentum"] == 0.5
    assert compile_config["loss"] == "mse"
    assert compile_config["metrics"][0] == "mae"
    assert compile_config["metrics"][1]["class_name"] == "AUC"
    assert {k: compile_config[k] for k in ("run_eagerly", "steps_per_execution", "jit_compile")
            } == {"run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def test_weights_member_follows_keras_order_of_a_graph(tmp_path):
    # d3 (made first, kernel (3, 4)) is the third Dense in Keras's order: layers/dense_2.
    model = graph()
    model.compile(optimizer="sgd", loss={"out": "mse", "aux": "mse"})
    model.save(tmp_path / "g.keras")
    tree = weights_tree(tmp_path / "g.keras")
    names = [layer.name for layer in model.layers]
    assert names[:4] == ["x", "d1", "d2", "d3"]
    assert tree["layers/dense/vars"]["name"] == "d1"
    assert tree["layers/dense_2/vars"]["name"] == "d3"
    assert tree["layers/dense_2/vars/1"] == (4,)
    assert tree["layers/dense_1/vars"]["name"] == "d2" and "layers/dense_1/vars/1" not in tree
    assert tree["layers/sequential/layers/dense/vars/0"] == (6, 3)
    assert tree["optimizer/vars"]["name"] == model.optimizer.name
    config = json.loads(members(tmp_path / "g.keras")["config.json"])["config"]
    # The config lists the layers in the order they were first called (Keras reorders them).
    assert [e["name"] for e in config["layers"]][:5] == ["x", "z", "d3", "d1", "d2"]
    assert sorted(e["name"] for e in config["layers"]) == sorted(names)
    assert config["input_layers"] == {"x": ["x", 0, 0], "z": ["z", 0, 0]}
    assert config["output_layers"] == {"out": ["out", 0, 0], "aux": ["aux", 0, 0]}
    shared = next(e for e in config["layers"] if e["name"] == "shared")
    assert [n["args"][0]["config"]["keras_history"] for n in shared["inbound_nodes"]] == [
        ["d2", 0, 0], ["d3", 0, 0]]


def test_an_unbuilt_optimizer_is_saved_built_with_fresh_state(tmp_path):
    model = sequential()
    model.compile(optimizer="adam", loss="mse")            # never trained: Keras builds on load
    model.save(tmp_path / "m.keras")
    tree = weights_tree(tmp_path / "m.keras")
    assert sum(k.startswith("optimizer/vars/") for k in tree) == 2 + 2 * len(
        model.trainable_weights)
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.iterations == 0
    assert all(not np.any(v) for v in optimizer_state(loaded)[2:])


# ============================================================== save arguments
def test_save_arguments_keras_refuses_or_layerkit_does_not_support(tmp_path):
    model = sequential()
    with pytest.raises(ValueError, match="zipped=False"):
        model.save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(ValueError, match=r"not supported: \['save_format'\]"):
        model.save(tmp_path / "m.keras", save_format="keras")
    with pytest.raises(ValueError, match="extension"):
        model.save(tmp_path / "m.zip")
    with pytest.raises(ValueError, match="built"):
        Sequential([layers.Dense(2)]).save(tmp_path / "m.keras")
    model.save(tmp_path / "m.keras", zipped=True)
    before = (tmp_path / "m.keras").read_bytes()
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    assert (tmp_path / "m.keras").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


# ============================================================== to_json / model_from_json
def test_to_json_round_trip_compiles_with_fresh_weights():
    model = graph()
    model.compile(optimizer=optimizers.SGD(0.1), loss={"out": "mse", "aux": "mae"})
    text = model.to_json(indent=2)
    assert "\n  " in text                                   # json.dumps's keyword arguments
    rebuilt = models.model_from_json(text)
    assert rebuilt.compiled and rebuilt.get_compile_config() == model.get_compile_config()
    assert rebuilt.get_config() == model.get_config()
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    assert json.loads(rebuilt.to_json()) == json.loads(text)


def test_model_from_json_errors_are_value_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        models.model_from_json("{nope")
    with pytest.raises(ValueError, match="not a model"):
        models.model_from_json(json.dumps(saving.serialize_keras_object(layers.Dense(2))))
    with pytest.raises(ValueError, match="Unknown layer"):
        models.model_from_json(sequential().to_json().replace('"Activation"', '"Nonesuch"'))


# ============================================================== custom objects and safe mode
@saving.register_keras_serializable(package="archive_tests")
def cubic(x):
    return x ** 3


cubic.backward = lambda grad_output, x, y: grad_output * 3 * x ** 2


@saving.register_keras_serializable(package="archive_tests")
class Doubling(layers.Layer):
    cache_names = ()

    def forward(self, x, training=False):
        return 2 * x

    def backward(self, grad_output, input_gradient=True):
        return 2 * grad_output


@saving.register_keras_serializable(package="archive_tests")
def half_mse(y_true, y_pred):
    return 0.5 * losses.mean_squared_error(y_true, y_pred)


def custom_model():
    model = Sequential([Input((3,)), layers.Dense(4, activation=cubic), Doubling(name="twice"),
                        layers.Dense(1)])
    model.compile(optimizer="sgd", loss=half_mse)
    return model


def test_registered_custom_objects_round_trip(tmp_path):
    model = custom_model()
    model.save(tmp_path / "c.keras")
    config = json.loads(members(tmp_path / "c.keras")["config.json"])
    twice = config["config"]["layers"][2]
    assert (twice["module"], twice["class_name"], twice["registered_name"]) == (
        __name__, "Doubling", "archive_tests>Doubling")
    assert config["config"]["layers"][1]["config"]["activation"] == {
        "module": "builtins", "class_name": "function", "config": "archive_tests>cubic",
        "registered_name": "function"}
    loaded = models.load_model(tmp_path / "c.keras")
    x = np.random.default_rng(0).normal(size=(5, 3))
    assert bits([loaded.predict(x, verbose=0)]) == bits([model.predict(x, verbose=0)])
    assert loaded.get_compile_config() == model.get_compile_config()


class Tripling(Doubling):
    def forward(self, x, training=False):
        return 3 * x


def test_unregistered_class_needs_custom_objects_and_safe_mode_says_so(tmp_path):
    model = Sequential([Input((3,)), Tripling(name="thrice")])
    model.save(tmp_path / "t.keras")
    with pytest.raises(ValueError, match=r"t\.keras.*'Tripling'.*refused in safe mode"):
        models.load_model(tmp_path / "t.keras")
    with pytest.raises(ValueError, match="never imports a module named in a file"):
        models.load_model(tmp_path / "t.keras", safe_mode=False)
    loaded = models.load_model(tmp_path / "t.keras", custom_objects={"Tripling": Tripling})
    assert loaded.predict(np.ones((1, 3)), verbose=0).tolist() == [[3.0, 3.0, 3.0]]
    with saving.custom_object_scope({"Tripling": Tripling}):
        assert type(models.load_model(tmp_path / "t.keras").layers[0]) is Tripling


def _config_with(entry):
    config = json.loads(sequential().to_json())
    config["config"]["layers"][2] = entry
    return json.dumps(config)


LAMBDA = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
          "config": {"name": "lam", "function": {"class_name": "__lambda__", "config": {
              "code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMIAAAAfABkARQAUwCpAk7pAgAAAKkAqQHaAXhyAwAA",
              "defaults": None, "closure": None}}, "function_type": "lambda"}}
SYSTEM = {"module": "os", "class_name": "system", "config": {"command": "touch PWNED"},
          "registered_name": None}


@pytest.mark.parametrize("entry", [LAMBDA, SYSTEM], ids=["lambda", "module"])
def test_entries_naming_code_are_refused_in_both_modes(tmp_path, monkeypatch, entry):
    monkeypatch.chdir(tmp_path)
    text = _config_with(entry)
    with pytest.raises(ValueError, match="safe mode"):
        models.model_from_json(text)
    with SafeModeScope(False):
        with pytest.raises(ValueError, match="even with safe_mode=False"):
            models.model_from_json(text)
    assert not (tmp_path / "PWNED").exists()


def test_a_lambda_anywhere_is_refused(tmp_path):
    config = json.loads(sequential().to_json())
    config["config"]["layers"][1]["config"]["activation"] = {"class_name": "__lambda__",
                                                             "config": {"code": "AA=="}}
    with pytest.raises(ValueError, match=r"layers\[1\]\.activation.*lambda"):
        models.model_from_json(json.dumps(config))


def test_enable_unsafe_deserialization_overrides_the_argument():
    with SafeModeScope(None):                  # puts the global setting back afterwards
        assert in_safe_mode() is None
        saving.enable_unsafe_deserialization()
        assert in_safe_mode() is False
        with pytest.raises(ValueError, match="even with safe_mode=False"):
            models.model_from_json(_config_with(SYSTEM))
    assert in_safe_mode() is None


# ============================================================== the registry, as Keras has it
def test_get_custom_objects_is_the_live_registry():
    registry = saving.get_custom_objects()
    assert registry["archive_tests>Doubling"] is Doubling
    registry["Tripling"] = Tripling
    try:
        assert saving.get_registered_object("Tripling") is Tripling
    finally:
        del registry["Tripling"]
    assert saving.get_registered_object("Tripling") is None


def test_custom_object_scope_is_a_class_and_nests():
    assert saving.custom_object_scope is saving.CustomObjectScope
    with saving.CustomObjectScope({"a": 1, "b": 2}) as outer:
        assert outer.custom_objects == {"a": 1, "b": 2}
        with saving.custom_object_scope({"a": 3}):
            assert saving.get_registered_object("a") == 3
            assert saving.get_registered_object("b") == 2
        assert saving.get_registered_object("a") == 1
    assert saving.get_registered_object("a") is None


def test_lookup_order_is_keras_scope_registry_custom_objects_module():
    name = "archive_tests>Doubling"
    assert saving.get_registered_object(name, custom_objects={name: 1}) is Doubling
    with saving.custom_object_scope({name: 2}):
        assert saving.get_registered_object(name, custom_objects={name: 1}) == 2
    assert saving.get_registered_object("k", {"k": 1}, {"k": 2}) == 1
    assert saving.get_registered_object("k", None, {"k": 2}) == 2


def test_register_keras_serializable_refuses_a_class_without_get_config():
    class NoConfig:
        pass

    with pytest.raises(ValueError, match="get_config"):
        saving.register_keras_serializable()(NoConfig)
    assert saving.get_registered_name(Doubling) == "archive_tests>Doubling"
    assert saving.get_registered_name(Tripling) == "Tripling"


# ============================================================== serialize/deserialize_keras_object
OBJECTS = {
    "optimizer": lambda: optimizers.SGD(0.2, momentum=0.3),
    "schedule": lambda: optimizers.schedules.ExponentialDecay(0.1, 10, 0.9),
    "loss": lambda: losses.Huber(delta=2.0),
    "metric": lambda: metrics.Precision(thresholds=0.7, name="p"),
    "initializer": lambda: initializers.HeNormal(seed=3),
    "regularizer": lambda: regularizers.L1L2(l1=0.1, l2=0.2),
    "layer": lambda: layers.Dense(3, activation="relu", name="d"),
}
MODULES = {"optimizer": "keras.optimizers", "schedule": "keras.optimizers.schedules",
           "loss": "keras.losses", "metric": "keras.metrics",
           "initializer": "keras.initializers", "regularizer": "keras.regularizers",
           "layer": "keras.layers"}


@pytest.mark.parametrize("kind", list(OBJECTS))
def test_serialize_and_deserialize_keras_object(kind):
    obj = OBJECTS[kind]()
    entry = saving.serialize_keras_object(obj)
    assert entry["module"] == MODULES[kind]
    assert entry["class_name"] == type(obj).__name__ and entry["registered_name"] is None
    again = saving.deserialize_keras_object(json.loads(json.dumps(entry)))
    assert type(again) is type(obj) and again.get_config() == obj.get_config()


def test_serialize_keras_object_functions_and_plain_values():
    assert saving.serialize_keras_object([1, (2.5, "a"), {"k": None}]) == [1, [2.5, "a"],
                                                                            {"k": None}]
    entry = saving.serialize_keras_object(cubic)
    assert entry["config"] == "archive_tests>cubic" and entry["class_name"] == "function"
    assert saving.deserialize_keras_object(entry) is cubic
    relu = saving.deserialize_keras_object({"module": "builtins", "class_name": "function",
                                            "config": "relu", "registered_name": "function"})
    assert relu is layerkit.activations.relu
    with pytest.raises(TypeError, match="Cannot serialize"):
        saving.serialize_keras_object(object())
