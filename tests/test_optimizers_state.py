"""Every optimizer's state: saved, loaded and resumed exactly, per weight, refused whole when bad.

For each optimizer (and the base arguments that add state: EMA averages, gradient
accumulators):

* ``model.save`` after one epoch, ``load_model``, one more epoch is bit-identical to
  two epochs straight (weights and the whole optimizer state);
* ``save_weights``/``load_weights`` carries the state into a fresh compiled model;
* a weight the optimizer never saw starts from fresh slots, frozen weights keep theirs;
* ``load_variables_for`` with a wrong count, shape, dtype or a non-finite value raises
  and changes nothing.

Keras's layout of the same state is compared with Keras itself in
``test_optimizers_keras.py``.
"""

import math

import numpy as np
import pytest

from layerkit import Sequential, backend, models, optimizers
from layerkit.layers import Dense, Input

FACTORIES = {
    "sgd": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adam": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.1),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adamax": lambda: optimizers.Adamax(0.01),
    "adafactor": lambda: optimizers.Adafactor(0.05),
    "nadam": lambda: optimizers.Nadam(0.01),
    "ftrl": lambda: optimizers.Ftrl(0.1, l1_regularization_strength=0.001,
                                    l2_regularization_strength=0.01, beta=0.1),
    "lion": lambda: optimizers.Lion(0.001, weight_decay=0.1),
    "muon": lambda: optimizers.Muon(0.01),
    "adam-ema": lambda: optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=4),
    "sgd-accumulation": lambda: optimizers.SGD(0.05, momentum=0.9, gradient_accumulation_steps=3,
                                               clipnorm=1.0),
    "nadam-schedule": lambda: optimizers.Nadam(optimizers.schedules.ExponentialDecay(0.01, 3, 0.9),
                                               gradient_accumulation_steps=2, use_ema=True),
}


def bits(arrays):
    return [(np.asarray(a).dtype.str, np.shape(a), np.ascontiguousarray(a).tobytes()) for a in arrays]


def data(n=37, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, np.stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2]], axis=1).astype("float32")


def fresh_model(make_optimizer, seed=5):
    backend.set_random_seed(seed)
    backend.clear_session()
    model = Sequential([Input((4,)), Dense(7, activation="tanh"), Dense(3, use_bias=False),
                        Dense(2)])
    model.compile(optimizer=make_optimizer(), loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("name", list(FACTORIES))
def test_save_load_model_then_one_more_epoch_equals_two_epochs_straight(tmp_path, name):
    x, y = data()
    straight = fresh_model(FACTORIES[name])
    # Two calls of fit, as the resumed run makes: with use_ema each fit ends by putting the
    # moving averages in the weights (Keras's finalize_variable_values).
    history = straight.fit(x, y, batch_size=8, epochs=1, verbose=0)
    history.history["loss"] += straight.fit(x, y, batch_size=8, epochs=2, initial_epoch=1,
                                            verbose=0).history["loss"]

    first = fresh_model(FACTORIES[name])
    first.fit(x, y, batch_size=8, epochs=1, verbose=0)
    first.save(tmp_path / "half.h5")
    saved_state = bits(first.optimizer.variables_for(first.trainable_weights))
    del first
    backend.set_random_seed(999)                      # the session's state must not matter
    resumed = models.load_model(tmp_path / "half.h5")
    assert type(resumed.optimizer) is type(straight.optimizer)
    assert bits(resumed.optimizer.variables_for(resumed.trainable_weights)) == saved_state
    second = resumed.fit(x, y, batch_size=8, epochs=2, initial_epoch=1, verbose=0)

    assert bits(resumed.get_weights()) == bits(straight.get_weights())
    assert bits(resumed.optimizer.variables_for(resumed.trainable_weights)) == bits(
        straight.optimizer.variables_for(straight.trainable_weights))
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    assert second.history["loss"] == history.history["loss"][1:]


@pytest.mark.parametrize("name", list(FACTORIES))
def test_save_weights_carries_the_state(tmp_path, name):
    x, y = data()
    trained = fresh_model(FACTORIES[name])
    trained.fit(x, y, batch_size=8, epochs=1, verbose=0)
    trained.save_weights(tmp_path / "w.weights.h5")
    other = fresh_model(FACTORIES[name], seed=11)
    other.load_weights(tmp_path / "w.weights.h5")
    assert bits(other.optimizer.variables_for(other.trainable_weights)) == bits(
        trained.optimizer.variables_for(trained.trainable_weights))
    control = fresh_model(FACTORIES[name], seed=11)       # the same weights, a fresh optimizer
    control.set_weights(trained.get_weights())
    for model in (trained, other, control):
        model.fit(x, y, batch_size=8, epochs=2, initial_epoch=1, verbose=0, shuffle=False)
    assert bits(other.get_weights()) == bits(trained.get_weights())
    assert bits(control.get_weights()) != bits(trained.get_weights())     # the state mattered


@pytest.mark.parametrize("name", ["adam-ema", "sgd-accumulation", "nadam-schedule"])
def test_train_on_batch_resumes_mid_accumulation(tmp_path, name):
    x, y = data(n=16)
    straight, first = fresh_model(FACTORIES[name]), fresh_model(FACTORIES[name])
    for model, steps in ((straight, range(7)), (first, range(4))):
        for step in steps:
            model.train_on_batch(x[2 * step:2 * step + 2], y[2 * step:2 * step + 2])
    first.save_weights(tmp_path / "w.weights.h5")
    resumed = fresh_model(FACTORIES[name], seed=3)
    resumed.load_weights(tmp_path / "w.weights.h5")
    for step in range(4, 7):
        resumed.train_on_batch(x[2 * step:2 * step + 2], y[2 * step:2 * step + 2])
    assert bits(resumed.get_weights()) == bits(straight.get_weights())
    assert bits(resumed.optimizer.variables) == bits(straight.optimizer.variables)


# ============================================================== per-weight state


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(2, 4))]


def _grads(weights, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=w.shape) for w in weights]


def _slots(optimizer, weights):
    return optimizer.variables_for(weights)[2:]


@pytest.mark.parametrize("name", list(FACTORIES))
def test_a_weight_never_seen_starts_fresh(name):
    weights = _weights()
    optimizer = FACTORIES[name]()
    for seed in range(3):
        optimizer.apply(_grads(weights[:2], seed), weights[:2])
    newcomer = weights[2]
    assert not optimizer.is_tracking(newcomer)
    reference = FACTORIES[name]()
    expected = [s for s in _slots(reference, [newcomer]) if s.ndim]        # fresh per-weight slots
    got = [s for s in _slots(optimizer, [newcomer]) if s.ndim]
    assert bits(got) == bits(expected) and expected
    state = [np.array(s, copy=True) for s in _slots(optimizer, weights[:2])]
    optimizer.apply(_grads(weights, 9), weights)                           # and trains from there
    assert any(not np.array_equal(a, b) for a, b in zip(state, _slots(optimizer, weights[:2])))


@pytest.mark.parametrize("name", list(FACTORIES))
def test_frozen_weights_keep_their_slots(name):
    weights = _weights()
    optimizer = FACTORIES[name]()
    for seed in range(3):
        optimizer.apply(_grads(weights, seed), weights)
    frozen = weights[1]
    frozen_before, slots_before = frozen.copy(), bits(optimizer.slots(frozen).values())
    for seed in range(3, 6):
        optimizer.apply(_grads([weights[0], weights[2]], seed), [weights[0], weights[2]])
    assert bits([frozen]) == bits([frozen_before])
    assert bits(optimizer.slots(frozen).values()) == slots_before


def _corrupt(values, how):
    values = [np.array(v, copy=True) for v in values]
    k = next(i for i, v in enumerate(values) if i >= 2 and v.ndim)     # the first slot array
    if how == "count":
        return values[:-1]
    if how == "shape":
        values[k] = np.zeros(values[k].shape + (1,), values[k].dtype)
    elif how == "dtype":
        values[k] = values[k].astype(np.int64)
    elif how == "nan":
        values[k].flat[0] = np.nan
    elif how == "inf":
        values[-1] = np.full(values[-1].shape, np.inf, values[-1].dtype)
    elif how == "too large":
        values[k] = np.full(values[k].shape, 1e300)
    elif how == "negative step":
        values[0] = np.asarray(-1, dtype=np.int64)
    elif how == "float step":
        values[0] = np.asarray(3.0)
    return values


@pytest.mark.parametrize("how", ["count", "shape", "dtype", "nan", "inf", "too large", "negative step",
                                 "float step"])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_a_bad_state_is_refused_and_changes_nothing(name, how):
    weights = [w.astype("float32") for w in _weights()]
    optimizer = FACTORIES[name]()
    for seed in range(4):
        optimizer.apply([g.astype("float32") for g in _grads(weights, seed)], weights)
    good = [np.array(v, copy=True) for v in optimizer.variables_for(weights)]
    with pytest.raises(ValueError, match="Optimizer"):
        optimizer.load_variables_for(_corrupt(good, how), weights)
    assert bits(optimizer.variables_for(weights)) == bits(good)
    assert optimizer.learning_rate == FACTORIES[name]().learning_rate or callable(optimizer.learning_rate)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_load_variables_for_restores_exactly(name):
    weights = _weights()
    optimizer = FACTORIES[name]()
    for seed in range(5):
        optimizer.apply(_grads(weights, seed), weights)
    saved_state = [np.array(v, copy=True) for v in optimizer.variables_for(weights)]
    copies = [w.copy() for w in weights]
    optimizer.apply(_grads(weights, 5), weights)
    twin = FACTORIES[name]()
    twin.load_variables_for(saved_state, copies)
    twin.apply(_grads(weights, 5), copies)
    assert bits(copies) == bits(weights)
    assert bits(twin.variables_for(copies)) == bits(optimizer.variables_for(weights))
    assert math.isclose(twin.current_learning_rate(), optimizer.current_learning_rate())


def test_fit_with_use_ema_ends_with_the_moving_averages_as_weights():
    x, y = data()
    model = fresh_model(lambda: optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    averages = [model.optimizer.slots(w)["average"] for w in model.trainable_weights]
    for weight, average in zip(model.trainable_weights, averages):
        np.testing.assert_array_equal(weight, average)
