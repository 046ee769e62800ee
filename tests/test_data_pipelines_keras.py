"""Generators and PyDatasets against Keras 3: the batches each epoch takes, the warnings, the refusals.

The same generator is given to a layerkit model and to a Keras model (torch
backend) and the batches each epoch trains on are counted by a callback. They
agree wherever Keras's behaviour is a rule rather than an accident: after a
generator has run out, Keras replays the two batches it read ahead to learn the
data's shapes at every later epoch, where layerkit stops training (there is no
data left); those epochs are not compared.
"""

import warnings

import numpy as np
import pytest
from peers import import_peer

from layerkit import Input, Sequential, callbacks, layers
from layerkit.utils import PyDataset

keras = import_peer("keras")
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")

RAN_OUT = "Your input ran out of data"


def _stream(count):
    rng = np.random.default_rng(count)
    for _ in range(count):
        yield (rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=(4, 1)).astype("float32"))


def _counter(base):
    class Counter(base):
        def on_train_begin(self, logs=None):
            self.per_epoch, self.tests, self.predicts = [], 0, 0

        def on_epoch_begin(self, epoch, logs=None):
            self.per_epoch.append(0)

        def on_train_batch_end(self, batch, logs=None):
            self.per_epoch[-1] += 1

        def on_test_batch_end(self, batch, logs=None):
            self.tests += 1

        def on_predict_batch_end(self, batch, logs=None):
            self.predicts += 1

    counter = Counter()
    counter.on_train_begin()
    return counter


def _models():
    ours = Sequential([Input((2,)), layers.Dense(1)])
    ours.compile(optimizer="sgd", loss="mse")
    theirs = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    theirs.compile(optimizer="sgd", loss="mse")
    return (ours, callbacks.Callback), (theirs, keras.callbacks.Callback)


def _ran_out(caught):
    return sum(RAN_OUT in str(w.message) for w in caught)


@pytest.mark.parametrize("batches, steps, epochs", [(5, 2, 3), (5, None, 1), (6, 2, 3), (3, 4, 1)])
def test_fit_takes_the_batches_keras_takes(batches, steps, epochs):
    outcomes = []
    for model, base in _models():
        counter = _counter(base)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(_stream(batches), steps_per_epoch=steps, epochs=epochs, shuffle=False,
                      verbose=0, callbacks=[counter])
        outcomes.append((counter.per_epoch, _ran_out(caught)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("steps", [None, 2, 5])
def test_evaluate_and_predict_take_the_batches_keras_takes(steps):
    outcomes = []
    for model, base in _models():
        counter = _counter(base)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.evaluate(_stream(3), steps=steps, verbose=0, callbacks=[counter])
            predicted = model.predict(((x,) for x, _ in _stream(3)), steps=steps, verbose=0,
                                      callbacks=[counter])
        outcomes.append((counter.tests, counter.predicts, len(predicted), _ran_out(caught)))
    assert outcomes[0] == outcomes[1]


class Three(PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data = list(_stream(3))

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return self.data[index]


def _keras_three():
    class KerasThree(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.data = list(_stream(3))

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return self.data[index]

    return KerasThree()


def test_a_py_dataset_gives_the_batches_keras_gives():
    outcomes = []
    for (model, base), data in zip(_models(), (Three(), _keras_three())):
        counter = _counter(base)
        model.fit(data, epochs=2, shuffle=False, verbose=0, callbacks=[counter])
        result = model.evaluate(data, verbose=0, callbacks=[counter])
        outcomes.append((counter.per_epoch, counter.tests, len(model.predict(data, verbose=0)),
                         np.isfinite(result)))
    assert outcomes[0] == outcomes[1]


def test_refusals_use_keras_messages():
    messages = []
    for model, _ in _models():
        found = []
        for args, kwargs in ((((b for b in []),), {}), ((_stream(2), np.ones(8)), {}),
                             ((_stream(2),), {"class_weight": {0: 1.0}})):
            with pytest.raises(ValueError) as error:
                model.fit(*args, shuffle=False, verbose=0, **kwargs)
            found.append(str(error.value))
        messages.append(found)
    assert messages[0] == messages[1]


@pytest.mark.parametrize("samples, steps", [(10, 3), (44, 4), (7, 7)])
def test_without_a_batch_size_steps_set_the_batch_size_as_in_keras(samples, steps):
    x = np.random.default_rng(0).normal(size=(samples, 2)).astype("float32")
    y = x[:, :1] * 2.0
    outcomes = []
    for model, base in _models():
        counter = _counter(base)
        model.fit(x, y, steps_per_epoch=steps, epochs=2, shuffle=False, verbose=0,
                  callbacks=[counter])
        outcomes.append((counter.per_epoch, len(model.predict(x, steps=steps, verbose=0))))
    assert outcomes[0] == outcomes[1]
