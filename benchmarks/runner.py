"""Running the suite: one fresh subprocess per run, interleaved, then medians and a report.

Each (workload, framework, dtype) run is ``python -m benchmarks.runner --one W1
layerkit float32``: a new interpreter that imports one framework, makes the
data, warms up, times the training and prints one JSON line, ending with the
process's peak resident memory (``VmHWM``), which is therefore that run's alone.
The GEMMs of each workload's step are timed the same way, by the pseudo-frameworks
``numpy-gemm`` and ``torch-gemm`` (see ``benchmarks/gemm.py``).
The suite repeats every run ``repeats`` times, interleaving the frameworks
(repeat, workload, dtype, framework) so that a slow spell of a shared machine
hits them all; ``benchmarks/summary.py`` takes the median of each and
``benchmarks/report.py`` renders the tables.

Run ``python -m benchmarks`` (see ``benchmarks/__main__.py``) rather than this
module.
"""

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import gemm, summary
from benchmarks.trainers import TRAINERS
from benchmarks.workloads import WORKLOADS, make_data, rss_mib

RESULT_PREFIX = "BENCHMARK_RESULT "
ROOT = Path(__file__).resolve().parent.parent
SCALES = {"ms/step": 1e3, "us/step": 1e6}


def run_one(name, framework, dtype, divisor=1):
    """Run one workload in this process and return its measurement (a dict).

    ``framework`` is one of ``TRAINERS`` (``FRAMEWORKS`` and ``"layerkit-call"``), or
    ``"numpy-gemm"`` / ``"torch-gemm"`` for the GEMMs of the workload's step. A training
    run's ``value`` is in the workload's metric (ms/step, us/step or samples/s); a GEMM
    run's is GFLOP/s.
    """
    workload = WORKLOADS[name].scaled(divisor)
    if framework in gemm.RUNS:
        samples = 60 if divisor == 1 else 10 if divisor < 1000 else 3
        result = gemm.measure(workload.sizes, workload.batch, dtype, gemm.RUNS[framework], samples)
        return {**result, "value": result["gflops"], "peak_rss_mib": rss_mib("VmHWM")}
    x, y = make_data(workload, dtype)
    data_mib = (x.nbytes + y.nbytes) / 2**20
    result = TRAINERS[framework](workload, x, y, dtype)
    result["data_mib"] = data_mib
    if workload.metric == "samples/s":
        result["value"] = result["samples"] / result["seconds"]
    else:
        result["value"] = result["seconds"] / result["steps"] * SCALES[workload.metric]
    result["seconds_per_sample"] = result["seconds"] / result["samples"]
    result["rss_growth_per_1000_steps"] = (result["growth_mib"] / max(result["growth_steps"], 1)
                                           * 1000)
    result["expected_steps"] = workload.steps
    return result


def spawn(name, framework, dtype, divisor, timeout):
    """Run :func:`run_one` in a fresh interpreter; return its result, or ``{"error": ...}``."""
    env = dict(os.environ)
    if framework == "keras":
        env["KERAS_BACKEND"] = "torch"
    command = [sys.executable, "-m", "benchmarks.runner", "--one", name, framework, dtype,
               "--divisor", str(divisor)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    result = read_result(done)
    if "error" not in result:
        result["wall_seconds"] = time.perf_counter() - started
    return result


def read_result(done):
    """The result a child printed (its last ``RESULT_PREFIX`` line), or ``{"error": ...}``
    with its exit status and the last lines it wrote, from a ``subprocess.CompletedProcess``."""
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {"error": f"exit status {done.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def available(frameworks):
    """The importable frameworks among ``frameworks``, and ``{skipped: reason}``."""
    found, skipped = [], {}
    for framework in frameworks:
        needs = {"keras": ("keras", "torch")}.get(framework, (framework,))
        missing = [module for module in needs if importlib.util.find_spec(module) is None]
        if missing:
            skipped[framework] = f"not importable ({', '.join(missing)} missing)"
        else:
            found.append(framework)
    return found, skipped


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info():
    """CPU, cores, versions, BLAS, the OpenBLAS environment, load and the git commit."""
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        models = [line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = models[0] if models else cpu
    try:
        from threadpoolctl import threadpool_info
        blas = [{k: i.get(k) for k in ("internal_api", "version", "num_threads", "architecture",
                                        "threading_layer")} for i in threadpool_info()]
    except ImportError:
        import numpy
        blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas")
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, text=True,
                                capture_output=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        commit = None
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "git": commit,
            "versions": {p: _version(p) for p in ("layerkit", "numpy", "torch", "keras")},
            "blas": blas, "env": {k: v for k, v in os.environ.items()
                                  if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))},
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def _describe(run):
    if "error" in run:
        return "ERROR " + run["error"]
    if run["framework"] in gemm.RUNS:
        return (f"GEMMs {1e6 * run['step_seconds']:,.1f} µs/step ({run['gflops']:.1f} GFLOP/s), "
                f"limit {run['limit_samples_per_s']:,.0f} samples/s")
    metric = WORKLOADS[run["workload"]].metric
    return (f"{run['value']:,.3f} {metric}, loss {run['loss']:.6g}, {run['peak_rss_mib']:.0f} MiB "
            f"peak, RSS {run['rss_growth_per_1000_steps']:+.2f} MiB/1000 steps")


def _check(run):
    """What looks wrong with a successful run: missing steps, a non-finite loss, another dtype."""
    if "error" in run or run["framework"] in gemm.RUNS:
        return []
    problems = []
    if run["steps"] != run["expected_steps"]:
        problems.append(f"{run['steps']} of {run['expected_steps']} steps ran")
    if not math.isfinite(run["loss"]):
        problems.append(f"the final loss is {run['loss']}")
    if run["weights_dtype"] != run["dtype"]:
        problems.append(f"the weights are {run['weights_dtype']}, not {run['dtype']}")
    return problems


def schedule(workloads, frameworks, repeats, dtypes=None):
    """The runs in order: ``[(repeat, workload, dtype, framework)]``, interleaved.

    Within a repeat, for each workload and dtype, the frameworks run one after
    the other (their order rotating from one repeat to the next), then the
    GEMMs of that workload's step: NumPy's always, PyTorch's when PyTorch is
    among the frameworks.
    """
    gemms = ["numpy-gemm"] + (["torch-gemm"] if "torch" in frameworks else [])
    runs = []
    for repeat in range(repeats):
        shift = repeat % len(frameworks) if frameworks else 0
        order = list(frameworks[shift:]) + list(frameworks[:shift])
        for name in workloads:
            for dtype in WORKLOADS[name].dtypes:
                if dtypes is None or dtype in dtypes:
                    runs += [(repeat, name, dtype, framework) for framework in order + gemms]
    return runs


def run_suite(workloads, frameworks, repeats=3, divisor=1, timeout=900, dtypes=None,
              log=sys.stderr):
    """Run every (workload, dtype, framework) ``repeats`` times, interleaved; return the results.

    See :func:`schedule` for the order. A framework that cannot be imported is
    skipped (and listed in ``"skipped"``). Returns the JSON-ready dict that
    ``report.render`` formats (its medians and targets from ``summary.summarize``).
    """
    frameworks, skipped = available(frameworks)
    for framework, reason in skipped.items():
        print(f"skipping {framework}: {reason}", file=log)
    started, runs = time.time(), []
    info = machine_info()
    planned = schedule(workloads, frameworks, repeats, dtypes)
    for count, (repeat, name, dtype, framework) in enumerate(planned, start=1):
        run = {"workload": name, "framework": framework, "dtype": dtype, "repeat": repeat,
               **spawn(name, framework, dtype, divisor, timeout)}
        problems = _check(run)
        if problems:
            run["warning"] = "; ".join(problems)
        runs.append(run)
        print(f"[{count}/{len(planned)}] {name} {dtype} {framework}: {_describe(run)}", file=log,
              flush=True)
    info["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
               "duration_s": time.time() - started, "quick": divisor > 1, "divisor": divisor,
               "repeats": repeats, "workloads": list(workloads), "frameworks": frameworks,
               "dtypes": list(dtypes or ()), "skipped": skipped, "machine": info,
               "settings": {name: {**dataclasses.asdict(WORKLOADS[name].scaled(divisor)),
                                   "steps": WORKLOADS[name].scaled(divisor).steps}
                            for name in workloads},
               "runs": runs}
    results.update(summary.summarize(runs, workloads, frameworks))
    return results


def _child(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runner")
    parser.add_argument("--one", nargs=3, metavar=("WORKLOAD", "FRAMEWORK", "DTYPE"),
                        required=True)
    parser.add_argument("--divisor", type=int, default=1)
    args = parser.parse_args(argv)
    name, framework, dtype = args.one
    if name not in WORKLOADS or framework not in (*TRAINERS, *gemm.RUNS):
        parser.error(f"unknown workload or framework: {name} {framework}")
    print(RESULT_PREFIX + json.dumps(run_one(name, framework, dtype, args.divisor)), flush=True)


if __name__ == "__main__":
    _child(sys.argv[1:])
