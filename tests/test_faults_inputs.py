"""Bad values that used to get through, and Keras's forms that used to be refused.

Each refused call leaves the weights, the optimizer's state and the user's arrays as
they were; each accepted Keras form gives the same result as its plain equivalent.
"""

import threading

import numpy as np
import pytest

from layerkit import Sequential, callbacks, layers, optimizers


def _model():
    model = Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(np.ones((4, 3)), np.array([0, 1, 0, 1]), verbose=0)
    return model


def _state(model):
    return [w.copy() for w in model.get_weights()] + [
        np.array(v, copy=True) for v in model.optimizer.variables_for(model.trainable_weights)]


def _refused(model, call, error, match):
    before = _state(model)
    with pytest.raises(error, match=match):
        call()
    for a, b in zip(_state(model), before):
        assert a.tobytes() == b.tobytes()


def _data(n=8):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)), (rng.random(n) > 0.5).astype(float)


@pytest.mark.parametrize("value", [1e39, -3.5e38, 1e300])
def test_values_too_large_for_float32_are_refused_naming_the_array(value):
    model = _model()
    x, y = _data()
    x[2, 1] = value
    original = x.copy()
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.predict(x, verbose=0),
                 lambda: model.evaluate(x, y, verbose=0), lambda: model.train_on_batch(x, y)):
        _refused(model, call, ValueError, r"`x` of \w+\(\) holds .* too large for the model's "
                                          r"dtype float32")
    np.testing.assert_array_equal(x, original)


def test_targets_too_large_for_float32_are_refused():
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, _ = _data()
    y = np.zeros(8)
    y[3] = 1e39
    with pytest.raises(ValueError, match=r"`y` of fit\(\) holds .* too large"):
        model.fit(x, y, verbose=0)


def test_float64_models_take_float64_values_that_float32_cannot():
    model = Sequential([layers.Input((3,)), layers.Dense(1, dtype="float64", use_bias=False,
                                                         kernel_initializer="zeros")])
    x = np.full((2, 3), 1e39)
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.zeros((2, 1)))


@pytest.mark.parametrize("class_weight, match", [
    ({0: 1.0, 1: -2.0}, "finite, non-negative"),
    ({0: 1.0, 1: float("nan")}, "finite, non-negative"),
    ({0: 1.0, 1: float("inf")}, "finite, non-negative"),
    ({0: 1.0, 1: "heavy"}, "finite, non-negative"),
    ({0: 1.0, 1: True}, "finite, non-negative"),
    ({0: 1.0, 1: 1.0, 2: 3.0}, "key 2, which is not a class"),
    ({"cat": 1.0, 1: 1.0}, "key 'cat', which is not a class"),
    ({-1: 1.0, 1: 1.0}, "key -1, which is not a class"),
    ([1.0, 2.0], "must be a dict"),
])
def test_class_weight_is_validated_like_sample_weight(class_weight, match):
    model = _model()
    x, y = _data()
    _refused(model, lambda: model.fit(x, y, class_weight=class_weight, verbose=0), (ValueError,
             TypeError), match)


def test_class_weight_for_softmax_classes():
    model = Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, _ = _data()
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, verbose=0)
    with pytest.raises(ValueError, match="key 3, which is not a class"):
        model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5, 3: 1.0}, verbose=0)


class EndlessSequence:
    """``__getitem__`` never raises IndexError: NumPy would iterate forever."""

    def __getitem__(self, index):
        return [1.0, 2.0, 3.0]


@pytest.mark.parametrize("thing", [EndlessSequence(), object(), {1, 2, 3}, "text",
                                   (i for i in range(3))], ids=["endless", "object", "set",
                                                                "string", "generator"])
def test_objects_numpy_cannot_read_are_refused_at_once(thing):
    model = _model()
    outcome = []

    def call():
        try:
            model.predict(thing, verbose=0)
        except (TypeError, ValueError) as error:
            outcome.append(error)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "predict kept reading an endless object"
    assert outcome and "`x` of predict()" in str(outcome[0])


def test_a_single_callback_not_in_a_list():
    model = _model()
    x, y = _data()
    history = callbacks.History()
    model.fit(x, y, epochs=2, callbacks=history, verbose=0)
    assert history.epoch == [0, 1]


def test_a_one_element_list_holding_the_one_input_array():
    model = _model()
    x, y = _data()
    np.testing.assert_array_equal(model.predict([x], verbose=0), model.predict(x, verbose=0))
    assert model.evaluate([x], y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_sample_weight_of_shape_n_by_1_equals_n():
    x, y = _data()
    weights = np.linspace(0.5, 2.0, 8)
    first, second = _model(), _model()
    for model in (first, second):
        model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy")
    second.set_weights(first.get_weights())
    first.fit(x, y, sample_weight=weights, shuffle=False, verbose=0)
    second.fit(x, y, sample_weight=weights[:, None], shuffle=False, verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"shape \(N,\) or \(N, 1\)"):
        first.fit(x, y, sample_weight=np.ones((8, 2)), verbose=0)


class Scale(layers.Layer):
    cache_names = ("X",)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def forward(self, x, training=False):
        self.X = x
        return x * self.scale

    def backward(self, grad_output, input_gradient=True):
        self.grads["scale"] = (grad_output * self.X).sum(axis=0)
        return grad_output * self.scale


@pytest.mark.parametrize("make", [lambda: layers.Dense(2), lambda: Scale()], ids=["dense", "custom"])
def test_a_layer_built_by_hand_keeps_the_weights_set_after(make):
    layer = make()
    layer.build((None, 2))
    assert layer.built
    values = [np.full(w.shape, 0.5, dtype=w.dtype) for w in layer.weights]
    layer.set_weights(values)
    layer(np.ones((3, 2)))
    assert len(layer.weights) == len(values)
    for w, v in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(w, v)
    layer.build((None, 2))             # a second build changes nothing
    assert len(layer.weights) == len(values)


def test_integer_inputs_refuse_what_they_would_truncate_and_targets_stay_float():
    from layerkit import Input, Model
    index = Input((2,), dtype="int32")
    features = Input((3,))
    embedded = layers.Flatten()(layers.Embedding(10, 4)(index))
    model = Model([index, features], layers.Dense(1)(layers.Concatenate()([embedded, features])))
    model.compile(optimizer="sgd", loss="mse")
    x_index, x_features = np.array([[1, 2], [3, 4]]), np.ones((2, 3))
    y = np.array([0.25, 0.75])
    model.fit([x_index, x_features], y, verbose=0)       # float targets are not cast to int
    assert model.evaluate([x_index, x_features], y, verbose=0) > 0
    for bad in (np.array([[1.5, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 2.0**40]]),
                np.array([[1.0, np.nan], [3.0, 4.0]])):
        with pytest.raises(ValueError, match="whole number"):
            model.predict([bad, x_features], verbose=0)
    sequential = Sequential([layers.Input((2,), dtype="int32"), layers.Embedding(10, 4),
                             layers.Flatten(), layers.Dense(1)])
    with pytest.raises(ValueError, match="whole number"):
        sequential.predict(np.array([[0.5, 1.0]]), verbose=0)
    assert sequential.predict(x_index, verbose=0).shape == (2, 1)


def _count_undo_copies(monkeypatch):
    """A list that gains an entry each time a step keeps a copy to undo itself."""
    from layerkit.models import training_state

    copies = []
    save = training_state.TrainingState._save
    monkeypatch.setattr(training_state.TrainingState, "_save",
                        lambda self, state: (copies.append(1), save(self, state))[1])
    return copies


def test_an_ordinary_step_takes_no_undo_copy_and_an_overflow_prone_one_does(monkeypatch):
    copies = _count_undo_copies(monkeypatch)
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert copies == []                        # the safe path: gradients and steps are moderate
    model.optimizer.learning_rate = 1e30       # a step that could overflow float32
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert copies, "an overflow-prone step must keep a copy to undo it"


def _update_cannot_overflow(optimizer, rate, dtype, peak):
    """The rule of the module's docstring, written out: a built-in optimizer moves a weight
    by at most 10⁴ · |rate| · max(|g|, 1)."""
    from layerkit.models.training_state import SAFE_GRADIENT, SAFE_STEP

    if dtype not in SAFE_GRADIENT or getattr(optimizer, "momentum", 0.0) >= 1:
        return False
    decay = optimizer.weight_decay or 0.0
    return bool(peak <= SAFE_GRADIENT[dtype] and np.isfinite(rate)
                and abs(rate) * max(peak, 1.0) * 1e4 <= SAFE_STEP[dtype]
                and abs(rate * decay) <= 1)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_safe_gradient_bound_is_the_overflow_rule(dtype):
    from layerkit.models.training_state import safe_gradient

    dtype = np.dtype(dtype)
    rates = [0.0, 1e-3, -0.5, 1.0, 1e10, 1e16, 1e17, 1e146, 1e247, 1e300, np.inf, np.nan]
    peaks = [0.0, 0.5, 1.0, 2.0, 1e6, 1e12, 1e13, 1e150, 1e151, np.inf, np.nan]
    for optimizer in (optimizers.SGD(), optimizers.SGD(momentum=0.9), optimizers.SGD(momentum=1.0),
                      optimizers.AdamW(weight_decay=0.5), optimizers.AdamW(weight_decay=1e3)):
        for rate in rates:
            bound = safe_gradient(optimizer, rate, dtype)
            for peak in peaks:
                assert (peak <= bound) == _update_cannot_overflow(optimizer, rate, dtype, peak), (
                    type(optimizer).__name__, optimizer.get_config(), rate, peak)


def test_a_custom_optimizer_always_takes_the_exact_path():
    from layerkit.models.training_state import safe_gradient

    class Mine(optimizers.SGD):
        pass

    assert safe_gradient(Mine(), 0.01, np.dtype("float64")) == -np.inf


def test_a_momentum_of_one_set_between_fits_takes_the_exact_path(monkeypatch):
    copies = _count_undo_copies(monkeypatch)
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert copies == []
    model.optimizer.momentum = 1.0             # same learning rate: the bound must be found again
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert copies, "an undamped momentum can overflow: its steps must keep a copy to undo them"
