"""The optimizer's state belongs to each weight, not to a position in a list.

Freezing a layer after training, replacing the last layer, or handing one optimizer to
a second model must never give a weight another weight's momentum or Adam moments. Each
test builds the situation, then checks every slot against a reference computed from
scratch: the slots of the weights that kept training equal those of an optimizer that
only ever saw them, and a weight the optimizer never saw starts from zero.
"""

import numpy as np
import pytest

from layerkit import Sequential, layers, models, optimizers


def _data(seed=0, n=32):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return x, x @ rng.normal(size=(4, 2)) + 0.1 * rng.normal(size=(n, 2))


def _model(seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential([layers.Input((4,)), layers.Dense(6, activation="tanh", name="a"),
                        layers.Dense(5, activation="tanh", name="b"), layers.Dense(2, name="c")])
    model.set_weights([rng.normal(size=w.shape) * 0.5 for w in model.get_weights()])
    return model


def _slots(optimizer, weights):
    return [np.array(a, copy=True) for a in optimizer.variables_for(weights)[2:]]


@pytest.mark.parametrize("optimizer", ["sgd_momentum", "adam", "nesterov"])
def test_freezing_a_layer_after_training_keeps_each_weights_own_slots(optimizer):
    make = {"sgd_momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
            "nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
            "adam": lambda: optimizers.Adam(0.01)}[optimizer]
    x, y = _data()
    model = _model()
    model.compile(optimizer=make(), loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    kept = [model.get_layer("b").kernel, model.get_layer("b").bias,
            model.get_layer("c").kernel, model.get_layer("c").bias]
    slots_before = _slots(model.optimizer, kept)
    frozen_slots = _slots(model.optimizer, [model.get_layer("a").kernel, model.get_layer("a").bias])

    model.get_layer("a").trainable = False       # the fine-tuning recipe
    model.compile(optimizer=model.optimizer, loss="mse")
    twin = _model()                              # the same weights, trained by hand below
    twin.set_weights(model.get_weights())
    steps = [(x[k:k + 8], y[k:k + 8]) for k in range(0, 32, 8)]
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)

    # Reference: the kept weights' own slots, continued with the same rule, step by step.
    reference = make()
    twin_kept = [twin.get_layer("b").kernel, twin.get_layer("b").bias,
                 twin.get_layer("c").kernel, twin.get_layer("c").bias]
    reference.load_variables_for([np.asarray(model.optimizer.iterations - len(steps)),
                                  np.asarray(reference.learning_rate), *slots_before], twin_kept)
    twin.get_layer("a").trainable = False
    twin.compile(optimizer=reference, loss="mse")
    for xb, yb in steps:
        twin.train_on_batch(xb, yb)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_slots(model.optimizer, kept), _slots(reference, twin_kept)):
        np.testing.assert_array_equal(a, b)
    # The frozen layer's own state is untouched, kept for when it is unfrozen.
    for a, b in zip(_slots(model.optimizer, [model.get_layer("a").kernel,
                                             model.get_layer("a").bias]), frozen_slots):
        np.testing.assert_array_equal(a, b)


def test_a_new_layer_after_pop_starts_with_fresh_slots():
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizers.SGD(0.05, momentum=0.9), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    old = model.pop()
    assert np.any(model.optimizer.slots(old.kernel)["momentum"])
    new = layers.Dense(2, name="d")
    model.add(new)
    assert not model.optimizer.is_tracking(new.kernel)
    model.compile(optimizer=model.optimizer, loss="mse")
    grads = model.compute_gradients(x[:8], y[:8])
    model.train_on_batch(x[:8], y[:8])
    # From zero momentum the first velocity is -lr * g (not the old layer's velocity).
    np.testing.assert_allclose(model.optimizer.slots(new.kernel)["momentum"], -0.05 * grads[-2],
                               rtol=1e-6)
    np.testing.assert_allclose(model.optimizer.slots(new.bias)["momentum"], -0.05 * grads[-1],
                               rtol=1e-6)


def test_new_layer_first_step_equals_a_fresh_optimizers_first_step():
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.pop()
    head = layers.Dense(2, name="head")
    model.add(head)
    model.compile(optimizer=model.optimizer, loss="mse")
    before = head.kernel.copy()
    grads = model.compute_gradients(x[:8], y[:8])
    model.train_on_batch(x[:8], y[:8])
    # Adam's moments of the new kernel start at zero: m = (1 - b1) g, v = (1 - b2) g².
    slots = model.optimizer.slots(head.kernel)
    np.testing.assert_allclose(slots["momentum"], 0.1 * grads[-2], rtol=1e-6)
    np.testing.assert_allclose(slots["velocity"], 0.001 * grads[-2] ** 2, rtol=1e-5)
    assert not np.array_equal(before, head.kernel)


def test_an_optimizer_of_another_model_is_refused_and_nothing_changes():
    x, y = _data()
    first = _model()
    first.compile(optimizer=optimizers.SGD(0.05, momentum=0.9), loss="mse")
    first.fit(x, y, batch_size=8, epochs=1, verbose=0)
    shared = first.optimizer
    iterations, state = shared.iterations, [np.array(v, copy=True) for v in shared.variables]
    second = _model(seed=1)
    weights = second.get_weights()
    with pytest.raises(ValueError, match="another model's weights"):
        second.compile(optimizer=shared, loss="mse")
    assert not second.compiled
    unbuilt = Sequential([layers.Dense(3), layers.Dense(2)])   # built only when it sees data
    unbuilt.compile(optimizer=shared, loss="mse")
    with pytest.raises(ValueError, match="another model's weights"):
        unbuilt.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="another model's weights"):
        unbuilt.train_on_batch(x[:8], y[:8])
    assert all(shared.variable_path(w) is None for w in unbuilt.weights)  # not even named
    assert shared.iterations == iterations
    for a, b in zip(shared.variables, state):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(second.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_recompiling_the_same_model_with_its_optimizer_is_allowed():
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.compile(optimizer=model.optimizer, loss="mae")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.optimizer.iterations == 8


def test_optimizer_state_follows_the_weights_through_save_and_load(tmp_path):
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.get_layer("a").trainable = False
    model.compile(optimizer=model.optimizer, loss="mse")
    model.save(tmp_path / "m.h5")
    loaded = models.load_model(tmp_path / "m.h5")
    for a, b in zip(_slots(loaded.optimizer, loaded.trainable_weights),
                    _slots(model.optimizer, model.trainable_weights)):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_apply_with_a_weight_never_seen_gives_it_fresh_slots():
    optimizer = optimizers.SGD(0.1, momentum=0.5)
    w1, w2 = np.ones(3), np.ones(2)
    optimizer.apply([np.ones(3)], [w1])
    optimizer.apply([np.ones(3)], [w1])
    optimizer.apply([np.ones(2)], [w2])          # its first step: v = -0.1
    np.testing.assert_array_equal(optimizer.slots(w2)["momentum"], np.full(2, -0.1))
    np.testing.assert_array_equal(optimizer.slots(w1)["momentum"], np.full(3, 0.5 * -0.1 - 0.1))


def test_loading_a_state_that_does_not_fit_changes_nothing():
    optimizer = optimizers.Adam(0.01)
    w = np.ones((2, 2))
    optimizer.apply([np.ones((2, 2))], [w])
    before = [np.array(v, copy=True) for v in optimizer.variables]
    bad_states = [
        [np.asarray(5), np.asarray(0.01), np.zeros((2, 2))],                       # too few
        [np.asarray(5), np.asarray(0.01), np.zeros((2, 3)), np.zeros((2, 2))],     # shape
        [np.asarray(-1), np.asarray(0.01), np.zeros((2, 2)), np.zeros((2, 2))],    # negative step
        [np.asarray(5.5), np.asarray(0.01), np.zeros((2, 2)), np.zeros((2, 2))],   # fractional
        [np.asarray(5), np.asarray(0.01), np.full((2, 2), np.nan), np.zeros((2, 2))],
        [np.asarray(5), np.asarray(0.01), np.zeros((2, 2)) + 1j, np.zeros((2, 2))],
    ]
    for state in bad_states:
        with pytest.raises(ValueError):
            optimizer.load_variables_for(state, [w])
        for a, b in zip(optimizer.variables, before):
            np.testing.assert_array_equal(a, b)
