"""The GEMM-bound limit of W4: how fast a training step could go if it were only its matmuls.

One W4 step (784-512-512-10, batch 128) multiplies these matrices; each is
timed with ``np.matmul`` in the memory layout layerkit's ``Dense`` uses
(``X @ W``; ``dW = Xᵀ @ dZ`` and ``dX = dZ @ Wᵀ`` through transposed views, no
copies). The first layer's input gradient is not needed, so it is not counted.

The limit is ``128 / Σ t(GEMM)`` samples per second; the FLOPs of a sample are
``6 × MACs − 2 × MACs(first layer)`` (forward 2×, backward 4×, less dX₁).
"""

import time

import numpy as np

BATCH = 128
SIZES = (784, 512, 512, 10)


def w4_gemms(batch=BATCH, sizes=SIZES):
    """The GEMMs of one W4 step: ``(name, (m, k, n), a_transposed, b_transposed)``.

    ``a_transposed`` means ``a`` is the transposed view of a C-ordered array
    (``Xᵀ``); likewise ``b_transposed`` (``Wᵀ``).
    """
    gemms = []
    for layer, (fan_in, units) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        gemms.append((f"forward X{layer}·W{layer}", (batch, fan_in, units), False, False))
    for layer, (fan_in, units) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        gemms.append((f"dW{layer} = X{layer}ᵀ·dZ{layer}", (fan_in, batch, units), True, False))
    for layer, (fan_in, units) in list(enumerate(zip(sizes[:-1], sizes[1:]), start=1))[1:]:
        gemms.append((f"dX{layer} = dZ{layer}·W{layer}ᵀ", (batch, units, fan_in), False, True))
    return gemms


def flops_per_sample(sizes=SIZES):
    """Training FLOPs of one sample: forward 2×MACs, backward 4×MACs, less the first dX."""
    macs = [fan_in * units for fan_in, units in zip(sizes[:-1], sizes[1:])]
    return 6 * sum(macs) - 2 * macs[0]


def _operands(shape, a_transposed, b_transposed, dtype, rng):
    m, k, n = shape
    a = rng.standard_normal((k, m) if a_transposed else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if b_transposed else (k, n)).astype(dtype)
    return (a.T if a_transposed else a), (b.T if b_transposed else b)


def measure(dtype="float32", samples=60, target_seconds=0.002, seed=0):
    """Time each W4 GEMM with ``np.matmul``; return per-shape medians and the limit.

    The shapes are timed round-robin, ``samples`` times each; a sample runs a
    GEMM enough times in a row to last about ``target_seconds`` and keeps the
    time of one call. The median over samples is that GEMM's time.

    Parameters
    ----------
    dtype : str
        ``"float32"`` or ``"float64"``.
    samples : int
        Timed samples per GEMM (at least 1).
    target_seconds : float
        Approximate duration of one sample.
    seed : int
        Seed of the random operands.

    Returns
    -------
    dict
        ``{"dtype", "shapes": [{"name", "m", "k", "n", "layout", "seconds", "best_seconds",
        "gflops"}],
        "step_seconds", "limit_samples_per_s", "flops_per_sample", "gflops"}``.
    """
    rng = np.random.default_rng(seed)
    gemms = w4_gemms()
    operands = [_operands(shape, ta, tb, dtype, rng) for _, shape, ta, tb in gemms]
    repeats = []
    for a, b in operands:  # warm up, and find how many calls last target_seconds
        np.matmul(a, b)
        started = time.perf_counter()
        np.matmul(a, b)
        repeats.append(max(1, int(target_seconds / max(time.perf_counter() - started, 1e-7))))
    times = [[] for _ in gemms]
    for _ in range(max(1, samples)):
        for i, (a, b) in enumerate(operands):
            started = time.perf_counter()
            for _ in range(repeats[i]):
                np.matmul(a, b)
            times[i].append((time.perf_counter() - started) / repeats[i])
    shapes = []
    for (name, (m, k, n), ta, tb), measured in zip(gemms, times):
        seconds = float(np.median(measured))
        layout = f"{'Aᵀ' if ta else 'A'}·{'Bᵀ' if tb else 'B'}"
        shapes.append({"name": name, "m": m, "k": k, "n": n, "layout": layout,
                       "seconds": seconds, "best_seconds": float(min(measured)),
                       "gflops": 2 * m * k * n / seconds / 1e9})
    step = sum(s["seconds"] for s in shapes)
    return {"dtype": dtype, "shapes": shapes, "step_seconds": step,
            "limit_samples_per_s": BATCH / step, "flops_per_sample": flops_per_sample(),
            "gflops": flops_per_sample() * BATCH / step / 1e9}
