"""The dense-network layers against Keras 3: same outputs from the same weights, same moving
statistics after training steps, same ``adapt`` results, weights files exchanged both ways.

Each Keras layer is made from the layerkit layer's config (``keras.layers.<Class>.from_config``),
so that the configs are checked to mean the same thing too. Keras runs on its torch back
end, in float32: outputs agree to 1e-6 relative (``‖a - b‖ / max(‖a‖, ‖b‖)``). The worst
difference of each kind is printed at the end of the module.
"""

import inspect

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

keras = import_peer("keras")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

from keras.src.layers.preprocessing import discretization as keras_discretization  # noqa: E402

from layerkit import Sequential, layers  # noqa: E402
from layerkit.layers import (  # noqa: E402
    BatchNormalization,
    Dense,
    Discretization,
    Dropout,
    Embedding,
    Flatten,
    Input,
    Normalization,
    PReLU,
)

BOUND = 1e-6
WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    lines = [f"Keras parity of the dense-network layers: worst relative differences (bound {BOUND})"]
    lines += [f"  {kind:<44}{err:.3e}" for kind, err in sorted(WORST.items())]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # pragma: no cover
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def _check(kind, ours, theirs):
    theirs = keras.ops.convert_to_numpy(theirs)
    assert np.shape(ours) == np.shape(theirs)
    err = rel_err(ours, theirs)
    WORST[kind] = max(WORST.get(kind, 0.0), err)
    assert err < BOUND, f"{kind}: relative difference {err:.3e}\nlayerkit {ours}\nkeras {theirs}"


def _adapted():
    layer = Normalization(axis=(1, 2))
    layer.adapt(np.random.default_rng(8).normal(size=(20, 2, 3)) * 3 + 1)
    return layer


# name: (make, sample shape, integer inputs below this bound or None, deterministic in training)
CASES = {
    "Dropout": (lambda: Dropout(0.4, noise_shape=(None, 1)), (4,), None, False),
    "SpatialDropout1D": (lambda: layers.SpatialDropout1D(0.3), (3, 2), None, False),
    "GaussianNoise": (lambda: layers.GaussianNoise(0.2), (4,), None, False),
    "GaussianDropout": (lambda: layers.GaussianDropout(0.2), (4,), None, False),
    "AlphaDropout": (lambda: layers.AlphaDropout(0.2), (4,), None, False),
    "ActivityRegularization": (lambda: layers.ActivityRegularization(0.1, 0.2), (4,), None, True),
    "BatchNormalization": (lambda: BatchNormalization(momentum=0.8, epsilon=0.01), (5,), None, True),
    "BatchNormalization_axis1": (lambda: BatchNormalization(axis=1, center=False), (3, 4), None,
                                 True),
    "LayerNormalization": (lambda: layers.LayerNormalization(), (5,), None, True),
    "LayerNormalization_two_axes": (lambda: layers.LayerNormalization(axis=[1, 2], scale=False),
                                    (3, 4), None, True),
    "UnitNormalization": (lambda: layers.UnitNormalization(axis=[1, 2]), (3, 4), None, True),
    "Normalization_adapted": (_adapted, (2, 3), None, True),
    "Normalization_given_invert": (lambda: Normalization(mean=[1.0, -2.0], variance=[4.0, 0.5],
                                                         invert=True), (2,), None, True),
    "Rescaling": (lambda: layers.Rescaling(np.array([0.5, 2.0, -1.0]), offset=0.25), (2, 3), None,
                  True),
    "Reshape": (lambda: layers.Reshape((-1, 2)), (2, 3), None, True),
    "Permute": (lambda: layers.Permute((3, 1, 2)), (2, 3, 4), None, True),
    "RepeatVector": (lambda: layers.RepeatVector(3), (4,), None, True),
    "Identity": (lambda: layers.Identity(), (4,), None, True),
    "Embedding": (lambda: Embedding(7, 3), (4,), 7, True),
    "CategoryEncoding_one_hot": (lambda: layers.CategoryEncoding(5, output_mode="one_hot"), (1,), 5,
                                 True),
    "CategoryEncoding_multi_hot": (lambda: layers.CategoryEncoding(5), (3,), 5, True),
    "CategoryEncoding_count": (lambda: layers.CategoryEncoding(5, output_mode="count"), (4,), 5,
                               True),
    "Discretization_int": (lambda: Discretization([-0.5, 0.0, 0.5]), (4,), None, True),
    "Discretization_one_hot": (lambda: Discretization([0.0, 1.0], output_mode="one_hot"), (3,), None,
                               True),
    "ReLU": (lambda: layers.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.2), (6,), None,
             True),
    "LeakyReLU": (lambda: layers.LeakyReLU(negative_slope=0.2), (6,), None, True),
    "PReLU": (lambda: PReLU(shared_axes=[1]), (3, 4), None, True),
    "ELU": (lambda: layers.ELU(alpha=0.5), (6,), None, True),
    "Softmax": (lambda: layers.Softmax(), (6,), None, True),
    "Softmax_two_axes": (lambda: layers.Softmax(axis=[1, 2]), (3, 4), None, True),
}


def _named_parameters(function):
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"]


CLASSES = ["Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
           "ActivityRegularization", "BatchNormalization", "LayerNormalization", "UnitNormalization",
           "Normalization", "Rescaling", "Reshape", "Permute", "RepeatVector", "Identity", "Embedding",
           "CategoryEncoding", "Discretization", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
           "Maximum", "Minimum", "Dot"]


@pytest.mark.parametrize("name", CLASSES + ["add", "subtract", "multiply", "average", "maximum",
                                            "minimum", "concatenate", "dot"])
def test_same_arguments_in_the_same_order_with_the_same_defaults_as_keras(name):
    """Keras's named arguments come first, in order, with its defaults (layerkit may name more:
    LayerNormalization's ``rms_scaling``, which Keras takes through ``**kwargs``)."""
    theirs = getattr(keras.layers, name)
    ours = getattr(layers, name)
    expected = _named_parameters(theirs.__init__ if inspect.isclass(theirs) else theirs)
    if expected:
        assert _named_parameters(ours.__init__ if inspect.isclass(ours) else ours)[
            :len(expected)] == expected


def _keras_twin(layer):
    """The Keras layer of the same class, made from this layer's config (same keys, same meaning)."""
    config = layer.get_config()
    twin = getattr(keras.layers, type(layer).__name__).from_config(config)
    assert set(twin.get_config()) == set(config), type(layer).__name__
    return twin


def _inputs(shape, integers, rng, batch=6):
    if integers is not None:
        return rng.integers(0, integers, size=(batch, *shape)).astype("float32")
    return (rng.normal(size=(batch, *shape)) * 2).astype("float32")


@pytest.mark.parametrize("name", list(CASES))
def test_same_outputs_as_keras_from_the_same_weights(name):
    make, shape, integers, deterministic = CASES[name]
    rng = np.random.default_rng(0)
    ours = make()
    theirs = _keras_twin(ours)
    x = _inputs(shape, integers, rng)
    ours(x)
    theirs(x)
    if ours.weights:
        weights = [np.abs(w) + 0.5 if "variance" in n else w
                   for w, n in ((rng.normal(size=w.shape).astype("float32"), n)
                                for w, n in zip(ours.weights, ours.weight_names))]
        if "count" in ours.weight_names:
            weights[-1] = np.zeros(())
        ours.set_weights(weights)
        theirs.set_weights(weights)
    _check(f"{name} (inference)", ours(x), theirs(x, training=False))
    if deterministic:
        _check(f"{name} (training)", ours(x, training=True), theirs(x, training=True))


@pytest.mark.parametrize("name, make, a_shape, b_shape", [
    ("Maximum", lambda: layers.Maximum(), (4,), (4,)),
    ("Minimum", lambda: layers.Minimum(), (4,), (4,)),
    ("Dot", lambda: layers.Dot(axes=1), (4,), (4,)),
    ("Dot_normalize", lambda: layers.Dot(axes=-1, normalize=True), (4,), (4,)),
    ("Dot_axes_1_2", lambda: layers.Dot(axes=(1, 2)), (3, 4), (5, 3)),
    ("Dot_rank3_vector", lambda: layers.Dot(axes=(2, 1), normalize=True), (3, 4), (4,)),
])
def test_merge_layers_give_keras_outputs(name, make, a_shape, b_shape):
    rng = np.random.default_rng(1)
    a, b = _inputs(a_shape, None, rng), _inputs(b_shape, None, rng)
    ours = make()
    _check(name, ours([a, b]), _keras_twin(ours)([a, b]))


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "average", "maximum", "minimum",
                                  "concatenate", "dot"])
def test_functional_forms_give_keras_outputs(name):
    rng = np.random.default_rng(2)
    a, b = _inputs((4,), None, rng), _inputs((4,), None, rng)
    _check(f"layers.{name}", getattr(layers, name)([a, b]), getattr(keras.layers, name)([a, b]))


def _twin_models():
    ours = Sequential([Input((4,)), Dense(3), BatchNormalization(momentum=0.7), Dense(1)])
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                               keras.layers.BatchNormalization(momentum=0.7), keras.layers.Dense(1)])
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer="sgd", loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return ours, theirs


def test_batch_norm_moving_statistics_after_training_steps_equal_keras():
    ours, theirs = _twin_models()
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = (rng.normal(size=(16, 4)) * 3 + 1).astype("float32")
        y = rng.normal(size=(16, 1)).astype("float32")
        ours.reset_metrics()    # Keras 3.15's train_on_batch resets its metrics at each call
        loss_ours, loss_theirs = ours.train_on_batch(x, y), theirs.train_on_batch(x, y)
        _check("train_on_batch loss", np.array(loss_ours), np.array(loss_theirs))
    bn, keras_bn = ours.layers[1], theirs.layers[1]
    assert not np.allclose(bn.gamma, 1.0) and not np.allclose(bn.moving_mean, 0.0)  # they moved
    _check("BatchNormalization moving_mean", bn.moving_mean, keras_bn.moving_mean)
    _check("BatchNormalization moving_variance", bn.moving_variance, keras_bn.moving_variance)
    for name, w, v in zip(bn.weight_names, bn.weights, keras_bn.weights):
        _check(f"BatchNormalization {name} after steps", w, v)
    x = rng.normal(size=(5, 4)).astype("float32")
    _check("BatchNormalization model predict", ours.predict(x, verbose=0),
           theirs.predict(x, verbose=0))


def test_normalization_adapt_gives_keras_mean_and_variance():
    data = (np.random.default_rng(4).normal(size=(200, 3)) * [1, 10, 100] + 5).astype("float32")
    ours, theirs = Normalization(), keras.layers.Normalization()
    ours.adapt(data)
    theirs.adapt(data)
    _check("Normalization.adapt mean", ours.mean, theirs.adapt_mean)
    _check("Normalization.adapt variance", ours.variance, theirs.adapt_variance)
    batched = Normalization()
    batched.adapt([data[:70], data[70:150], data[150:]])  # Keras's adapt of batches needs TensorFlow
    _check("Normalization.adapt in batches mean", batched.mean, theirs.adapt_mean)
    _check("Normalization.adapt in batches variance", batched.variance, theirs.adapt_variance)


def test_discretization_adapt_gives_keras_boundaries():
    """Keras's ``adapt`` needs TensorFlow here; its summary functions are run on the same batches."""
    rng = np.random.default_rng(5)
    batches = [rng.normal(size=(300, 2)) for _ in range(3)]
    summary = np.array([[], []], dtype="float32")
    for batch in batches:
        summary = keras_discretization.merge_summaries(
            keras_discretization.summarize(batch.astype("float32"), 0.01), summary, 0.01)
    ours = Discretization(num_bins=6)
    ours.adapt(batches)
    assert ours.bin_boundaries == keras_discretization.get_bin_boundaries(summary, 6).tolist()


def _interop_models():
    ours = Sequential([Input((5,), dtype="int32"), Embedding(20, 4), Flatten(), Dense(8),
                       BatchNormalization(), PReLU(), Dropout(0.3), Dense(2)])
    theirs = keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(20, 4),
                               keras.layers.Flatten(), keras.layers.Dense(8),
                               keras.layers.BatchNormalization(), keras.layers.PReLU(),
                               keras.layers.Dropout(0.3), keras.layers.Dense(2)])
    return ours, theirs


def _random_weights(model, rng):
    weights = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    weights[6] = np.abs(weights[6]) + 0.5          # the moving variance
    model.set_weights(weights)
    return weights


def test_a_layerkit_weights_file_loads_in_keras_with_the_same_predictions(tmp_path):
    ours, theirs = _interop_models()
    rng = np.random.default_rng(6)
    _random_weights(ours, rng)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    for w, v in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(w, v)
    x = rng.integers(0, 20, size=(7, 5))
    _check("weights file layerkit -> Keras", ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_a_keras_weights_file_loads_in_layerkit_with_the_same_predictions(tmp_path):
    ours, theirs = _interop_models()
    rng = np.random.default_rng(7)
    _random_weights(theirs, rng)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    for w, v in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(w, v)
    x = rng.integers(0, 20, size=(7, 5))
    _check("weights file Keras -> layerkit", ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
