"""Sample weights per output (``sample_weight={output name: weights}`` or a list) and per timestep.

Each output's loss and weighted metrics take their own weights: the values are checked
against the formula ``L_k = Σ_i w_ki · l_ki / N`` (per timestep ``Σ_it w_it · l_it / (N·T)``)
computed here from the predictions, the gradients against central finite differences in
float64, and the weights follow their rows through batches, shuffling, ``validation_split``,
generators and arrays read batch by batch. Bad weights are refused before anything changes.
"""

import contextlib

import numpy as np
import pytest

from layerkit import Input, Model, Sequential, backend, layers, optimizers
from layerkit.models.sample_weights import OutputSampleWeights
from layerkit.utils import check_gradients

N = 12
GRADIENT_BOUND = 1e-6


# --------------------------------------------------------------------------- models and data
def two_heads(structure="dict", loss_weights=None):
    backend.set_random_seed(7)  # the same weights and shuffling order each time
    x = Input((4,), name="x")
    h = layers.Dense(5, activation="tanh", name="h")(x)
    reg = layers.Dense(2, name="reg")(h)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    model = Model(x, {"reg": reg, "cls": cls} if structure == "dict" else [reg, cls])
    model.compile(optimizer=optimizers.SGD(0.1), loss={"reg": "mse", "cls": "categorical_crossentropy"},
                  loss_weights=loss_weights,
                  weighted_metrics={"reg": ["mae"], "cls": ["categorical_accuracy"]})
    return model


def sequence_model():
    model = Sequential([Input((3, 4)), layers.Dense(5, activation="tanh"), layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse", weighted_metrics=["mae"])
    return model


def data(seed=0, n=N):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = {"reg": rng.normal(size=(n, 2)), "cls": np.eye(3)[rng.integers(0, 3, n)]}
    w = {"reg": rng.uniform(0.1, 2.0, n), "cls": rng.uniform(0.1, 2.0, n)}
    return x, y, w


def per_sample_losses(model, x, y):
    """``{output: l_i}`` from the model's predictions, by the formulas of MSE and CE."""
    p = model.predict(x, verbose=0)
    p = p if isinstance(p, dict) else dict(zip(["reg", "cls"], p))
    clipped = np.clip(p["cls"], 1e-7, 1 - 1e-7)
    return {"reg": ((p["reg"] - y["reg"]) ** 2).mean(axis=1),
            "cls": -(y["cls"] * np.log(clipped / clipped.sum(axis=1, keepdims=True))).sum(axis=1)}


def close(actual, expected, rtol=1e-10):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0)


def weights_snapshot(model):
    return [w.copy() for w in model.get_weights()], model.optimizer.iterations


@contextlib.contextmanager
def unchanged(model, x):
    before, x_before = weights_snapshot(model), np.array(x, copy=True)
    yield
    after = weights_snapshot(model)
    assert after[1] == before[1]
    assert all(np.array_equal(a, b) for a, b in zip(before[0], after[0]))
    assert np.array_equal(x, x_before)


# --------------------------------------------------------------------------- values by the formula
@pytest.mark.parametrize("structure", ["dict", "list"])
@pytest.mark.parametrize("given", ["dict", "list"])
def test_each_output_loss_and_weighted_metric_take_their_own_weights(float64, structure, given):
    model = two_heads(structure, loss_weights={"reg": 1.0, "cls": 0.5})
    x, y, w = data()
    weights = w if given == "dict" else [w["reg"], w["cls"]]
    targets = y if structure == "dict" else [y["reg"], y["cls"]]
    logs = model.evaluate(x, targets, sample_weight=weights, batch_size=5, verbose=0,
                          return_dict=True)
    losses = per_sample_losses(model, x, y)
    expected = {k: float((w[k] * losses[k]).sum() / N) for k in ("reg", "cls")}
    close(logs["reg_loss"], expected["reg"])
    close(logs["loss"], expected["reg"] + 0.5 * expected["cls"])
    p = model.predict(x, verbose=0)
    p_reg = p["reg"] if isinstance(p, dict) else p[0]
    close(logs["reg_mae"], (w["reg"] * np.abs(p_reg - y["reg"]).mean(axis=1)).sum() / w["reg"].sum())


def test_an_output_left_out_is_unweighted(float64):
    model = two_heads()
    x, y, w = data()
    by_name = model.evaluate(x, y, sample_weight={"reg": w["reg"]}, verbose=0, return_dict=True)
    as_list = model.evaluate(x, y, sample_weight=[w["reg"], None], verbose=0, return_dict=True)
    plain = model.evaluate(x, y, verbose=0, return_dict=True)
    assert by_name == as_list
    close(by_name["cls_loss"], plain["cls_loss"])
    close(by_name["reg_loss"], float((w["reg"] * per_sample_losses(model, x, y)["reg"]).sum() / N))


def test_one_array_still_weighs_every_output(float64):
    model = two_heads()
    x, y, w = data()
    shared = model.evaluate(x, y, sample_weight=w["reg"], verbose=0, return_dict=True)
    both = model.evaluate(x, y, sample_weight={"reg": w["reg"], "cls": w["reg"]}, verbose=0,
                          return_dict=True)
    assert shared == both


def test_per_timestep_weights_of_a_sequence_output(float64):
    model = sequence_model()
    rng = np.random.default_rng(1)
    x, y, w = rng.normal(size=(N, 3, 4)), rng.normal(size=(N, 3, 2)), rng.uniform(0, 2, (N, 3))
    logs = model.evaluate(x, y, sample_weight=w, batch_size=5, verbose=0, return_dict=True)
    values = ((model.predict(x, verbose=0) - y) ** 2).mean(axis=-1)
    close(logs["loss"], (w * values).sum() / (N * 3))
    again = model.evaluate(x, y, sample_weight=w[..., None], batch_size=5, verbose=0,
                           return_dict=True)
    assert again == logs
    per_sample = model.evaluate(x, y, sample_weight=w[:, 0], verbose=0, return_dict=True)
    close(per_sample["loss"], (w[:, :1] * values).sum() / (N * 3))


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("given", ["dict", "list"])
def test_gradients_with_weights_per_output_match_finite_differences(float64, given):
    model = two_heads(loss_weights=[1.0, 0.5])
    x, y, w = data(n=6)
    weights = w if given == "dict" else [w["reg"], w["cls"]]
    errors = check_gradients(model, x, y, sample_weight=weights)
    assert max(errors.values()) < GRADIENT_BOUND, errors


def test_gradients_with_weights_per_timestep_match_finite_differences(float64):
    model = sequence_model()
    rng = np.random.default_rng(2)
    x, y, w = rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 3, 2)), rng.uniform(0, 2, (5, 3))
    errors = check_gradients(model, x, y, sample_weight=w)
    assert max(errors.values()) < GRADIENT_BOUND, errors


def test_a_zero_weight_removes_the_output_from_the_gradient(float64):
    model = two_heads()
    x, y, w = data(n=6)
    grads = model.compute_gradients(x, y, sample_weight={"reg": np.zeros(6), "cls": w["cls"]})
    names = [f"{layer.name}/{name}" for layer, name in model.weight_slots()]
    assert not np.any(grads[names.index("reg/kernel")]) and np.any(grads[names.index("cls/kernel")])


# --------------------------------------------------------------------------- weights follow their rows
def test_fit_with_weights_by_name_or_by_list_trains_the_same(float64):
    x, y, w = data()
    histories, states = [], []
    for given in (w, [w["reg"], w["cls"]]):
        model = two_heads()
        histories.append(model.fit(x, y, sample_weight=given, batch_size=4, epochs=2,
                                   shuffle=True, verbose=0).history)
        states.append(model.get_weights())
    assert histories[0] == histories[1]
    assert all(np.array_equal(a, b) for a, b in zip(*states))


def test_weights_stay_with_their_rows_when_shuffled(float64):
    """Rows whose regression weight is 0 never move the regression head: duplicating them
    with other targets changes nothing, whatever the shuffled order."""
    x, y, w = data()
    w = {"reg": np.r_[np.ones(6), np.zeros(6)], "cls": np.zeros(N)}
    y_changed = {"reg": y["reg"].copy(), "cls": y["cls"]}
    y_changed["reg"][6:] += 100.0
    results = []
    for targets in (y, y_changed):
        model = two_heads()
        model.fit(x, targets, sample_weight=w, batch_size=3, epochs=3, shuffle=True, verbose=0)
        results.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*results))


def test_validation_split_holds_out_the_same_rows_of_every_weight(float64):
    x, y, w = data(n=20)
    model = two_heads()
    history = model.fit(x, y, sample_weight=w, validation_split=0.25, epochs=1, batch_size=20,
                        shuffle=False, verbose=0).history
    held = {k: v[15:] for k, v in w.items()}
    logs = model.evaluate(x[15:], {k: v[15:] for k, v in y.items()}, sample_weight=held,
                          verbose=0, return_dict=True)
    close(history["val_reg_loss"][0], logs["reg_loss"])
    close(history["val_loss"][0], logs["loss"])


def test_generators_and_arrays_read_batch_by_batch_take_weights_per_output(float64, tmp_path):
    x, y, w = data()
    reference = two_heads()
    start = reference.get_weights()
    expected = reference.fit(x, y, sample_weight=w, batch_size=4, epochs=1, shuffle=False,
                             verbose=0).history
    streamed = two_heads()
    streamed.set_weights(start)
    batches = ((x[i:i + 4], {k: v[i:i + 4] for k, v in y.items()},
                {k: v[i:i + 4] for k, v in w.items()}) for i in range(0, N, 4))
    with pytest.warns(UserWarning, match="ran out of data"):  # a generator ends, as in Keras
        assert streamed.fit(batches, epochs=1, shuffle=False, verbose=0).history == expected
    mapped = np.memmap(tmp_path / "w.dat", dtype="float64", mode="w+", shape=(N,))
    mapped[:] = w["cls"]
    lazy = two_heads()
    lazy.set_weights(start)
    history = lazy.fit(x, y, sample_weight={"reg": w["reg"], "cls": mapped}, batch_size=4,
                       epochs=1, shuffle=False, verbose=0).history
    assert history == expected


def test_output_sample_weights_slice_every_array_alike():
    weights = OutputSampleWeights([np.arange(5.0), None, np.arange(10.0).reshape(5, 2)])
    part = weights[np.array([4, 0, 2])]
    assert len(part) == 3 and part.for_output(1) is None
    assert part.for_output(0).tolist() == [4.0, 0.0, 2.0]
    assert part.for_output(2).tolist() == [[8.0, 9.0], [0.0, 1.0], [4.0, 5.0]]
    with pytest.raises(ValueError, match="same number of rows"):
        OutputSampleWeights([np.ones(2), np.ones(3)])


# --------------------------------------------------------------------------- refused before anything changes
BAD = {
    "unknown name": ({"reg": np.ones(N), "other": np.ones(N)}, ValueError,
                     r"has keys \['other'\], but the model's outputs are"),
    "list too short": ([np.ones(N)], ValueError, r"one entry per output \(2: "),
    "wrong rows": ({"cls": np.ones(N - 1)}, ValueError, r"sample_weight\['cls'\] has 11"),
    "negative": ({"reg": -np.ones(N)}, ValueError, r"sample_weight\['reg'\].*negative"),
    "nan": ({"reg": np.full(N, np.nan)}, ValueError, r"sample_weight\['reg'\].*NaN"),
    "per value": ({"reg": np.ones((N, 2))}, ValueError,
                  r"sample_weight\['reg'\].*shape \(N,\) or \(N, 1\).*Received shape \(12, 2\)"),
    "text": ({"reg": np.array(["a"] * N)}, TypeError, r"sample_weight\['reg'\].*numeric"),
    "nothing": ({}, ValueError, "gives no weights for any output"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch"])
def test_bad_weights_per_output_are_refused_and_change_nothing(case, method):
    model = two_heads()
    x, y, _ = data()
    model.fit(x, y, epochs=1, verbose=0)
    weights, error, match = BAD[case]
    with unchanged(model, x), pytest.raises(error, match=match):
        if method == "train_on_batch":
            model.train_on_batch(x, y, sample_weight=weights)
        else:
            getattr(model, method)(x, y, sample_weight=weights, verbose=0)


def test_per_timestep_weights_must_match_the_timesteps():
    model = sequence_model()
    x, y = np.zeros((4, 3, 4)), np.zeros((4, 3, 2))
    with unchanged(model, x), pytest.raises(ValueError, match=r"one per timestep: shape \(N, 3\)"):
        model.fit(x, y, sample_weight=np.ones((4, 5)), verbose=0)
