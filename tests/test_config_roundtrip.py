"""Every layer, loss, optimizer, initializer, metric and callback has get_config()/from_config().

Each test rebuilds an object with ``cls.from_config(obj.get_config())`` (and with its
module's ``serialize``/``deserialize`` where there is one), then checks that the
config is unchanged and, where it applies, that the copy behaves the same: same
outputs for the same weights and inputs, same optimizer steps, same metric values.
"""

import copy
import functools
import json

import numpy as np
import pytest

import layerkit
from layerkit import (
    activations,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    registry,
)
from layerkit.layers import Layer
from layerkit.saving import register_keras_serializable

# ============================================================== custom, registered objects


@register_keras_serializable(package="cfg_roundtrip")
def cube(x):
    return x ** 3


def _cube_backward(grad_output, x, y):
    return grad_output * 3 * x ** 2


cube.backward = _cube_backward


def unregistered_square(x):
    return x * x


unregistered_square.backward = lambda grad_output, x, y: grad_output * 2 * x


@register_keras_serializable(package="cfg_roundtrip")
class ScaleLayer(Layer):
    """A custom layer with a constructor argument and one trainable scalar."""

    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.add_weight(shape=(), initializer=initializers.Constant(self.initial), name="alpha")

    def forward(self, x, training=False):
        self.X = x
        return self.alpha * x

    def backward(self, grad_output):
        self.grads["alpha"] = np.sum(grad_output * self.X)
        return grad_output * self.alpha

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


class UnregisteredLayer(Layer):
    def forward(self, x, training=False):
        return x

    def backward(self, grad_output):
        return grad_output


@register_keras_serializable(package="cfg_roundtrip")
def abs_error(y_true, y_pred, power=1.0):
    return np.mean(np.abs(y_pred - y_true) ** power, axis=-1)


def _abs_error_backward(y_true, y_pred, power=1.0):
    diff = y_pred - y_true
    return power * np.abs(diff) ** (power - 1) * np.sign(diff) / y_pred.shape[-1]


abs_error.backward = _abs_error_backward


@register_keras_serializable(package="cfg_roundtrip")
class InverseTimeSchedule:
    """A learning-rate schedule with a config, as Keras's LearningRateSchedule."""

    def __init__(self, initial=0.1, decay=1.0):
        self.initial, self.decay = initial, decay

    def __call__(self, step):
        return self.initial / (1 + self.decay * step)

    def get_config(self):
        return {"initial": self.initial, "decay": self.decay}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_json_able(config):
    """A config is plain data: it survives a JSON round trip unchanged."""
    assert json.loads(json.dumps(config)) == _listify(config)


def _listify(value):
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    return value


# ============================================================== activations


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu",
                                  "selu", "softplus", "silu", "exponential", "softmax",
                                  "log_softmax"])
def test_builtin_activation_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(activations.serialize(fn)) is fn


@pytest.mark.parametrize("partial", [
    functools.partial(activations.relu, negative_slope=0.1, max_value=6.0, threshold=0.5),
    functools.partial(activations.relu, max_value=1.0),
    functools.partial(activations.leaky_relu, negative_slope=0.3),
    functools.partial(activations.elu, alpha=0.5),
    functools.partial(activations.softmax, axis=0),
], ids=lambda p: p.func.__name__ + str(sorted(p.keywords.items())))
def test_partial_activation_serialize_round_trip(partial):
    config = activations.serialize(partial)
    assert config == {"class_name": partial.func.__name__, "config": dict(partial.keywords)}
    assert_json_able(config)
    restored = activations.deserialize(config)
    assert isinstance(restored, functools.partial)
    assert restored.func is partial.func
    assert restored.keywords == partial.keywords
    x = np.array([[-2.0, -0.2, 0.7, 1.4], [3.0, 7.5, -0.6, 0.1]])
    np.testing.assert_array_equal(restored(x), partial(x))
    upstream = np.linspace(-1, 1, 8).reshape(2, 4)
    np.testing.assert_array_equal(
        activations.backward_of(restored)(upstream, x, restored(x)),
        activations.backward_of(partial)(upstream, x, partial(x)))
    assert activations.serialize(restored) == config


def test_partial_activation_in_dense_round_trip():
    act = functools.partial(activations.relu, negative_slope=0.2, max_value=2.0)
    dense = layers.Dense(3, activation=act, kernel_initializer=initializers.GlorotUniform(seed=1))
    config = dense.get_config()
    restored = layers.Dense.from_config(config)
    assert restored.get_config() == config
    x = np.linspace(-3, 3, 8).reshape(2, 4)
    np.testing.assert_array_equal(dense(x), restored(x))


def test_registered_custom_activation_round_trip():
    assert activations.serialize(cube) == "cfg_roundtrip>cube"
    assert activations.deserialize("cfg_roundtrip>cube") is cube
    dense = layers.Dense(2, activation=cube, kernel_initializer=initializers.Ones())
    config = dense.get_config()
    assert config["activation"] == "cfg_roundtrip>cube"
    restored = layers.Dense.from_config(config)
    assert restored.activation is cube
    x = np.array([[0.5, -1.0]])
    np.testing.assert_array_equal(restored(x), dense(x))
    restored.backward(np.ones((1, 2), dtype=np.float32))  # the backward was found too
    partial = functools.partial(cube)
    assert activations.serialize(partial) == {"class_name": "cfg_roundtrip>cube", "config": {}}
    assert activations.deserialize(activations.serialize(partial)).func is cube


def test_unregistered_activation_is_a_clear_error():
    dense = layers.Dense(2, activation=unregistered_square)
    config = dense.get_config()
    with pytest.raises(ValueError, match="unregistered_square"):
        layers.Dense.from_config(config)
    with pytest.raises(ValueError, match="no_such_activation"):
        activations.deserialize("no_such_activation")
    with registry.custom_object_scope({"unregistered_square": unregistered_square}):
        assert layers.Dense.from_config(config).activation is unregistered_square


# ============================================================== initializers

INITIALIZERS = [
    initializers.Zeros(),
    initializers.Ones(),
    initializers.Constant(0.7),
    initializers.RandomNormal(mean=1.0, stddev=0.3, seed=5),
    initializers.RandomUniform(minval=-0.2, maxval=0.4, seed=6),
    initializers.TruncatedNormal(mean=0.1, stddev=0.2, seed=7),
    initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=8),
    initializers.VarianceScaling(scale=0.5, mode="fan_avg", distribution="untruncated_normal",
                                 seed=9),
    initializers.GlorotUniform(seed=1),
    initializers.GlorotNormal(seed=2),
    initializers.HeNormal(seed=3),
    initializers.HeUniform(seed=4),
    initializers.LecunNormal(seed=5),
    initializers.LecunUniform(seed=6),
]


@pytest.mark.parametrize("init", INITIALIZERS, ids=lambda i: type(i).__name__)
def test_initializer_round_trip(init):
    cls = type(init)
    config = init.get_config()
    assert_json_able(config)
    restored = cls.from_config(config)
    assert type(restored) is cls
    assert restored.get_config() == config
    np.testing.assert_array_equal(restored((6, 4)), init((6, 4)))

    serialized = initializers.serialize(init)
    assert serialized == {"class_name": cls.__name__, "config": config}
    again = initializers.deserialize(serialized)
    assert type(again) is cls and again.get_config() == config
    np.testing.assert_array_equal(again((6, 4)), init((6, 4)))
    assert type(initializers.get(serialized)) is cls


def test_initializer_configs_hold_their_arguments():
    assert initializers.Constant(0.7).get_config() == {"value": 0.7}
    assert initializers.RandomNormal(1.0, 0.3, seed=5).get_config() == {
        "mean": 1.0, "stddev": 0.3, "seed": 5}
    assert initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=8).get_config() == {
        "scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 8}
    assert initializers.HeNormal(seed=3).get_config() == {"seed": 3}


# ============================================================== layers


def _same_forward(layer, restored, x):
    out = layer(x)
    restored(x)
    restored.set_weights(layer.get_weights())
    np.testing.assert_array_equal(restored(x), out)


def test_dense_non_default_round_trip():
    dense = layers.Dense(3, activation="tanh", use_bias=False,
                         kernel_initializer=initializers.HeNormal(seed=3), name="d3")
    config = dense.get_config()
    assert config["units"] == 3 and config["activation"] == "tanh"
    assert config["use_bias"] is False and config["name"] == "d3"
    assert config["kernel_initializer"] == {"class_name": "HeNormal", "config": {"seed": 3}}
    assert_json_able(config)
    restored = layers.Dense.from_config(config)
    assert restored.get_config() == config
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    out = dense(x)
    # a seeded initializer gives the copy the very same kernel, without set_weights
    np.testing.assert_array_equal(restored(x), out)
    assert len(restored.weights) == 1

    via_module = layers.deserialize(layers.serialize(dense))
    assert type(via_module) is layers.Dense and via_module.get_config() == config


@pytest.mark.parametrize("make,x_shape", [
    (lambda: layers.Dense(4), (3, 2)),
    (lambda: layers.Dense(2, activation="softmax", bias_initializer=initializers.Constant(0.5),
                          dtype="float64", trainable=False), (3, 5)),
    (lambda: layers.Dense(3, activation="relu", input_shape=(6,)), (2, 6)),
    (lambda: layers.Dense(2, activation=functools.partial(activations.elu, alpha=0.3)), (2, 4)),
    (lambda: layers.Activation("sigmoid"), (2, 3)),
    (lambda: layers.Activation("softmax", name="probs"), (2, 3)),
    (lambda: layers.Activation(functools.partial(activations.leaky_relu, negative_slope=0.3)),
     (2, 3)),
    (lambda: layers.Flatten(), (2, 3, 4)),
    (lambda: layers.Flatten(data_format="channels_last"), (2, 3, 4)),
], ids=["dense", "dense_softmax_f64", "dense_input_shape", "dense_partial", "act_sigmoid",
        "act_softmax", "act_partial", "flatten", "flatten_cl"])
def test_layer_round_trip(make, x_shape):
    layer = make()
    cls = type(layer)
    config = layer.get_config()
    assert_json_able(config)
    restored = cls.from_config(copy.deepcopy(config))
    assert type(restored) is cls
    assert restored.get_config() == config
    via_module = layers.deserialize(layers.serialize(layer))
    assert type(via_module) is cls and via_module.get_config() == config
    x = np.random.default_rng(1).normal(size=x_shape)
    _same_forward(layer, restored, x)
    assert restored.trainable == layer.trainable and restored.dtype == layer.dtype


def test_input_layer_round_trip():
    layer = layers.InputLayer(shape=(3, 4), name="inp")
    config = layer.get_config()
    restored = layers.InputLayer.from_config(config)
    assert restored.get_config() == config
    assert restored.batch_shape == (None, 3, 4) and restored.name == "inp"
    via_module = layers.deserialize(layers.serialize(layer))
    assert via_module.batch_shape == (None, 3, 4)


def test_registered_custom_layer_round_trip():
    layer = ScaleLayer(initial=2.5, name="scale_it")
    serialized = layers.serialize(layer)
    assert serialized["class_name"] == "cfg_roundtrip>ScaleLayer"
    restored = layers.deserialize(serialized)
    assert type(restored) is ScaleLayer
    assert restored.get_config() == layer.get_config()
    x = np.array([[1.0, -2.0]])
    np.testing.assert_array_equal(restored(x), layer(x))
    np.testing.assert_array_equal(restored(x), 2.5 * x)


def test_unregistered_layer_class_is_a_clear_error():
    with pytest.raises(ValueError, match="NoSuchLayer"):
        layers.deserialize({"class_name": "NoSuchLayer", "config": {}})
    serialized = layers.serialize(UnregisteredLayer())
    with pytest.raises(ValueError, match="UnregisteredLayer"):
        layers.deserialize(serialized)
    restored = layers.deserialize(serialized, custom_objects={"UnregisteredLayer":
                                                              UnregisteredLayer})
    assert type(restored) is UnregisteredLayer


# ============================================================== Sequential


def _model():
    return layerkit.Sequential([
        layers.Input((4,)),
        layers.Dense(8, activation="relu", kernel_initializer=initializers.HeUniform(seed=1)),
        layers.Dense(5, activation=functools.partial(activations.leaky_relu, negative_slope=0.1),
                     use_bias=False),
        ScaleLayer(initial=0.5),
        layers.Dense(3),
        layers.Activation("softmax"),
    ], name="roundtrip_model")


def _architecture(model):
    return [(type(layer).__name__, layer.name, layer.output_shape,
             [w.shape for w in layer.weights]) for layer in model.layers]


def test_sequential_round_trip_same_architecture_and_predictions():
    model = _model()
    config = model.get_config()
    assert_json_able(config)
    restored = layerkit.Sequential.from_config(copy.deepcopy(config))
    assert type(restored) is layerkit.Sequential
    assert restored.name == "roundtrip_model"
    assert restored.get_config() == config
    assert restored.built
    assert _architecture(restored) == _architecture(model)
    assert restored.count_params() == model.count_params()
    restored.set_weights(model.get_weights())
    x = np.random.default_rng(2).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))

    via_module = layers.deserialize(layers.serialize(model))
    assert type(via_module) is layerkit.Sequential
    assert via_module.get_config() == config


def test_sequential_round_trip_keras2_input_shape_and_unbuilt():
    model = layerkit.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    restored = layerkit.Sequential.from_config(model.get_config())
    assert restored.get_config() == model.get_config()
    assert _architecture(restored) == _architecture(model)

    unbuilt = layerkit.Sequential([layers.Dense(3), layers.Dense(1)])
    restored = layerkit.Sequential.from_config(unbuilt.get_config())
    assert restored.get_config() == unbuilt.get_config()
    assert [layer.name for layer in restored.layers] == [layer.name for layer in unbuilt.layers]
    x = np.ones((2, 5), dtype=np.float32)
    unbuilt.build((None, 5))
    restored.build((None, 5))
    restored.set_weights(unbuilt.get_weights())
    np.testing.assert_array_equal(restored.predict(x, verbose=0), unbuilt.predict(x, verbose=0))


def test_nested_sequential_round_trip():
    inner = layerkit.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(2)],
                                name="inner")
    model = layerkit.Sequential([layers.Input((3,)), inner, layers.Activation("sigmoid")])
    config = model.get_config()
    restored = layerkit.Sequential.from_config(copy.deepcopy(config))
    assert restored.get_config() == config
    restored.set_weights(model.get_weights())
    x = np.random.default_rng(3).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_sequential_with_unregistered_layer_is_a_clear_error():
    model = layerkit.Sequential([layers.Input((2,)), UnregisteredLayer(), layers.Dense(1)])
    config = model.get_config()
    with pytest.raises(ValueError, match="UnregisteredLayer"):
        layerkit.Sequential.from_config(config)
    restored = layerkit.Sequential.from_config(
        config, custom_objects={"UnregisteredLayer": UnregisteredLayer})
    assert type(restored.layers[0]) is UnregisteredLayer


# ============================================================== losses

LOSSES = [
    losses.MeanSquaredError(),
    losses.MeanSquaredError(reduction="sum", name="sq"),
    losses.MeanAbsoluteError(reduction="mean_with_sample_weight"),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.BinaryCrossentropy(reduction="sum", dtype="float64"),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2, name="cce"),
    losses.CategoricalCrossentropy(),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
    losses.SparseCategoricalCrossentropy(reduction="none"),
    losses.LossFunctionWrapper(abs_error, power=2.0, reduction="sum"),
]


def _loss_inputs(loss):
    rng = np.random.default_rng(4)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return np.array([0, 2, 1, -1 if loss.ignore_class == -1 else 1]), \
            rng.uniform(0.1, 1.0, size=(4, 3))
    if isinstance(loss, losses.CategoricalCrossentropy):
        return np.eye(3)[[0, 2, 1, 1]], rng.uniform(0.1, 1.0, size=(4, 3))
    if isinstance(loss, losses.BinaryCrossentropy):
        return rng.integers(0, 2, size=(4, 3)).astype(float), rng.uniform(0.1, 0.9, size=(4, 3))
    return rng.normal(size=(4, 3)), rng.normal(size=(4, 3))


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: f"{type(loss).__name__}-{loss.name}")
def test_loss_round_trip(loss):
    cls = type(loss)
    config = loss.get_config()
    assert_json_able(config)
    restored = cls.from_config(copy.deepcopy(config))
    assert type(restored) is cls
    assert restored.get_config() == config
    via_module = losses.deserialize(losses.serialize(loss))
    assert type(via_module) is cls and via_module.get_config() == config
    y_true, y_pred = _loss_inputs(loss)
    weight = np.array([1.0, 0.5, 2.0, 1.0])
    for other in (restored, via_module):
        np.testing.assert_array_equal(other(y_true, y_pred, sample_weight=weight),
                                      loss(y_true, y_pred, sample_weight=weight))
        np.testing.assert_array_equal(other.gradient(y_true, y_pred, sample_weight=weight),
                                      loss.gradient(y_true, y_pred, sample_weight=weight))


def test_loss_configs_hold_non_default_arguments():
    config = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).get_config()
    assert config["from_logits"] is True and config["label_smoothing"] == 0.1
    config = losses.SparseCategoricalCrossentropy(ignore_class=255).get_config()
    assert config["ignore_class"] == 255
    config = losses.MeanSquaredError(reduction="sum", name="sq").get_config()
    assert config["reduction"] == "sum" and config["name"] == "sq"


def test_loss_function_wrapper_of_builtin_function_round_trip():
    # Keras serializes the wrapped function by name; a built-in loss function needs no
    # registration to be found again.
    loss = losses.LossFunctionWrapper(losses.mean_squared_error)
    config = loss.get_config()
    restored = losses.LossFunctionWrapper.from_config(copy.deepcopy(config))
    assert restored.get_config() == config
    y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[2.0, 1.0]])
    assert float(restored(y_true, y_pred)) == float(loss(y_true, y_pred)) == 2.0


def test_unregistered_loss_is_a_clear_error():
    with pytest.raises(ValueError, match="NoSuchLoss"):
        losses.deserialize({"class_name": "NoSuchLoss", "config": {}})

    def my_loss(y_true, y_pred):
        return np.mean(y_pred - y_true, axis=-1)

    config = losses.LossFunctionWrapper(my_loss).get_config()
    with pytest.raises(ValueError, match="my_loss"):
        losses.LossFunctionWrapper.from_config(config)


# ============================================================== optimizers

OPTIMIZERS = [
    optimizers.SGD(),
    optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    optimizers.SGD(learning_rate=0.2, weight_decay=0.01, clipnorm=1.0, name="sgd_wd"),
    optimizers.SGD(learning_rate=0.3, clipvalue=0.25),
    optimizers.Adam(),
    optimizers.Adam(amsgrad=True),
    optimizers.Adam(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4, amsgrad=True,
                    global_clipnorm=0.5, weight_decay=0.001),
]


def _optimizer_trajectory(optimizer, steps=3):
    rng = np.random.default_rng(5)
    weights = [np.array([1.0, -2.0, 0.5]), np.array([[0.3, 0.1], [-0.4, 2.0]])]
    for _ in range(steps):
        grads = [rng.normal(size=w.shape) for w in weights]
        optimizer.apply(grads, weights)
    return weights


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: f"{type(o).__name__}-{o.name}")
def test_optimizer_round_trip(optimizer):
    cls = type(optimizer)
    config = optimizer.get_config()
    assert_json_able(config)
    restored = cls.from_config(copy.deepcopy(config))
    assert type(restored) is cls
    assert restored.get_config() == config
    via_module = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(via_module) is cls and via_module.get_config() == config
    expected = _optimizer_trajectory(optimizer)
    for other in (restored, via_module):
        for got, want in zip(_optimizer_trajectory(other), expected):
            np.testing.assert_array_equal(got, want)
        assert other.iterations == optimizer.iterations == 3


def test_optimizer_configs_hold_non_default_arguments():
    config = optimizers.SGD(momentum=0.9, nesterov=True).get_config()
    assert config["momentum"] == 0.9 and config["nesterov"] is True
    config = optimizers.Adam(amsgrad=True, beta_1=0.8).get_config()
    assert config["amsgrad"] is True and config["beta_1"] == 0.8
    config = optimizers.SGD(clipvalue=0.5, learning_rate=0.3).get_config()
    assert config["clipvalue"] == 0.5 and config["learning_rate"] == 0.3


def test_optimizer_with_schedule_round_trip():
    # Keras: a LearningRateSchedule in the config is serialized as a dict and
    # deserialized again by Optimizer.from_config.
    optimizer = optimizers.SGD(learning_rate=InverseTimeSchedule(0.2, 0.5), momentum=0.5)
    config = optimizer.get_config()
    assert isinstance(config["learning_rate"], dict)
    assert_json_able(config)
    restored = optimizers.SGD.from_config(copy.deepcopy(config))
    assert isinstance(restored.learning_rate, InverseTimeSchedule)
    assert restored.get_config() == config
    expected = _optimizer_trajectory(optimizer)
    for got, want in zip(_optimizer_trajectory(restored), expected):
        np.testing.assert_array_equal(got, want)


def test_unknown_optimizer_is_a_clear_error():
    with pytest.raises(ValueError, match="NoSuchOptimizer"):
        optimizers.deserialize({"class_name": "NoSuchOptimizer", "config": {}})


# ============================================================== metrics

METRICS = [
    metrics.Mean(name="running"),
    metrics.BinaryAccuracy(),
    metrics.BinaryAccuracy(threshold=0.3, name="acc_03"),
    metrics.CategoricalAccuracy(),
    metrics.SparseCategoricalAccuracy(name="sparse_acc", dtype="float64"),
    metrics.MeanAbsoluteError(),
    metrics.MeanSquaredError(name="mse"),
    metrics.BinaryCrossentropy(),
    metrics.CategoricalCrossentropy(),
    metrics.SparseCategoricalCrossentropy(),
]


def _update(metric):
    rng = np.random.default_rng(6)
    for n in (3, 5):
        probs = rng.uniform(0.05, 1.0, size=(n, 3))
        probs /= probs.sum(-1, keepdims=True)
        labels = rng.integers(0, 3, size=n)
        if isinstance(metric, metrics.Mean) and type(metric) is metrics.Mean:
            metric.update_state(rng.normal(size=n))
        elif isinstance(metric, (metrics.BinaryAccuracy, metrics.BinaryCrossentropy)):
            metric.update_state(rng.integers(0, 2, size=(n, 1)), rng.uniform(0.05, 0.95,
                                                                           size=(n, 1)))
        elif isinstance(metric, (metrics.CategoricalAccuracy, metrics.CategoricalCrossentropy)):
            metric.update_state(np.eye(3)[labels], probs)
        elif isinstance(metric, (metrics.SparseCategoricalAccuracy,
                                 metrics.SparseCategoricalCrossentropy)):
            metric.update_state(labels, probs)
        else:
            metric.update_state(rng.normal(size=(n, 2)), rng.normal(size=(n, 2)))
    return float(metric.result())


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: f"{type(m).__name__}-{m.name}")
def test_metric_round_trip(metric):
    cls = type(metric)
    config = metric.get_config()
    assert_json_able(config)
    restored = cls.from_config(copy.deepcopy(config))
    assert type(restored) is cls
    assert restored.get_config() == config
    assert restored.name == metric.name
    via_module = metrics.deserialize(metrics.serialize(metric))
    assert type(via_module) is cls and via_module.get_config() == config
    assert type(metrics.get(metrics.serialize(metric))) is cls
    expected = _update(metric)
    assert _update(restored) == expected
    assert _update(via_module) == expected


def test_metric_configs_hold_non_default_arguments():
    config = metrics.BinaryAccuracy(threshold=0.3, name="acc_03").get_config()
    assert config["threshold"] == 0.3 and config["name"] == "acc_03"
    restored = metrics.BinaryAccuracy.from_config(config)
    restored.update_state(np.array([[1], [0]]), np.array([[0.35], [0.25]]))
    assert float(restored.result()) == 1.0      # 0.35 > 0.3, 0.25 <= 0.3


def test_accuracy_resolved_by_shape_round_trips():
    metric = metrics.get("accuracy", (8,), (8, 3))
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is metrics.SparseCategoricalAccuracy
    assert restored.name == "accuracy"


def test_mean_metric_wrapper_of_registered_function_round_trip():
    # Keras's MeanMetricWrapper puts its function in the config ("fn").
    metric = metrics.MeanMetricWrapper(abs_error, name="abs_err", power=2.0)
    config = metric.get_config()
    restored = metrics.MeanMetricWrapper.from_config(copy.deepcopy(config))
    assert restored.get_config() == config
    y, p = np.array([[0.0, 1.0]]), np.array([[2.0, 1.0]])
    metric.update_state(y, p)
    restored.update_state(y, p)
    assert float(restored.result()) == float(metric.result()) == 2.0


def test_unknown_metric_is_a_clear_error():
    with pytest.raises(ValueError, match="NoSuchMetric"):
        metrics.deserialize({"class_name": "NoSuchMetric", "config": {}})


# ============================================================== callbacks


class _StubModel:
    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.step = 0

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def _run_early_stopping(callback, values):
    model = _StubModel()
    callback.set_model(model)
    callback.on_train_begin()
    stopped_at = None
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, {"loss": value, "val_loss": value})
        if model.stop_training:
            stopped_at = epoch
            break
    callback.on_train_end()
    return stopped_at, float(model.weights[0][0])


EARLY_STOPPING = [
    callbacks.EarlyStopping(),
    callbacks.EarlyStopping(patience=3),
    callbacks.EarlyStopping(monitor="loss", min_delta=0.05, patience=2, verbose=0, mode="min",
                            baseline=1.0, restore_best_weights=True, start_from_epoch=1),
    callbacks.EarlyStopping(monitor="val_loss", patience=1, mode="max"),
]


@pytest.mark.parametrize("callback", EARLY_STOPPING,
                         ids=["default", "patience3", "all_options", "max"])
def test_early_stopping_round_trip(callback):
    config = callback.get_config()
    assert_json_able(config)
    restored = callbacks.EarlyStopping.from_config(copy.deepcopy(config))
    assert type(restored) is callbacks.EarlyStopping
    assert restored.get_config() == config
    values = [0.9, 0.8, 0.79, 0.78, 0.85, 0.9, 0.95, 1.0, 1.2, 1.3]
    assert _run_early_stopping(restored, values) == _run_early_stopping(callback, values)


def test_early_stopping_config_holds_arguments():
    config = callbacks.EarlyStopping(patience=3).get_config()
    assert config["patience"] == 3 and config["monitor"] == "val_loss"
    config = callbacks.EarlyStopping(monitor="accuracy", mode="max", baseline=0.5,
                                     restore_best_weights=True, start_from_epoch=4).get_config()
    assert (config["monitor"], config["mode"], config["baseline"],
            config["restore_best_weights"], config["start_from_epoch"]) == (
        "accuracy", "max", 0.5, True, 4)
    stopped, _ = _run_early_stopping(callbacks.EarlyStopping(monitor="loss", patience=3),
                                     [1.0, 1.0, 1.0, 1.0, 1.0])
    assert stopped == 3


OTHER_CALLBACKS = [
    callbacks.TerminateOnNaN(raise_error=True),
    callbacks.CallbackList([callbacks.EarlyStopping(monitor="loss", patience=2),
                            callbacks.TerminateOnNaN(raise_error=True)],
                           add_history=True, verbose=2, epochs=7),
]


@pytest.mark.parametrize("callback", OTHER_CALLBACKS, ids=lambda c: type(c).__name__)
def test_other_callbacks_round_trip_with_non_default_arguments(callback):
    config = callback.get_config()
    assert_json_able(config)
    restored = type(callback).from_config(copy.deepcopy(config))
    assert type(restored) is type(callback)
    assert restored.get_config() == config
    assert config != type(callback)().get_config()   # the arguments really were kept


def test_terminate_on_nan_round_trip_behaviour():
    callback = callbacks.TerminateOnNaN.from_config(callbacks.TerminateOnNaN().get_config())
    model = _StubModel()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    callback.on_train_batch_end(1, {"loss": float("nan")})
    assert model.stop_training
