"""Sample weights per output and per timestep against Keras 3 (torch back end).

The same model is built in both libraries with the same starting weights; ``evaluate``
with weights per output (a dict beside dict targets, a list beside list targets, an
output left unweighted) gives the same loss, per-output losses and weighted metrics, and a
few ``fit`` steps (``shuffle=False``) end at the same weights, in float32. The same for
per-timestep weights ``(N, T)`` of a sequence output. The worst relative differences are
printed at the end of the module.
"""

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

keras = import_peer("keras")

import layerkit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

BOUND = 1e-5  # float32 computations by two libraries, a few steps apart at most
N = 12
WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    lines = [f"Sample weights per output vs Keras: worst relative differences (bound {BOUND})"]
    lines += [f"  {kind:<40}{err:.3e}" for kind, err in sorted(WORST.items())]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # pragma: no cover
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def check(kind, ours, theirs):
    error = rel_err(ours, theirs)
    WORST[kind] = max(WORST.get(kind, 0.0), error)
    assert error <= BOUND, f"{kind}: {error:.3e}\nlayerkit {ours}\nkeras    {theirs}"


def two_heads(lib, structure):
    x = lib.Input((4,), name="x")
    h = lib.layers.Dense(5, activation="tanh", name="h")(x)
    reg = lib.layers.Dense(2, name="reg")(h)
    cls = lib.layers.Dense(3, activation="softmax", name="cls")(h)
    model = lib.Model(x, {"reg": reg, "cls": cls} if structure == "dict" else [reg, cls])
    model.compile(optimizer=lib.optimizers.SGD(0.1),
                  loss={"reg": "mse", "cls": "categorical_crossentropy"},
                  weighted_metrics={"reg": ["mae"], "cls": ["categorical_accuracy"]})
    return model


def sequence_model(lib):
    model = lib.Sequential([lib.Input((3, 4)), lib.layers.Dense(5, activation="tanh", name="h"),
                            lib.layers.Dense(2, name="out")])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", weighted_metrics=["mae"])
    return model


def twins(make):
    ours, theirs = make(layerkit), make(keras)
    for layer in ours.layers:
        if layer.get_weights():
            theirs.get_layer(layer.name).set_weights(layer.get_weights())
    return ours, theirs


def data(structure, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, 4)).astype("float32")
    y = {"reg": rng.normal(size=(N, 2)), "cls": np.eye(3)[rng.integers(0, 3, N)]}
    w = {"reg": rng.uniform(0.1, 2.0, N), "cls": rng.uniform(0.1, 2.0, N)}
    y = {k: v.astype("float32") for k, v in y.items()}
    w = {k: v.astype("float32") for k, v in w.items()}
    if structure == "list":
        return x, [y["reg"], y["cls"]], [w["reg"], w["cls"]]
    return x, y, w


def compare_logs(kind, ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        check(f"{kind}: {key}", np.asarray(ours[key]), np.asarray(theirs[key]))


@pytest.mark.parametrize("structure", ["dict", "list"])
def test_evaluate_with_weights_per_output_equals_keras(structure):
    ours, theirs = twins(lambda lib: two_heads(lib, structure))
    x, y, w = data(structure)
    compare_logs("evaluate", ours.evaluate(x, y, sample_weight=w, batch_size=5, verbose=0,
                                           return_dict=True),
                 theirs.evaluate(x, y, sample_weight=w, batch_size=5, verbose=0, return_dict=True))


def test_an_unweighted_output_in_a_list_equals_keras():
    ours, theirs = twins(lambda lib: two_heads(lib, "list"))
    x, y, w = data("list")
    weights = [w[0], None]
    compare_logs("evaluate, one output unweighted",
                 ours.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True),
                 theirs.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True))


@pytest.mark.parametrize("structure", ["dict", "list"])
def test_fit_with_weights_per_output_trains_as_keras(structure):
    ours, theirs = twins(lambda lib: two_heads(lib, structure))
    x, y, w = data(structure, seed=1)
    kwargs = dict(sample_weight=w, batch_size=4, epochs=2, shuffle=False, verbose=0)
    compare_logs("fit history", ours.fit(x, y, **kwargs).history, theirs.fit(x, y, **kwargs).history)
    for layer in ours.layers:
        for mine, reference in zip(layer.get_weights(), theirs.get_layer(layer.name).get_weights()):
            check("weights after fit", mine, reference)


def test_per_timestep_weights_evaluate_and_train_as_keras():
    ours, theirs = twins(sequence_model)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(N, 3, 4)).astype("float32")
    y = rng.normal(size=(N, 3, 2)).astype("float32")
    w = rng.uniform(0.0, 2.0, (N, 3)).astype("float32")
    compare_logs("per timestep, evaluate",
                 ours.evaluate(x, y, sample_weight=w, batch_size=5, verbose=0, return_dict=True),
                 theirs.evaluate(x, y, sample_weight=w, batch_size=5, verbose=0, return_dict=True))
    kwargs = dict(sample_weight=w, batch_size=4, epochs=2, shuffle=False, verbose=0)
    compare_logs("per timestep, fit history", ours.fit(x, y, **kwargs).history,
                 theirs.fit(x, y, **kwargs).history)
    for layer in ours.layers:
        for mine, reference in zip(layer.get_weights(), theirs.get_layer(layer.name).get_weights()):
            check("per timestep, weights after fit", mine, reference)
