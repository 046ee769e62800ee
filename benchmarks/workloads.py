"""The benchmark workloads, their synthetic data, and what every trainer shares.

A :class:`Workload` describes a network and how it is trained; ``make_data``
draws its data (NumPy only, from a fixed seed); :func:`timed` times a
trainer's training and records its memory. The trainers themselves, one per
framework, are in ``benchmarks/trainers.py`` (layerkit, PyTorch, Keras 3) and
``benchmarks/lean.py`` (the lean NumPy loop).

Every trainer warms up first (the same ``fit`` or loop on a few batches), then
times the real training and returns ``{"seconds", "cpu_seconds", "steps",
"samples", "loss", "weights_dtype", "rss_warm_mib", "rss_end_mib", "peak_rss_mib",
"growth_mib", "growth_steps", "growth_measure"}`` (CPU time counts every thread;
the RSS figures are the resident memory after the warm-up and at the end of the
training; the growth is measured as :func:`timed` says).
"""

import dataclasses
import math
import time
import tracemalloc
from pathlib import Path

import numpy as np

FRAMEWORKS = ("layerkit", "numpy", "torch", "keras")
DTYPES = ("float32", "float64")
SEED = 1234
WARMUP_STEPS = 3
GROWTH_MIN_STEPS = 1000  # on shorter runs one-time allocations weigh like a leak


@dataclasses.dataclass(frozen=True)
class Workload:
    """One training job: the network, the loss, the optimizer and the data's size.

    ``layers`` lists ``(units, activation)``; ``batch_size`` None means the whole
    data set (full-batch gradient descent); ``scale`` says what ``--quick``
    divides: the number of ``"epochs"`` or of ``"rows"``.
    """

    name: str
    title: str
    inputs: int
    layers: tuple
    loss: str                      # "binary_crossentropy", "sparse_categorical_crossentropy", "mse"
    learning_rate: float
    rows: int
    epochs: int
    batch_size: int | None = None
    momentum: float = 0.0
    shuffle: bool = False
    metric: str = "ms/step"        # "ms/step", "us/step" or "samples/s"
    dtypes: tuple = DTYPES
    initializer: str = "default"   # "default", "constant" (0.1) or "normal" (N(0, 1))
    scale: str = "epochs"
    full: bool = True              # False for the copies ``--quick`` makes

    @property
    def batch(self):
        """Samples per step."""
        return self.batch_size or self.rows

    @property
    def sizes(self):
        """The widths of the network, input first: ``(inputs, units₁, ..., units_L)``."""
        return (self.inputs,) + tuple(units for units, _ in self.layers)

    @property
    def steps(self):
        """Training steps of one timed run."""
        return self.epochs * math.ceil(self.rows / self.batch)

    def scaled(self, divisor):
        """This workload with its epochs (or rows) divided by ``divisor`` (for ``--quick``)."""
        if divisor <= 1:
            return self
        if self.scale == "rows":
            return dataclasses.replace(self, rows=max(self.batch * 2, self.rows // divisor),
                                       full=False)
        return dataclasses.replace(self, epochs=max(2, self.epochs // divisor), full=False)


RELU4 = ((25, "relu"), (50, "relu"), (50, "relu"), (25, "relu"), (1, "sigmoid"))
WORKLOADS = {w.name: w for w in (
    Workload("W1", "moons 2-25-50-50-25-1, full batch", 2, RELU4, "binary_crossentropy",
             0.01, rows=900, epochs=10000),
    Workload("W2", "cat logistic regression 12288-1, full batch", 12288, ((1, "sigmoid"),),
             "binary_crossentropy", 0.005, rows=209, epochs=2000),
    Workload("W3", "cat deep 12288-20-7-5-1, full batch", 12288,
             ((20, "relu"), (7, "relu"), (5, "relu"), (1, "sigmoid")), "binary_crossentropy",
             0.0075, rows=209, epochs=2500),
    Workload("W4", "MLP 784-512-512-10, batch 128, momentum 0.9", 784,
             ((512, "relu"), (512, "relu"), (10, "softmax")), "sparse_categorical_crossentropy",
             0.01, rows=60000, epochs=1, batch_size=128, momentum=0.9, shuffle=True,
             metric="samples/s", scale="rows"),
    Workload("W5", "Boston 13-10(sigmoid)-1, MSE, batch 11", 13, ((10, "sigmoid"), (1, None)),
             "mse", 0.01, rows=404, epochs=100, batch_size=11, shuffle=True, metric="us/step",
             initializer="normal"),
    Workload("W6", "2-2-1 network, one sample a step", 2, ((2, "sigmoid"), (1, "sigmoid")),
             "mse", 0.1, rows=4, epochs=1000, batch_size=1, metric="us/step",
             initializer="constant"),
)}


# ---------------------------------------------------------------- data (NumPy only)
def make_data(workload, dtype, seed=SEED):
    """Synthetic ``(x, y)`` of the workload's shapes, in ``dtype``; the same for every framework.

    W1 two noisy moons; W2/W3 random 8-bit images / 255 and random labels; W4
    random features and labels 0..9; W5 standardized features and prices that
    depend on them; W6 the tutorial's four people. ``y`` is ``(N, 1)`` except
    for W4's integer labels ``(N,)``.
    """
    rng = np.random.default_rng(seed)
    n = workload.rows
    if workload.name == "W1":
        t = rng.uniform(0, np.pi, n)
        upper = rng.random(n) < 0.5
        x = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)],
                     np.c_[1 - np.cos(t), 0.5 - np.sin(t)]) + rng.normal(0, 0.2, (n, 2))
        y = (~upper).astype(dtype)[:, None]
    elif workload.name in ("W2", "W3"):
        x = rng.integers(0, 256, (n, workload.inputs), dtype=np.uint8).astype(dtype)
        x /= 255
        y = (rng.random((n, 1)) < 0.35).astype(dtype)
    elif workload.name == "W4":  # drawn in dtype: no temporary copy to inflate the peak RSS
        return rng.random((n, workload.inputs), dtype=dtype), rng.integers(0, 10, n)
    elif workload.name == "W5":
        x = rng.standard_normal((n, workload.inputs))
        y = 22.5 + x @ rng.normal(0, 3, workload.inputs)[:, None] + rng.normal(0, 2, (n, 1))
    else:  # W6: weight - 135 lb and height - 66 in of Alice, Bob, Charlie, Diana
        x = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]], dtype=float)
        y = np.array([[1], [0], [0], [1]], dtype=float)
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False)


# ---------------------------------------------------------------- what every trainer shares
def rss_mib(field="VmRSS"):
    """This process's resident memory in MiB: now (``VmRSS``) or at its peak (``VmHWM``).

    Read from ``/proc/self/status``; where there is none, ``ru_maxrss`` (the
    peak) stands in for both.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def allocated_mib():
    """The memory Python and NumPy have allocated and not freed, in MiB (while
    ``tracemalloc`` traces; NumPy reports its arrays' data to it)."""
    return tracemalloc.get_traced_memory()[0] / 2**20


def timed(workload, train, weight, growth=None):
    """Time ``train(workload.epochs)``, which returns the steps done and the last loss.

    ``weight`` (a kernel of the model) is there to record the dtype the model
    really trained in. The resident memory is read before and after: its growth
    over the steps (``growth_mib`` over ``growth_steps``). The peak resident memory
    is read right after.

    A full run shorter than ``GROWTH_MIN_STEPS`` steps (W4's single epoch) is too
    short for that: what a run allocates once (the permutation of its rows, the
    buffers of its last, smaller batch) weighs like a leak, and so does the
    allocator's keeping a MiB or two more of freed memory now and then. Where the
    trainer gives ``growth(epochs)``, it then trains on, untimed, for enough epochs
    to make ``GROWTH_MIN_STEPS`` steps after a first one of the same run, and returns
    ``(steps, allocated before, allocated after)`` from :func:`allocated_mib`: the
    growth of what is allocated and not freed, which the allocator does not blur.
    """
    rss_warm = rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    steps, loss = train(workload.epochs)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    result = {"seconds": seconds, "cpu_seconds": cpu_seconds, "steps": steps,
              "samples": workload.epochs * workload.rows, "loss": float(loss),
              "weights_dtype": str(weight.dtype).replace("torch.", ""),
              "rss_warm_mib": rss_warm, "rss_end_mib": rss_mib(),
              "peak_rss_mib": rss_mib("VmHWM"), "growth_measure": "resident"}
    result["growth_steps"] = steps
    result["growth_mib"] = result["rss_end_mib"] - rss_warm
    if growth is not None and workload.full and 0 < steps < GROWTH_MIN_STEPS:
        tracemalloc.start()
        try:
            result["growth_steps"], before, after = growth(
                workload.epochs * math.ceil(GROWTH_MIN_STEPS / steps))
        finally:
            tracemalloc.stop()
        result.update(growth_mib=after - before, growth_measure="allocated")
    return result


def warmup_rows(workload):
    """The rows the warm-up trains on: the first ``WARMUP_STEPS`` batches (all rows if full batch)."""
    return min(workload.rows, workload.batch * WARMUP_STEPS)


def warmup_epochs(workload):
    """Epochs of the warm-up: one over its batches, or ``WARMUP_STEPS`` full-batch steps."""
    return 1 if workload.batch_size else WARMUP_STEPS
