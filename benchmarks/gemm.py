"""The GEMM-bound limit of a workload: how fast a training step could go if it were only its matmuls.

One step of a dense network of widths ``sizes`` on a batch of ``N`` rows
multiplies these matrices, each timed in the memory layout layerkit's
``Dense`` uses (``X @ W``; ``dW = Xᵀ @ dZ`` and ``dX = dZ @ Wᵀ`` through
transposed views, no copies), into a preallocated output:

- forward ``Xₗ·Wₗ`` for every layer ``(N × fan_in) · (fan_in × units)``;
- ``dWₗ = Xₗᵀ·dZₗ`` for every layer ``(fan_in × N) · (N × units)``;
- ``dXₗ = dZₗ·Wₗᵀ`` for every layer but the first (whose input needs no
  gradient) ``(N × units) · (units × fan_in)``.

The step's FLOPs are ``2 m k n`` summed over them; a sample's are
``6 × MACs − 2 × MACs(first layer)``. NumPy's ``np.matmul`` (its BLAS) and
PyTorch's ``torch.matmul`` are timed on the same shapes, each in a process
of its own; the limit is ``N / Σ t(GEMM)`` samples per second at NumPy's speed.
"""

import os
import time

import numpy as np

LIBRARIES = ("numpy", "torch")
RUNS = {"numpy-gemm": "numpy", "torch-gemm": "torch"}  # the suite's runs -> library


def step_gemms(sizes, batch):
    """The GEMMs of one step: ``[(name, (m, k, n), a_transposed, b_transposed)]``.

    ``a_transposed`` means ``a`` is the transposed view of a C-ordered array
    (``Xᵀ``); likewise ``b_transposed`` (``Wᵀ``).
    """
    layers = list(enumerate(zip(sizes[:-1], sizes[1:]), start=1))
    gemms = [(f"forward X{i}·W{i}", (batch, fan_in, units), False, False)
             for i, (fan_in, units) in layers]
    gemms += [(f"dW{i} = X{i}ᵀ·dZ{i}", (fan_in, batch, units), True, False)
              for i, (fan_in, units) in layers]
    gemms += [(f"dX{i} = dZ{i}·W{i}ᵀ", (batch, units, fan_in), False, True)
              for i, (fan_in, units) in layers[1:]]
    return gemms


def flops_per_sample(sizes):
    """Training FLOPs of one sample: forward 2×MACs, backward 4×MACs, less the first dX."""
    macs = [fan_in * units for fan_in, units in zip(sizes[:-1], sizes[1:])]
    return 6 * sum(macs) - 2 * macs[0]


def _operands(shape, a_transposed, b_transposed, dtype, rng):
    m, k, n = shape
    a = rng.standard_normal((k, m) if a_transposed else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if b_transposed else (k, n)).astype(dtype)
    return (a.T if a_transposed else a), (b.T if b_transposed else b), np.empty((m, n), dtype)


def _library(library):
    """``(convert, matmul)`` of ``library``: NumPy arrays in, its own arrays and product out."""
    if library == "numpy":
        return (lambda array: array), np.matmul
    if library == "torch":
        import torch

        torch.set_num_threads(os.cpu_count())
        return torch.from_numpy, torch.matmul
    raise ValueError(f"`library` must be one of {list(LIBRARIES)}. Received: library={library!r}")


def measure(sizes, batch, dtype="float32", library="numpy", samples=60, target_seconds=0.002,
            seed=0):
    """Time each GEMM of one step with ``library``'s matmul; return per-shape medians and the limit.

    The shapes are timed round-robin, ``samples`` times each; a sample runs a
    GEMM enough times in a row to last about ``target_seconds`` and keeps the
    time of one call. The median over samples is that GEMM's time.

    Parameters
    ----------
    sizes : sequence of int
        The widths of the network, input first (e.g. ``(784, 512, 512, 10)``).
    batch : int
        Rows of a step.
    dtype : str
        ``"float32"`` or ``"float64"``.
    library : str
        ``"numpy"`` (``np.matmul``) or ``"torch"`` (``torch.matmul``, all cores).
    samples : int
        Timed samples per GEMM (at least 1).
    target_seconds : float
        Approximate duration of one sample.
    seed : int
        Seed of the random operands.

    Returns
    -------
    dict
        ``{"library", "dtype", "batch", "shapes": [{"name", "m", "k", "n", "layout",
        "seconds", "best_seconds", "gflops"}], "step_seconds", "flops_per_step",
        "flops_per_sample", "seconds_per_sample", "limit_samples_per_s", "gflops"}``.

    Raises
    ------
    ValueError
        For an unknown ``library``.
    """
    convert, matmul = _library(library)
    rng = np.random.default_rng(seed)
    gemms = step_gemms(sizes, batch)
    operands = [[convert(array) for array in _operands(shape, ta, tb, dtype, rng)]
                for _, shape, ta, tb in gemms]
    repeats = []
    for a, b, out in operands:  # warm up, and find how many calls last target_seconds
        matmul(a, b, out=out)
        started = time.perf_counter()
        matmul(a, b, out=out)
        repeats.append(max(1, int(target_seconds / max(time.perf_counter() - started, 1e-7))))
    times = [[] for _ in gemms]
    for _ in range(max(1, samples)):
        for i, (a, b, out) in enumerate(operands):
            started = time.perf_counter()
            for _ in range(repeats[i]):
                matmul(a, b, out=out)
            times[i].append((time.perf_counter() - started) / repeats[i])
    shapes = []
    for (name, (m, k, n), ta, tb), measured in zip(gemms, times):
        seconds = float(np.median(measured))
        layout = f"{'Aᵀ' if ta else 'A'}·{'Bᵀ' if tb else 'B'}"
        shapes.append({"name": name, "m": m, "k": k, "n": n, "layout": layout,
                       "seconds": seconds, "best_seconds": float(min(measured)),
                       "gflops": 2 * m * k * n / seconds / 1e9})
    step = sum(s["seconds"] for s in shapes)
    flops = sum(2 * s["m"] * s["k"] * s["n"] for s in shapes)
    return {"library": library, "dtype": dtype, "batch": batch, "shapes": shapes,
            "step_seconds": step, "flops_per_step": flops,
            "flops_per_sample": flops_per_sample(sizes), "seconds_per_sample": step / batch,
            "limit_samples_per_s": batch / step, "gflops": flops / step / 1e9}
