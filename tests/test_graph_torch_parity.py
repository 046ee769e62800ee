"""Graph models agree with PyTorch: outputs, losses, gradients and SGD-with-momentum training.

Every graph declared in ``test_graph_models.py`` (fan-out, every merge layer,
Concatenate on rank-3 inputs along axis 1 and the last axis, shared layers,
two inputs, two outputs with a loss list or dict and loss weights, fused
sigmoid + BCE and softmax + CE outputs, and seeded random graphs) is run
again by a small interpreter written with PyTorch operations, on the same
weights. Autograd and ``torch.optim.SGD`` give the expected values; layerkit
must agree to ``RTOL = 1e-9`` relative, in float64, on

* every output and the total and per-output losses at the initial weights,
* every weight gradient (``compute_gradients``) and the gradient with respect
  to each input (``wrt_inputs=True``: one array, or a list for several inputs),
* the loss of each of ten SGD(learning_rate=0.1, momentum=0.9) steps
  (``train_on_batch``, or ``fit`` with one batch per epoch) and every weight after them.

The relative error of two arrays is ``||a - b|| / max(||a||, ||b||, tiny)``.
The worst error of each kind is printed at the end of the module.
"""

import math

import numpy as np
import pytest
from peers import import_peer  # noqa: E402

torch = import_peer("torch")
F = torch.nn.functional

from parity import WorstErrors, report_worst_errors, single_torch_thread  # noqa: E402
from test_graph_models import (  # noqa: E402
    NAMED,
    RANDOM,
    SPECS,
    build,
    compile_args,
    input_names,
    loss_weight_values,
    make_data,
    output_names,
    set_spec_weights,
    structure_x,
    structure_y,
)

from layerkit.optimizers import SGD  # noqa: E402

STEPS = 10
LEARNING_RATE, MOMENTUM = 0.1, 0.9
TDTYPE = torch.float64
N_SAMPLES = 6

WORST = WorstErrors({"outputs": 0.0, "loss": 0.0, "gradient": 0.0, "input gradient": 0.0,
         "loss trajectory": 0.0, "weights after training": 0.0})

ACTIVATIONS = {"linear": lambda z: z, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
               "softmax": lambda z: F.softmax(z, dim=-1)}


assert_close = WORST.check
_single_torch_thread = single_torch_thread(torch)
_report_worst_errors = report_worst_errors("graph torch parity", WORST)

# ---------------------------------------------------------------- the PyTorch interpreter
def torch_forward(spec, params, xs):
    """Every tensor of ``spec`` (a list), and the pre-activation of each activated one."""
    values, logits = list(xs), {}
    for op in spec.ops:
        args = [values[r] for r in op.refs]
        if op.kind == "dense":
            kernel, bias = params[op.key]
            z = args[0] @ kernel + bias
            logits[len(values)] = z
            values.append(ACTIVATIONS[op.activation](z))
        elif op.kind == "activation":
            logits[len(values)] = args[0]
            values.append(ACTIVATIONS[op.activation](args[0]))
        elif op.kind == "flatten":
            values.append(args[0].reshape(args[0].shape[0], -1))
        elif op.kind == "concat":
            values.append(torch.cat(args, dim=op.axis))
        elif op.kind == "add":
            values.append(sum(args[1:], args[0]))
        elif op.kind == "subtract":
            values.append(args[0] - args[1])
        elif op.kind == "multiply":
            values.append(math.prod(args[1:], start=args[0]))
        elif op.kind == "average":
            values.append(sum(args[1:], args[0]) / len(args))
        else:  # pragma: no cover
            raise AssertionError(op.kind)
    return values, logits


def _activation_of(spec, ref):
    return spec.ops[ref - len(spec.inputs)].activation


def torch_losses(spec, values, logits, ys):
    """The weighted loss of each output (PyTorch's own loss functions where they exist)."""
    losses = []
    for (ref, kind), y, weight in zip(spec.outputs, ys, loss_weight_values(spec)):
        if kind == "mse":
            loss = F.mse_loss(values[ref], torch.tensor(y, dtype=TDTYPE))
        elif kind == "bce":
            assert _activation_of(spec, ref) == "sigmoid"
            loss = F.binary_cross_entropy_with_logits(logits[ref], torch.tensor(y, dtype=TDTYPE))
        elif kind == "cce":
            assert _activation_of(spec, ref) == "softmax"
            loss = F.cross_entropy(logits[ref], torch.tensor(y, dtype=TDTYPE))
        else:
            assert _activation_of(spec, ref) == "softmax"
            loss = F.cross_entropy(logits[ref], torch.tensor(y, dtype=torch.int64))
        losses.append(weight * loss)
    return losses


def _setup(spec, seed=0):
    model = build(spec)
    weights = set_spec_weights(model, seed)
    for w in model.get_weights():
        assert w.dtype == np.float64
    loss, loss_weights = compile_args(spec)
    model.compile(optimizer=SGD(learning_rate=LEARNING_RATE, momentum=MOMENTUM), loss=loss,
                  loss_weights=loss_weights)
    params = {name: (torch.tensor(k, dtype=TDTYPE, requires_grad=True),
                     torch.tensor(b, dtype=TDTYPE, requires_grad=True))
              for name, (k, b) in weights.items()}
    xs, ys = make_data(spec, N_SAMPLES, seed=len(spec.name) + seed)
    return model, params, xs, ys


def _slot_params(model, params):
    """The torch parameter of each entry of ``model.get_weights()``."""
    return [params[layer.name][0 if name == "kernel" else 1]
            for layer, name in model.weight_slots()]


def _as_list(outputs):
    if isinstance(outputs, dict):
        return list(outputs.values())
    return outputs if isinstance(outputs, list) else [outputs]


def test_parity_covers_every_graph():
    assert len(SPECS) == len(NAMED) + len(RANDOM) >= 40


# ---------------------------------------------------------------- outputs, losses, gradients
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_outputs_losses_and_gradients_match_torch(spec, float64):
    model, params, xs, ys = _setup(spec)
    xs_t = [torch.tensor(x, dtype=TDTYPE, requires_grad=True) for x in xs]
    values, logits = torch_forward(spec, params, xs_t)
    losses_t = torch_losses(spec, values, logits, ys)
    total_t = sum(losses_t[1:], losses_t[0])
    total_t.backward()
    x, y = structure_x(spec, xs), structure_y(spec, ys)

    predicted = _as_list(model.predict(x, batch_size=N_SAMPLES, verbose=0))
    for k, ((ref, _), out) in enumerate(zip(spec.outputs, predicted)):
        assert_close("outputs", out, values[ref].detach().numpy(), f"{spec}: output {k}")

    logs = model.test_on_batch(x, y, return_dict=True)
    assert_close("loss", logs["loss"], total_t.item(), f"{spec}: total loss")
    if len(spec.outputs) > 1:
        for name, loss_t, weight in zip(output_names(spec), losses_t, loss_weight_values(spec)):
            # Keras logs each output's loss unweighted; the total weighs them.
            assert_close("loss", logs[f"{name}_loss"], loss_t.item() / weight,
                         f"{spec}: {name}_loss")

    grads, input_grads = model.compute_gradients(x, y, wrt_inputs=True)
    slots = model.weight_slots()
    assert len(grads) == len(slots) == 2 * len(params)
    for (layer, name), g, p in zip(slots, grads, _slot_params(model, params)):
        assert_close("gradient", g, p.grad.numpy(), f"{spec}: gradient of {layer.name}/{name}")
    if len(xs) == 1:
        assert isinstance(input_grads, np.ndarray)
        input_grads = [input_grads]
    else:
        assert isinstance(input_grads, list) and len(input_grads) == len(xs)
    for name, g, x_t in zip(input_names(spec), input_grads, xs_t):
        assert_close("input gradient", g, x_t.grad.numpy(), f"{spec}: gradient of input {name}")


# ---------------------------------------------------------------- ten steps of training
@pytest.mark.parametrize("driver", ["train_on_batch", "fit"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_ten_sgd_momentum_steps_match_torch(spec, driver, float64):
    model, params, xs, ys = _setup(spec, seed=1)
    flat = [p for pair in params.values() for p in pair]
    initial = [p.detach().clone() for p in flat]
    optimizer = torch.optim.SGD(flat, lr=LEARNING_RATE, momentum=MOMENTUM)
    xs_t = [torch.tensor(x, dtype=TDTYPE) for x in xs]
    expected_losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        values, logits = torch_forward(spec, params, xs_t)
        losses_t = torch_losses(spec, values, logits, ys)
        total_t = sum(losses_t[1:], losses_t[0])
        total_t.backward()
        optimizer.step()
        expected_losses.append(total_t.item())
    moved = math.sqrt(sum(float((p.detach() - p0).norm()) ** 2 for p, p0 in zip(flat, initial)))
    assert moved > 1e-6  # the comparison means something only if training moved the weights

    x, y = structure_x(spec, xs), structure_y(spec, ys)
    if driver == "train_on_batch":
        step_losses = []
        for _ in range(STEPS):
            model.reset_metrics()  # so that the returned loss is this step's
            logs = model.train_on_batch(x, y, return_dict=True)
            step_losses.append(logs["loss"])
    else:
        history = model.fit(x, y, batch_size=N_SAMPLES, epochs=STEPS, shuffle=False, verbose=0)
        step_losses = history.history["loss"]
    assert model.optimizer.iterations == STEPS
    assert_close("loss trajectory", step_losses, expected_losses, f"{spec}: losses of the steps")
    for (layer, name), w, p in zip(model.weight_slots(), model.get_weights(),
                                   _slot_params(model, params)):
        assert_close("weights after training", w, p.detach().numpy(),
                     f"{spec}: {layer.name}/{name} after {STEPS} steps")
