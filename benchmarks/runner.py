"""Running the suite: one fresh subprocess per run, interleaved, then medians and a report.

Each (workload, framework, dtype) run is ``python -m benchmarks.runner --one W1
layerkit float32``: a new interpreter that imports one framework, makes the
data, warms up, times the training and prints one JSON line, ending with the
process's peak resident memory (``VmHWM``), which is therefore that run's alone.
The suite repeats every run ``repeats`` times, interleaving the frameworks
(repeat, workload, dtype, framework) so that a slow spell of a shared machine
hits them all, and reports the median of each.

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
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import gemm
from benchmarks.workloads import FRAMEWORKS, TRAINERS, WORKLOADS, make_data

GEMM = "numpy-gemm"
RESULT_PREFIX = "BENCHMARK_RESULT "
ROOT = Path(__file__).resolve().parent.parent
SCALES = {"ms/step": 1e3, "us/step": 1e6}


def peak_rss_mib():
    """This process's peak resident set size in MiB (``VmHWM``, else ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(name, framework, dtype, divisor=1):
    """Run one workload in this process and return its measurement (a dict).

    ``framework`` is one of ``FRAMEWORKS``, or ``"numpy-gemm"`` for W4's GEMM
    limit. The value is in the workload's metric: ms/step, us/step or samples/s.
    """
    if framework == GEMM:
        result = gemm.measure(dtype, samples=10 if divisor > 1 else 60)
        return {**result, "value": result["limit_samples_per_s"], "peak_rss_mib": peak_rss_mib()}
    workload = WORKLOADS[name].scaled(divisor)
    x, y = make_data(workload, dtype)
    data_mib = (x.nbytes + y.nbytes) / 2**20
    result = TRAINERS[framework](workload, x, y, dtype)
    result["data_mib"] = data_mib
    if workload.metric == "samples/s":
        result["value"] = result["samples"] / result["seconds"]
    else:
        result["value"] = result["seconds"] / result["steps"] * SCALES[workload.metric]
    result["expected_steps"] = workload.steps
    result["peak_rss_mib"] = peak_rss_mib()
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
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {"error": f"exit status {done.returncode}: " + " | ".join(tail)}
    result = json.loads(lines[-1][len(RESULT_PREFIX):])
    result["wall_seconds"] = time.perf_counter() - started
    return result


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
    if run["framework"] == GEMM:
        return f"limit {run['value']:,.0f} samples/s ({run['gflops']:.1f} GFLOP/s)"
    metric = WORKLOADS[run["workload"]].metric
    return f"{run['value']:,.3f} {metric}, {run['peak_rss_mib']:.0f} MiB"


def _check(run):
    """What looks wrong with a successful run: missing steps, a non-finite loss, another dtype."""
    if "error" in run or run["framework"] == GEMM:
        return []
    problems = []
    if run["steps"] != run["expected_steps"]:
        problems.append(f"{run['steps']} of {run['expected_steps']} steps ran")
    if not math.isfinite(run["loss"]):
        problems.append(f"the final loss is {run['loss']}")
    if run["weights_dtype"] != run["dtype"]:
        problems.append(f"the weights are {run['weights_dtype']}, not {run['dtype']}")
    return problems


def run_suite(workloads, frameworks, repeats=3, divisor=1, timeout=900, log=sys.stderr):
    """Run every (workload, dtype, framework) ``repeats`` times, interleaved; return the results.

    Within a repeat the frameworks run one after the other for each workload
    (their order rotating from one repeat to the next), then W4's GEMM limit.
    Returns the JSON-ready dict that :func:`render` formats.
    """
    frameworks, skipped = available(frameworks)
    for framework, reason in skipped.items():
        print(f"skipping {framework}: {reason}", file=log)
    started, runs = time.time(), []
    info = machine_info()
    for repeat in range(repeats):
        order = frameworks[repeat % len(frameworks):] + frameworks[:repeat % len(frameworks)] \
            if frameworks else []
        for name in workloads:
            for dtype in WORKLOADS[name].dtypes:
                for framework in order + ([GEMM] if name == "W4" else []):
                    run = {"workload": name, "framework": framework, "dtype": dtype,
                           "repeat": repeat, **spawn(name, framework, dtype, divisor, timeout)}
                    problems = _check(run)
                    if problems:
                        run["warning"] = "; ".join(problems)
                    runs.append(run)
                    print(f"[{repeat + 1}/{repeats}] {name} {dtype} {framework}: "
                          f"{_describe(run)}", file=log, flush=True)
    info["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
               "duration_s": time.time() - started, "quick": divisor > 1, "divisor": divisor,
               "repeats": repeats, "workloads": list(workloads), "frameworks": frameworks,
               "skipped": skipped, "machine": info,
               "settings": {name: {**dataclasses.asdict(WORKLOADS[name].scaled(divisor)),
                                   "steps": WORKLOADS[name].scaled(divisor).steps}
                            for name in workloads},
               "runs": runs}
    results.update(summarize(runs, workloads, frameworks))
    return results


# ---------------------------------------------------------------- medians and targets
NAMES = {"layerkit": "layerkit", "torch": "PyTorch", "keras": "Keras"}
UNITS = {"ms/step": "ms/step", "us/step": "µs/step", "samples/s": "samples/s"}


def speedup(layerkit, other, metric):
    """How many times faster layerkit is than ``other`` (> 1: layerkit is faster)."""
    if not layerkit or not other:
        return None
    return layerkit / other if metric == "samples/s" else other / layerkit


def _gemm_summary(runs):
    if not runs:
        return None
    shapes = [{**{k: shape[k] for k in ("name", "m", "k", "n", "layout")},
               "seconds": median([r["shapes"][i]["seconds"] for r in runs]),
               "gflops": median([r["shapes"][i]["gflops"] for r in runs])}
              for i, shape in enumerate(runs[0]["shapes"])]
    return {"limit_samples_per_s": median([r["value"] for r in runs]),
            "gflops": median([r["gflops"] for r in runs]),
            "flops_per_sample": runs[0]["flops_per_sample"], "runs": len(runs), "shapes": shapes}


def summarize(runs, workloads, frameworks):
    """Medians per (workload, dtype, framework), ratios, W4's limit, and the targets.

    Returns ``{"summary": {workload: {dtype: row}}, "targets": [...]}``; a row
    holds each framework's median metric and median peak RSS, layerkit's
    speed-ups, and for W4 the GEMM limit and each framework's fraction of it.
    """
    summary = {}
    for name in workloads:
        workload = WORKLOADS[name]
        for dtype in workload.dtypes:
            mine = [r for r in runs if r["workload"] == name and r["dtype"] == dtype]
            row = {"title": workload.title, "metric": workload.metric, "frameworks": {}}
            for framework in frameworks:
                done = [r for r in mine if r["framework"] == framework and "error" not in r]
                row["frameworks"][framework] = {
                    "median": median([r["value"] for r in done]),
                    "values": [r["value"] for r in done],
                    "peak_rss_mib": median([r["peak_rss_mib"] for r in done]),
                    "runs": len(done),
                    "errors": sum(r["framework"] == framework and "error" in r for r in mine)}
            layerkit = row["frameworks"].get("layerkit", {}).get("median")
            for other in ("torch", "keras"):
                if other in frameworks:
                    row[f"speedup_vs_{other}"] = speedup(
                        layerkit, row["frameworks"][other]["median"], workload.metric)
            if name == "W4":
                row["gemm"] = _gemm_summary([r for r in mine if r["framework"] == GEMM
                                             and "error" not in r])
                limit = row["gemm"] and row["gemm"]["limit_samples_per_s"]
                row["fraction_of_limit"] = {
                    f: (v["median"] / limit if limit and v["median"] else None)
                    for f, v in row["frameworks"].items()}
            summary.setdefault(name, {})[dtype] = row
    if {"float32", "float64"} <= set(summary.get("W4", {})):
        w4 = summary["W4"]
        w4["float64_slowdown"] = {f: speedup(w4["float32"]["frameworks"][f]["median"],
                                             w4["float64"]["frameworks"][f]["median"], "samples/s")
                                  for f in frameworks}
    return {"summary": summary, "targets": targets(summary)}


def targets(summary):
    """The issue's targets, each with its measured value and PASS, FAIL or n/a."""
    def row(name, dtype="float32"):
        return summary.get(name, {}).get(dtype, {})

    def rss_ratio(dtype):
        frameworks = row("W4", dtype).get("frameworks", {})
        mine, theirs = (frameworks.get(f, {}).get("peak_rss_mib") for f in ("layerkit", "torch"))
        return mine / theirs if mine and theirs else None

    checks = []
    for dtype in ("float32", "float64"):
        checks += [
            (f"W4 {dtype}: at least 85 % of the GEMM-bound limit",
             row("W4", dtype).get("fraction_of_limit", {}).get("layerkit"), ">=", 0.85, "%"),
            (f"W4 {dtype}: at least 1.5× PyTorch's samples/s",
             row("W4", dtype).get("speedup_vs_torch"), ">=", 1.5, "×")]
    checks += [(f"{name}: at least 2× faster than PyTorch", row(name).get("speedup_vs_torch"),
                ">=", 2.0, "×") for name in ("W1", "W3")]
    checks += [(f"{name}: whole `fit` step at most 40 µs",
                row(name).get("frameworks", {}).get("layerkit", {}).get("median"), "<=", 40.0,
                "µs") for name in ("W5", "W6")]
    checks += [(f"W4 {dtype}: peak RSS at most PyTorch's", rss_ratio(dtype), "<=", 1.0, "×")
               for dtype in ("float32", "float64")]
    checks.append(("W4: float64 within 2.5× of float32 (time per sample)",
                   summary.get("W4", {}).get("float64_slowdown", {}).get("layerkit"), "<=", 2.5,
                   "×"))
    results = []
    for target, measured, op, threshold, unit in checks:
        status = "n/a" if measured is None else (
            "PASS" if (measured >= threshold if op == ">=" else measured <= threshold) else "FAIL")
        results.append({"target": target, "measured": measured, "op": op,
                        "threshold": threshold, "unit": unit, "status": status})
    return results


# ---------------------------------------------------------------- markdown
def _number(value, metric=None):
    if value is None:
        return "—"
    if metric == "samples/s":
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def _times(value):
    return "—" if value is None else f"{value:.2f}×"


def _measured(target):
    value = target["measured"]
    if value is None:
        return "—"
    if target["unit"] == "%":
        return f"{100 * value:.0f} % (≥ {100 * target['threshold']:.0f} %)"
    sign = "≥" if target["op"] == ">=" else "≤"
    if target["unit"] == "µs":
        return f"{value:.2f} µs ({sign} {target['threshold']:g} µs)"
    return f"{value:.2f}× ({sign} {target['threshold']:g}×)"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def render(results):
    """The results as markdown: set-up, the workload table, W4's limit, the targets."""
    frameworks, machine = results["frameworks"], results["machine"]
    others = [f for f in ("torch", "keras") if f in frameworks]
    mode = (f"quick (steps ÷ {results['divisor']})" if results["quick"] else "full")
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    blas = machine["blas"]
    blas = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} "
                     f"threads, {b.get('architecture')})" for b in blas) \
        if isinstance(blas, list) else str(blas)
    load = "→".join(f"{la[0]:.1f}" for la in (machine.get("load_average"),
                                              machine.get("load_average_end")) if la)
    lines = [f"Run on {results['started']}, {mode}, median of {results['repeats']} run(s) per "
             f"cell, {results['duration_s'] / 60:.1f} min in all. Machine: {machine['cpu']}, "
             f"{machine['cores']} cores, load average {load}; {versions}; BLAS: {blas}; "
             f"git {machine.get('git')}.", ""]
    if results["skipped"]:
        lines += ["Skipped: " + "; ".join(f"{NAMES[f]} {why}" for f, why in
                                         results["skipped"].items()) + ".", ""]
    header = (["Workload", "dtype", "metric"] + [NAMES[f] for f in frameworks]
              + [f"layerkit vs {NAMES[f]}" for f in others]
              + ["peak RSS MiB (" + " / ".join(NAMES[f] for f in frameworks) + ")"])
    rows = []
    for name, by_dtype in results["summary"].items():
        for dtype, row in by_dtype.items():
            if not isinstance(row, dict) or "metric" not in row:
                continue
            cells = row["frameworks"]
            rows.append([f"{name} {row['title']}", dtype, UNITS[row["metric"]]]
                        + [_number(cells[f]["median"], row["metric"]) for f in frameworks]
                        + [_times(row.get(f"speedup_vs_{f}")) for f in others]
                        + [" / ".join(_rss(cells[f]["peak_rss_mib"]) for f in frameworks)])
    lines += ["### Workloads", "", "Speed-ups above 1 mean layerkit is faster.", ""]
    lines += _table(header, rows)
    w4 = results["summary"].get("W4", {})
    gemms = {d: r["gemm"] for d, r in w4.items() if isinstance(r, dict) and r.get("gemm")}
    if gemms:
        lines += ["", "### W4 and its GEMM-bound limit", "",
                  f"FLOPs per sample: {next(iter(gemms.values()))['flops_per_sample']:,} "
                  "(forward 2×MACs + backward 4×MACs, less the first layer's input gradient).", ""]
        lines += _table(["dtype", "limit samples/s", "GEMM GFLOP/s"]
                        + [f"{NAMES[f]} % of limit" for f in frameworks],
                        [[d, _number(g["limit_samples_per_s"], "samples/s"), f"{g['gflops']:.1f}"]
                         + [_percent(w4[d]["fraction_of_limit"].get(f)) for f in frameworks]
                         for d, g in gemms.items()])
        lines += [""] + _table(
            ["GEMM", "m×k×n", "layout"] + [f"{d} µs / GFLOP/s" for d in gemms],
            [[s["name"], f"{s['m']}×{s['k']}×{s['n']}", s["layout"]]
             + [f"{1e6 * g['shapes'][i]['seconds']:.1f} / {g['shapes'][i]['gflops']:.1f}"
                for g in gemms.values()]
             for i, s in enumerate(next(iter(gemms.values()))["shapes"])])
    lines += ["", "### Targets", ""]
    lines += _table(["Target", "measured", "result"],
                    [[t["target"], _measured(t), t["status"]] for t in results["targets"]])
    notes = [f"{r['workload']} {r['dtype']} {r['framework']} (repeat {r['repeat'] + 1}): "
             + r.get("error", r.get("warning", "")) for r in results["runs"]
             if "error" in r or "warning" in r]
    if notes:
        lines += ["", "Problems:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _rss(value):
    return "—" if value is None else f"{value:.0f}"


def _percent(value):
    return "—" if value is None else f"{100 * value:.0f} %"


def write_results(results, folder):
    """Write ``<timestamp>.json``, ``latest.json`` and ``latest.md`` in ``folder``; return the md."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1, ensure_ascii=False)
    stamp = results["started"].replace(":", "").replace("-", "")
    for name in (f"{stamp}.json", "latest.json"):
        (folder / name).write_text(text + "\n")
    markdown = "# layerkit benchmarks\n\n" + render(results)
    (folder / "latest.md").write_text(markdown)
    return markdown


DOCS_BEGIN, DOCS_END = "<!-- benchmark-results:begin -->", "<!-- benchmark-results:end -->"


def update_docs(results, path=ROOT / "docs" / "performance.md"):
    """Replace the text between the results markers of ``docs/performance.md``."""
    path = Path(path)
    text = path.read_text()
    if DOCS_BEGIN not in text or DOCS_END not in text:
        raise ValueError(f"{path} has no {DOCS_BEGIN} ... {DOCS_END} section.")
    before, rest = text.split(DOCS_BEGIN, 1)
    after = rest.split(DOCS_END, 1)[1]
    path.write_text(f"{before}{DOCS_BEGIN}\n{render(results)}{DOCS_END}{after}")

def median(values):
    """The median of the values, or None when there are none."""
    return statistics.median(values) if values else None


def _child(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runner")
    parser.add_argument("--one", nargs=3, metavar=("WORKLOAD", "FRAMEWORK", "DTYPE"),
                        required=True)
    parser.add_argument("--divisor", type=int, default=1)
    args = parser.parse_args(argv)
    name, framework, dtype = args.one
    if name not in WORKLOADS or framework not in (*FRAMEWORKS, GEMM):
        parser.error(f"unknown workload or framework: {name} {framework}")
    print(RESULT_PREFIX + json.dumps(run_one(name, framework, dtype, args.divisor)), flush=True)


if __name__ == "__main__":
    _child(sys.argv[1:])
