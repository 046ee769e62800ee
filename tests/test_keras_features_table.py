"""docs/keras_features.md tells the truth: every layerkit object it claims exists and works.

Each row marked ``yes`` or ``partly`` names a layerkit object; this module resolves it and
makes it: classes are instantiated with Keras's required arguments (and round-trip their
config where they have one), functions are called on small arrays (activations, losses and
metrics) or checked to be callable, and the calls behave as the row's kind should (an
initializer gives the shape asked for, a constraint keeps it, a schedule gives a rate...).
Rows marked ``no`` name no layerkit object. The completeness of the table against Keras's
export lists is checked with Keras itself in test_keras_features_table_keras.py.
"""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import layerkit
from layerkit import Sequential, layers

TABLE = Path(__file__).resolve().parents[1] / "docs" / "keras_features.md"


def table_rows():
    """``(section, keras names, layerkit path or None, status, notes)`` for every table row.

    ``section`` is the Keras module the heading names (``"layers"``, ``"optimizers.schedules"``)
    or None for a heading without one.
    """
    found, section = [], None
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            named = re.search(r"`keras\.([a-z_.]+)`", line)
            section = named.group(1) if named else None
            continue
        if not line.startswith("| ") or line.startswith(("| Keras |", "|---")):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 4, line
        names = re.findall(r"`([^`]+)`", cells[0])
        path = re.fullmatch(r"`(layerkit\.[A-Za-z0-9_.]+)`", cells[1])
        found.append((section, names, path.group(1) if path else None, cells[2], cells[3]))
    return found


ROWS = table_rows()
CLAIMED = [(section, path) for section, _, path, status, _ in ROWS if status in ("yes", "partly")]


def resolve(path):
    """The object a dotted ``layerkit....`` path names, attribute by attribute (a submodule of
    the same name as a function does not stand in for it)."""
    found = layerkit
    for part in path.split(".")[1:]:
        found = getattr(found, part)
    return found


@layerkit.saving.register_keras_serializable(package="features_table")
def doubled(x):
    return x * 2.0


def _tmp(tmp_path, name):
    return str(tmp_path / name)


# Keras's required arguments of the classes that have some (the rest take none)
ARGUMENTS = {
    "layerkit.layers.Activation": lambda tmp: ("relu",),
    "layerkit.layers.Dense": lambda tmp: (3,),
    "layerkit.layers.Dropout": lambda tmp: (0.5,),
    "layerkit.layers.SpatialDropout1D": lambda tmp: (0.5,),
    "layerkit.layers.GaussianNoise": lambda tmp: (0.1,),
    "layerkit.layers.GaussianDropout": lambda tmp: (0.1,),
    "layerkit.layers.AlphaDropout": lambda tmp: (0.1,),
    "layerkit.layers.Embedding": lambda tmp: (10, 3),
    "layerkit.layers.CategoryEncoding": lambda tmp: (4,),
    "layerkit.layers.Discretization": lambda tmp: ([0.0, 1.0],),
    "layerkit.layers.Dot": lambda tmp: (1,),
    "layerkit.layers.Lambda": lambda tmp: (doubled,),
    "layerkit.layers.Permute": lambda tmp: ((1,),),
    "layerkit.layers.RepeatVector": lambda tmp: (2,),
    "layerkit.layers.Rescaling": lambda tmp: (0.5,),
    "layerkit.layers.Reshape": lambda tmp: ((2, 2),),
    "layerkit.layers.Input": lambda tmp: ((3,),),
    "layerkit.layers.InputLayer": lambda tmp: ((3,),),
    "layerkit.metrics.MeanMetricWrapper": lambda tmp: (layerkit.metrics.mean_squared_error,),
    "layerkit.metrics.PrecisionAtRecall": lambda tmp: (0.5,),
    "layerkit.metrics.RecallAtPrecision": lambda tmp: (0.5,),
    "layerkit.metrics.SensitivityAtSpecificity": lambda tmp: (0.5,),
    "layerkit.metrics.SpecificityAtSensitivity": lambda tmp: (0.5,),
    "layerkit.metrics.IoU": lambda tmp: (3, [0, 1]),
    "layerkit.metrics.MeanIoU": lambda tmp: (3,),
    "layerkit.metrics.OneHotIoU": lambda tmp: (3, [0, 1]),
    "layerkit.metrics.OneHotMeanIoU": lambda tmp: (3,),
    "layerkit.optimizers.schedules.ExponentialDecay": lambda tmp: (0.1, 10, 0.5),
    "layerkit.optimizers.schedules.InverseTimeDecay": lambda tmp: (0.1, 10, 0.5),
    "layerkit.optimizers.schedules.PiecewiseConstantDecay": lambda tmp: ([10], [0.1, 0.01]),
    "layerkit.optimizers.schedules.PolynomialDecay": lambda tmp: (0.1, 10),
    "layerkit.optimizers.schedules.CosineDecay": lambda tmp: (0.1, 10),
    "layerkit.optimizers.schedules.CosineDecayRestarts": lambda tmp: (0.1, 10),
    "layerkit.callbacks.ModelCheckpoint": lambda tmp: (_tmp(tmp, "m.keras"),),
    "layerkit.callbacks.BackupAndRestore": lambda tmp: (_tmp(tmp, "backup"),),
    "layerkit.callbacks.CSVLogger": lambda tmp: (_tmp(tmp, "log.csv"),),
    "layerkit.callbacks.LearningRateScheduler": lambda tmp: (lambda epoch, lr: lr,),
    "layerkit.saving.CustomObjectScope": lambda tmp: ({},),
}
ABSTRACT = {"layerkit.layers.Layer", "layerkit.losses.Loss", "layerkit.metrics.Metric",
            "layerkit.optimizers.Optimizer", "layerkit.initializers.Initializer",
            "layerkit.regularizers.Regularizer", "layerkit.constraints.Constraint",
            "layerkit.optimizers.schedules.LearningRateSchedule", "layerkit.callbacks.Callback",
            "layerkit.utils.PyDataset", "layerkit.utils.Sequence"}


def targets(name):
    """``(y_true, y_pred)`` a loss or metric function of ``name`` takes."""
    rng = np.random.default_rng(0)
    y_pred = rng.uniform(0.1, 0.9, (4, 3))
    y_pred /= y_pred.sum(axis=1, keepdims=True)
    if "sparse" in name:
        return np.array([0, 2, 1, 1]), y_pred
    if "hinge" in name:
        return np.sign(rng.normal(size=(4, 3))), y_pred
    return np.eye(3)[[0, 2, 1, 1]], y_pred


def exercise_function(section, name, function):
    x = np.linspace(-3.0, 3.0, 16).reshape(4, 4)
    if section == "activations" and name not in ("get", "serialize", "deserialize"):
        kwargs = {"threshold": 0.5, "default_value": 0.0} if name == "threshold" else {}
        out = function(x, **kwargs)
        expected = (4, 2) if name == "glu" else x.shape  # glu halves its axis
        assert np.shape(out) == expected and np.all(np.isfinite(out)), name
    elif section in ("losses", "metrics") and name not in ("get", "serialize", "deserialize"):
        y_true, y_pred = targets(name)
        out = np.asarray(function(y_true, y_pred))
        # one value per sample (dice and tversky: one for the batch; binary_accuracy: one
        # per entry), as Keras's
        assert out.shape in ((4,), (), y_pred.shape) and np.all(np.isfinite(out)), name
    else:
        assert callable(function), name


def exercise_instance(section, path, made):
    if section == "initializers":
        # STFT (and its other names): (kernel, 1, filters)
        shape = (8, 1, 6) if isinstance(made, layerkit.initializers.STFT) else (3, 3)
        assert np.shape(made(shape)) == shape
    elif section in ("regularizers",):
        assert np.isfinite(float(made(np.eye(3))))
    elif section == "constraints":
        assert np.shape(made(np.ones((3, 2)))) == (3, 2)
    elif section == "optimizers.schedules":
        assert 0 < float(made(0)) <= 0.1
    if hasattr(made, "get_config") and not isinstance(made, layerkit.models.Model):
        config = made.get_config()
        if hasattr(type(made), "from_config") and section != "callbacks":
            again = type(made).from_config(config)
            assert again.get_config() == config, path


@pytest.mark.parametrize("section, path", CLAIMED, ids=[path for _, path in CLAIMED])
def test_every_claimed_object_exists_and_works(section, path, tmp_path):
    found = resolve(path)
    name = path.rsplit(".", 1)[1]
    if inspect.ismodule(found):                       # a data set module
        assert callable(found.load_data)
    elif path in ABSTRACT:                            # a base class: a subclass is Keras's way in
        assert inspect.isclass(found)
    elif inspect.isclass(found):
        made = found(*ARGUMENTS.get(path, lambda tmp: ())(tmp_path))
        exercise_instance(section, path, made)
    elif path.startswith("layerkit.models.Model."):   # a method: the saving formats
        assert callable(found)
    elif path in ("layerkit.layers.Input",):
        assert found(*ARGUMENTS[path](tmp_path)).shape == (None, 3)
    else:
        exercise_function(section, name, found)


def test_rows_marked_no_name_no_layerkit_object_and_say_why():
    for _, names, path, status, notes in ROWS:
        assert status in ("yes", "partly", "no"), (names, status)
        if status == "no":
            assert path is None and notes, names
        elif status == "partly":
            assert notes, names


def test_a_partly_row_names_what_differs_and_the_refusal_is_real(tmp_path):
    """Spot checks that the refusals the table lists are errors, not silent."""
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.BatchNormalization(renorm=True)
    with pytest.raises(NotImplementedError, match="mask_zero"):
        layers.Embedding(10, 3, mask_zero=True)
    with pytest.raises(ValueError, match="sparse"):
        layers.CategoryEncoding(4, sparse=True)
    with pytest.raises(ValueError, match="channels_last"):
        layers.Flatten(data_format="channels_first")
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    with pytest.raises(NotImplementedError, match="max_shard_size"):
        model.save_weights(tmp_path / "m.weights.h5", max_shard_size=1)


def test_every_built_in_layer_has_a_row():
    named = {name for section, names, _, _, _ in ROWS if section == "layers" for name in names}
    built_in = set(layers.__all__) - {"KerasTensor", "Node", "hold_noise", "serialize",
                                      "deserialize"}
    assert built_in <= named, sorted(built_in - named)
