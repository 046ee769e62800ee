"""Where two BLAS threads start to beat one, for the products of a Dense step.

``python -m benchmarks.blas_threads`` times the three products of a Dense layer's
step (``X W``, ``Xᵀ dZ``, ``dZ Wᵀ``) for a grid of batch sizes and square layers,
with one thread and with BLAS's default, interleaved, and prints for each shape
the ratio and the step's size in multiply-adds per product (rows x weights, the
quantity :mod:`layerkit.blas` compares with ``ONE_THREAD_BELOW``).
"""

import argparse
import time

import numpy as np
from threadpoolctl import ThreadpoolController

BATCHES = (1, 4, 16, 64, 128, 512)
WIDTHS = (16, 64, 128, 256, 512, 1024)


def step_seconds(batch, width, dtype, repeats):
    """The median time of the three products of one Dense step."""
    rng = np.random.default_rng(0)
    x, dz = rng.random((batch, width), dtype), rng.random((batch, width), dtype)
    w = rng.random((width, width), dtype)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x @ w
        x.T @ dz
        dz @ w.T
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    controller = ThreadpoolController()
    print(f"{'batch':>6} {'width':>6} {'rows x weights':>15} {'1 thread / default':>19}")
    crossover = None
    for batch in BATCHES:
        for width in WIDTHS:
            repeats = max(3, int(2e7 / (3 * batch * width * width)))
            ratios = []
            for _ in range(args.rounds):  # interleaved: both counts see the same machine
                with controller.limit(limits=1, user_api="blas"):
                    one = step_seconds(batch, width, args.dtype, repeats)
                default = step_seconds(batch, width, args.dtype, repeats)
                ratios.append(one / default)
            ratio = float(np.median(ratios))
            size = batch * width * width
            print(f"{batch:6d} {width:6d} {size:15,d} {ratio:19.2f}")
            if ratio > 1.1 and (crossover is None or size < crossover):
                crossover = size
    print(f"smallest step where the default threads are >10 % faster: {crossover:,} "
          "multiply-adds per product" if crossover else "one thread is never slower")


if __name__ == "__main__":
    main()
