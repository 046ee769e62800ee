"""``.keras`` archives with every layer layerkit has, and the newer optimizers and schedules, both ways.

One graph model per layer family (regularisation and noise, regularizers and constraints,
normalisation, shape, categorical with ``Input(dtype="int32")``, merging, activations),
trained for two epochs in one library and saved; the other library loads it compiled,
with the same weights bit for bit, the same optimizer state (Keras's
``optimizer.variables``) and the same predictions to 1e-6. For the families without noise,
one more training step in each library then agrees to 1e-5 (it would not without the
optimizer state). Every optimizer of both libraries (RMSprop plain, centered and with
momentum, AdamW, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl, Adafactor, SGD, Adam) and
every learning-rate schedule crosses over the same way. The worst relative errors are
printed at the end of the module.
"""

import warnings

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

keras = import_peer("keras")

import layerkit  # noqa: E402
from layerkit import models  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

PREDICTION_BOUND = 1e-6   # float32 forward passes computed by two libraries
STEP_BOUND = 1e-5         # one more training step from the same state, in each library
WORST = {}
N = 16


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    lines = ["", "Keras archives of every layer family: worst relative errors (layerkit vs Keras)"]
    lines += [f"  {kind:<48}{value:.3e}" for kind, value in sorted(WORST.items())]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # pragma: no cover
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def check(kind, ours, theirs, bound):
    ours, theirs = flat(ours), flat(theirs)
    assert len(ours) == len(theirs)
    error = max(rel_err(a, b) for a, b in zip(ours, theirs))
    WORST[kind] = max(WORST.get(kind, 0.0), error)
    assert error <= bound, f"{kind}: relative error {error:.3e} > {bound:.0e}"


def flat(values):
    if isinstance(values, dict):
        return [np.asarray(values[k]) for k in sorted(values)]
    if isinstance(values, (list, tuple)):
        return [np.asarray(v) for v in values]
    return [np.asarray(values)]


# ============================================================== one graph model per layer family
def regularisation(lib):
    """Dropout and the noise layers: random in training, so no step is compared."""
    L = lib.layers
    x = lib.Input((6,), name="x")
    h = L.Dense(8, activation="relu", name="d1")(x)
    h = L.Dropout(0.3, noise_shape=(None, 8), seed=3, name="drop")(h)
    h = L.GaussianNoise(0.1, name="noise")(h)
    h = L.GaussianDropout(0.2, name="gdrop")(h)
    h = L.AlphaDropout(0.1, name="adrop")(h)
    s = L.SpatialDropout1D(0.2, name="sdrop")(L.Reshape((2, 4), name="seq")(h))
    return lib.Model(x, L.Dense(2, name="out")(L.Flatten(name="flat")(s)), name="regularisation")


def penalties(lib):
    """Regularizers, constraints and ActivityRegularization (deterministic)."""
    L, R, C = lib.layers, lib.regularizers, lib.constraints
    x = lib.Input((6,), name="x")
    h = L.Dense(8, activation="tanh", name="d1", kernel_regularizer=R.L1L2(0.01, 0.02),
                bias_regularizer=R.L2(0.03), activity_regularizer=R.L1(0.001),
                kernel_constraint=C.MaxNorm(1.5), bias_constraint=C.NonNeg())(x)
    h = L.Dense(6, name="d2", kernel_regularizer="l2",
                kernel_constraint=C.MinMaxNorm(0.1, 1.0, rate=0.5, axis=0),
                bias_constraint=C.UnitNorm(axis=0),
                kernel_initializer=lib.initializers.Orthogonal(seed=2))(h)
    h = L.Dense(4, name="d3", kernel_regularizer=R.OrthogonalRegularizer(0.01, mode="columns"))(h)
    h = L.ActivityRegularization(l1=0.01, l2=0.02, name="act_reg")(h)
    return lib.Model(x, L.Dense(2, name="out")(h), name="penalties")


def normalisation(lib):
    L = lib.layers
    x = lib.Input((6,), name="x")
    h = L.Normalization(mean=[0.5] * 6, variance=[4.0] * 6, name="given")(x)
    h = L.Normalization(axis=None, mean=1.0, variance=2.0, invert=True, name="inverted")(h)
    h = L.Rescaling(0.5, offset=0.1, name="rescale")(h)
    h = L.Dense(8, activation="tanh", name="d1")(h)  # a bias right before BN has no gradient
    h = L.BatchNormalization(momentum=0.8, epsilon=0.01, name="bn",
                             gamma_regularizer="l2", beta_constraint=lib.constraints.NonNeg())(h)
    h = L.LayerNormalization(name="ln")(L.Dense(8, activation="relu", name="d2")(h))
    h = L.UnitNormalization(name="unit")(h)
    return lib.Model(x, L.Dense(2, name="out")(h), name="normalisation")


def shape(lib):
    L = lib.layers
    x = lib.Input((6,), name="x")
    h = L.Reshape((3, 2), name="reshape")(L.Dense(6, activation="tanh", name="d1")(x))
    h = L.Permute((2, 1), name="permute")(h)
    h = L.Flatten(name="flat")(L.Dense(3, name="per_step")(h))
    h = L.RepeatVector(2, name="repeat")(L.Identity(name="identity")(h))
    return lib.Model(x, L.Dense(2, name="out")(L.Flatten(name="flat2")(h)), name="shape")


def categorical(lib):
    L = lib.layers
    ids = lib.Input((4,), dtype="int32", name="ids")
    tokens = lib.Input((3,), dtype="int32", name="tokens")
    values = lib.Input((2,), name="values")
    e = L.Flatten(name="flat")(L.Embedding(10, 3, name="emb",
                                           embeddings_regularizer="l2")(ids))
    c = L.CategoryEncoding(num_tokens=5, output_mode="count", name="counts")(tokens)
    d = L.CategoryEncoding(num_tokens=4, output_mode="one_hot", name="one_hot")(
        L.Flatten(name="flat_bins")(L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5],
                                                     name="bins")(values)))
    h = L.Concatenate(name="cat")([e, c, L.Flatten(name="flat_hot")(d)])
    return lib.Model({"ids": ids, "tokens": tokens, "values": values},
                     L.Dense(2, name="out")(L.Dense(6, activation="relu", name="d1")(h)),
                     name="categorical")


def merging(lib):
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    p, q = L.Dense(5, name="p")(a), L.Dense(5, activation="tanh", name="q")(b)
    merged = [L.Add(name="plus")([p, q]), L.Subtract(name="sub")([p, q]),
              L.Multiply(name="mul")([p, q]), L.Average(name="avg")([p, q]),
              L.Maximum(name="most")([p, q]), L.Minimum(name="min")([p, q]),
              L.Dot(axes=1, name="dot")([p, q]), L.Dot(axes=1, normalize=True, name="cos")([p, q]),
              lib.layers.add([p, q, p]), lib.layers.maximum([q, p])]
    h = L.Concatenate(axis=-1, name="cat")(merged)
    return lib.Model([a, b], L.Dense(2, name="out")(h), name="merging")


def activations(lib):
    L = lib.layers
    x = lib.Input((6,), name="x")
    h = L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.05, name="relu")(L.Dense(8, name="d1")(x))
    h = L.LeakyReLU(negative_slope=0.2, name="leaky")(L.Dense(8, name="d2")(h))
    h = L.PReLU(alpha_initializer=lib.initializers.Constant(0.25), name="prelu")(
        L.Dense(8, name="d3")(h))
    h = L.ELU(alpha=0.5, name="elu")(h)
    h = L.Activation("gelu", name="gelu")(L.Dense(8, name="d4")(h))
    return lib.Model(x, L.Softmax(name="softmax")(L.Dense(3, name="out")(h)), name="activations")


# name: (builder, deterministic in training, loss)
FAMILIES = {"regularisation": (regularisation, False, "mse"),
            "penalties": (penalties, True, "mse"),
            "normalisation": (normalisation, True, "mse"),
            "shape": (shape, True, "mse"),
            "categorical": (categorical, True, "mse"),
            "merging": (merging, True, "mse"),
            "activations": (activations, True, "categorical_crossentropy")}


def family_data(family, seed=0, n=N):
    rng = np.random.default_rng(seed)
    if family == "categorical":
        x = {"ids": rng.integers(0, 10, (n, 4)).astype("int32"),
             "tokens": rng.integers(0, 5, (n, 3)).astype("int32"),
             "values": rng.normal(size=(n, 2)).astype("float32")}
    elif family == "merging":
        x = [rng.normal(size=(n, 4)).astype("float32") for _ in range(2)]
    else:
        x = rng.normal(size=(n, 6)).astype("float32")
    if family == "activations":
        return x, np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    return x, rng.normal(size=(n, 2)).astype("float32")


# ============================================================== optimizers and schedules
def schedules(lib):
    s = lib.optimizers.schedules
    return {"exponential": s.ExponentialDecay(0.01, 3, 0.5, staircase=True),
            "inverse time": s.InverseTimeDecay(0.01, 2, 0.5),
            "piecewise": s.PiecewiseConstantDecay([3, 6], [0.02, 0.01, 0.005]),
            "polynomial": s.PolynomialDecay(0.02, 10, 0.001, power=2.0),
            "cosine": s.CosineDecay(0.01, 10, alpha=0.1, warmup_target=0.02, warmup_steps=2),
            "cosine restarts": s.CosineDecayRestarts(0.02, 3, t_mul=2.0, m_mul=0.5)}


def optimizer_for(name, lib):
    o = lib.optimizers
    makers = {
        "rmsprop": lambda: o.RMSprop(0.01),
        "rmsprop centered momentum": lambda: o.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
        "adamw": lambda: o.AdamW(0.01, weight_decay=0.05, amsgrad=True),
        "adagrad": lambda: o.Adagrad(0.05),
        "adadelta": lambda: o.Adadelta(1.0),
        "adamax": lambda: o.Adamax(0.01),
        "nadam": lambda: o.Nadam(0.01),
        "lion": lambda: o.Lion(0.001),
        "ftrl": lambda: o.Ftrl(0.05, l1_regularization_strength=0.01,
                               l2_regularization_strength=0.01),
        "adafactor": lambda: o.Adafactor(0.01),
        "sgd momentum": lambda: o.SGD(0.05, momentum=0.9, nesterov=True),
        "adam": lambda: o.Adam(0.01),
    }
    if name.startswith("schedule: "):
        return o.RMSprop(schedules(lib)[name[len("schedule: "):]])
    return makers[name]()


OPTIMIZERS = ["rmsprop", "rmsprop centered momentum", "adamw", "adagrad", "adadelta", "adamax",
              "nadam", "lion", "ftrl", "adafactor", "sgd momentum", "adam"]
SCHEDULES = ["schedule: " + name for name in schedules(layerkit)]
# each family trains with another optimizer; every optimizer and schedule crosses over on a
# small dense model with BatchNormalization
FAMILY_OPTIMIZERS = dict(zip(FAMILIES, ["rmsprop", "adamw", "rmsprop centered momentum",
                                        "nadam", "adam", "adamax", "sgd momentum"]))


def dense_bn(lib):
    L = lib.layers
    x = lib.Input((6,), name="x")
    h = L.BatchNormalization(name="bn")(L.Dense(8, activation="relu", name="d1")(x))
    return lib.Model(x, L.Dense(2, name="out")(h), name="dense_bn")


# ============================================================== the two directions
def build(make, lib, loss, optimizer):
    model = make(lib)
    model.compile(optimizer=optimizer_for(optimizer, lib), loss=loss, metrics=["mae"])
    return model


def weights_by_layer(model):
    return {layer.name: [np.asarray(w) for w in layer.get_weights()]
            for layer in model.layers if layer.get_weights()}


def assert_same_weights(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        assert [w.shape for w in ours[name]] == [w.shape for w in theirs[name]], name
        for mine, reference in zip(ours[name], theirs[name]):
            assert np.array_equal(mine.astype(reference.dtype), reference), name


def assert_same_state(ours, theirs):
    ours = ours.optimizer.variables_for(ours.trainable_weights)
    theirs = [np.asarray(v) for v in theirs.optimizer.variables]
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        assert np.array_equal(mine.astype(reference.dtype), reference)


def all_weights(model):
    found = weights_by_layer(model)
    return [w for name in sorted(found) for w in found[name]]


def cross(tmp_path, make, data, loss, optimizer, deterministic, direction):
    """Train in one library, save, load in the other, compare; one more step if deterministic."""
    keras.utils.set_random_seed(1)
    layerkit.utils.set_random_seed(1)
    source_lib = keras if direction == "keras -> layerkit" else layerkit
    source = build(make, source_lib, loss, optimizer)
    source.fit(*data(0), batch_size=4, epochs=2, verbose=0)
    source.save(tmp_path / "m.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = (models.load_model if source_lib is keras else keras.models.load_model)(
            tmp_path / "m.keras")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert type(loaded.optimizer).__name__ == type(source.optimizer).__name__
    ours, theirs = (loaded, source) if source_lib is keras else (source, loaded)
    assert_same_weights(weights_by_layer(ours), weights_by_layer(theirs))
    assert_same_state(ours, theirs)
    x = data(7)[0]
    check(f"predictions, {direction}", ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
          PREDICTION_BOUND)
    if deterministic:
        ours.train_on_batch(*data(3))
        theirs.train_on_batch(*data(3))
        check(f"one more step, {direction}", all_weights(ours), all_weights(theirs), STEP_BOUND)


DIRECTIONS = ["keras -> layerkit", "layerkit -> keras"]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_layer_family_crosses_over(tmp_path, family, direction):
    make, deterministic, loss = FAMILIES[family]
    cross(tmp_path, make, lambda seed: family_data(family, seed), loss, FAMILY_OPTIMIZERS[family],
          deterministic, direction)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS + SCHEDULES)
def test_every_optimizer_and_schedule_crosses_over(tmp_path, optimizer, direction):
    cross(tmp_path, dense_bn, lambda seed: family_data("dense", seed), "mse", optimizer, True,
          direction)


def adapted_normalization(lib):
    x = lib.Input((6,), name="x")
    norm = lib.layers.Normalization(name="norm")
    norm.adapt(np.random.default_rng(5).normal(2.0, 3.0, size=(40, 6)).astype("float32"))
    return lib.Model(x, lib.layers.Dense(2, name="out")(norm(x)), name="adapted")


def test_an_adapted_normalization_crosses_from_layerkit_to_keras(tmp_path):
    cross(tmp_path, adapted_normalization, lambda seed: family_data("dense", seed), "mse", "adam",
          True, "layerkit -> keras")


def test_an_adapted_keras_normalization_loads(tmp_path):
    cross(tmp_path, adapted_normalization, lambda seed: family_data("dense", seed), "mse", "adam",
          True, "keras -> layerkit")


@pytest.mark.parametrize("make, match", [
    (lambda: keras.layers.Embedding(10, 3, mask_zero=True, name="emb"),
     r"Embedding\(mask_zero=True\) is not supported: layerkit has no masks"),
    (lambda: keras.layers.BatchNormalization(renorm=True, name="bn"),
     r"BatchNormalization\(renorm=True\) is not supported: layerkit has no batch renormalisation")])
def test_keras_archives_asking_for_a_feature_layerkit_lacks_are_refused(tmp_path, make, match):
    model = keras.Sequential([keras.Input((4,), dtype="int32"), make(), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match=match) as raised:
        models.load_model(tmp_path / "k.keras")
    assert str(tmp_path / "k.keras") in str(raised.value)
