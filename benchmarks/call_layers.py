"""``python -m benchmarks.call_layers``: a Dense stack written with ``call()`` against the built-in one.

A Keras user writes a dense layer as ``build`` with ``add_weight`` and a ``call`` that
composes operations (:class:`CallDense` below, as in Keras's guide "Making new layers
and models via subclassing"); layerkit then derives its backward pass from the
recorded graph. This benchmark times W1's network written both ways, each run in a
fresh process (:func:`benchmarks.runner.spawn`), the two interleaved, and prints
each one's median step and the ratio, whose target is at most 1.5.

Examples
--------
``python -m benchmarks.call_layers``                  W1, float32 and float64, 5 repeats
``python -m benchmarks.call_layers --quick``          steps divided by 50, a smoke test
"""

import argparse
import statistics
import sys

from benchmarks import runner
from benchmarks.__main__ import QUICK_DIVISOR  # the suite's smoke-test divisor
from benchmarks.workloads import WORKLOADS

TARGET = 1.5


def call_dense_class():
    """``CallDense``: Keras's guide's dense layer, ``activation(inputs @ kernel + bias)``.

    Made by a function, so that importing this module does not import layerkit.
    """
    from layerkit import activations, layers, ops

    class CallDense(layers.Layer):
        def __init__(self, units, activation=None, kernel_initializer="glorot_uniform",
                     bias_initializer="zeros", **kwargs):
            super().__init__(**kwargs)
            self.units, self.activation = units, activations.get(activation)
            self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

        def build(self, input_shape):
            self.kernel = self.add_weight((input_shape[-1], self.units), self.kernel_initializer,
                                          name="kernel")
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias")

        def call(self, inputs):
            return self.activation(ops.matmul(inputs, self.kernel) + self.bias)

    return CallDense


def compare(name="W1", dtypes=None, repeats=5, divisor=1, timeout=900, log=sys.stderr):
    """Median steps of the built-in and the ``call()`` stack, interleaved; ``{dtype: row}``.

    Each row: ``{"built-in": median, "call()": median, "ratio": call / built-in,
    "runs": {...}}`` in the workload's metric (ms/step for W1).
    """
    workload = WORKLOADS[name]
    rows = {}
    for dtype in dtypes or workload.dtypes:
        runs = {"layerkit": [], "layerkit-call": []}
        for repeat in range(repeats):
            order = list(runs) if repeat % 2 == 0 else list(runs)[::-1]
            for framework in order:
                result = runner.spawn(name, framework, dtype, divisor, timeout)
                if "error" in result:
                    raise RuntimeError(f"{name} {dtype} {framework}: {result['error']}")
                runs[framework].append(result["value"])
                print(f"{name} {dtype} {framework} repeat {repeat}: {result['value']:.4g} "
                      f"{workload.metric}", file=log, flush=True)
        built_in, written = (statistics.median(runs[f]) for f in ("layerkit", "layerkit-call"))
        rows[dtype] = {"built-in": built_in, "call()": written, "ratio": written / built_in,
                       "runs": runs}
    return rows


def render(name, rows, metric):
    """The markdown table of :func:`compare`'s rows."""
    lines = [f"| {name} | built-in Dense ({metric}) | `call()` Dense ({metric}) | ratio "
             f"(target <= {TARGET}) |", "|---|---|---|---|"]
    for dtype, row in rows.items():
        verdict = "met" if row["ratio"] <= TARGET else "missed"
        lines.append(f"| {dtype} | {row['built-in']:.4g} | {row['call()']:.4g} | "
                     f"{row['ratio']:.2f} ({verdict}) |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.call_layers",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtypes", default=None, help="comma-separated, e.g. float32")
    parser.add_argument("--quick", action="store_true",
                        help=f"divide the steps by {QUICK_DIVISOR} (a smoke test)")
    args = parser.parse_args(argv)
    dtypes = args.dtypes.split(",") if args.dtypes else None
    rows = compare("W1", dtypes, args.repeats, QUICK_DIVISOR if args.quick else 1)
    print(render("W1", rows, WORKLOADS["W1"].metric))
    return rows


if __name__ == "__main__":
    main()
