"""What the layer-family tests share: one way to check a layer inside small models.

A family module (``test_layers_<family>.py``) declares its cases, a :class:`LayerCase`
each (a factory for a fresh layer and the shape of one sample), and runs the checks
below on every case:

- :func:`check_gradients_in_model`: the layer inside ``Input -> layer -> Flatten ->
  Dense(2, tanh)`` compiled with MSE; central differences in float64 of dX and every
  weight (the layer's and the head's) agree with backpropagation to 1e-6 relative, in
  training mode (random layers with their noise held fixed by ``hold_noise``) or in
  inference mode (the layer wrapped in :class:`InInference`). For integer inputs
  (Embedding, CategoryEncoding) only the weights are perturbed.
- :func:`check_config_round_trip`, :func:`check_weights_file_round_trip`,
  :func:`check_summary_row`, :func:`check_shared_in_graph`.

The worst relative error of each module is printed at its end.
"""

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from layerkit import Model, Sequential, layers
from layerkit.layers import Add, Dense, Flatten, Input, Layer, hold_noise
from layerkit.utils import check_gradients, relative_error
from layerkit.utils.gradient_check import float64_weights

BOUND = 1e-6


@dataclass(frozen=True)
class LayerCase:
    """A layer to check: ``make()`` gives a fresh one, for samples of shape ``input_shape``.

    ``integers``: the inputs are indices in ``[0, integers)`` (not perturbed by the
    gradient check). ``differentiable``: whether dX may be non-zero (False for
    layers that are piecewise constant in their input). ``positive``: weights that
    must stay positive (variances).
    """

    make: Callable[[], Layer]
    input_shape: tuple
    integers: int | None = None
    differentiable: bool = True
    positive: tuple = ("moving_variance", "variance")


class InInference(Layer):
    """Runs ``inner`` in inference mode whatever mode the model runs in (for gradient checks)."""

    cache_names = ()

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def sublayers(self):
        return [self.inner]

    def build(self, input_shape):
        self.inner.build_for(input_shape)

    def compute_output_shape(self, input_shape):
        return self.inner.compute_output_shape(input_shape)

    def forward(self, x, training=False):
        return self.inner.forward(x, training=False)

    def backward(self, grad_output, input_gradient=True):
        return self.inner.backward(grad_output, input_gradient)


def randomize_weights(model, rng, positive=("moving_variance", "variance")):
    """Draw every weight (variances positive, counts left alone)."""
    for layer, name in model.weight_slots():
        value = getattr(layer, name)
        if name == "count":
            continue
        drawn = rng.normal(size=value.shape) * (1 / np.sqrt(value.shape[0]) if name == "kernel"
                                                else 0.5)
        value[...] = np.abs(drawn) + 0.5 if name in positive else drawn


def sample_inputs(case, rng, batch=5):
    if case.integers is not None:
        return rng.integers(0, case.integers, size=(batch, *case.input_shape)).astype(np.float64)
    return rng.normal(size=(batch, *case.input_shape))


def head_model(case, inference=False, layer=None):
    """``Input -> layer -> Flatten -> Dense(2, tanh)``, compiled with MSE."""
    layer = case.make() if layer is None else layer
    model = Sequential([Input(case.input_shape), InInference(layer) if inference else layer,
                        Flatten(), Dense(2, activation="tanh")])
    model.compile(optimizer="sgd", loss="mse")
    return model, layer


def _weight_errors(model, x, y, epsilon=1e-6):
    """Central differences of the weights only (integer inputs), as ``check_gradients`` does."""
    errors = {}
    with float64_weights(model):
        grads = model.compute_gradients(x, y)
        for (layer, name), grad in zip(model.weight_slots(), grads):
            flat = getattr(layer, name).reshape(-1)
            numeric = np.zeros(flat.size)
            for i in range(flat.size):
                saved = flat[i]
                flat[i] = saved + epsilon
                plus = model.compute_loss(x, y)
                flat[i] = saved - epsilon
                minus = model.compute_loss(x, y)
                flat[i] = saved
                numeric[i] = (plus - minus) / (2 * epsilon)
            errors[f"{layer.name}/{name}"] = relative_error(grad.reshape(-1), numeric)
    return errors


def check_gradients_in_model(case, worst, label, inference=False, seed=0):
    """Gradient check of the layer of ``case`` in a small model; record and bound the worst error."""
    rng = np.random.default_rng(seed)
    model, layer = head_model(case, inference)
    randomize_weights(model, rng, case.positive)
    x, y = sample_inputs(case, rng), rng.normal(size=(5, 2))
    with hold_noise(model):
        if case.integers is not None:
            errors = _weight_errors(model, x, y)
        else:
            errors = check_gradients(model, x, y)
            _, dx = model.compute_gradients(x, y, wrt_inputs=True)
            assert (np.linalg.norm(dx) > 0) == case.differentiable, f"{label}: dX = {dx}"
    grads = model.compute_gradients(x, y)
    for (owner, name), grad in zip(model.weight_slots(), grads):
        if owner is layer and name in owner.weight_names and owner.trainable and (
                name not in ("moving_mean", "moving_variance", "count")):
            assert np.linalg.norm(grad) > 0, f"{label}: the gradient of {name} is zero"
    expected = {f"{owner.name}/{name}" for owner, name in model.weight_slots()}
    assert expected <= set(errors)
    worst[label] = max(errors.values())
    assert worst[label] < BOUND, f"{label}: relative errors {errors}"
    return errors


def _same_outputs(first, second, x, training=False):
    second(x)  # built
    if first.weights:
        second.set_weights(first.get_weights())
    np.testing.assert_array_equal(first(x, training=training), second(x, training=training))


def check_config_round_trip(case, rng):
    """``from_config(get_config())`` and ``deserialize(serialize())`` through JSON: same config,
    same outputs from the same weights."""
    layer = case.make()
    x = sample_inputs(case, rng)
    layer(x)
    config = layer.get_config()
    text = json.dumps(layers.serialize(layer))
    restored = type(layer).from_config(copy.deepcopy(config))
    assert type(restored) is type(layer) and restored.get_config() == config
    via_json = layers.deserialize(json.loads(text))
    assert type(via_json) is type(layer)
    assert json.dumps(layers.serialize(via_json)) == text
    _same_outputs(layer, restored, x)
    _same_outputs(layer, via_json, x)
    return config


def check_weights_file_round_trip(case, tmp_path, rng):
    """Save a model holding the layer to ``.weights.h5``, load it into a fresh one: same weights."""
    model, _ = head_model(case)
    randomize_weights(model, rng, case.positive)
    path = tmp_path / "layer.weights.h5"
    model.save_weights(path)
    fresh, _ = head_model(case)
    fresh.load_weights(path)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = sample_inputs(case, rng)
    np.testing.assert_array_equal(model.predict(x, verbose=0), fresh.predict(x, verbose=0))


def check_summary_row(case):
    """``summary`` lists the layer with its type, its output shape and its parameter count."""
    model, layer = head_model(case)
    lines = []
    model.summary(print_fn=lines.append, line_length=160)  # wide enough for the longest names
    row = next(line for line in "\n".join(lines).splitlines() if f"{layer.name} (" in line)
    assert type(layer).__name__ in row
    assert str(layer.compute_output_shape((None, *case.input_shape))) in row
    assert f"{layer.count_params():,}" in row


def check_shared_in_graph(case, worst, label, seed=0):
    """One layer applied to two inputs of a graph model: the outputs are the layer's on each
    input, and the gradients (summed over both uses) agree with finite differences."""
    rng = np.random.default_rng(seed)
    shared = case.make()
    a, b = Input(case.input_shape), Input(case.input_shape)
    joined = Add()([Flatten()(shared(a)), Flatten()(shared(b))])
    model = Model([a, b], Dense(2, activation="tanh")(joined))
    model.compile(optimizer="sgd", loss="mse")
    randomize_weights(model, rng, case.positive)
    xa, xb = sample_inputs(case, rng), sample_inputs(case, rng)
    y = rng.normal(size=(5, 2))
    inner = Model([a, b], joined)
    expected = shared(xa).reshape(5, -1) + shared(xb).reshape(5, -1)
    np.testing.assert_allclose(inner.predict([xa, xb], verbose=0), expected, rtol=1e-6, atol=1e-6)
    if case.integers is None:
        with hold_noise(model):
            errors = check_gradients(model, [xa, xb], y)
        worst[label] = max(errors.values())
        assert worst[label] < BOUND, f"{label}: relative errors {errors}"


def check_large_inputs(case, rng):
    """At |x| = 1000 the forward (both modes) and backward passes are finite and warning-free
    (pytest turns RuntimeWarnings into errors)."""
    layer = case.make()
    x = sample_inputs(case, rng)
    if case.integers is None:
        x = 1000.0 * np.sign(x)
    for training in (True, False):
        with hold_noise(layer):
            y = layer(x, training=training)
        assert np.isfinite(y).all()
        dx = layer.backward(np.ones_like(y))
        assert np.isfinite(dx).all() and all(np.isfinite(g).all() for g in layer.grads.values())


def report_worst(title, worst):
    """A module fixture that prints the worst relative error of each check at the module's end."""

    @pytest.fixture(scope="module", autouse=True)
    def fixture(request):
        yield
        lines = [f"{title}: worst relative errors measured (bound {BOUND:.0e})"]
        lines += [f"  {label:<44}{err:.3e}" for label, err in worst.items()]
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if capture is None:  # pragma: no cover
            print("\n".join(lines))
            return
        with capture.global_and_fixture_disabled():
            print("\n" + "\n".join(lines))

    return fixture
