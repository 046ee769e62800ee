"""Two versions of layerkit on the same workloads: is a change any slower?

``python -m benchmarks.compare BEFORE [AFTER]`` times layerkit's ``fit`` on each cell
(workload, dtype) with the layerkit of two versions, a git revision or a source tree
each (AFTER is this checkout by default), and prints, per cell, the median of each and
the median of the paired time ratios ``after / before`` with a bootstrap 95 %
confidence interval::

    python -m benchmarks.compare fb70880 --cells W2:float64 --rounds 61

The two versions run one after the other in each round, in fresh interpreters, their
order swapped from one round to the next, so that a slow spell of a shared machine
weighs on both; only the ratio within a round is kept. The harness (workloads,
trainers) is this checkout's for both, so an old version is timed exactly as a new
one. Only the timed run counts: the memory-growth phase of :func:`benchmarks.workloads.timed`
is skipped.
"""

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.runner import ROOT, read_result
from benchmarks.workloads import WORKLOADS

CHILD = """import json, sys
sys.path.insert(0, {tree!r})  # this version's layerkit, before the checkout's
from benchmarks import workloads
workloads.GROWTH_MIN_STEPS = 0  # the timed run only
from benchmarks.runner import RESULT_PREFIX, run_one
print(RESULT_PREFIX + json.dumps(run_one({name!r}, "layerkit", {dtype!r}, {divisor})))
"""


def source_tree(version, folder):
    """The folder holding ``version``'s ``layerkit`` package: ``version`` itself when it is
    a folder, else the package at that git revision, extracted under ``folder``.

    Raises
    ------
    ValueError
        If ``version`` is neither (git's message says why).
    """
    if (Path(version) / "layerkit").is_dir():
        return str(Path(version).resolve())
    archive = Path(folder) / "layerkit.tar"
    done = subprocess.run(["git", "archive", "--output", str(archive), version, "layerkit"],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise ValueError(f"{version!r} is neither a folder holding a layerkit package nor a git "
                         f"revision of this checkout: {done.stderr.strip()}")
    tree = Path(folder) / version.replace("/", "_")
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return str(tree)


def measure(tree, name, dtype, divisor=1):
    """One timed ``fit`` of workload ``name`` in ``dtype`` with the layerkit under ``tree``,
    in a fresh interpreter: its value in the workload's metric."""
    code = CHILD.format(tree=tree, name=name, dtype=dtype, divisor=divisor)
    result = read_result(subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                                        capture_output=True, text=True))
    if "error" in result:
        raise RuntimeError(f"{name} {dtype} under {tree} failed: {result['error']}")
    return result["value"]


def paired_values(cells, rounds, time_of):
    """``{cell: [(before, after), ...]}``: ``time_of(version, cell)`` for version 0 and 1 in
    each round, the two run in turn, version 0 first in even rounds and last in odd ones."""
    values = {cell: [] for cell in cells}
    for round_ in range(rounds):
        for cell in cells:
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            got = {version: time_of(version, cell) for version in order}
            values[cell].append((got[0], got[1]))
    return values


def time_ratio(pairs, higher_is_faster=False, resamples=4000, seed=0):
    """``(median, low, high)``: the median of the per-round time ratios ``after / before``
    and its bootstrap 95 % interval (for a rate such as samples/s, ``before / after``).

    Example
    -------
    >>> time_ratio([(2.0, 1.0), (4.0, 2.0), (1.0, 0.5)])
    (0.5, 0.5, 0.5)
    """
    before, after = np.array(pairs, dtype=float).T
    ratios = before / after if higher_is_faster else after / before
    rng = np.random.default_rng(seed)
    medians = np.median(rng.choice(ratios, (resamples, len(ratios))), axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(np.median(ratios)), float(low), float(high)


def table(values, labels):
    """The markdown table of :func:`paired_values`' result; ``labels``: the two versions."""
    lines = [f"| W | dtype | metric | {labels[0]} | {labels[1]} | time ratio | 95 % CI | rounds |",
             "|---|---|---|---|---|---|---|---|"]
    for (name, dtype), pairs in values.items():
        metric = WORKLOADS[name].metric
        median, low, high = time_ratio(pairs, higher_is_faster=metric == "samples/s")
        before, after = np.median(np.array(pairs, dtype=float), axis=0)
        lines.append(f"| {name} | {dtype} | {metric} | {before:.4g} | {after:.4g} | "
                     f"{median:.4f} | [{low:.4f}, {high:.4f}] | {len(pairs)} |")
    return "\n".join(lines)


def parse_cells(text):
    """``"W2:float64,W6"`` → ``[("W2", "float64"), ("W6", "float32"), ("W6", "float64")]``."""
    cells = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, dtype = item.partition(":")
        if name not in WORKLOADS or (dtype and dtype not in WORKLOADS[name].dtypes):
            raise argparse.ArgumentTypeError(f"unknown cell {item!r}; workloads: "
                                             f"{', '.join(WORKLOADS)}")
        cells += [(name, d) for d in ([dtype] if dtype else WORKLOADS[name].dtypes)]
    return cells


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a git revision or a folder holding a layerkit package")
    parser.add_argument("after", nargs="?", default=str(ROOT), help="the same (default: here)")
    parser.add_argument("--cells", type=parse_cells, default=parse_cells(",".join(WORKLOADS)),
                        help="comma-separated workloads, each optionally :dtype (default: all)")
    parser.add_argument("--rounds", type=int, default=11, help="paired rounds (default 11)")
    parser.add_argument("--divisor", type=int, default=1, help="divide the steps (a smoke test)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        try:
            trees = [source_tree(args.before, folder), source_tree(args.after, folder)]
        except ValueError as error:
            parser.error(str(error))
        values = paired_values(args.cells, args.rounds,
                               lambda version, cell: measure(trees[version], *cell, args.divisor))
    print(table(values, [args.before, "this checkout" if args.after == str(ROOT) else args.after]))


if __name__ == "__main__":
    main()
