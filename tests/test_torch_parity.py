"""Parity with PyTorch: losses, gradients and SGD-with-momentum training, in float64.

For random stacks of ``Dense`` layers (every activation layerkit has that
PyTorch has an equivalent for, hidden and at the output) and every
classification/regression loss, the same network is built in PyTorch with the
weights copied over. PyTorch's autograd and ``torch.optim.SGD`` supply every
expected value; layerkit must agree to ``RTOL = 1e-9`` relative on

* the loss at the initial weights,
* every weight gradient and the gradient with respect to the inputs,
* the loss at each of ten SGD(learning_rate=0.1, momentum=0.9) steps, with and
  without Nesterov, driven by ``train_on_batch`` or by ``fit``,
* every weight after those ten steps.

The relative error of two arrays is ``||a - b|| / max(||a||, ||b||, tiny)``.
The worst error of each kind is printed at the end of the module.

Inherent differences of convention are kept out of the data, not out of the
tolerance: pre-activations are kept moderate (|Z| <= 3 at the initial
weights), so that probabilities never come near the region where PyTorch's
``BCELoss`` clamps its logarithm and loses relative precision in ``1 - p``;
and PyTorch's ``softplus`` is given a threshold far above any value reached
(its default switches to the identity above 20, where layerkit does not).

The module is optional: it is skipped when PyTorch is not installed.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import pytest
from peers import import_peer  # noqa: E402

torch = import_peer("torch")
F = torch.nn.functional

from parity import WorstErrors, report_worst_errors, single_torch_thread  # noqa: E402

from layerkit import Sequential, activations, initializers, layers, losses  # noqa: E402
from layerkit.callbacks import Callback  # noqa: E402
from layerkit.optimizers import SGD  # noqa: E402

STEPS = 10
LEARNING_RATE, MOMENTUM = 0.1, 0.9
TDTYPE = torch.float64

# (id, layerkit activation, PyTorch equivalent). Built-ins by name, so that
# name lookup is exercised too; functools.partial for non-default parameters.
ACTIVATIONS = [
    ("linear", "linear", lambda z: z),
    ("sigmoid", "sigmoid", torch.sigmoid),
    ("tanh", "tanh", torch.tanh),
    ("relu", "relu", F.relu),
    ("relu_slope", functools.partial(activations.relu, negative_slope=0.1),
     lambda z: F.leaky_relu(z, 0.1)),
    ("relu_threshold", functools.partial(activations.relu, threshold=0.25),
     lambda z: F.threshold(z, 0.25, 0.0)),
    ("relu_max", functools.partial(activations.relu, max_value=1.5),
     lambda z: F.hardtanh(z, 0.0, 1.5)),
    ("leaky_relu", "leaky_relu", lambda z: F.leaky_relu(z, 0.2)),  # layerkit's default 0.2
    ("leaky_relu_0.05", functools.partial(activations.leaky_relu, negative_slope=0.05),
     lambda z: F.leaky_relu(z, 0.05)),
    ("elu", "elu", F.elu),
    ("elu_0.5", functools.partial(activations.elu, alpha=0.5), lambda z: F.elu(z, alpha=0.5)),
    ("selu", "selu", F.selu),
    # PyTorch's softplus is linear above `threshold` (20 by default); layerkit is exact.
    ("softplus", "softplus", lambda z: F.softplus(z, threshold=500.0)),
    ("silu", "silu", F.silu),
    ("swish", "swish", F.silu),
    ("exponential", "exponential", torch.exp),
    ("softmax", "softmax", lambda z: F.softmax(z, dim=-1)),
    ("log_softmax", "log_softmax", lambda z: F.log_softmax(z, dim=-1)),
]
_ACT = {name: (lk, tf) for name, lk, tf in ACTIVATIONS}

# loss kind -> output activation (None: drawn at random), layerkit loss factory
LOSS_KINDS = {
    "mse": (None, lambda: losses.MeanSquaredError()),
    "mae": (None, lambda: losses.MeanAbsoluteError()),
    "bce_sigmoid": ("sigmoid", lambda: losses.BinaryCrossentropy()),
    "bce_logits": ("linear", lambda: losses.BinaryCrossentropy(from_logits=True)),
    # Probabilities from an output that does not fuse with the loss: the unfused gradients.
    "bce_probs": ("softmax", lambda: losses.BinaryCrossentropy()),
    "cce_softmax": ("softmax", lambda: losses.CategoricalCrossentropy()),
    "cce_logits": ("linear", lambda: losses.CategoricalCrossentropy(from_logits=True)),
    "cce_probs": ("sigmoid", lambda: losses.CategoricalCrossentropy()),
    "scce_softmax": ("softmax", lambda: losses.SparseCategoricalCrossentropy()),
    "scce_logits": ("linear", lambda: losses.SparseCategoricalCrossentropy(from_logits=True)),
    "scce_probs": ("sigmoid", lambda: losses.SparseCategoricalCrossentropy()),
}
CASES_PER_LOSS = 5

# ---------------------------------------------------------------- worst errors
WORST = WorstErrors({"loss": 0.0, "gradient": 0.0, "input gradient": 0.0, "loss trajectory": 0.0,
         "weights after training": 0.0, "tutorial weights": 0.0})


assert_close = WORST.check
_single_torch_thread = single_torch_thread(torch)
_report_worst_errors = report_worst_errors("torch parity", WORST)

# ---------------------------------------------------------------- random cases
@dataclass(frozen=True)
class Case:
    seed: int
    loss: str
    n_samples: int
    widths: tuple          # input width, then each layer's units
    activations: tuple     # ids into ACTIVATIONS, one per layer (the last is the output's)

    def __str__(self):
        return f"{self.loss}-s{self.seed}-" + "-".join(
            f"{w}{a}" for w, a in zip(self.widths[1:], self.activations, strict=True))


def _make_cases():
    cases = []
    hidden_cycle = [name for name, _, _ in ACTIVATIONS]
    counter = 0
    for i in range(CASES_PER_LOSS * len(LOSS_KINDS)):
        kind = list(LOSS_KINDS)[i % len(LOSS_KINDS)]
        rng = np.random.default_rng(1000 + i)
        depth = int(rng.integers(1, 5))
        widths = [int(rng.integers(1, 17)) for _ in range(depth)]
        acts = []
        for _ in range(depth - 1):  # hidden activations: walk a cycle so that all appear
            acts.append(hidden_cycle[counter % len(hidden_cycle)])
            counter += 1
        out_act = LOSS_KINDS[kind][0]
        if out_act is None:
            out_act = hidden_cycle[int(rng.integers(len(hidden_cycle)))]
        acts.append(out_act)
        if kind.startswith(("cce", "scce")):
            widths[-1] = max(widths[-1], 2)
        if kind.startswith("bce"):
            widths[-1] = min(widths[-1], 4)
        if out_act in ("softmax", "log_softmax"):
            widths[-1] = max(widths[-1], 2)  # a softmax over one unit is constant
        in_dim = int(rng.integers(1, 17))
        cases.append(Case(seed=1000 + i, loss=kind, n_samples=int(rng.integers(3, 13)),
                          widths=(in_dim, *widths), activations=tuple(acts)))
    return cases


CASES = _make_cases()


def test_cases_cover_every_activation_and_loss():
    hidden = {a for case in CASES for a in case.activations[:-1]}
    assert hidden == set(_ACT)
    assert {case.loss for case in CASES} == set(LOSS_KINDS)
    assert len(CASES) >= 30
    assert {len(case.widths) - 1 for case in CASES} == {1, 2, 3, 4}


def _build(case, nesterov=False):
    """The layerkit model (compiled), the PyTorch parameters, and the data."""
    rng = np.random.default_rng(case.seed)
    model = Sequential([layers.Input((case.widths[0],))] + [
        layers.Dense(units, activation=_ACT[act][0])
        for units, act in zip(case.widths[1:], case.activations, strict=True)])
    x = rng.normal(size=(case.n_samples, case.widths[0]))

    # Random weights, rescaled layer by layer so that every pre-activation
    # satisfies |Z| <= 3 on this batch (see the module docstring).
    weights, a = [], x
    for units, act in zip(case.widths[1:], case.activations, strict=True):
        fan_in = a.shape[1]
        kernel = rng.normal(size=(fan_in, units)) / math.sqrt(fan_in)
        bias = rng.normal(scale=0.3, size=units)
        z = a @ kernel + bias
        scale = min(1.0, 3.0 / np.abs(z).max())
        kernel, bias = kernel * scale, bias * scale
        weights += [kernel, bias]
        a = _ACT[act][1](torch.from_numpy(a @ kernel + bias)).numpy()
    model.set_weights(weights)
    for w in model.get_weights():
        assert w.dtype == np.float64

    units = case.widths[-1]
    if case.loss in ("mse", "mae"):
        y = rng.normal(size=(case.n_samples, units))
    elif case.loss.startswith("bce"):
        y = rng.integers(0, 2, size=(case.n_samples, units)).astype(np.float64)
        if case.seed % 2:  # soft targets for half the cases
            y = rng.uniform(size=(case.n_samples, units))
    elif case.loss.startswith("cce"):
        if case.seed % 2:  # probability targets for half the cases
            y = rng.dirichlet(np.ones(units), size=case.n_samples)
        else:
            y = np.eye(units)[rng.integers(0, units, size=case.n_samples)]
    else:
        y = rng.integers(0, units, size=case.n_samples)

    model.compile(optimizer=SGD(learning_rate=LEARNING_RATE, momentum=MOMENTUM,
                                nesterov=nesterov),
                  loss=LOSS_KINDS[case.loss][1]())
    params = []
    for kernel, bias in zip(weights[::2], weights[1::2], strict=True):
        params.append(torch.tensor(kernel.T.copy(), dtype=TDTYPE, requires_grad=True))
        params.append(torch.tensor(bias, dtype=TDTYPE, requires_grad=True))
    return model, params, x, y


def _torch_loss(case, params, x_t, y):
    """The loss PyTorch computes for the same network."""
    a = x_t
    for (w, b), act in zip(zip(params[::2], params[1::2], strict=True), case.activations,
                           strict=True):
        z = F.linear(a, w, b)
        a = _ACT[act][1](z)
    if case.loss == "mse":
        return F.mse_loss(a, torch.tensor(y, dtype=TDTYPE))
    if case.loss == "mae":
        return F.l1_loss(a, torch.tensor(y, dtype=TDTYPE))
    if case.loss in ("bce_sigmoid", "bce_probs"):  # on the probabilities: torch.nn.BCELoss
        return F.binary_cross_entropy(a, torch.tensor(y, dtype=TDTYPE))
    if case.loss == "bce_logits":
        return F.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=TDTYPE))
    if case.loss.endswith("probs"):
        # Keras's convention for probabilities: rows are normalised to sum to one.
        log_p = torch.log(a / a.sum(dim=-1, keepdim=True))
        if case.loss == "cce_probs":
            return -(torch.tensor(y, dtype=TDTYPE) * log_p).sum(dim=-1).mean()
        return F.nll_loss(log_p, torch.tensor(y, dtype=torch.int64))
    if case.loss.startswith("cce"):  # probability targets, on the logits
        return F.cross_entropy(z, torch.tensor(y, dtype=TDTYPE))
    return F.cross_entropy(z, torch.tensor(y, dtype=torch.int64))


# ---------------------------------------------------------------- random stacks
@pytest.mark.parametrize("case", CASES, ids=str)
def test_loss_and_gradients_match_torch(case, float64):
    model, params, x, y = _build(case)
    x_t = torch.tensor(x, dtype=TDTYPE, requires_grad=True)
    loss_t = _torch_loss(case, params, x_t, y)
    loss_t.backward()

    assert_close("loss", model.test_on_batch(x, y), loss_t.item(), f"{case}: loss")
    grads, input_grad = model.compute_gradients(x, y, wrt_inputs=True)
    assert len(grads) == len(params)
    for i, (g, p) in enumerate(zip(grads, params, strict=True)):
        expected = p.grad.numpy().T if i % 2 == 0 else p.grad.numpy()  # kernel: (in, out)
        name = ("kernel" if i % 2 == 0 else "bias") + f" of layer {i // 2}"
        assert_close("gradient", g, expected, f"{case}: gradient of the {name}")
    assert_close("input gradient", input_grad, x_t.grad.numpy(), f"{case}: input gradient")


@pytest.mark.parametrize("driver", ["train_on_batch", "fit"])
@pytest.mark.parametrize("nesterov", [False, True], ids=["momentum", "nesterov"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_ten_sgd_momentum_steps_match_torch(case, nesterov, driver, float64):
    model, params, x, y = _build(case, nesterov=nesterov)
    initial = [p.detach().clone() for p in params]

    optimizer = torch.optim.SGD(params, lr=LEARNING_RATE, momentum=MOMENTUM, nesterov=nesterov)
    x_t = torch.tensor(x, dtype=TDTYPE)
    expected_losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss_t = _torch_loss(case, params, x_t, y)
        loss_t.backward()
        optimizer.step()
        expected_losses.append(loss_t.item())
    # The comparison means something only if training moved the weights.
    moved = sum(float((p.detach() - p0).norm()) ** 2
                for p, p0 in zip(params, initial, strict=True))
    assert math.sqrt(moved) > 1e-6

    if driver == "train_on_batch":
        step_losses = []
        for _ in range(STEPS):
            model.reset_metrics()  # so that the returned loss is this step's
            step_losses.append(model.train_on_batch(x, y))
    else:
        history = model.fit(x, y, batch_size=len(x), epochs=STEPS, shuffle=False, verbose=0)
        step_losses = history.history["loss"]
    assert model.optimizer.iterations == STEPS
    assert_close("loss trajectory", step_losses, expected_losses, f"{case}: losses of the steps")

    for i, (w, p) in enumerate(zip(model.get_weights(), params, strict=True)):
        expected = p.detach().numpy().T if i % 2 == 0 else p.detach().numpy()
        name = ("kernel" if i % 2 == 0 else "bias") + f" of layer {i // 2}"
        assert_close("weights after training", w, expected, f"{case}: {name} after {STEPS} steps")


# ---------------------------------------------------------------- the tutorial network
class _RecordWeights(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_tutorial_2_2_1_sigmoid_network_matches_torch(float64):
    """Every weight and bias 0.1, MSE, SGD(0.1), one sample per step, 50 epochs."""
    # Alice, Bob, Charlie, Diana: (weight - 135, height - 66) and gender (1: female).
    x = np.array([[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    epochs = 50
    tenth = initializers.Constant(0.1)
    model = Sequential([
        layers.Input((2,)),
        layers.Dense(2, activation="sigmoid", kernel_initializer=tenth, bias_initializer=tenth),
        layers.Dense(1, activation="sigmoid", kernel_initializer=tenth, bias_initializer=tenth),
    ])
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    recorder = _RecordWeights()
    history = model.fit(x, y, batch_size=1, epochs=epochs, shuffle=False, verbose=0,
                        callbacks=[recorder])

    params = [torch.full(shape, 0.1, dtype=TDTYPE, requires_grad=True)
              for shape in ((2, 2), (2,), (1, 2), (1,))]
    optimizer = torch.optim.SGD(params, lr=0.1)
    x_t, y_t = torch.tensor(x, dtype=TDTYPE), torch.tensor(y, dtype=TDTYPE).reshape(-1, 1)
    for epoch in range(epochs):
        epoch_losses = []
        for i in range(len(x)):
            optimizer.zero_grad()
            hidden = torch.sigmoid(F.linear(x_t[i:i + 1], params[0], params[1]))
            out = torch.sigmoid(F.linear(hidden, params[2], params[3]))
            loss_t = F.mse_loss(out, y_t[i:i + 1])
            loss_t.backward()
            optimizer.step()
            epoch_losses.append(loss_t.item())
        assert_close("loss trajectory", history.history["loss"][epoch], np.mean(epoch_losses),
                     f"tutorial: loss of epoch {epoch}")
        for j, (w, p) in enumerate(zip(recorder.weights[epoch], params, strict=True)):
            expected = p.detach().numpy().T if j % 2 == 0 else p.detach().numpy()
            assert_close("tutorial weights", w, expected,
                         f"tutorial: weight array {j} after epoch {epoch}")
    # Training did something: the network now separates the two groups.
    predictions = model.predict(x, verbose=0).ravel()
    assert (predictions[[0, 3]] > 0.5).all() and (predictions[[1, 2]] < 0.5).all()
