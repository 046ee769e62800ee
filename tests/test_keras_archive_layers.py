"""``.keras`` archives with every layer layerkit has; Keras features layerkit lacks are refused clearly.

A graph model holding every built-in layer class (and regularizers, constraints, a
schedule and a newer optimizer) is saved and loaded back with the same predictions and
the same optimizer state. Keras writes keys for features layerkit does not have
(``BatchNormalization(renorm=...)``, ``Embedding(mask_zero=...)``, quantization, LoRA,
sparse and ragged inputs...): at Keras's default they load, and any other value is refused
by a ValueError naming the file, the layer entry, the key and value, and why, before any
model exists. Keras also records ``training=False`` on the calls of layers that take a
training argument: that loads; ``training=True`` (noise kept at inference) is refused.
"""

import json

import numpy as np
import pytest
from test_keras_archive import edit_config

import layerkit
from layerkit import layers, models
from layerkit.saving.keras_layers import LAYER_TABLE, UNSUPPORTED

SKIPPED_CLASSES = {"Lambda"}  # code, not a config: refused in archives (test_keras_archive_faults)


def every_layer():
    L, R, C = layers, layerkit.regularizers, layerkit.constraints
    x = layerkit.Input((6,), name="x")
    ids = layerkit.Input((4,), dtype="int32", name="ids")
    tokens = layerkit.Input((3,), dtype="int32", name="tokens")
    values = layerkit.Input((2,), name="values")
    h = L.Normalization(mean=[0.5] * 6, variance=[4.0] * 6, name="norm")(x)
    h = L.Rescaling(0.5, offset=0.1, name="rescale")(h)
    h = L.Dense(8, name="d1", kernel_regularizer=R.L1L2(0.01, 0.02), bias_regularizer="l2",
                activity_regularizer=R.L1(0.001), kernel_constraint=C.MaxNorm(1.5),
                bias_constraint=C.NonNeg())(h)
    h = L.BatchNormalization(name="bn", gamma_regularizer="l2", beta_constraint=C.UnitNorm(0))(h)
    h = L.PReLU(name="prelu")(h)
    h = L.Dropout(0.3, name="drop")(h)
    h = L.LayerNormalization(name="ln")(h)
    e = L.Flatten(name="flat")(L.Embedding(10, 2, name="emb")(ids))
    c = L.CategoryEncoding(num_tokens=5, output_mode="count", name="counts")(tokens)
    d = L.Flatten(name="flat_bins")(L.Discretization([-0.5, 0.0, 0.5], name="bins")(values))
    side = L.Dense(8, name="side", kernel_regularizer=R.OrthogonalRegularizer(0.01))(
        L.Concatenate(name="cat_in")([e, c, d]))
    merged = [L.Add(name="plus")([h, side]), L.Subtract(name="minus")([h, side]),
              L.Multiply(name="times")([h, side]), L.Average(name="mean")([h, side]),
              L.Maximum(name="most")([h, side]), L.Minimum(name="least")([h, side]),
              L.Dot(axes=1, name="dot")([h, side])]
    m = L.Concatenate(name="cat")(merged)
    m = L.UnitNormalization(name="unit")(m)
    m = L.ReLU(max_value=3.0, name="relu")(L.LeakyReLU(0.2, name="leaky")(L.ELU(name="elu")(m)))
    m = L.AlphaDropout(0.1, name="adrop")(L.GaussianDropout(0.1, name="gdrop")(
        L.GaussianNoise(0.1, name="noise")(m)))
    m = L.ActivityRegularization(0.01, 0.01, name="act_reg")(m)
    m = L.Reshape((-1, 1), name="reshape")(L.Dense(4, name="d2")(m))
    m = L.SpatialDropout1D(0.2, name="sdrop")(L.Permute((2, 1), name="permute")(m))
    m = L.RepeatVector(2, name="repeat")(L.Flatten(name="flat2")(m))
    m = L.Identity(name="identity")(L.Flatten(name="flat3")(m))
    out = L.Activation("softmax", name="act")(L.Dense(3, name="out")(m))
    return layerkit.Model({"x": x, "ids": ids, "tokens": tokens, "values": values},
                          L.Softmax(name="softmax")(out), name="every_layer")


def every_layer_data(seed=0, n=12):
    rng = np.random.default_rng(seed)
    x = {"x": rng.normal(size=(n, 6)).astype("float32"),
         "ids": rng.integers(0, 10, (n, 4)).astype("int32"),
         "tokens": rng.integers(0, 5, (n, 3)).astype("int32"),
         "values": rng.normal(size=(n, 2)).astype("float32")}
    return x, np.eye(3, dtype="float32")[rng.integers(0, 3, n)]


def saved(tmp_path):
    model = every_layer()
    schedule = layerkit.optimizers.schedules.CosineDecay(0.01, 20, warmup_target=0.02,
                                                          warmup_steps=3)
    model.compile(optimizer=layerkit.optimizers.AdamW(schedule), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(*every_layer_data(), batch_size=4, epochs=2, verbose=0)
    model.save(tmp_path / "every.keras")
    return model, tmp_path / "every.keras"


def test_every_layer_class_is_in_the_model():
    used = {type(layer).__name__ for layer in every_layer().layers}
    assert set(layers._LAYERS) - used - {"Functional", "Sequential", "Model"} == SKIPPED_CLASSES


def test_an_archive_with_every_layer_loads_with_the_same_predictions_and_state(tmp_path):
    model, path = saved(tmp_path)
    loaded = models.load_model(path)
    x = every_layer_data(5)[0]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for mine, theirs in zip(model.optimizer.variables_for(model.trainable_weights),
                            loaded.optimizer.variables_for(loaded.trainable_weights)):
        np.testing.assert_array_equal(mine, theirs)
    assert loaded.get_config() == model.get_config()


def entry_of(config, name):
    return next(e for e in config["config"]["layers"] if e["name"] == name)


# class: (the layer entry's name in every_layer(), an input entry for InputLayer)
WHERE = {"InputLayer": "x", "Dense": "d1", "Flatten": "flat", "Embedding": "emb",
         "BatchNormalization": "bn", "CategoryEncoding": "counts", "Discretization": "bins"}
NON_DEFAULT = {"sparse": True, "ragged": True, "optional": True, "lora_rank": 4, "lora_alpha": 8,
               "quantization_config": {"module": "keras.quantizers", "class_name": "Int8",
                                       "config": {}, "registered_name": None},
               "mask_zero": True, "synchronized": True, "renorm": True,
               "data_format": "channels_first"}
CASES = [(name, key) for name, entry in LAYER_TABLE.items() for key in entry.only_default]


def test_every_refused_feature_is_listed_with_a_reason():
    assert {key for _, key in CASES} == set(UNSUPPORTED) == set(NON_DEFAULT)
    assert {name for name, _ in CASES} == set(WHERE)


@pytest.mark.parametrize("name, key", CASES)
def test_a_keras_feature_layerkit_lacks_is_refused_by_name(tmp_path, name, key):
    _, path = saved(tmp_path)
    edit_config(path, lambda config: entry_of(config, WHERE[name])["config"].__setitem__(
        key, NON_DEFAULT[key]))
    with pytest.raises(ValueError) as raised:
        models.load_model(path)
    message = str(raised.value)
    assert str(path) in message and f"{name}({key}=" in message
    assert UNSUPPORTED[key] in message and f"Keras's default, {key}=" in message


@pytest.mark.parametrize("name, key", CASES)
def test_keras_default_of_every_refused_feature_loads(tmp_path, name, key):
    model, path = saved(tmp_path)
    default = LAYER_TABLE[name].only_default[key]
    edit_config(path, lambda config: entry_of(config, WHERE[name])["config"].__setitem__(
        key, default))
    loaded = models.load_model(path)
    x = every_layer_data(5)[0]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_from_json_refuses_the_same(tmp_path):
    config = json.loads(every_layer().to_json())
    entry_of(config, "bn")["config"]["renorm"] = True
    with pytest.raises(ValueError, match=r"BatchNormalization\(renorm=True\) is not supported: "
                                         "layerkit has no batch renormalisation"):
        models.model_from_json(json.dumps(config))


def _calls(config, name):
    return entry_of(config, name)["inbound_nodes"]


def test_keras_training_false_call_argument_loads(tmp_path):
    model, path = saved(tmp_path)
    edit_config(path, lambda config: [call["kwargs"].__setitem__("training", False)
                                      for name in ("drop", "noise", "gdrop", "adrop", "sdrop")
                                      for call in _calls(config, name)])
    loaded = models.load_model(path)
    x, y = every_layer_data(5)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, epochs=1, verbose=0)   # the model's own training flag still rules


@pytest.mark.parametrize("kwargs, match", [
    ({"training": True}, "called with training=True in the graph"),
    ({"training": "no"}, "`training` must be true, false or null; found 'no'"),
    ({"training": False, "scale": 2.0}, "call arguments .* are not supported"),
    ([1], "`kwargs` must be a JSON object")])
def test_other_call_arguments_are_refused(tmp_path, kwargs, match):
    _, path = saved(tmp_path)
    edit_config(path, lambda config: _calls(config, "drop")[0].__setitem__("kwargs", kwargs))
    with pytest.raises(ValueError, match=match):
        models.load_model(path)
