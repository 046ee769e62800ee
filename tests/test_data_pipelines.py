"""Data that makes its own batches: generators, PyDatasets, dicts of arrays, and Keras's shuffles.

Each form trains to exactly the weights the same batches give as arrays (in the same
order), ``evaluate`` and ``predict`` agree with the arrays' results, and a bad batch
is refused with the arrays' message naming the batch, before its step.
"""

import threading
import time
import warnings

import numpy as np
import pytest

import layerkit
from layerkit import Input, Model, Sequential, callbacks, layers
from layerkit.models.data_adapters.array_data_adapter import epoch_order
from layerkit.utils import PyDataset

N, FEATURES, BATCH = 44, 3, 8
RAN_OUT = "Your input ran out of data"


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, FEATURES)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=N)
    return x, y, weights


def _model(optimizer="adam"):
    layerkit.utils.set_random_seed(7)
    model = Sequential([Input((FEATURES,)), layers.Dense(5, activation="tanh"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    model.shuffle_seed = 11
    return model


def _same_weights(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def _batches(*arrays, order=None):
    """The batches arrays give in ``order`` (a permutation of the samples, or None)."""
    index = np.arange(N) if order is None else order
    return [tuple(a[index[k:k + BATCH]] for a in arrays) for k in range(0, N, BATCH)]


class Recorder(callbacks.Callback):
    """Batches per epoch, as callbacks see them."""

    def on_train_begin(self, logs=None):
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


class Batches(PyDataset):
    """A PyDataset over fixed batches; counts its epoch hooks and the indices read."""

    def __init__(self, batches, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.batches, self.delay = batches, delay
        self.read, self.begins, self.ends = [], 0, 0

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        if self.delay:  # finish out of order in threads
            time.sleep(self.delay * ((index * 7) % 3))
        self.read.append(index)
        return self.batches[index]

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


# ------------------------------------------------------------------ generators
def test_a_generator_trains_evaluates_and_predicts_as_the_same_batches_given_as_arrays():
    x, y, w = _data()
    reference = _model()
    reference.fit(x, y, sample_weight=w, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)
    model = _model()
    steps = len(_batches(x))
    stream = (batch for _ in range(3) for batch in _batches(x, y, w))
    recorder = Recorder()
    model.fit(stream, epochs=3, steps_per_epoch=steps, shuffle=False, verbose=0,
              callbacks=[recorder])
    assert _same_weights(model, reference)
    assert recorder.per_epoch == [steps] * 3
    with pytest.warns(UserWarning, match=RAN_OUT):  # evaluate reads until the end, as Keras
        result = model.evaluate((b for b in _batches(x, y, w)), verbose=0, return_dict=True)
    assert result == reference.evaluate(x, y, sample_weight=w, batch_size=BATCH, verbose=0,
                                        return_dict=True)
    with pytest.warns(UserWarning, match=RAN_OUT):
        predicted = model.predict((b[0] for b in _batches(x)), verbose=0)
    np.testing.assert_array_equal(predicted, reference.predict(x, batch_size=BATCH, verbose=0))
    tuples = model.predict(((b[0],) for b in _batches(x)), steps=steps, verbose=0)
    np.testing.assert_array_equal(tuples, predicted)


def test_a_generator_without_steps_trains_until_it_runs_out_then_training_stops():
    x, y, _ = _data()
    model, recorder = _model(), Recorder()
    with pytest.warns(UserWarning, match=RAN_OUT) as caught:
        history = model.fit((b for b in _batches(x, y)), epochs=3, shuffle=False, verbose=0,
                            callbacks=[recorder])
    assert recorder.per_epoch == [len(_batches(x))]
    assert history.epoch == [0]
    assert sum(RAN_OUT in str(w.message) for w in caught) == 1


@pytest.mark.parametrize("batches, steps, epochs, expected", [
    (5, 2, 3, [2, 2, 1]),        # runs out inside the third epoch
    (5, 2, 5, [2, 2, 1]),        # ... and training stops there
    (4, 2, 3, [2, 2]),           # runs out exactly at the end of the second
    (5, 4, 1, [4]),              # not run out
])
def test_a_generator_goes_on_from_one_epoch_to_the_next_with_steps_per_epoch(batches, steps,
                                                                             epochs, expected):
    x, y, _ = _data()
    seen = []

    def stream():
        for k in range(batches):
            seen.append(k)
            yield x[k * 4:(k + 1) * 4], y[k * 4:(k + 1) * 4]

    model, recorder = _model(), Recorder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(stream(), epochs=epochs, steps_per_epoch=steps, shuffle=False,
                            verbose=0, callbacks=[recorder])
    assert recorder.per_epoch == expected
    assert history.epoch == list(range(len(expected)))
    assert model.optimizer.iterations == sum(expected)
    ran_out = sum(RAN_OUT in str(w.message) for w in caught)
    assert ran_out == (0 if sum(expected) < batches or batches == steps * epochs else 1)


def test_evaluate_and_predict_stop_at_steps_or_when_a_generator_runs_out():
    x, y, _ = _data()
    model = _model()
    first_two = model.evaluate(x[:2 * BATCH], y[:2 * BATCH], batch_size=BATCH, verbose=0)
    assert model.evaluate((b for b in _batches(x, y)), steps=2, verbose=0) == first_two
    with pytest.warns(UserWarning, match=RAN_OUT):
        out = model.predict((b for b in _batches(x)[:3]), steps=5, verbose=0)
    assert out.shape == (3 * BATCH, 1)


def test_what_keras_refuses_beside_a_generator():
    x, y, w = _data()
    model = _model()
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit((b for b in _batches(x, y)), y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weights` should not be passed"):
        model.fit((b for b in _batches(x, y)), sample_weight=w, verbose=0)
    with pytest.raises(ValueError, match="`class_weight` is not supported for Python generator"):
        model.fit((b for b in _batches(x, y)), class_weight={0: 1.0, 1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="must yield at least one batch"):
        model.fit(iter([]), shuffle=False, verbose=0)
    with pytest.raises(ValueError, match="only supported for NumPy arrays"):
        model.fit((b for b in _batches(x, y)), validation_split=0.2, shuffle=False, verbose=0)
    with pytest.warns(UserWarning, match="`shuffle=True` was passed, but will be ignored"):
        model.fit((b for b in _batches(x, y)), steps_per_epoch=1, verbose=0)
    assert model.optimizer.iterations == 1


def _bad_batches(kind):
    x, y, _ = _data()
    good = _batches(x, y)[:2]
    bad_x, bad_y = (np.array(a, dtype=np.float64) for a in _batches(x, y)[2])
    if kind == "nan":
        bad_x[3, 1] = np.nan
        expected = r"Batch 2 of epoch 0 .*`x` of fit\(\) contains NaN or inf \(first at index \(3, 1\)"
    elif kind == "too large":
        bad_x[1, 0] = 1e39
        expected = r"Batch 2 of epoch 0 .*too large for the model's dtype float32"
    elif kind == "shape":
        bad_x = bad_x[:, :2]
        expected = r"Batch 2 of epoch 0 .*expected shape \(None, 3\).*\(8, 2\)"
    elif kind == "lengths":
        bad_y = bad_y[:5]
        expected = r"Batch 2 of epoch 0 .*same number of samples: x has 8, y has 5"
    else:  # not a tuple
        return good + [bad_x], r"Batch 2 of the generator: .*must return a tuple"
    return good + [(bad_x, bad_y)], expected


@pytest.mark.parametrize("kind", ["nan", "too large", "shape", "lengths", "not a tuple"])
def test_a_bad_batch_mid_epoch_is_refused_naming_it_before_its_step(kind):
    batches, expected = _bad_batches(kind)
    reference = _model()
    for x_batch, y_batch in batches[:2]:
        reference.train_on_batch(x_batch, y_batch)
    model = _model()
    with pytest.raises(ValueError, match=expected):
        model.fit((b for b in batches), epochs=1, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 2
    assert _same_weights(model, reference)


def test_a_bad_first_batch_is_refused_before_anything_changes():
    x, y, _ = _data()
    model = _model()
    before = model.get_weights()
    with pytest.raises(TypeError, match=r"The first batch \(the generator's batch 0\): `x` of "
                                        r"fit\(\) must be numeric"):
        model.fit(iter([(np.array([["a", "b", "c"]]), np.ones(1))]), verbose=0, shuffle=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert not model.optimizer.built or model.optimizer.iterations == 0


def test_callbacks_and_the_non_finite_guard_see_the_batches_of_a_generator_as_of_arrays():
    x, y, _ = _data()
    x = x * 1e3
    runs = []
    for data in ("arrays", "generator"):
        model, recorder = _model(optimizer=layerkit.optimizers.SGD(learning_rate=1e30)), Recorder()
        with pytest.warns(RuntimeWarning, match="stopped at step"):
            if data == "arrays":
                model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                          callbacks=[recorder])
            else:
                model.fit((b for _ in range(2) for b in _batches(x, y)), epochs=2,
                          steps_per_epoch=len(_batches(x)), shuffle=False, verbose=0,
                          callbacks=[recorder])
        runs.append((recorder.per_epoch, model.optimizer.iterations, model.get_weights()))
    (batches_a, steps_a, weights_a), (batches_g, steps_g, weights_g) = runs
    assert batches_a == batches_g and steps_a == steps_g
    assert all(np.array_equal(a, b) for a, b in zip(weights_a, weights_g))


# ------------------------------------------------------------------ PyDataset
def test_a_py_dataset_trains_as_arrays_and_calls_its_epoch_hooks_once_per_epoch():
    x, y, w = _data()
    reference = _model()
    reference.fit(x, y, sample_weight=w, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)
    dataset = Batches(_batches(x, y, w))
    model = _model()
    model.fit(dataset, epochs=3, shuffle=False, verbose=0)
    assert _same_weights(model, reference)
    assert (dataset.begins, dataset.ends) == (3, 3)
    assert model.evaluate(dataset, verbose=0) == reference.evaluate(
        x, y, sample_weight=w, batch_size=BATCH, verbose=0)
    assert dataset.ends == 4
    np.testing.assert_array_equal(model.predict(dataset, verbose=0),
                                  reference.predict(x, batch_size=BATCH, verbose=0))


def test_a_shuffled_py_dataset_reads_its_batches_in_the_seeded_order():
    x, y, _ = _data()
    batches = _batches(x, y)
    dataset, model = Batches(batches), _model()
    model.fit(dataset, epochs=2, verbose=0)  # shuffle=True: whole batches, seeded
    reference = _model()
    for epoch in range(2):
        order = epoch_order(len(batches), 1, True, reference.shuffle_seed, epoch,
                            reference.optimizer.iterations)
        assert dataset.read[1 + epoch * len(batches):1 + (epoch + 1) * len(batches)] == list(order)
        for index in order:
            reference.train_on_batch(*batches[index])
    assert _same_weights(model, reference)


@pytest.mark.parametrize("workers, queue", [(3, 2), (4, 10)])
def test_threads_give_the_result_of_one_worker(workers, queue):
    x, y, _ = _data()
    one = _model()
    one.fit(Batches(_batches(x, y)), epochs=2, verbose=0)
    threaded = Batches(_batches(x, y), delay=0.002, workers=workers, max_queue_size=queue)
    many = _model()
    many.fit(threaded, epochs=2, steps_per_epoch=4, validation_data=threaded, verbose=0)
    again = _model()
    again.fit(Batches(_batches(x, y)), epochs=2, steps_per_epoch=4,
              validation_data=Batches(_batches(x, y)), verbose=0)
    assert _same_weights(many, again)
    assert not [t for t in threading.enumerate() if t.name.startswith("layerkit_reader")]


def test_an_error_in_a_reading_thread_reaches_fit_and_the_threads_stop():
    x, y, _ = _data()

    class Failing(Batches):
        def __getitem__(self, index):
            if index == 3:
                raise OSError("disk gone")
            return super().__getitem__(index)

    dataset = Failing(_batches(x, y), workers=3)
    model = _model()
    with pytest.raises(OSError, match="disk gone"):
        model.fit(dataset, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 3
    assert dataset.ends == 0  # the epoch did not end
    assert not [t for t in threading.enumerate() if t.name.startswith("layerkit_reader")]


def test_steps_per_epoch_cuts_each_pass_of_a_py_dataset():
    x, y, _ = _data()
    dataset, model = Batches(_batches(x, y)[:3]), _model()
    model.fit(dataset, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    assert dataset.read == [0, 0, 1, 0, 1]  # the first batch is read ahead once, to check it
    assert dataset.ends == 2
    with pytest.warns(UserWarning, match=RAN_OUT):
        model.fit(dataset, epochs=1, steps_per_epoch=5, shuffle=False, verbose=0)


def test_a_py_dataset_without_end_needs_steps_and_is_not_shuffled():
    x, y, _ = _data()

    class Endless(Batches):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            self.read.append(index)
            return self.batches[index % len(self.batches)]

    dataset, model = Endless(_batches(x, y)), _model()
    with pytest.warns(UserWarning, match="infinite PyDataset"):
        model.fit(dataset, epochs=2, steps_per_epoch=7, verbose=0)
    assert dataset.read == [0] + list(range(14))  # the first read ahead to check it; then on
    threaded = Endless(_batches(x, y), workers=2, max_queue_size=3)
    _model().fit(threaded, epochs=2, steps_per_epoch=7, shuffle=False, verbose=0)
    assert sorted(set(threaded.read)) == list(range(max(threaded.read) + 1))


@pytest.mark.parametrize("length, expected", [
    (0, "has 0 batches: a PyDataset must have at least one batch"),
    (-2, r"__len__\(\) must return the number of batches.*should return >= 0"),
])
def test_a_py_dataset_without_batches_is_refused(length, expected):
    class Sized(Batches):
        def __len__(self):
            return length

    model = _model()
    with pytest.raises(ValueError, match=expected):
        model.fit(Sized([]), verbose=0)


def test_py_dataset_arguments_and_batches_checked():
    with pytest.raises(NotImplementedError, match="use_multiprocessing=True is not supported"):
        PyDataset(use_multiprocessing=True)
    with pytest.raises(ValueError, match="Received: workers=-1"):
        PyDataset(workers=-1)
    with pytest.raises(ValueError, match="Received: max_queue_size=0"):
        PyDataset(max_queue_size=0)
    x, y, w = _data()
    model = _model()
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(Batches(_batches(x, y)), y, verbose=0)
    with pytest.raises(ValueError, match=r"Batches\[0\]: PyDataset.__getitem__\(\) must return a "
                                         "tuple or a dict"):
        model.fit(Batches([(x[:4], y[:4], w[:4], w[:4])]), verbose=0)
    bad = _batches(x, y)[:2] + [(x[:8], y[:6])]
    with pytest.raises(ValueError, match=r"Batch 2 of epoch 0 \(Batches\[2\]\): Data given to "
                                         r"fit\(\) must have the same number of samples: x has 8, "
                                         "y has 6"):
        model.fit(Batches(bad), shuffle=False, verbose=0)
    assert model.optimizer.iterations == 2


def test_a_py_dataset_that_does_not_call_super_init_warns_and_works():
    x, y, _ = _data()

    class Plain(PyDataset):
        def __init__(self):  # no super().__init__()
            self.size = 2

        def __len__(self):
            return self.size

        def __getitem__(self, index):
            return x[index * 4:index * 4 + 4], y[index * 4:index * 4 + 4]

    model = _model()
    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        model.fit(Plain(), shuffle=False, verbose=0)
    assert model.optimizer.iterations == 2


def test_class_weight_with_a_py_dataset_equals_class_weight_with_arrays():
    x, y, _ = _data()
    reference = _model()
    reference.fit(x, y, class_weight={0: 0.5, 1: 2.0}, batch_size=BATCH, shuffle=False, verbose=0)
    model = _model()
    model.fit(Batches(_batches(x, y)), class_weight={0: 0.5, 1: 2.0}, shuffle=False, verbose=0)
    assert _same_weights(model, reference)


# ------------------------------------------------------------------ dicts and validation data
def _two_heads():
    layerkit.utils.set_random_seed(3)
    a, b = Input((3,), name="a"), Input((2,), name="b")
    hidden = layers.Dense(4, activation="tanh", name="hidden")(layers.Concatenate()([a, b]))
    model = Model({"a": a, "b": b}, {"reg": layers.Dense(1, name="r")(hidden),
                                     "cls": layers.Dense(3, activation="softmax", name="c")(hidden)})
    model.compile(optimizer="adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  metrics={"cls": ["accuracy"]})
    return model


def _named_data():
    rng = np.random.default_rng(1)
    x = {"a": rng.normal(size=(N, 3)), "b": rng.normal(size=(N, 2))}
    y = {"reg": rng.normal(size=(N, 1)), "cls": rng.integers(0, 3, N)}
    return x, y


def _named_batches(x, y):
    return [({k: v[i:i + BATCH] for k, v in x.items()}, {k: v[i:i + BATCH] for k, v in y.items()})
            for i in range(0, N, BATCH)]


def test_dicts_of_arrays_by_input_and_output_name_in_every_form():
    x, y = _named_data()
    reference = _two_heads()
    history = reference.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                            validation_data=(x, y))
    batches = _named_batches(x, y)
    from_stream = _two_heads()
    streamed = from_stream.fit((b for _ in range(2) for b in batches), epochs=2,
                               steps_per_epoch=len(batches), shuffle=False, verbose=0,
                               validation_data=Batches(batches))
    from_dataset = _two_heads()
    from_dataset.fit(Batches(batches), epochs=2, shuffle=False, verbose=0,
                     validation_data=(b for _ in range(2) for b in batches),
                     validation_steps=len(batches))
    assert _same_weights(from_stream, reference) and _same_weights(from_dataset, reference)
    assert streamed.history == history.history
    predicted = from_stream.predict(Batches([(b[0],) for b in batches]), verbose=0)
    assert sorted(predicted) == ["cls", "reg"]
    for key, value in reference.predict(x, batch_size=BATCH, verbose=0).items():
        np.testing.assert_array_equal(predicted[key], value)


def test_validation_data_forms_give_the_same_validation_logs():
    x, y, w = _data()
    logs = []
    for validation in ((x, y, w), iter(_batches(x, y, w)), Batches(_batches(x, y, w))):
        model = _model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the iterator runs out after epoch 1
            history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
                                validation_data=validation, validation_batch_size=BATCH)
        logs.append(history.history)
    assert logs[0] == logs[1] == logs[2]
    with pytest.raises(ValueError, match="must be .x_val, y_val. or .x_val, y_val, "
                                         "sample_weight_val., a generator or a PyDataset"):
        _model().fit(x, y, validation_data=x, verbose=0)


def test_a_validation_generator_that_ran_out_is_skipped_after_one_warning():
    x, y, _ = _data()
    model = _model()
    with pytest.warns(UserWarning, match=RAN_OUT) as caught:
        history = model.fit(x, y, epochs=3, shuffle=False, verbose=0,
                            validation_data=iter(_batches(x, y)))
    assert len(history.history["val_loss"]) == 1 and len(history.history["loss"]) == 3
    assert sum(RAN_OUT in str(w.message) for w in caught) == 1


# ------------------------------------------------------------------ shuffle
def test_shuffle_batch_shuffles_inside_each_batch_only():
    x, y, _ = _data()
    model = _model()
    model.fit(x, y, batch_size=BATCH, epochs=2, shuffle="batch", verbose=0)
    reference = _model()
    for epoch in range(2):
        order = epoch_order(N, BATCH, "batch", reference.shuffle_seed, epoch,
                            reference.optimizer.iterations)
        for k in range(0, N, BATCH):
            assert sorted(order[k:k + BATCH]) == list(range(k, min(k + BATCH, N)))
            reference.train_on_batch(x[order[k:k + BATCH]], y[order[k:k + BATCH]])
    assert _same_weights(model, reference)
    with pytest.raises(ValueError, match=r"must be True, False or 'batch'. Received: shuffle='all'"):
        model.fit(x, y, shuffle="all", verbose=0)


# ------------------------------------------------------------------ batch size from steps
def test_without_a_batch_size_the_steps_cover_the_data_as_in_keras():
    x, y, _ = _data()
    model, recorder = _model(), Recorder()
    model.fit(x, y, steps_per_epoch=3, epochs=1, shuffle=False, verbose=0, callbacks=[recorder],
              validation_split=0.25, validation_steps=2)
    reference = _model()  # 33 training rows in 3 batches of ceil(33 / 3) = 11
    for k in range(3):
        reference.train_on_batch(x[11 * k:11 * (k + 1)], y[11 * k:11 * (k + 1)])
    assert recorder.per_epoch == [3] and _same_weights(model, reference)
    assert model.predict(x, steps=2, verbose=0).shape == (N, 1)  # 2 batches of 22
    assert model.evaluate(x, y, steps=4, verbose=0) == model.evaluate(x, y, batch_size=11,
                                                                      verbose=0)
