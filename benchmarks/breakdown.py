"""Where a training step's time goes, phase by phase, for layerkit and the lean NumPy loop.

``python -m benchmarks.breakdown W1 W3`` builds each workload's network as
``benchmarks/trainers.py`` does and times, in one process and interleaved (the
minimum of ``--rounds`` rounds of many calls each, which is robust to a busy
machine):

- layerkit's phases through their public entry points: the forward pass
  (``model.forward_all``), the loss and its gradient (the loss object's
  ``value_and_gradient``, or ``logits_value_and_gradient`` where it fuses with
  the output activation), the backward pass (``model.backward_all``), the
  optimizer's update (``optimizer.update``), and a whole step of ``fit`` (a ``fit``
  of 50 epochs on the batch, divided by 50), all with the BLAS threads ``fit``
  chooses (:mod:`layerkit.blas`);
- the GEMMs of a step alone (``benchmarks/gemm.py``'s shapes, NumPy's matmul
  into preallocated outputs): what no NumPy program can avoid;
- the lean loop's whole step (``benchmarks/lean.py``);
- with ``--torch``, PyTorch's whole step (forward, loss, backward, SGD).

The "rest" of a layerkit step is the ``fit`` step minus the phases: the gradient
bound, the metrics, the batches, the callbacks and the bookkeeping around the phases.
"""

import argparse
import time

import numpy as np

from benchmarks import gemm
from benchmarks.lean import LeanMLP, initial_weights
from benchmarks.workloads import SEED, WORKLOADS, make_data

FIT_EPOCHS = 50


def best_seconds(function, rounds, target=0.05):
    """The fastest of ``rounds`` timings of ``function`` (each the mean of enough calls)."""
    function()
    started = time.perf_counter()
    function()
    calls = max(1, int(target / max(time.perf_counter() - started, 1e-7)))
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def layerkit_phases(workload, x, y, dtype):
    """``{phase: callable}`` for one step of layerkit on the first batch."""
    import layerkit
    from layerkit import layers, losses, optimizers

    layerkit.backend.set_floatx(dtype)
    layerkit.utils.set_random_seed(SEED)
    model = layerkit.Sequential([layerkit.Input((workload.inputs,))]
                                + [layers.Dense(units, activation=activation)
                                   for units, activation in workload.layers])
    model.compile(optimizer=optimizers.SGD(workload.learning_rate, momentum=workload.momentum),
                  loss=workload.loss)
    xb, yb = x[:workload.batch], y[:workload.batch]
    model.train_on_batch(xb, yb)
    loss = losses.get(workload.loss)
    output = model.layers[-1]
    fused = loss.fuses_with(output.output_activation())
    targets = yb if yb.ndim > 1 or workload.loss.startswith("sparse") else yb[:, None]
    weights = model.trainable_weights
    with np.errstate(over="ignore", under="ignore"):
        outputs = model.forward_all([xb], training=True)
    if fused:
        value, grad = loss.logits_value_and_gradient(targets, output.Z, outputs[0])
    else:
        value, grad = loss.value_and_gradient(targets, outputs[0])

    def gradients():
        return [layer.grads[name] for layer, name in model.trainable_slots()]

    return {
        "forward": lambda: model.forward_all([xb], training=True),
        "loss": ((lambda: loss.logits_value_and_gradient(targets, output.Z, outputs[0]))
                 if fused else (lambda: loss.value_and_gradient(targets, outputs[0]))),
        "backward": lambda: model.backward_all([grad], [fused], False),
        "update": lambda: model.optimizer.update(gradients(), weights),
        "fit step": lambda: model.fit(xb, yb, batch_size=len(xb), epochs=FIT_EPOCHS,
                                      shuffle=False, verbose=0),
    }, len(xb) * model.count_params()


def lean_step(workload, x, y, dtype):
    """The lean loop's step on the first batch."""
    net = LeanMLP(workload, initial_weights(workload, dtype, np.random.default_rng(SEED)),
                  workload.batch)
    xb, yb = x[:workload.batch], y[:workload.batch]
    return lambda: net.step(xb, yb)


def torch_step(workload, x, y, dtype):
    """PyTorch's standard step (zero_grad, forward, loss, backward, SGD) on the first batch."""
    import torch
    from torch import nn

    torch.set_default_dtype(getattr(torch, dtype))
    modules, fan_in = [], workload.inputs
    for units, activation in workload.layers:
        modules.append(nn.Linear(fan_in, units))
        if activation == "relu":
            modules.append(nn.ReLU())
        elif activation == "sigmoid" and workload.loss == "mse":
            modules.append(nn.Sigmoid())
        fan_in = units
    model = nn.Sequential(*modules)
    loss_fn = {"binary_crossentropy": nn.BCEWithLogitsLoss(), "mse": nn.MSELoss(),
               "sparse_categorical_crossentropy": nn.CrossEntropyLoss()}[workload.loss]
    optimizer = torch.optim.SGD(model.parameters(), lr=workload.learning_rate,
                                momentum=workload.momentum)
    xb, yb = torch.from_numpy(x[:workload.batch]), torch.from_numpy(y[:workload.batch])

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def breakdown(name, dtype, rounds=7, with_torch=False):
    """``{row: seconds}`` for one workload and dtype (see the module docstring)."""
    workload = WORKLOADS[name]
    x, y = make_data(workload, dtype)
    from layerkit.blas import limited_threads

    phases, multiply_adds = layerkit_phases(workload, x, y, dtype)
    timed = {}
    with np.errstate(over="ignore", under="ignore"):
        with limited_threads(multiply_adds):  # as fit runs them
            for phase, function in phases.items():
                timed[phase] = best_seconds(function, rounds)
        timed["fit step"] /= FIT_EPOCHS
        timed["lean step"] = best_seconds(lean_step(workload, x, y, dtype), rounds)
        if with_torch:
            timed["torch step"] = best_seconds(torch_step(workload, x, y, dtype), rounds)
    gemms = gemm.measure(workload.sizes, workload.batch, dtype, samples=max(5, rounds))
    timed["GEMMs alone"] = gemms["step_seconds"]
    phase_sum = sum(timed[p] for p in ("forward", "loss", "backward", "update"))
    timed["rest of the fit step"] = timed["fit step"] - phase_sum
    return timed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["W1", "W3"])
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--torch", action="store_true", help="also time PyTorch's step")
    args = parser.parse_args(argv)
    for name in args.workloads:
        for dtype in args.dtypes.split(","):
            timed = breakdown(name, dtype, args.rounds, args.torch)
            step = timed["fit step"]
            print(f"\n{name} {dtype}: {WORKLOADS[name].title}")
            print(f"  {'phase':24s} {'µs':>10s} {'share':>7s}")
            for row, seconds in timed.items():
                print(f"  {row:24s} {seconds * 1e6:10.1f} {seconds / step:7.0%}")


if __name__ == "__main__":
    main()
