"""Keras 3's names and argument names where layerkit had its own: checked here, and against Keras.

Initializers' lowercase names are the classes themselves; ``losses.deserialize(name)``;
``Metric(dtype, name)``; ``schedules.serialize(learning_rate_schedule)``; ``save_model``'s
``zipped`` and keyword arguments. The signature tests at the end compare with Keras itself
and are skipped (failed in CI) when Keras cannot be imported.
"""

import inspect
import json
import zipfile

import numpy as np
import pytest
from peers import import_peer

from layerkit import Input, Sequential, initializers, layers, losses, metrics, models, registry, saving
from layerkit.optimizers import schedules

# ============================================================== initializers
# Keras's other names of its initializer classes (keras/src/initializers/*.py exports)
ALIASES = {
    "constant": "Constant", "zeros": "Zeros", "ones": "Ones", "identity": "Identity",
    "IdentityInitializer": "Identity", "stft": "STFT", "STFTInitializer": "STFT",
    "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling",
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform", "he_normal": "HeNormal", "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal", "orthogonal": "Orthogonal",
    "OrthogonalInitializer": "Orthogonal",
}


@pytest.mark.parametrize("alias, name", ALIASES.items())
def test_an_initializer_alias_is_the_class_itself(alias, name):
    assert getattr(initializers, alias) is getattr(initializers, name)
    assert alias in initializers.__all__


@pytest.mark.parametrize("alias, name", ALIASES.items())
def test_an_initializer_alias_gives_the_arrays_of_the_class(alias, name):
    shape = (8, 1, 6) if name == "STFT" else (4, 4)
    cls, same = getattr(initializers, name), getattr(initializers, alias)
    kwargs = {"seed": 7} if issubclass(cls, initializers.RandomInitializer) else {}
    expected = cls(**kwargs)(shape, dtype="float64")
    found = same(**kwargs)(shape, dtype="float64")
    np.testing.assert_array_equal(found, expected)
    assert found.shape == shape and found.dtype == np.float64
    if kwargs:  # a seeded draw is the seed's, not the first of any seeded draw
        other = cls(seed=8)(shape, dtype="float64")
        assert not np.array_equal(other, expected)


@pytest.mark.parametrize("alias", ["glorot_uniform", "he_normal", "orthogonal", "zeros",
                                   "variance_scaling", "IdentityInitializer"])
def test_initializers_get_takes_the_name_and_the_alias(alias):
    cls = getattr(initializers, ALIASES[alias])
    assert type(initializers.get(alias)) is cls
    assert type(initializers.get(getattr(initializers, alias))) is cls
    restored = initializers.deserialize(initializers.serialize(getattr(initializers, alias)()))
    assert type(restored) is cls


def test_the_submodules_behind_lowercase_names_still_import():
    from layerkit.initializers.constant import Constant
    from layerkit.initializers.variance_scaling import compute_fans

    assert Constant is initializers.constant
    assert compute_fans((3, 2)) == (3, 2)


# ============================================================== losses.deserialize
@pytest.mark.parametrize("name, cls", [("MeanSquaredError", losses.MeanSquaredError),
                                       ("Huber", losses.Huber), ("KLDivergence", losses.KLDivergence)])
def test_losses_deserialize_a_class_name_gives_an_instance_with_defaults(name, cls):
    made = losses.deserialize(name)
    assert type(made) is cls
    assert made.get_config() == cls().get_config()
    assert type(losses.deserialize(name=name)) is cls


@pytest.mark.parametrize("name, function", [
    ("mean_squared_error", losses.mean_squared_error), ("mse", losses.mean_squared_error),
    ("MSE", losses.mean_squared_error), ("huber", losses.huber), ("kld", losses.kl_divergence),
    ("bce", losses.binary_crossentropy), ("msle", losses.mean_squared_logarithmic_error)])
def test_losses_deserialize_a_function_name_or_alias_gives_the_function(name, function):
    assert losses.deserialize(name) is function
    assert losses.serialize(function) == function.__name__
    assert losses.deserialize(losses.serialize(function)) is function


def test_losses_deserialize_a_config_dict_by_position_and_by_keyword():
    config = losses.serialize(losses.Huber(delta=2.5, reduction="sum", name="h"))
    for made in (losses.deserialize(config), losses.deserialize(name=config)):
        assert type(made) is losses.Huber
        assert made.get_config() == config["config"]
        y_true, y_pred = np.array([[0.0], [4.0]]), np.array([[1.0], [0.0]])
        assert float(made(y_true, y_pred)) == pytest.approx(0.5 + 2.5 * (4.0 - 1.25))


@pytest.mark.parametrize("bad", ["no_such_loss", {"class_name": "NoSuchLoss", "config": {}},
                                 {"class_name": "huber", "config": {}}])
def test_losses_deserialize_refuses_an_unknown_name_and_lists_the_valid_ones(bad):
    with pytest.raises(ValueError, match=r"Unknown loss: '(no_such_loss|NoSuchLoss|huber)'. "
                                         r"Valid names are \[.*'Huber'"):
        losses.deserialize(bad)


def test_losses_deserialize_takes_custom_objects_and_none():
    class Halved(losses.MeanSquaredError):
        pass

    config = {"class_name": "Halved", "config": losses.MeanSquaredError().get_config()}
    assert type(losses.deserialize(config, custom_objects={"Halved": Halved})) is Halved
    assert type(losses.deserialize("Halved", {"Halved": Halved})) is Halved
    with registry.custom_object_scope({"Halved": Halved}):
        assert type(losses.deserialize(config)) is Halved
    assert losses.deserialize(None) is None


# ============================================================== Metric(dtype, name)
class Total(metrics.Metric):
    """A metric calling the base by keyword, in Keras's order."""

    def __init__(self, name="total", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(np.sum(y_pred))

    def result(self):
        return self.as_result(self.total.value)


class PositionalTotal(Total):
    """A metric calling the base positionally, as Keras's signature allows."""

    def __init__(self, dtype=None, name=None):
        metrics.Metric.__init__(self, dtype, name)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")


def test_metric_takes_dtype_then_name_as_keras():
    made = metrics.Metric("float64", "m")
    assert (made.dtype, made.name) == ("float64", "m")
    made = metrics.Metric("float32")
    assert made.dtype == "float32" and made.name.startswith("metric")
    assert list(inspect.signature(metrics.Metric).parameters) == ["dtype", "name"]


@pytest.mark.parametrize("make", [lambda: Total(dtype="float32", name="m"),
                                  lambda: Total("m", "float32"),
                                  lambda: PositionalTotal("float32", "m"),
                                  lambda: PositionalTotal(name="m", dtype="float32")])
def test_a_subclass_passes_dtype_and_name_to_the_base(make):
    metric = make()
    assert (metric.name, metric.dtype) == ("m", "float32")
    assert metric.get_config() == {"name": "m", "dtype": "float32"}
    metric.update_state(None, np.array([1.0, 2.5]))
    assert metric.result().dtype == np.float32 and float(metric.result()) == 3.5


def test_a_name_given_as_the_dtype_is_refused_and_says_so():
    with pytest.raises(ValueError, match=r"'accuracy' is not a dtype.*name='accuracy'"):
        metrics.Metric("accuracy")
    with pytest.raises(ValueError, match=r"PositionalTotal: 'mine' is not a dtype"):
        PositionalTotal("mine")


def test_the_built_in_metrics_keep_their_own_keras_order():
    assert (metrics.Mean("m", "float32").name, metrics.Mean("m", "float32").dtype) == ("m", "float32")
    assert metrics.Mean().name == "mean"
    wrapped = metrics.MeanMetricWrapper(metrics.mean_squared_error, "w", "float64")
    assert (wrapped.name, wrapped.dtype) == ("w", "float64")
    auc = metrics.AUC(name="a", dtype="float64")
    assert (auc.name, auc.dtype) == ("a", "float64")


# ============================================================== schedules
SCHEDULES = [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.PiecewiseConstantDecay([5, 20], [0.1, 0.05, 0.01]),
    schedules.PolynomialDecay(0.1, 50, end_learning_rate=0.001, power=2.0, cycle=True),
    schedules.CosineDecay(0.1, 40, alpha=0.1, warmup_target=0.2, warmup_steps=5),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.8, alpha=0.01),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_schedules_serialize_by_keras_keyword_round_trips(schedule):
    serialized = schedules.serialize(learning_rate_schedule=schedule)
    assert serialized == schedules.serialize(schedule)
    assert serialized == {"class_name": type(schedule).__name__, "config": schedule.get_config()}
    restored = schedules.deserialize(config=json.loads(json.dumps(serialized)), custom_objects=None)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    steps = range(0, 120, 3)
    assert [restored(step) for step in steps] == [schedule(step) for step in steps]


def test_schedules_deserialize_takes_custom_objects_and_refuses_unknown_names():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, rate=0.1):
            self.rate = rate

        def __call__(self, step):
            return self.rate / 2 ** step

        def get_config(self):
            return {"rate": self.rate}

    serialized = schedules.serialize(learning_rate_schedule=Halving(0.4))
    restored = schedules.deserialize(serialized, custom_objects={"Halving": Halving})
    assert type(restored) is Halving and restored(2) == 0.1
    with pytest.raises(ValueError, match=r"Unknown learning rate schedule: 'Halving'.*CosineDecay"):
        schedules.deserialize(serialized)


# ============================================================== save_model
def trained_model():
    model = Sequential([Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 3)), rng.normal(size=(16, 1)), epochs=2, batch_size=8,
              verbose=0)
    return model


SAVERS = {
    "saving.save_model": lambda model, path, **kw: saving.save_model(model, path, **kw),
    "models.save_model": lambda model, path, **kw: models.save_model(model, path, **kw),
    "Model.save": lambda model, path, **kw: model.save(path, **kw),
}


@pytest.mark.parametrize("save", SAVERS.values(), ids=SAVERS.keys())
@pytest.mark.parametrize("suffix, zipped", [(".keras", None), (".keras", True), (".h5", None),
                                            (".h5", True)])
def test_save_model_with_zipped_none_or_true_round_trips(save, suffix, zipped, tmp_path):
    model = trained_model()
    path = tmp_path / f"m{suffix}"
    save(model, path, overwrite=True, zipped=zipped, include_optimizer=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert path.is_file() and zipfile.is_zipfile(path) == (suffix == ".keras")
    loaded = models.load_model(path)
    x = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations == 4
    for ours, theirs in zip(loaded.optimizer.variables_for(loaded.trainable_weights),
                            model.optimizer.variables_for(model.trainable_weights)):
        np.testing.assert_array_equal(ours, theirs)


REFUSED = [
    ({"zipped": False}, r"zipped=False.*not supported.*`\.keras`.*`\.h5`"),
    ({"zipped": 0}, r"not supported.*Received: zipped=0,"),
    ({"compression": "gzip"}, r"^The following argument\(s\) are not supported: \['compression'\]$"),
    ({"zipped": True, "foo": 1, "bar": 2},
     r"^The following argument\(s\) are not supported: \['foo', 'bar'\]$"),
    ({"save_format": "keras"}, r"not supported: \['save_format'\].*suffix"),
    ({"include_optimizer": False}, r"include_optimizer=False.*not supported"),
]


@pytest.mark.parametrize("save", SAVERS.values(), ids=SAVERS.keys())
@pytest.mark.parametrize("name", ["m.keras", "m.h5", "m_folder"])
@pytest.mark.parametrize("kwargs, match", REFUSED, ids=[str(k) for k, _ in REFUSED])
def test_save_model_refuses_and_writes_nothing(save, name, kwargs, match, tmp_path):
    model = trained_model()
    with pytest.raises(ValueError, match=match):
        save(model, tmp_path / name, **kwargs)
    assert not (tmp_path / name).exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("save", SAVERS.values(), ids=SAVERS.keys())
@pytest.mark.parametrize("kwargs, match", REFUSED, ids=[str(k) for k, _ in REFUSED])
def test_save_model_refusing_leaves_an_existing_file_unchanged(save, kwargs, match, tmp_path):
    model = trained_model()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)   # what a save would change
    with pytest.raises(ValueError, match=match):
        save(model, path, overwrite=True, **kwargs)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


# ============================================================== against Keras
@pytest.fixture(scope="module")
def keras():
    return import_peer("keras")


def test_the_initializer_aliases_are_keras_ones(keras):
    theirs = {name for name in dir(keras.initializers) if not name.startswith("_")}
    aliases = {name for name in theirs if getattr(keras.initializers, name).__name__ != name
               and inspect.isclass(getattr(keras.initializers, name))}
    assert aliases == set(ALIASES)
    for alias in aliases:
        assert getattr(initializers, alias).__name__ == getattr(keras.initializers, alias).__name__


def _parameters(function):
    """``[(name, kind, default)]`` of a signature, ``self`` left out."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()
            if p.name != "self"]


SIGNATURES = {
    "losses.deserialize": (lambda k: k.losses.deserialize, losses.deserialize),
    "metrics.Metric": (lambda k: k.metrics.Metric.__init__, metrics.Metric.__init__),
    "schedules.serialize": (lambda k: k.optimizers.schedules.serialize, schedules.serialize),
    "schedules.deserialize": (lambda k: k.optimizers.schedules.deserialize,
                              schedules.deserialize),
    "saving.save_model": (lambda k: k.saving.save_model, saving.save_model),
    "models.save_model": (lambda k: k.models.save_model, models.save_model),
    "Model.save": (lambda k: k.Model.save, models.Model.save),
    "initializers.get": (lambda k: k.initializers.get, initializers.get),
    "initializers.deserialize": (lambda k: k.initializers.deserialize, initializers.deserialize),
}


@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures_are_keras_ones(name, keras):
    theirs, ours = SIGNATURES[name]
    assert _parameters(ours) == _parameters(theirs(keras))


@pytest.mark.parametrize("alias", ALIASES)
def test_an_initializer_alias_takes_keras_arguments(alias, keras):
    ours = _parameters(getattr(initializers, alias).__init__)
    assert ours == _parameters(getattr(keras.initializers, alias).__init__)


def test_unknown_save_arguments_get_keras_message(keras, tmp_path):
    with pytest.raises(ValueError) as theirs:
        keras.saving.save_model(None, str(tmp_path / "k.keras"), foo=1)   # refused before use
    model = trained_model()
    with pytest.raises(ValueError) as ours:
        saving.save_model(model, tmp_path / "m.keras", foo=1)
    assert str(ours.value) == str(theirs.value)
    assert list(tmp_path.iterdir()) == []
