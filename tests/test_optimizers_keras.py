"""Parity with Keras 3's optimizers: the same steps, the same state in the same order, the same files.

* **Ten steps, float64.** For every optimizer, and for the base arguments that change
  the update (EMA with overwriting, gradient accumulation, clipping, weight decay,
  schedules), layerkit and Keras (torch back end, ``floatx="float64"``, float64
  variables) take the same ten steps from the same random weights and gradients.
  After each step the weights agree to ``1e-12`` relative; after the tenth,
  ``variables_for(weights)`` equals Keras's ``optimizer.variables`` in count, order,
  shape and value. Exception, with its reason: Keras's torch ``ops.maximum`` and
  ``ops.minimum`` return float32 for float64 tensors (``dtypes.result_type`` does not
  recognise torch dtypes and falls back to float32), and Adafactor, the clipping
  formulas and Muon's ``sqrt(maximum(rows, cols))`` use them; those cases are held to
  ``1e-6``.
* **Files.** A layerkit ``.weights.h5`` of a trained model carries its optimizer state
  into Keras (for every optimizer) and back; a Keras Adam-trained model's state loads
  into layerkit and back, and one more step from it agrees with Keras's. Keras writes
  Adafactor's 0-d placeholders (the ``r`` and ``c`` of 1-D weights) as int32: the
  reader takes those as the placeholders they are.

The module is optional: it is skipped when PyTorch or Keras is not installed.
"""

import numpy as np
import pytest
from peers import import_peer

keras = import_peer("keras")
torch = import_peer("torch")

from parity import rel_err  # noqa: E402

from layerkit import Sequential, optimizers  # noqa: E402
from layerkit.layers import Dense, Input  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STEPS = 10
EXACT, KERAS_FLOAT32_MINMAX = 1e-12, 1e-6
WORST = {}

# (name, shape, path): the paths let Muon's exclude_layers and var_names match in both
VARIABLES = [("hidden_kernel", (5, 3), "hidden/kernel"), ("hidden_bias", (3,), "hidden/bias"),
             ("output_kernel", (3, 2), "output/kernel"), ("output_bias", (2,), "output/bias")]

# id: (class name, arguments, tolerance)
CASES = {
    "sgd": ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, EXACT),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}, EXACT),
    "adam": ("Adam", {"learning_rate": 0.02, "amsgrad": True}, EXACT),
    "adamw": ("AdamW", {"learning_rate": 0.02, "weight_decay": 0.1}, EXACT),
    "adadelta": ("Adadelta", {"learning_rate": 1.0, "rho": 0.9}, EXACT),
    "adagrad": ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.2}, EXACT),
    "adamax": ("Adamax", {"learning_rate": 0.02}, EXACT),
    "nadam": ("Nadam", {"learning_rate": 0.02}, EXACT),
    "lion": ("Lion", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "weight_decay": 0.1}, EXACT),
    "ftrl": ("Ftrl", {"learning_rate": 0.2, "learning_rate_power": -0.7, "initial_accumulator_value": 0.3,
                      "l1_regularization_strength": 0.02, "l2_regularization_strength": 0.05,
                      "l2_shrinkage_regularization_strength": 0.01, "beta": 0.3}, EXACT),
    "adafactor": ("Adafactor", {"learning_rate": 0.5}, KERAS_FLOAT32_MINMAX),
    "adafactor-absolute": ("Adafactor", {"learning_rate": 0.01, "relative_step": False,
                                         "clip_threshold": 0.5, "beta_2_decay": -0.6},
                           KERAS_FLOAT32_MINMAX),
    "muon": ("Muon", {"learning_rate": 0.02, "exclude_layers": ["output"]}, KERAS_FLOAT32_MINMAX),
    "ema": ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8,
                     "ema_overwrite_frequency": 3}, EXACT),
    "accumulation": ("Nadam", {"learning_rate": 0.05, "gradient_accumulation_steps": 3,
                               "use_ema": True}, EXACT),
    "accumulation-clipnorm": ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.05,
                                      "gradient_accumulation_steps": 2, "clipnorm": 1.0},
                              KERAS_FLOAT32_MINMAX),
    "global-clipnorm": ("Adamax", {"learning_rate": 0.05, "global_clipnorm": 1.0}, KERAS_FLOAT32_MINMAX),
    "clipvalue": ("Lion", {"learning_rate": 0.05, "clipvalue": 0.5}, EXACT),
    "schedule": ("Adam", {"learning_rate": ("ExponentialDecay", 0.05, 2, 0.5)}, EXACT),
}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not WORST:  # pragma: no cover
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        reporter.write_line("Keras optimizer parity (float64): worst relative errors measured")
        for kind, err in WORST.items():
            reporter.write_line(f"  {kind:<28}{err:.3e}")


@pytest.fixture
def keras_float64():
    keras.backend.set_floatx("float64")
    yield
    keras.backend.set_floatx("float32")


def _arguments(module, arguments):
    arguments = dict(arguments)
    if isinstance(arguments.get("learning_rate"), tuple):
        name, *args = arguments["learning_rate"]
        arguments["learning_rate"] = getattr(module.schedules, name)(*args)
    return arguments


def _check(kind, actual, expected, tolerance, what):
    err = rel_err(actual, expected)
    WORST[kind] = max(WORST.get(kind, 0.0), err)
    assert err <= tolerance, f"{what}: relative error {err:.3e} > {tolerance:.0e}"


@pytest.mark.parametrize("case", list(CASES))
def test_ten_steps_and_the_state_agree_with_keras(case, keras_float64):
    name, arguments, tolerance = CASES[case]
    rng = np.random.default_rng(sum(map(ord, case)))
    weights = [rng.normal(size=shape) for _, shape, _ in VARIABLES]
    theirs_weights = [keras.Variable(w.copy(), dtype="float64", name=n)
                      for w, (n, _, _) in zip(weights, VARIABLES)]
    ours = getattr(optimizers, name)(**_arguments(optimizers, arguments))
    ours.set_variable_paths(weights, [path for _, _, path in VARIABLES])
    theirs = getattr(keras.optimizers, name)(**_arguments(keras.optimizers, arguments))
    for step in range(STEPS):
        grads = [10.0 ** rng.uniform(-1, 1) * rng.normal(size=w.shape) for w in weights]
        ours.apply(grads, weights)
        theirs.apply([torch.tensor(g) for g in grads], theirs_weights)
        for index, (w, v) in enumerate(zip(weights, theirs_weights)):
            _check(case, w, keras.ops.convert_to_numpy(v), tolerance, f"step {step + 1}, weight {index}")
    state, reference = ours.variables_for(weights), theirs.variables
    assert len(state) == len(reference)
    assert [np.shape(s) for s in state] == [tuple(v.shape) for v in reference]
    assert int(state[0]) == int(keras.ops.convert_to_numpy(reference[0]))
    for index, (s, v) in enumerate(zip(state[1:], reference[1:]), start=1):
        expected = keras.ops.convert_to_numpy(v).astype("float64")
        if np.any(expected) or np.any(s):
            _check(f"{case} state", np.asarray(s, "float64"), expected, tolerance, f"state {index}")
    assert ours.iterations == int(keras.ops.convert_to_numpy(theirs.iterations))


# ============================================================== weights files with optimizer state

FILE_CASES = {
    "sgd": ("SGD", {"momentum": 0.9}), "rmsprop": ("RMSprop", {"momentum": 0.5, "centered": True}),
    "adam": ("Adam", {"amsgrad": True}), "adamw": ("AdamW", {}), "adadelta": ("Adadelta", {}),
    "adagrad": ("Adagrad", {}), "adamax": ("Adamax", {}), "adafactor": ("Adafactor", {}),
    "nadam": ("Nadam", {}), "ftrl": ("Ftrl", {}), "lion": ("Lion", {}), "muon": ("Muon", {}),
    "ema-accumulation": ("Adam", {"use_ema": True, "gradient_accumulation_steps": 2}),
}


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def _ours(optimizer):
    model = Sequential([Input((4,)), Dense(7, activation="tanh"), Dense(3, use_bias=False), Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _theirs(optimizer):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(7, activation="tanh"),
                              keras.layers.Dense(3, use_bias=False), keras.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def _assert_same_state(ours, theirs, rtol=1e-7):
    """Keras holds float32 (its learning rate too): the state agrees to float32 rounding."""
    state, reference = ours.optimizer.variables_for(ours.trainable_weights), theirs.optimizer.variables
    assert len(state) == len(reference)
    for s, v in zip(state, reference):
        expected = keras.ops.convert_to_numpy(v)
        assert np.shape(s) == expected.shape
        np.testing.assert_allclose(np.asarray(s, "float64"), expected.astype("float64"), rtol=rtol,
                                   atol=rtol * 1e-3)


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_a_layerkit_weights_file_carries_the_state_into_keras_and_back(tmp_path, case):
    name, arguments = FILE_CASES[case]
    x, y = _data()
    ours = _ours(getattr(optimizers, name)(**arguments))
    ours.fit(x, y, epochs=1, batch_size=8, verbose=0)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs = _theirs(getattr(keras.optimizers, name)(**arguments))
    theirs.load_weights(str(tmp_path / "ours.weights.h5"))
    _assert_same_state(ours, theirs)
    theirs.save_weights(str(tmp_path / "theirs.weights.h5"))
    back = _ours(getattr(optimizers, name)(**arguments))
    back.load_weights(tmp_path / "theirs.weights.h5")
    _assert_same_state(back, theirs)


def test_a_keras_adam_state_loads_into_layerkit_and_back_and_trains_alike(tmp_path):
    x, y = _data()
    theirs = _theirs(keras.optimizers.Adam(0.01))
    theirs.fit(x, y, epochs=2, batch_size=8, verbose=0)
    theirs.save_weights(str(tmp_path / "keras.weights.h5"))
    ours = _ours(optimizers.Adam(0.01))
    ours.load_weights(tmp_path / "keras.weights.h5")
    _assert_same_state(ours, theirs)
    assert ours.optimizer.iterations == 8
    ours.save_weights(tmp_path / "layerkit.weights.h5")
    again = _theirs(keras.optimizers.Adam(0.01))
    again.load_weights(str(tmp_path / "layerkit.weights.h5"))
    _assert_same_state(ours, again)
    # one more step from the loaded state: the same update in both (float32 tolerances)
    ours.train_on_batch(x[:8], y[:8])
    again.train_on_batch(x[:8], y[:8])
    for a, b in zip(ours.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    _assert_same_state(ours, again, rtol=1e-5)
