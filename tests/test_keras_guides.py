"""Keras's own guides and examples for dense networks (keras-io), run with layerkit.

Each test is a section of a guide, its code as the guide writes it with the imports
changed (``import keras`` -> ``import layerkit as keras``, ``from keras import layers, ops``
-> ``from layerkit import ...``) and its printed results turned into assertions. The
guides and what else had to change (the data only, marked ``# data:`` where it is):

1. "Training & evaluation with the built-in methods" (fchollet, Keras 3 version of
   2023/06/25): RMSprop, custom losses, a custom metric, ``add_loss``, validation,
   PyDataset, class and sample weights, callbacks, checkpoints, a learning-rate schedule.
2. "Writing your own callbacks" (Keras 3 version): every hook, early stopping at the
   minimum loss, a learning-rate scheduler. The guide's ``np.Inf`` became ``np.inf``:
   NumPy 2 removed ``np.Inf`` (Keras cannot run it as written either).
3. "Imbalanced classification: credit card fraud detection" (structured data): Dense and
   Dropout, class weights, confusion-matrix metrics, a checkpoint per epoch.
4. "Regression Model on Boston Housing Dataset" (structured data): ``input_shape``,
   validation split, early stopping, matplotlib plots (the unused ``pandas`` import is
   dropped: pandas is not installed).
5. "Transfer learning & fine-tuning", the ``trainable`` API: Dense and BatchNormalization
   weights, freezing layers and nested models.
6. "The Functional API", its dense sections: the MNIST model, save and load, ensembling.

Data: MNIST is not here. :func:`mnist_stand_in` gives images of MNIST's shape (28x28
uint8, values 0..255) made from ``layerkit.datasets.digits`` (the 8x8 digits scaled up
3x and padded): 1,437 training and 360 test images instead of 60,000 and 10,000, so
the lines that size the data (``reshape(60000, 784)``, the 10,000 held out) use the
stand-in's sizes. The credit-card data is not here: the breast-cancer data (30 features
too, malignant as the positive, minority class) stands in. Boston housing is
``layerkit.datasets.boston_housing`` (the guide's ``path="boston_housing.npz"`` names
Keras's cache file, which layerkit does not use).

Sections left out, and why: the convolutional models (no Conv2D in layerkit), tf.data
and torch DataLoader inputs, TensorBoard (no TensorBoard callback), ``LogisticEndpoint``
(a layer called on two tensors, ``layer(targets, logits)``: layerkit's layers take one
input or a list), and feature extraction through ``layer.output`` (not in layerkit).
The callbacks guide's first section (``CustomCallback``) is an expected failure: its hooks
call ``logs.keys()`` and layerkit passes ``logs=None`` to several hooks where Keras passes
a dict (a fix outside these files).

The guides' top-level definitions stay at this module's top level:
test_keras_guides_keras.py runs this same source with Keras's imports and compares.
"""

# ruff: noqa: UP032 (the guides' code is kept as they write it, str.format included)
import os
import re

import numpy as np
import pytest

import layerkit  # the data stand-ins only; the guides' own imports follow

# isort: off
import layerkit as keras  # the guides: import keras
from layerkit import layers  # from keras import layers
from layerkit import ops  # from keras import ops
# isort: on

pytestmark = pytest.mark.filterwarnings("ignore:.*input_shape.*:UserWarning")


def mnist_stand_in():
    """``((x_train, y_train), (x_test, y_test))`` shaped as MNIST's, from the 8x8 digits."""
    (x_train, y_train), (x_test, y_test) = layerkit.datasets.digits.load_data()

    def to_mnist(images):
        big = np.kron(images.astype(np.uint16) * 255 // 16, np.ones((1, 3, 3), dtype=np.uint16))
        return np.pad(big, ((0, 0), (2, 2), (2, 2))).astype(np.uint8)

    return (to_mnist(x_train), y_train), (to_mnist(x_test), y_test)


# ============================================================== 1. training & evaluation
@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), (x_test, y_test) = mnist_stand_in()
    # Preprocess the data (these are NumPy arrays)
    x_train = x_train.reshape(-1, 784).astype("float32") / 255  # data: 60000 -> -1
    x_test = x_test.reshape(-1, 784).astype("float32") / 255  # data: 10000 -> -1
    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")
    # Reserve 240 samples for validation (data: 10,000 of 60,000 in the guide)
    x_val = x_train[-240:]
    y_val = y_train[-240:]
    x_train = x_train[:-240]
    y_train = y_train[:-240]
    return x_train, y_train, x_val, y_val, x_test, y_test


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


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
        self.true_positives = self.add_variable(
            shape=(), name="ctp", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
        return batch_x, batch_y


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


def test_end_to_end_workflow(mnist):
    x_train, y_train, x_val, y_val, x_test, y_test = mnist
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    print("Fit model on training data")
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        # We pass some validation for
        # monitoring validation loss and metrics
        # at the end of each epoch
        validation_data=(x_val, y_val),
    )
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]
    assert history.history["loss"][1] < history.history["loss"][0]
    # Evaluate the model on the test data using `evaluate`
    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128)
    print("test loss, test acc:", results)
    assert len(results) == 2 and results[1] > 0.8
    # Generate predictions (probabilities -- the output of the last layer)
    # on new data using `predict`
    print("Generate predictions for 3 samples")
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def test_compile_with_objects_or_string_identifiers(mnist):
    x_train, y_train = mnist[:2]
    histories = []
    for compile_with in ("objects", "strings"):
        keras.utils.set_random_seed(4)
        model = get_uncompiled_model()
        if compile_with == "objects":
            model.compile(
                optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(),
                metrics=[keras.metrics.SparseCategoricalAccuracy()],
            )
        else:
            model.compile(
                optimizer="rmsprop",
                loss="sparse_categorical_crossentropy",
                metrics=["sparse_categorical_accuracy"],
            )
        histories.append(model.fit(x_train, y_train, batch_size=64, epochs=1).history)
    assert histories[0] == histories[1]


@pytest.mark.parametrize("loss", ["function", "subclass"])
def test_custom_losses(mnist, loss):
    x_train, y_train = mnist[:2]
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=custom_mean_squared_error if loss == "function" else CustomMSE())

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)
    assert np.isfinite(history.history["loss"][0])
    p = model.predict(x_train, verbose=0)
    expected = ((y_train_one_hot - p) ** 2).mean(axis=-1)
    if loss == "subclass":
        expected = expected + 0.1 * ((0.5 - p) ** 2).mean(axis=-1)
    np.testing.assert_allclose(model.evaluate(x_train, y_train_one_hot, verbose=0),
                               expected.mean(), rtol=1e-5)


def test_custom_metric(mnist):
    x_train, y_train = mnist[:2]
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=3)
    assert len(history.history["categorical_true_positives"]) == 3
    # evaluate: the metric's own arithmetic, batch by batch (y_true (b,) against (b, 1))
    _, counted = model.evaluate(x_train, y_train, batch_size=64, verbose=0)
    labels = model.predict(x_train, verbose=0).argmax(axis=1)
    expected = sum(float((y_train[i:i + 64].astype("int32") == labels[i:i + 64, None]).sum())
                   for i in range(0, len(y_train), 64))
    assert counted == expected


def test_add_loss_in_a_layer(mnist):
    x_train, y_train = mnist[:2]
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    # The displayed loss will be much higher than before
    # due to the regularization component.
    model.fit(x_train, y_train, batch_size=64, epochs=1)
    batch, labels = x_train[:64], y_train[:64].astype(int)
    kernel, bias = model.get_layer("dense_1").get_weights()
    activity = np.maximum(batch @ kernel + bias, 0)
    logits = model.predict(batch, verbose=0).astype(np.float64)
    log_softmax = logits - logits.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    cross_entropy = -log_softmax[np.arange(64), labels].mean()
    np.testing.assert_allclose(model.evaluate(batch, y_train[:64], batch_size=64, verbose=0),
                               cross_entropy + 0.1 * activity.sum(), rtol=1e-5)


def test_validation_split_holds_out_the_last_samples(mnist):
    x_train, y_train = mnist[:2]
    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1)
    held_out = len(x_train) - int(len(x_train) * 0.8)
    logs = model.evaluate(x_train[-held_out:], y_train[-held_out:], verbose=0, return_dict=True)
    np.testing.assert_allclose(history.history["val_loss"][0], logs["loss"], rtol=1e-6)


@pytest.mark.parametrize("workers", [1, 4])
def test_py_dataset(mnist, workers):
    x_train, y_train, x_val, y_val = mnist[:4]
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=workers)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=workers)
    model = get_compiled_model()
    history = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    assert "val_loss" in history.history
    np.testing.assert_allclose(model.evaluate(val_py_dataset),
                               model.evaluate(x_val, y_val, batch_size=32), rtol=1e-6)


def test_class_weight_and_its_sample_weight_train_alike(mnist):
    x_train, y_train = mnist[:2]
    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # Set weight "2" for class "5",
        # making this class 2x more important
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }
    keras.utils.set_random_seed(5)
    print("Fit with class weight")
    model = get_compiled_model()
    by_class = model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)

    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    keras.utils.set_random_seed(5)
    print("Fit with sample weight")
    other = get_compiled_model()
    by_sample = other.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1)
    assert by_class.history == by_sample.history
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights()))


def test_early_stopping_and_a_loss_history_callback(mnist):
    x_train, y_train = mnist[:2]
    model = get_compiled_model()
    history_callback = LossHistory()
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=1,
        ),
        history_callback,
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    val = history.history["val_loss"]
    epochs = len(val)
    if epochs < 20:   # stopped: the last two epochs improved on the best before by < 1e-2
        assert min(val[-2:]) > min(val[:-2]) - 1e-2
    batches = int(np.ceil(int(len(x_train) * 0.8) / 64))
    assert len(history_callback.per_batch_losses) == epochs * batches


def test_model_checkpoint_keeps_the_best(mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x_train, y_train = mnist[:2]
    model = get_compiled_model()

    callbacks = [
        keras.callbacks.ModelCheckpoint(
            # Path where to save the model
            # The two parameters below mean that we will overwrite
            # the current checkpoint if and only if
            # the `val_loss` score has improved.
            # The saved model name will include the current epoch.
            filepath="mymodel_{epoch}.keras",
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=1,
        )
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    val = history.history["val_loss"]
    expected = ["mymodel_1.keras"] + (["mymodel_2.keras"] if val[1] < val[0] else [])
    assert sorted(os.listdir(".")) == expected
    best = keras.models.load_model(expected[-1])
    np.testing.assert_array_equal(best.predict(x_train[:5]), model.predict(x_train[:5]))


def test_make_or_restore_model(mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x_train, y_train = mnist[:2]
    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = "./ckpt"
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one
        # if there is no checkpoint available.
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            print("Restoring from", latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        print("Creating a new model")
        return get_compiled_model()

    model = make_or_restore_model()
    callbacks = [
        # This callback saves the model every 100 batches.
        # We include the training loss in the saved model name.
        keras.callbacks.ModelCheckpoint(
            filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=100
        )
    ]
    model.fit(x_train, y_train, epochs=3, callbacks=callbacks)  # data: 3 epochs reach 100 batches
    saved = os.listdir(checkpoint_dir)
    assert saved and all(re.fullmatch(r"model-loss=\d+\.\d\d\.keras", name) for name in saved)
    restored = make_or_restore_model()
    assert restored.compiled and type(restored.optimizer).__name__ == "RMSprop"
    assert restored.optimizer.iterations == 100 * len(saved)


def test_learning_rate_schedule(mnist):
    x_train, y_train = mnist[:2]
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )

    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x_train[:256], y_train[:256], batch_size=64, epochs=1)
    for step in (0, 99999, 100000, 250000):
        assert float(lr_schedule(step)) == pytest.approx(0.1 * 0.96 ** (step // 100000), rel=1e-6)


# ============================================================== 2. writing your own callbacks
@pytest.fixture(scope="module")
def callback_data():
    # Load example MNIST data and pre-process it
    (x_train, y_train), (x_test, y_test) = mnist_stand_in()  # data: the stand-in
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

    # Limit the data to 1000 samples
    x_train = x_train[:1000]
    y_train = y_train[:1000]
    x_test = x_test[:1000]
    y_test = y_test[:1000]
    return x_train, y_train, x_test, y_test


# Define the Keras model to add callbacks to
def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        keys = list(logs.keys())
        print("Starting training; got log keys: {}".format(keys))

    def on_train_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop training; got log keys: {}".format(keys))

    def on_epoch_begin(self, epoch, logs=None):
        keys = list(logs.keys())
        print("Start epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_epoch_end(self, epoch, logs=None):
        keys = list(logs.keys())
        print("End epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_test_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start testing; got log keys: {}".format(keys))

    def on_test_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop testing; got log keys: {}".format(keys))

    def on_predict_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start predicting; got log keys: {}".format(keys))

    def on_predict_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop predicting; got log keys: {}".format(keys))

    def on_train_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: start of batch {}; got log keys: {}".format(batch, keys))

    def on_train_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: end of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: start of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: end of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: start of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: end of batch {}; got log keys: {}".format(batch, keys))


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(
            "Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"])
        )

    def on_test_batch_end(self, batch, logs=None):
        print(
            "Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"])
        )

    def on_epoch_end(self, epoch, logs=None):
        print(
            "The average loss for epoch {} is {:7.2f} "
            "and mean absolute error is {:7.2f}.".format(
                epoch, logs["loss"], logs["mean_absolute_error"]
            )
        )


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """Stop training when the loss is at its min, i.e. the loss stops decreasing.

    Arguments:
        patience: Number of epochs to wait after min has been hit. After this
        number of no improvement, training stops.
    """

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        # best_weights to store the weights at which the minimum loss occurs.
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # The number of epoch it has waited when loss is no longer minimum.
        self.wait = 0
        # The epoch the training stops at.
        self.stopped_epoch = 0
        # Initialize the best as infinity.
        self.best = np.inf  # np.Inf in the guide: NumPy 2 removed it

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            # Record the best weights if current results is better (less).
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class CustomLearningRateScheduler(keras.callbacks.Callback):
    """Learning rate scheduler which sets the learning rate according to schedule.

    Arguments:
        schedule: a function that takes an epoch index
            (integer, indexed from 0) and current learning rate
            as inputs and returns a new learning rate as output (float).
    """

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        # Get the current learning rate from model's optimizer.
        lr = self.model.optimizer.learning_rate
        # Call schedule function to get the scheduled learning rate.
        scheduled_lr = self.schedule(epoch, lr)
        # Set the value back to the optimizer before this epoch starts
        self.model.optimizer.learning_rate = scheduled_lr
        print(f"\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")


LR_SCHEDULE = [
    # (epoch to start, learning rate) tuples
    (3, 0.05),
    (6, 0.01),
    (9, 0.005),
    (12, 0.001),
]


def lr_schedule(epoch, lr):
    """Helper function to retrieve the scheduled learning rate based on epoch."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


def callback_transcript(x_train, y_train, x_test, y_test):
    """The guide's "Let's try it out" section; returns nothing, prints the hooks."""
    model = get_model()
    model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=1,
        verbose=0,
        validation_split=0.5,
        callbacks=[CustomCallback()],
    )

    res = model.evaluate(
        x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()]
    )

    res = model.predict(x_test, batch_size=128, callbacks=[CustomCallback()])
    return res



def test_every_callback_hook_in_order_with_its_log_keys(callback_data, capsys):
    callback_transcript(*callback_data)
    lines = [line for line in capsys.readouterr().out.splitlines() if "log keys" in line]
    metrics = ["loss", "mean_absolute_error"]
    assert lines[:3] == ["Starting training; got log keys: []",
                         "Start epoch 0 of training; got log keys: []",
                         "...Training: start of batch 0; got log keys: []"]
    assert f"...Training: end of batch 0; got log keys: {metrics}" in lines
    assert ("End epoch 0 of training; got log keys: "
            f"{metrics + ['val_' + m for m in metrics]}") in lines
    assert lines.count("Start testing; got log keys: []") == 2   # validation, then evaluate
    assert lines.count("Start predicting; got log keys: []") == 1
    assert lines[-1] == "Stop predicting; got log keys: []"
    batches = int(np.ceil(500 / 128))
    assert sum(line.startswith("...Training: end of batch") for line in lines) == batches


def test_logs_dict_and_early_stopping_at_min_loss(callback_data, capsys):
    x_train, y_train = callback_data[:2]
    model = get_model()
    stopper = EarlyStoppingAtMinLoss()
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=30,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback(), stopper],
    )
    out = capsys.readouterr().out
    losses = history.history["loss"]
    assert re.search(r"The average loss for epoch 0 is +\d+\.\d\d and mean absolute error is", out)
    if stopper.stopped_epoch:
        assert len(losses) == stopper.stopped_epoch + 1 and losses[-1] >= min(losses[:-1])
        assert f"Epoch {stopper.stopped_epoch + 1}: early stopping" in out
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), stopper.best_weights))


def test_learning_rate_scheduling(callback_data, capsys):
    x_train, y_train = callback_data[:2]
    model = get_model()
    model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=15,
        verbose=0,
        callbacks=[
            LossAndErrorPrintingCallback(),
            CustomLearningRateScheduler(lr_schedule),
        ],
    )
    rates = [float(r) for r in re.findall(r"Learning rate is ([0-9.e-]+)\.\n", capsys.readouterr().out)]
    expected, rate = [], 0.1
    for epoch in range(15):
        rate = dict(LR_SCHEDULE).get(epoch, rate)
        expected.append(rate)
    assert rates == pytest.approx(expected)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)


# ============================================================== 3. imbalanced classification
def test_imbalanced_classification(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # data: the breast-cancer data stands in for the credit-card CSV (30 features, the
    # positive class the minority: 1 = malignant)
    (x_a, y_a), (x_b, y_b) = layerkit.datasets.breast_cancer.load_data()
    features = np.concatenate([x_a, x_b]).astype("float32")
    targets = (1 - np.concatenate([y_a, y_b]))[:, None].astype("uint8")
    print("features.shape:", features.shape)
    print("targets.shape:", targets.shape)

    num_val_samples = int(len(features) * 0.2)
    train_features = features[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_features = features[-num_val_samples:]
    val_targets = targets[-num_val_samples:]

    counts = np.bincount(train_targets[:, 0])
    print(
        "Number of positive samples in training data: {} ({:.2f}% of total)".format(
            counts[1], 100 * float(counts[1]) / len(train_targets)
        )
    )

    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]

    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std

    model = keras.Sequential(
        [
            keras.Input(shape=train_features.shape[1:]),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.summary()

    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]

    model.compile(
        optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics
    )

    callbacks = [keras.callbacks.ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")]
    class_weight = {0: weight_for_0, 1: weight_for_1}

    history = model.fit(
        train_features,
        train_targets,
        batch_size=2048,
        epochs=30,
        verbose=2,
        callbacks=callbacks,
        validation_data=(val_features, val_targets),
        class_weight=class_weight,
    )
    assert sorted(os.listdir(".")) == sorted(f"fraud_model_at_epoch_{e}.keras" for e in range(1, 31))
    logs = model.evaluate(val_features, val_targets, verbose=0, return_dict=True)
    predicted = model.predict(val_features, verbose=0)[:, 0] > 0.5
    actual = val_targets[:, 0] == 1
    for name, count in {"tp": predicted & actual, "fp": predicted & ~actual,
                        "tn": ~predicted & ~actual, "fn": ~predicted & actual}.items():
        assert logs[name] == count.sum()
    assert logs["recall"] > 0.85 and history.history["val_recall"][-1] == logs["recall"]


# ============================================================== 4. Boston housing regression
def test_regression_boston_housing(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    # The dataset is splitted by 70:30 proportion
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data(
        test_split=0.3, seed=42  # data: the guide names Keras's cache file too
    )

    print("Train Dimension:", x_train.shape)
    print("Test Dimension:", x_test.shape)

    def build_model():
        model = keras.Sequential(
            [
                # input_shape is number of features
                layers.Dense(32, activation="relu", input_shape=[x_train.shape[1]]),
                layers.Dense(32, activation="relu"),
                layers.Dense(1),
            ]
        )

        # The loss function is mean squared error
        # The metrics is Mean Absolute Error and Mean Squared Error
        model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
        return model

    # Build the model
    model = build_model()
    model.summary()

    # Use early stopping to break the training if the val_loss doesn't changed in 10 epochs
    early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)

    history = model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=100,
        verbose=0,
        validation_split=0.3,
        callbacks=[early_stop],
    )

    plt.plot(history.history["loss"])
    plt.plot(history.history["val_loss"])
    plt.title("model loss")
    plt.ylabel("loss")
    plt.xlabel("epoch")
    plt.legend(["train", "val"], loc="upper right")
    plt.show()

    # Test Loss
    loss, mae, mse = model.evaluate(x_test, y_test, verbose=2)

    prediction = model.predict(x_test).flatten()
    plt.close("all")
    assert (x_train.shape, x_test.shape) == ((354, 13), (152, 13))
    assert loss == pytest.approx(mse) and mse == pytest.approx(np.mean((prediction - y_test) ** 2),
                                                               rel=1e-5)
    assert mae < np.mean(np.abs(y_test - y_train.mean()))   # better than predicting the mean


# ============================================================== 5. transfer learning: trainable
def test_trainable_weights_of_dense_and_batch_normalization(capsys):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))  # Create the weights

    print("weights:", len(layer.weights))
    print("trainable_weights:", len(layer.trainable_weights))
    print("non_trainable_weights:", len(layer.non_trainable_weights))

    layer = keras.layers.BatchNormalization()
    layer.build((None, 4))  # Create the weights

    print("weights:", len(layer.weights))
    print("trainable_weights:", len(layer.trainable_weights))
    print("non_trainable_weights:", len(layer.non_trainable_weights))

    layer = keras.layers.Dense(3)
    layer.build((None, 4))  # Create the weights
    layer.trainable = False  # Freeze the layer

    print("weights:", len(layer.weights))
    print("trainable_weights:", len(layer.trainable_weights))
    print("non_trainable_weights:", len(layer.non_trainable_weights))
    counts = re.findall(r"weights: (\d)", capsys.readouterr().out)
    assert counts == ["2", "2", "0", "4", "2", "2", "2", "0", "2"]


def test_a_frozen_layer_keeps_its_weights_when_trained():
    # Make a model with 2 layers
    layer1 = keras.layers.Dense(3, activation="relu")
    layer2 = keras.layers.Dense(3, activation="sigmoid")
    model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])

    # Freeze the first layer
    layer1.trainable = False

    # Keep a copy of the weights of layer1 for later reference
    initial_layer1_weights_values = layer1.get_weights()
    initial_layer2_weights_values = layer2.get_weights()

    # Train the model
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.random((2, 3)), np.random.random((2, 3)))

    # Check that the weights of layer1 have not changed during training
    final_layer1_weights_values = layer1.get_weights()
    np.testing.assert_allclose(
        initial_layer1_weights_values[0], final_layer1_weights_values[0]
    )
    np.testing.assert_allclose(
        initial_layer1_weights_values[1], final_layer1_weights_values[1]
    )
    assert not np.array_equal(initial_layer2_weights_values[0], layer2.get_weights()[0])


def test_trainable_is_set_recursively():
    inner_model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            keras.layers.Dense(3, activation="relu"),
            keras.layers.Dense(3, activation="relu"),
        ]
    )

    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            inner_model,
            keras.layers.Dense(3, activation="sigmoid"),
        ]
    )

    model.trainable = False  # Freeze the outer model

    assert inner_model.trainable == False  # All layers in `model` are now frozen  # noqa: E712
    assert inner_model.layers[0].trainable == False  # `trainable` is propagated recursively  # noqa: E712
    assert model.trainable_weights == []


def test_a_frozen_batch_normalization_runs_in_inference_mode():
    """The guide's notes on BatchNormalization: frozen, it uses and keeps its moving statistics."""
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(4, name="d"),
                              keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(1)])
    bn = model.get_layer("bn")
    bn.trainable = False
    statistics = [w.copy() for w in bn.get_weights()]
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 4))
    model.fit(x, np.ones((16, 1)), epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(statistics, bn.get_weights()))


# ============================================================== 6. the functional API
def test_functional_api_mnist_model_trains_saves_and_loads(mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inputs = keras.Input(shape=(784,))
    assert inputs.shape == (None, 784) and inputs.dtype == "float32"
    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    model.summary()
    keras.utils.plot_model(model, "my_first_model.png")
    keras.utils.plot_model(model, "my_first_model_with_shape_info.png", show_shapes=True)

    x_train, y_train, _, _, x_test, y_test = mnist  # data: the stand-in, preprocessed as above
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )

    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)

    test_scores = model.evaluate(x_test, y_test, verbose=2)
    print("Test loss:", test_scores[0])
    print("Test accuracy:", test_scores[1])
    assert history.history["val_accuracy"][-1] > 0.7 and test_scores[1] > 0.7

    model.save("path_to_my_model.keras")  # the guide's name ends in .keras in Keras 3
    predictions = model.predict(x_test)
    del model
    # Recreate the exact same model purely from the file:
    model = keras.models.load_model("path_to_my_model.keras")
    np.testing.assert_array_equal(model.predict(x_test), predictions)
    assert sorted(os.listdir(".")) == ["my_first_model.png", "my_first_model_with_shape_info.png",
                                       "path_to_my_model.keras"]


def test_functional_api_ensembling():
    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    model1 = get_model()
    model2 = get_model()
    model3 = get_model()

    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
    x = np.random.default_rng(0).normal(size=(5, 128)).astype("float32")
    expected = (model1.predict(x) + model2.predict(x) + model3.predict(x)) / 3
    np.testing.assert_allclose(ensemble_model.predict(x), expected, rtol=1e-6)
