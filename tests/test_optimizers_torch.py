"""Parity with ``torch.optim``: ten steps on random float64 weights and gradients, to 1e-9.

Where PyTorch defines the same update, both libraries are configured to it, and every
weight must agree after each of ten steps (relative error ``||a - b|| / max(||a||,
||b||)``, bound ``RTOL = 1e-9``). What was configured, and why:

* **epsilon placement.** Keras puts epsilon under the square root (RMSprop, Adagrad:
  ``sqrt(v + eps)``), outside the bias correction (Adam, AdamW: ``sqrt(v) + eps``
  before dividing by ``sqrt(1 - b2^t)``) or next to the norm (Adamax: ``u + eps``);
  PyTorch puts it after the square root, after the correction, or inside the max.
  Those cases run with ``epsilon=0`` in both (random gradients keep every denominator
  away from 0). Adadelta and NAdam place it as Keras does and keep ``1e-6``/``1e-7``.
* **defaults.** PyTorch's Adagrad accumulator starts at 0 and Keras's at 0.1: both get
  0.1. PyTorch's NAdam decays its momentum with ``0.96^(t · 0.004)``, Keras's with
  ``0.96^t``: PyTorch gets ``momentum_decay=1``. PyTorch's RMSprop ``alpha`` is Keras's
  ``rho``; its momentum buffer holds ``g / denominator`` where Keras's holds ``lr · g /
  denominator``, the same update for a constant learning rate.
* **weight decay.** PyTorch's AdamW multiplies by ``1 - lr · wd``, Keras subtracts
  ``w · wd · lr``: equal up to rounding.
* **scalar state.** PyTorch keeps its step counts and NAdam's momentum product in its
  default dtype (float32 unless told): the module runs with ``torch.float64`` as the
  default dtype, so that they are float64 as layerkit's are.

The module is optional: it is skipped when PyTorch is not installed.
"""

import numpy as np
import pytest
from peers import import_peer

torch = import_peer("torch")

from parity import WorstErrors, report_worst_errors, single_torch_thread  # noqa: E402

from layerkit import optimizers  # noqa: E402

STEPS = 10
SHAPES = [(5, 3), (3,), (3, 4), (4,)]
WORST = WorstErrors()
_report = report_worst_errors("torch.optim parity", WORST)
_threads = single_torch_thread(torch)


@pytest.fixture(autouse=True)
def _float64_scalars():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)

# id: (layerkit optimizer, torch optimizer on params)
CASES = {
    "rmsprop": (lambda: optimizers.RMSprop(0.01, rho=0.8, epsilon=0.0),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=0.0)),
    "rmsprop-momentum": (lambda: optimizers.RMSprop(0.01, rho=0.9, momentum=0.7, epsilon=0.0),
                         lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.7, eps=0.0)),
    "rmsprop-centered": (lambda: optimizers.RMSprop(0.01, rho=0.9, centered=True, epsilon=0.0),
                         lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True, eps=0.0)),
    "rmsprop-both": (
        lambda: optimizers.RMSprop(0.01, rho=0.85, momentum=0.5, centered=True, epsilon=0.0),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.85, momentum=0.5, centered=True, eps=0.0)),
    "adagrad": (lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.1, epsilon=0.0),
                lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
    "adadelta": (lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-6),
                 lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    "adamax": (lambda: optimizers.Adamax(0.02, beta_1=0.8, beta_2=0.95, epsilon=0.0),
               lambda p: torch.optim.Adamax(p, lr=0.02, betas=(0.8, 0.95), eps=0.0)),
    "nadam": (lambda: optimizers.Nadam(0.02, beta_1=0.9, beta_2=0.99, epsilon=1e-7),
              lambda p: torch.optim.NAdam(p, lr=0.02, betas=(0.9, 0.99), eps=1e-7, momentum_decay=1.0)),
    "adamw": (lambda: optimizers.AdamW(0.02, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=0.0),
              lambda p: torch.optim.AdamW(p, lr=0.02, weight_decay=0.1, betas=(0.8, 0.99), eps=0.0)),
    "adamw-amsgrad": (lambda: optimizers.AdamW(0.02, weight_decay=0.3, amsgrad=True, epsilon=0.0),
                      lambda p: torch.optim.AdamW(p, lr=0.02, weight_decay=0.3, amsgrad=True, eps=0.0)),
    "adam": (lambda: optimizers.Adam(0.02, epsilon=0.0),
             lambda p: torch.optim.Adam(p, lr=0.02, eps=0.0)),
    "sgd-nesterov": (lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", list(CASES))
def test_ten_steps_agree_with_torch_optim(case, seed):
    make_ours, make_theirs = CASES[case]
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=shape) for shape in SHAPES]
    params = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    ours, theirs = make_ours(), make_theirs(params)
    for step in range(STEPS):
        scale = 10.0 ** rng.uniform(-2, 1)                    # gradients of varied sizes
        grads = [scale * rng.normal(size=shape) for shape in SHAPES]
        ours.apply(grads, weights)
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        theirs.step()
        for index, (w, p) in enumerate(zip(weights, params)):
            WORST.check(case, w, p.detach().numpy(), f"{case}, step {step + 1}, weight {index}")
    assert ours.iterations == STEPS
