"""The Keras 3 guide "Making new layers and models via subclassing", run with layerkit.

Each test is a section of the guide with its imports changed (``keras`` -> ``layerkit``,
``keras.ops`` -> ``layerkit.ops``, ``keras.random`` -> ``layerkit.random``) and its
``print`` checks turned into assertions; ``y.numpy()`` of a backend tensor reads
``ops.convert_to_numpy(y)`` (layerkit's outputs are NumPy arrays, as with Keras's NumPy
back end).
"""

import numpy as np
import pytest

import layerkit as keras
from layerkit import layers, ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


def test_a_linear_layer_with_add_weight_and_call():
    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    np.testing.assert_allclose(y, x @ linear_layer.w + linear_layer.b)


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_a_layer_with_a_non_trainable_weight():
    x = ops.ones((2, 2))
    my_sum = ComputeSum(2)
    y = my_sum(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(y), [2.0, 2.0])
    y = my_sum(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(y), [4.0, 4.0])
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


class LazyLinear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = LazyLinear(32)
        self.linear_2 = LazyLinear(32)
        self.linear_3 = LazyLinear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


def test_layers_are_recursively_composable():
    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6
    assert len(mlp.trainable_weights) == 6


def test_deferred_weights_and_the_config_round_trip():
    layer = LazyLinear(64)
    config = layer.get_config()
    new_layer = LazyLinear.from_config(config)
    assert new_layer.units == 64 and new_layer.get_config() == config
    layer(np.ones((2, 3)))
    assert layer.w.shape == (3, 64)


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


def test_add_loss_and_layer_losses():
    layer = OuterLayer()
    assert len(layer.losses) == 0
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

    def call(self, inputs):
        return self.dense(inputs)


def test_layer_losses_hold_the_inner_layers_regularization():
    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))
    np.testing.assert_allclose(layer.losses, [1e-3 * np.sum(layer.dense.kernel ** 2)], rtol=1e-6)


def test_add_loss_works_with_fit_with_and_without_a_compiled_loss():
    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.compile(optimizer="adam")
    model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


def test_a_layer_with_a_training_flag():
    layer = CustomDropout(0.5)
    x = np.ones((200, 50), dtype="float32")
    np.testing.assert_array_equal(layer(x), x)
    dropped = layer(x, training=True)
    assert set(np.unique(dropped)) == {0.0, 2.0}
    model = keras.Sequential([keras.Input((50,)), keras.layers.Dense(8), CustomDropout(0.5),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones(200), epochs=2, verbose=0)      # training=True reaches the layer
    np.testing.assert_array_equal(model.predict(x[:3], verbose=0),
                                  model.predict(x[:3], verbose=0))


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    prototypes = rng.random((10, 64)) > 0.5
    return (prototypes[rng.integers(0, 10, 512)] ^ (rng.random((512, 64)) < 0.05)).astype("float32")


def test_the_variational_autoencoder_trains_with_fit(digits):
    vae = VariationalAutoEncoder(64, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(digits, digits, epochs=8, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses
    assert len(vae.trainable_weights) == 10       # five Dense layers, kernel and bias each
    assert len(vae.layers) == 2 and vae.layers[0] is vae.encoder


def test_the_variational_autoencoder_trains_batch_by_batch(digits):
    """The guide's loop over batches, with ``train_on_batch`` for its tape and optimizer step."""
    vae = VariationalAutoEncoder(64, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    mse_loss_fn = keras.losses.MeanSquaredError()
    loss_metric = keras.metrics.Mean()
    vae.compile(optimizer, loss=mse_loss_fn)
    first = None
    for _epoch in range(3):
        for start in range(0, 512, 64):
            x_batch = digits[start:start + 64]
            loss = vae.train_on_batch(x_batch, x_batch)
            loss_metric(loss)
            first = loss if first is None else first
    assert loss_metric.result() < first


class MyModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = keras.layers.Dense(16, activation="relu")
        self.d2 = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.d2(self.d1(inputs))


def test_a_subclassed_model_holding_dense_layers_trains_saves_and_summarises(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    model = MyModel()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=60, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.75
    assert model.evaluate(x, y, verbose=0)[1] > 0.75
    model.save_weights(tmp_path / "m.weights.h5")
    again = MyModel()
    again.build((None, 4))
    again.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    model.summary()
    table = capsys.readouterr().out
    assert f"{model.d1.name} (Dense)" in table and f"{model.d2.name} (Dense)" in table
    assert "Total params: 131" in table            # 4*16 + 16 + 16*3 + 3
    assert [layer.name for layer in model.layers] == [model.d1.name, model.d2.name]


def my_loss(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1) + 0.01 * ops.mean(ops.abs(y_pred), axis=-1)


def test_a_custom_loss_function_written_with_ops_trains():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(256, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=my_loss)
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


def test_a_loss_subclass_and_a_metric_subclass_from_the_training_guide():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4)).astype("float32")
    labels = (x[:, 0] > 0).astype(int)
    onehot = np.eye(2, dtype="float32")[labels]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=CustomMSE(),
                  metrics=[CategoricalTruePositives()])
    history = model.fit(x, onehot, batch_size=50, epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["categorical_true_positives"][-1] > 0
    metric = CategoricalTruePositives()
    metric.update_state(labels[:, None], onehot)
    assert float(metric.result()) == 200
    metric.reset_state()
    assert float(metric.result()) == 0


def test_a_lambda_layer():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              keras.layers.Lambda(lambda t: ops.square(t) + 1.0),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(4).normal(size=(64, 3))
    history = model.fit(x, np.ones(64), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.layers[1].output_shape == (None, 4)


def test_a_subclassed_model_trains_exactly_as_the_same_sequential(float64):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(64, 4)), rng.integers(0, 3, 64)
    subclassed = MyModel()
    subclassed.build((None, 4))
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                                   keras.layers.Dense(3, activation="softmax")])
    sequential.set_weights(subclassed.get_weights())
    for model in (subclassed, sequential):
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                      loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(subclassed.get_weights(), sequential.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
