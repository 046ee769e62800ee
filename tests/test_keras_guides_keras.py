"""The guide scripts of test_keras_guides.py run by Keras 3 (torch back end) and compared.

The guides' definitions (models, losses, metrics, callbacks) are taken from the very source
of test_keras_guides.py, executed a second time with Keras's imports (``import keras``,
``from keras import layers, ops``): the same code, run by each library. Each model then
starts from the same weights (copied from layerkit's into Keras's by layer name) and
trains a few steps on the same batches in the same order (``shuffle=False``, the one
change from the guides: their shuffling draws differ between libraries). The losses,
metrics and weights agree to float32 tolerance; inference-only comparisons (the Dropout
model of the imbalanced-classification example) compare ``evaluate``. The worst relative
differences are printed at the end of the module.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

keras = import_peer("keras")

import test_keras_guides as ours  # noqa: E402

import layerkit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

BOUND = 1e-5  # float32, a few optimizer steps apart at most
WORST = {}
GUIDE_IMPORTS = {"import layerkit as keras  # the guides: import keras": "import keras",
                 "from layerkit import layers  # from keras import layers": "from keras import layers",
                 "from layerkit import ops  # from keras import ops": "from keras import ops"}


def guides_on_keras():
    """The namespace of test_keras_guides.py's source run with Keras's imports."""
    source = Path(ours.__file__).read_text()
    for mine, theirs in GUIDE_IMPORTS.items():
        assert source.count(mine) == 1, mine
        source = source.replace(mine, theirs)
    namespace = {"__name__": "keras_guides_on_keras"}
    exec(compile(source, f"{ours.__file__} (with Keras's imports)", "exec"), namespace)
    assert namespace["keras"] is keras
    return namespace


theirs = guides_on_keras()


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    lines = [f"Keras guides, layerkit vs Keras: worst relative differences (bound {BOUND})"]
    lines += [f"  {kind:<48}{err:.3e}" for kind, err in sorted(WORST.items())]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # pragma: no cover
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def check(kind, mine, reference, bound=BOUND):
    error = rel_err(np.asarray(mine, dtype=np.float64), np.asarray(reference, dtype=np.float64))
    WORST[kind] = max(WORST.get(kind, 0.0), error)
    assert error <= bound, f"{kind}: {error:.3e}\nlayerkit {mine}\nkeras    {reference}"


def same_start(mine, reference, x):
    """Build both on ``x`` if needed, then give Keras's model layerkit's weights, layer by layer."""
    mine.predict(x[:1], verbose=0)
    reference.predict(x[:1], verbose=0)
    assert len(mine.layers) == len(reference.layers)
    for layer, twin in zip(mine.layers, reference.layers):
        twin.set_weights(layer.get_weights())


def compare_training(kind, mine, reference, x, y, **kwargs):
    fit = {"batch_size": 64, "epochs": 2, "shuffle": False, "verbose": 0, **kwargs}
    histories = mine.fit(x, y, **fit).history, reference.fit(x, y, **fit).history
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[0]:
        check(f"{kind}: {key}", histories[0][key], histories[1][key])
    for layer, twin in zip(mine.layers, reference.layers):
        for w, v in zip(layer.get_weights(), twin.get_weights()):
            check(f"{kind}: weights", w, v)


@pytest.fixture(scope="module")
def mnist():
    """384 images of the MNIST stand-in, preprocessed as the guides do."""
    (x_train, y_train), _ = ours.mnist_stand_in()
    x = x_train.reshape(-1, 784).astype("float32")[:384] / 255
    return x, y_train[:384].astype("float32")


# ============================================================== 1. training & evaluation
def test_the_compiled_model_trains_as_in_keras(mnist):
    x, y = mnist
    mine, reference = ours.get_compiled_model(), theirs["get_compiled_model"]()
    same_start(mine, reference, x)
    compare_training("rmsprop, sparse crossentropy", mine, reference, x, y)


@pytest.mark.parametrize("loss", ["custom_mean_squared_error", "CustomMSE"])
def test_custom_losses_train_as_in_keras(mnist, loss):
    x, y = mnist
    mine, reference = ours.get_uncompiled_model(), theirs["get_uncompiled_model"]()
    same_start(mine, reference, x)
    make = (lambda space: space[loss]) if loss == "custom_mean_squared_error" else (
        lambda space: space[loss]())
    mine.compile(optimizer=layerkit.optimizers.Adam(), loss=make(vars(ours)))
    reference.compile(optimizer=keras.optimizers.Adam(), loss=make(theirs))
    one_hot = np.eye(10, dtype="float32")[y.astype(int)]
    compare_training(f"adam, {loss}", mine, reference, x, one_hot)


def test_the_custom_metric_counts_as_in_keras(mnist):
    x, y = mnist
    mine, reference = ours.get_uncompiled_model(), theirs["get_uncompiled_model"]()
    same_start(mine, reference, x)
    for model, space in ((mine, vars(ours)), (reference, theirs)):
        lib = layerkit if space is not theirs else keras
        model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=1e-3),
                      loss=lib.losses.SparseCategoricalCrossentropy(),
                      metrics=[space["CategoricalTruePositives"]()])
    check("custom metric, evaluate", mine.evaluate(x, y, verbose=0),
          reference.evaluate(x, y, verbose=0), 1e-6)
    compare_training("custom metric", mine, reference, x, y)


def test_the_add_loss_layer_trains_as_in_keras(mnist):
    x, y = mnist
    models = []
    for lib, space in ((layerkit, vars(ours)), (keras, theirs)):
        inputs = lib.Input(shape=(784,), name="digits")
        h = lib.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        h = space["ActivityRegularizationLayer"]()(h)
        h = lib.layers.Dense(64, activation="relu", name="dense_2")(h)
        model = lib.Model(inputs=inputs, outputs=lib.layers.Dense(10, name="predictions")(h))
        model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=1e-3),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
        models.append(model)
    same_start(*models, x)
    check("add_loss, evaluate", models[0].evaluate(x, y, verbose=0),
          models[1].evaluate(x, y, verbose=0), 1e-6)
    compare_training("add_loss", *models, x, y)


@pytest.mark.parametrize("weighting", ["class_weight", "sample_weight"])
def test_class_and_sample_weights_train_as_in_keras(mnist, weighting):
    x, y = mnist
    mine, reference = ours.get_compiled_model(), theirs["get_compiled_model"]()
    same_start(mine, reference, x)
    if weighting == "class_weight":
        kwargs = {"class_weight": {k: 2.0 if k == 5 else 1.0 for k in range(10)}}
    else:
        weights = np.ones(len(y))
        weights[y == 5] = 2.0
        kwargs = {"sample_weight": weights}
    compare_training(weighting, mine, reference, x, y, **kwargs)


def test_rmsprop_with_the_guides_schedule_trains_as_in_keras(mnist):
    x, y = mnist
    mine, reference = ours.get_uncompiled_model(), theirs["get_uncompiled_model"]()
    same_start(mine, reference, x)
    for model, lib in ((mine, layerkit), (reference, keras)):
        schedule = lib.optimizers.schedules.ExponentialDecay(
            1e-3, decay_steps=3, decay_rate=0.5, staircase=True)  # decays within the run
        model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=schedule),
                      loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    compare_training("rmsprop, exponential decay", mine, reference, x, y)


# ============================================================== 2. writing your own callbacks
def _callback_models(x):
    mine, reference = ours.get_model(), theirs["get_model"]()
    same_start(mine, reference, x)
    return mine, reference


def test_learning_rate_scheduler_callback_trains_as_in_keras(mnist, capsys):
    x, y = mnist
    mine, reference = _callback_models(x)
    out = []
    for model, space in ((mine, vars(ours)), (reference, theirs)):
        capsys.readouterr()
        history = model.fit(x, y, batch_size=64, epochs=15, verbose=0, shuffle=False, callbacks=[
            space["LossAndErrorPrintingCallback"](),
            space["CustomLearningRateScheduler"](space["lr_schedule"])]).history
        out.append((history, capsys.readouterr().out))
    for key in out[0][0]:
        check(f"learning-rate scheduler: {key}", out[0][0][key], out[1][0][key])
    # Keras keeps the rate in a float32 variable: it prints 0.10000000149011612 for 0.1
    rates = [[float(line.rsplit(" ", 1)[1].rstrip(".")) for line in text.splitlines()
              if "Learning rate" in line] for _, text in out]
    assert len(rates[0]) == 15 and np.allclose(rates[0], rates[1], rtol=1e-7, atol=0)


def test_early_stopping_at_min_loss_stops_as_in_keras(mnist):
    x, y = mnist
    mine, reference = _callback_models(x)
    stoppers = [ours.EarlyStoppingAtMinLoss(), theirs["EarlyStoppingAtMinLoss"]()]
    histories = [model.fit(x, y, batch_size=64, epochs=30, verbose=0, shuffle=False,
                           callbacks=[stopper]).history
                 for model, stopper in zip((mine, reference), stoppers)]
    assert stoppers[0].stopped_epoch == stoppers[1].stopped_epoch
    check("early stopping at min loss: loss", histories[0]["loss"], histories[1]["loss"])


HOOK_LINE = re.compile(r"(\.\.\.|Start|Stop|End)[A-Za-z0-9 :]*; got log keys: .*$")


def test_every_callback_hook_prints_what_keras_prints(mnist, capsys):
    x, y = mnist
    transcripts = []
    for space in (vars(ours), theirs):
        capsys.readouterr()
        space["callback_transcript"](x[:200], y[:200], x[200:], y[200:])
        transcripts.append([HOOK_LINE.search(line).group(0)  # without a progress bar's text
                            for line in capsys.readouterr().out.splitlines()
                            if "log keys" in line])
    assert transcripts[0] == transcripts[1]


# ============================================================== 3.-6. the other guides
def test_imbalanced_classification_metrics_as_in_keras():
    (x, y), _ = layerkit.datasets.breast_cancer.load_data()
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    y = (1 - y)[:, None].astype("uint8")
    models = []
    for lib in (layerkit, keras):
        model = lib.Sequential([lib.Input(shape=(30,)), lib.layers.Dense(256, activation="relu"),
                                lib.layers.Dense(256, activation="relu"), lib.layers.Dropout(0.3),
                                lib.layers.Dense(256, activation="relu"), lib.layers.Dropout(0.3),
                                lib.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=lib.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=[
            lib.metrics.FalseNegatives(name="fn"), lib.metrics.FalsePositives(name="fp"),
            lib.metrics.TrueNegatives(name="tn"), lib.metrics.TruePositives(name="tp"),
            lib.metrics.Precision(name="precision"), lib.metrics.Recall(name="recall")])
        models.append(model)
    same_start(*models, x)
    logs = [m.evaluate(x, y, batch_size=2048, verbose=0, return_dict=True) for m in models]
    assert sorted(logs[0]) == sorted(logs[1])
    for key in logs[0]:
        check(f"imbalanced classification: {key}", logs[0][key], logs[1][key], 1e-6)


def test_boston_housing_regression_trains_as_in_keras():
    (x, y), _ = layerkit.datasets.boston_housing.load_data(test_split=0.3, seed=42)
    models = []
    for lib in (layerkit, keras):
        model = lib.Sequential([lib.layers.Dense(32, activation="relu", input_shape=[13]),
                                lib.layers.Dense(32, activation="relu"), lib.layers.Dense(1)])
        model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
        models.append(model)
    x = x.astype("float32")
    same_start(*models, x)
    compare_training("boston housing", *models, x, y.astype("float32"), validation_split=0.3)


def test_functional_api_mnist_model_trains_as_in_keras(mnist):
    x, y = mnist
    models = []
    for lib in (layerkit, keras):
        inputs = lib.Input(shape=(784,))
        h = lib.layers.Dense(64, activation="relu")(inputs)
        h = lib.layers.Dense(64, activation="relu")(h)
        model = lib.Model(inputs=inputs, outputs=lib.layers.Dense(10)(h), name="mnist_model")
        model.compile(loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                      optimizer=lib.optimizers.RMSprop(), metrics=["accuracy"])
        models.append(model)
    same_start(*models, x)
    compare_training("functional api", *models, x, y, validation_split=0.2)


def test_transfer_learning_trainable_counts_and_frozen_layers_as_in_keras():
    counts = []
    for lib in (layerkit, keras):
        found = []
        for make, frozen in ((lib.layers.Dense, False), (lib.layers.BatchNormalization, False),
                             (lib.layers.Dense, True)):
            layer = make(3) if make is lib.layers.Dense else make()
            layer.build((None, 4))
            layer.trainable = not frozen
            found.append((len(layer.weights), len(layer.trainable_weights),
                          len(layer.non_trainable_weights)))
        counts.append(found)
    assert counts[0] == counts[1]
    models = []
    for lib in (layerkit, keras):
        model = lib.Sequential([lib.Input(shape=(3,)), lib.layers.Dense(3, activation="relu"),
                                lib.layers.BatchNormalization(),
                                lib.layers.Dense(3, activation="sigmoid")])
        model.layers[0].trainable = False
        model.compile(optimizer="adam", loss="mse")
        models.append(model)
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    same_start(*models, x)
    compare_training("frozen first layer", *models, x, np.random.default_rng(1).random((8, 3)),
                     batch_size=4)
