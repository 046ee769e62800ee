"""W4 trained data-parallel over MPI: two processes of one BLAS thread against one of two threads.

``python -m benchmarks.distributed`` runs, each in fresh processes, interleaved ``--repeats``
times:

- **alone**: W4 (784-512-512-10, global batch 128, SGD momentum 0.9, float32, one epoch of
  its 60,000 rows, shuffled) in one process with two BLAS threads, as ``benchmarks.workloads``
  trains it, under ``DataParallel`` (a world of one: nothing changes);
- **mpi**: the same script under ``mpiexec -n 2``, one BLAS thread per process; each process
  computes 64 rows of each batch, one all-reduce of the 2.68 MB of gradients per step;

then, once each, the **all-reduce alone** (``MPI_Allreduce`` in place, as training calls it,
over buffers of 0.01 to 8 MB: its latency and its cost per megabyte) and **one thread's step
time** at per-process batches of 4 to 128 rows (what a step costs when the batch is split
over more machines). The medians go to ``<output>/distributed.json`` and
``distributed.md``, with the scaling model ``docs/scaling.md`` shows (:func:`scaling_model`:
a model, not a measurement). ``--report distributed.json`` renders a saved run again.

The all-reduce time reported for the mpi runs is measured around the call inside ``fit``
(``DataParallel.all_reduce_seconds``): it includes waiting for the slower process.
"""

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.workloads import SEED, WORKLOADS, make_data

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "DISTRIBUTED_RESULT "
QUICK_DIVISOR = 20
SIZES_MB = (0.01, 0.1, 0.5, 1.0, 2.0, 2.68, 4.0, 8.0)
STEP_BATCHES = (4, 8, 16, 32, 64, 128)


def _threads(count):
    return {name: str(count) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                          "MKL_NUM_THREADS")}


def _report(result):
    """Print one result line (process 0 only)."""
    from layerkit import distribution
    if distribution.is_chief():
        print(PREFIX + json.dumps(result), flush=True)


def _w4(rows):
    return dataclasses.replace(WORKLOADS["W4"], rows=rows)


def _model(workload):
    import layerkit
    from layerkit import layers, optimizers
    model = layerkit.Sequential([layerkit.Input((workload.inputs,))]
                                + [layers.Dense(units, activation=activation)
                                   for units, activation in workload.layers])
    model.compile(optimizer=optimizers.SGD(learning_rate=workload.learning_rate,
                                           momentum=workload.momentum), loss=workload.loss)
    return model


# ---------------------------------------------------------------- in the measured processes
def fit_worker(rows):
    """One epoch of W4 over ``rows`` rows, under ``DataParallel`` (alone or under mpiexec)."""
    import layerkit
    from layerkit import distribution
    strategy = distribution.DataParallel()
    distribution.set_distribution(strategy)
    layerkit.utils.set_random_seed(SEED)
    workload = _w4(rows)
    x, y = make_data(workload, "float32")
    model = _model(workload)
    warm = workload.batch * 3
    model.fit(x[:warm], y[:warm], batch_size=workload.batch, epochs=1, verbose=0)
    strategy.all_reduce_seconds, strategy.all_reduce_steps = 0.0, 0
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=workload.batch, epochs=1, verbose=0, shuffle=True)
    seconds = time.perf_counter() - started
    steps = -(-rows // workload.batch)
    _report({"processes": strategy.num_processes, "seconds": seconds, "steps": steps,
             "samples_per_s": rows / seconds, "ms_per_step": 1e3 * seconds / steps,
             "all_reduce_ms_per_step": 1e3 * strategy.all_reduce_seconds / max(strategy.all_reduce_steps, 1),
             "gradient_mb": sum(w.nbytes for w in model.trainable_weights) / 1e6,
             "loss": history.history["loss"][-1]})


def all_reduce_worker(repeats):
    """The in-place all-reduce of float32 buffers, as ``DataParallel.reduce_gradients`` calls it."""
    from layerkit import distribution
    from layerkit.distribution.world import find_world
    world = find_world()
    distribution.set_distribution(distribution.DataParallel())
    times = {}
    for megabytes in SIZES_MB:
        buffer = np.ones(int(megabytes * 1e6 / 4), dtype=np.float32)
        samples = []
        for _ in range(repeats):
            world.allreduce_sum(np.zeros(1))  # both processes start together
            started = time.perf_counter()
            world.allreduce_sum(buffer)
            samples.append(time.perf_counter() - started)
        times[str(megabytes)] = 1e3 * statistics.median(samples)
    _report({"processes": world.size, "ms_by_mb": times})


def step_worker(rows):
    """Milliseconds per step of one process, one thread, at each per-process batch size."""
    import layerkit
    layerkit.utils.set_random_seed(SEED)
    workload = _w4(rows)
    x, y = make_data(workload, "float32")
    model = _model(workload)
    times = {}
    for batch in STEP_BATCHES:
        count = min(rows, batch * 60)
        model.fit(x[:batch * 3], y[:batch * 3], batch_size=batch, epochs=1, verbose=0)
        started = time.perf_counter()
        model.fit(x[:count], y[:count], batch_size=batch, epochs=1, verbose=0, shuffle=False)
        times[str(batch)] = 1e3 * (time.perf_counter() - started) / -(-count // batch)
    _report({"ms_per_step_by_batch": times})


# ---------------------------------------------------------------- the driver
def mpiexec():
    """The ``mpiexec`` beside this Python (the ``mpi`` extra's Open MPI), else the one on PATH."""
    return shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")


def spawn(arguments, threads, processes=None, timeout=900):
    """Run ``python -m benchmarks.distributed --worker ...`` (under mpiexec with ``processes``)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", **_threads(threads))
    launcher = [] if processes is None else [mpiexec(), "-n", str(processes)] + (
        ["--oversubscribe"] if (os.cpu_count() or 1) < processes else [])
    done = subprocess.run(launcher + [sys.executable, "-m", "benchmarks.distributed", "--worker"]
                          + [str(a) for a in arguments], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{arguments} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(lines[-1][len(PREFIX):])


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def all_reduce_model(ms_by_mb):
    """``(latency ms, ms per MB)``: the smallest buffer's time, and the median cost of a megabyte
    beyond it over the buffers of 1 MB and more (robust to one slow sample on a busy machine).

    Example
    -------
    >>> all_reduce_model({"0.01": 0.02, "1.0": 0.52, "2.0": 1.02, "4.0": 9.0})
    (0.02, 0.5)
    """
    latency = ms_by_mb[min(ms_by_mb, key=float)]
    per_mb = statistics.median((ms - latency) / float(mb) for mb, ms in ms_by_mb.items() if float(mb) >= 1)
    return latency, per_mb


def run_all(rows, repeats, log=sys.stderr):
    """Every measurement; returns the results as a dict (the medians and each run)."""
    alone, mpi = [], []
    for repeat in range(repeats):
        alone.append(spawn(["fit", rows], threads=2))
        mpi.append(spawn(["fit", rows], threads=1, processes=2))
        print(f"repeat {repeat + 1}/{repeats}: alone {alone[-1]['samples_per_s']:,.0f} samples/s, "
              f"2 processes {mpi[-1]['samples_per_s']:,.0f} samples/s", file=log)
    reduce = spawn(["all_reduce", 30 if rows >= 60000 else 5], threads=1, processes=2)
    steps = spawn(["steps", rows], threads=1)
    latency, per_mb = all_reduce_model(reduce["ms_by_mb"])
    return {"rows": rows, "repeats": repeats, "alone": alone, "mpi": mpi,
            "all_reduce": reduce, "steps": steps,
            "summary": {"alone_samples_per_s": median_of(alone, "samples_per_s"),
                        "mpi_samples_per_s": median_of(mpi, "samples_per_s"),
                        "alone_ms_per_step": median_of(alone, "ms_per_step"),
                        "mpi_ms_per_step": median_of(mpi, "ms_per_step"),
                        "mpi_all_reduce_ms_per_step": median_of(mpi, "all_reduce_ms_per_step"),
                        "gradient_mb": mpi[0]["gradient_mb"],
                        "all_reduce_latency_ms": float(latency),
                        "all_reduce_ms_per_mb": float(per_mb),
                        "load_average": list(os.getloadavg()), "cores": os.cpu_count()}}


def render(results):
    """The markdown table of ``results``."""
    s = results["summary"]
    lines = [f"W4 data-parallel, {results['rows']:,} rows, median of {results['repeats']} run(s), "
             f"{s['cores']} cores, load average {s['load_average'][0]:.1f}",
             "", "| run | samples/s | ms/step | all-reduce ms/step |", "|---|---:|---:|---:|",
             f"| 1 process, 2 BLAS threads | {s['alone_samples_per_s']:,.0f} | "
             f"{s['alone_ms_per_step']:.2f} | - |",
             f"| 2 processes (mpiexec), 1 BLAS thread each | {s['mpi_samples_per_s']:,.0f} | "
             f"{s['mpi_ms_per_step']:.2f} | {s['mpi_all_reduce_ms_per_step']:.2f} |",
             "", f"Speed-up of 2 processes: {s['mpi_samples_per_s'] / s['alone_samples_per_s']:.2f}x. "
             f"All-reduce alone: {s['all_reduce_latency_ms']:.3f} ms + {s['all_reduce_ms_per_mb']:.3f} "
             f"ms/MB (the gradients: {s['gradient_mb']:.2f} MB).", "",
             "| all-reduce MB | " + " | ".join(results["all_reduce"]["ms_by_mb"]) + " |",
             "|---|" + "---:|" * len(results["all_reduce"]["ms_by_mb"]),
             "| ms | " + " | ".join(f"{v:.3f}" for v in results["all_reduce"]["ms_by_mb"].values())
             + " |", "",
             "| rows per process (1 thread) | " + " | ".join(results["steps"]["ms_per_step_by_batch"])
             + " |", "|---|" + "---:|" * len(results["steps"]["ms_per_step_by_batch"]),
             "| ms/step | " + " | ".join(f"{v:.2f}" for v in
                                        results["steps"]["ms_per_step_by_batch"].values()) + " |"]
    return "\n".join(lines) + "\n"


# Interconnects the model assumes besides the one measured: (name, latency ms, ms per MB).
NETWORKS = (("10 Gb Ethernet (assumed)", 0.05, 0.8), ("100 Gb InfiniBand (assumed)", 0.002, 0.08))
MACHINES = (1, 2, 8, 32)


def all_reduce_ms(processes, megabytes, latency, per_mb):
    """A ring all-reduce: ``2(P-1)`` messages of ``latency``, ``2(P-1)/P · S`` MB sent per process.

    Example
    -------
    >>> all_reduce_ms(1, 2.68, 0.05, 0.8), round(all_reduce_ms(2, 1.0, 0.0, 1.0), 3)
    (0.0, 1.0)
    """
    return 2 * (processes - 1) * latency + 2 * (processes - 1) / processes * megabytes * per_mb


def scaling_model(results):
    """Rows of the model: ``(machines, rows each, step ms, {network: (all-reduce ms, speed-up)},
    weak-scaling speed-up on the first assumed network)``, from the measured step times."""
    summary, steps = results["summary"], results["steps"]["ms_per_step_by_batch"]
    networks = (("this machine (measured)", summary["all_reduce_latency_ms"],
                 summary["all_reduce_ms_per_mb"]),) + NETWORKS
    whole = steps["128"]
    rows = []
    for machines in MACHINES:
        each = 128 // machines
        compute = steps[str(each)]
        cost = {name: all_reduce_ms(machines, summary["gradient_mb"], latency, per_mb)
                for name, latency, per_mb in networks}
        speedups = {name: (ms, whole / (compute + ms)) for name, ms in cost.items()}
        weak = machines * whole / (whole + cost[NETWORKS[0][0]])
        rows.append((machines, each, compute, speedups, weak))
    return rows


def render_model(results):
    """The markdown table of :func:`scaling_model`."""
    rows = scaling_model(results)
    names = list(rows[0][3])
    header = (["machines", "rows each", "step ms"] + [f"all-reduce ms, {n}" for n in names]
              + [f"speed-up, {n}" for n in names] + [f"weak scaling, {NETWORKS[0][0]}"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for machines, each, compute, speedups, weak in rows:
        cells = ([str(machines), str(each), f"{compute:.2f}"]
                 + [f"{speedups[n][0]:.2f}" for n in names] + [f"{speedups[n][1]:.2f}x" for n in names]
                 + [f"{weak:.1f}x"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"W4's rows divided by {QUICK_DIVISOR} (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="render a saved distributed.json (and the scaling model) without running")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.report:
        results = json.loads(args.report.read_text())
        print(render(results) + "\n" + render_model(results))
        return results
    if args.worker:
        kind, value = args.worker[0], int(args.worker[1])
        {"fit": fit_worker, "all_reduce": all_reduce_worker, "steps": step_worker}[kind](value)
        return None
    if mpiexec() is None:
        parser.error("mpiexec was not found: install the `mpi` extra (pip install '.[mpi]').")
    rows = WORKLOADS["W4"].rows // (QUICK_DIVISOR if args.quick else 1)
    results = run_all(rows, args.repeats)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "distributed.json").write_text(json.dumps(results, indent=1))
    table = render(results) + "\n" + render_model(results)
    (args.output / "distributed.md").write_text(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
