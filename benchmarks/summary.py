"""The suite's numbers: medians per cell, layerkit's ratios, the GEMM-bound limits, the targets.

:func:`summarize` turns the runs into medians per (workload, dtype, framework)
and layerkit's ratios to the others; :func:`targets` checks the issue's
targets. ``benchmarks/report.py`` renders the result as markdown.
"""

import statistics

from benchmarks import gemm
from benchmarks.workloads import DTYPES, GROWTH_MIN_STEPS, WORKLOADS

GROWTH_LIMIT_MIB = 1.0       # memory growth allowed per 1,000 steps (see workloads.timed)
TORCH_GEMM_MARGIN = 1.05     # PyTorch's GEMMs count as faster when more than 5 % faster
STATUSES = ("met", "not met", "n/a")


def median(values):
    """The median of the values, or None when there are none."""
    return statistics.median(values) if values else None


def speedup(layerkit, other, metric):
    """How many times faster layerkit is than ``other`` (> 1: layerkit is faster)."""
    if not layerkit or not other:
        return None
    return layerkit / other if metric == "samples/s" else other / layerkit


# ---------------------------------------------------------------- medians
def _gemm_summary(runs):
    """Medians of one library's GEMM runs on one workload and dtype (None without runs)."""
    if not runs:
        return None
    shapes = [{**{k: shape[k] for k in ("name", "m", "k", "n", "layout")},
               "seconds": median([r["shapes"][i]["seconds"] for r in runs]),
               "gflops": median([r["shapes"][i]["gflops"] for r in runs])}
              for i, shape in enumerate(runs[0]["shapes"])]
    return {"step_seconds": median([r["step_seconds"] for r in runs]),
            "seconds_per_sample": median([r["seconds_per_sample"] for r in runs]),
            "limit_samples_per_s": median([r["limit_samples_per_s"] for r in runs]),
            "gflops": median([r["gflops"] for r in runs]), "batch": runs[0]["batch"],
            "flops_per_step": runs[0]["flops_per_step"],
            "flops_per_sample": runs[0]["flops_per_sample"], "runs": len(runs), "shapes": shapes}


def _cell(done, errors):
    """One framework's medians on one workload and dtype."""
    def middle(key):
        return median([r[key] for r in done])

    return {"median": middle("value"), "values": [r["value"] for r in done],
            "seconds_per_sample": middle("seconds_per_sample"),
            "peak_rss_mib": middle("peak_rss_mib"),
            "rss_growth_per_1000_steps": middle("rss_growth_per_1000_steps"),
            "loss": middle("loss"), "steps": middle("steps"), "runs": len(done),
            "growth_steps": median([r.get("growth_steps", r["steps"]) for r in done]),
            "growth_measure": done[0].get("growth_measure", "resident") if done else None,
            "errors": errors}


def _row(name, dtype, mine, frameworks):
    """The summary of one workload in one dtype (``mine``: its runs)."""
    workload = WORKLOADS[name]
    row = {"title": workload.title, "metric": workload.metric, "frameworks": {}, "gemm": {}}
    for framework in frameworks:
        runs = [r for r in mine if r["framework"] == framework]
        row["frameworks"][framework] = _cell([r for r in runs if "error" not in r],
                                             sum("error" in r for r in runs))
    cells = row["frameworks"]
    layerkit = cells.get("layerkit", {})
    for other in ("numpy", "torch", "keras"):
        if other in frameworks:
            row[f"speedup_vs_{other}"] = speedup(layerkit.get("median"), cells[other]["median"],
                                                 workload.metric)
    lean = cells.get("numpy", {}).get("seconds_per_sample")
    mine_step = layerkit.get("seconds_per_sample")
    row["step_ratio_vs_numpy"] = mine_step / lean if mine_step and lean else None
    for run_name, library in gemm.RUNS.items():
        row["gemm"][library] = _gemm_summary([r for r in mine if r["framework"] == run_name
                                              and "error" not in r])
    numpy_gemm, torch_gemm = row["gemm"]["numpy"], row["gemm"]["torch"]
    row["torch_gemm_speedup"] = (numpy_gemm["step_seconds"] / torch_gemm["step_seconds"]
                                 if numpy_gemm and torch_gemm else None)
    row["fraction_of_limit"] = {
        f: (numpy_gemm["seconds_per_sample"] / c["seconds_per_sample"]
            if numpy_gemm and c["seconds_per_sample"] else None) for f, c in cells.items()}
    return row


def summarize(runs, workloads, frameworks):
    """Medians per (workload, dtype, framework), ratios, the GEMM-bound limits, and the targets.

    Returns ``{"summary": {workload: {dtype: row}}, "targets": [...]}``. A row
    holds each framework's median metric, time per sample, peak RSS, RSS growth
    per 1,000 steps and final loss; layerkit's speed-ups over the others
    (``speedup_vs_numpy``...) and its step time over the lean loop's
    (``step_ratio_vs_numpy``); the NumPy and PyTorch GEMM summaries of the step
    (``gemm``), how much faster PyTorch's GEMMs are (``torch_gemm_speedup``), and
    each framework's fraction of NumPy's GEMM-bound limit (``fraction_of_limit``).
    """
    summary = {}
    for name in workloads:
        for dtype in DTYPES:
            mine = [r for r in runs if r["workload"] == name and r["dtype"] == dtype]
            if mine:
                summary.setdefault(name, {})[dtype] = _row(name, dtype, mine, frameworks)
    return {"summary": summary, "targets": targets(summary)}


# ---------------------------------------------------------------- targets
def _check(target, measured, op, threshold, unit, note=None):
    status = "n/a" if measured is None else (
        "met" if (measured >= threshold if op == ">=" else measured <= threshold) else "not met")
    return {"target": target, "measured": measured, "op": op, "threshold": threshold,
            "unit": unit, "status": status, "note": note}


def _torch_target(name, dtype, row):
    """W4 at least 1.0× PyTorch, unless PyTorch's GEMMs are faster than NumPy's on its shapes."""
    target = f"{name} {dtype}: at least 1.0× PyTorch (where NumPy's GEMM is not slower)"
    faster = row.get("torch_gemm_speedup")
    if faster is not None and faster > TORCH_GEMM_MARGIN:
        return _check(target, None, ">=", 1.0, "×",
                      f"waived: PyTorch's GEMMs are {faster:.2f}× faster than NumPy's here")
    return _check(target, row.get("speedup_vs_torch"), ">=", 1.0, "×")


def targets(summary):
    """The issue's targets, each with its measured value and met, not met or n/a."""
    checks = []
    rows = [(name, dtype, row) for name, by_dtype in summary.items()
            for dtype, row in by_dtype.items()]
    for name, dtype, row in rows:
        checks.append(_check(f"{name} {dtype}: at least 0.9× the lean NumPy loop's speed",
                             row.get("speedup_vs_numpy"), ">=", 0.9, "×"))
    for name, dtype, row in rows:
        if name in ("W5", "W6"):
            checks.append(_check(f"{name} {dtype}: step at most 2× the lean NumPy step",
                                 row.get("step_ratio_vs_numpy"), "<=", 2.0, "×"))
    for name, dtype, row in rows:
        if name == "W4":
            checks.append(_check(f"W4 {dtype}: at least 85 % of NumPy's GEMM-bound limit",
                                 row["fraction_of_limit"].get("layerkit"), ">=", 0.85, "%"))
    for name, dtype, row in rows:
        if name in ("W1", "W3"):
            checks.append(_check(f"{name} {dtype}: at least 1.2× PyTorch",
                                 row.get("speedup_vs_torch"), ">=", 1.2, "×"))
        elif name == "W4":
            checks.append(_torch_target(name, dtype, row))
    for name, dtype, row in rows:
        if name == "W4":
            mine, theirs = (row["frameworks"].get(f, {}).get("peak_rss_mib")
                            for f in ("layerkit", "torch"))
            checks.append(_check(f"W4 {dtype}: peak RSS at most PyTorch's",
                                 mine / theirs if mine and theirs else None, "<=", 1.0, "×"))
    for name, dtype, row in rows:
        checks.append(_growth_target(name, dtype, row["frameworks"].get("layerkit", {})))
    return checks


def _growth_target(name, dtype, cell):
    """layerkit's memory growth per 1,000 steps, when it was measured over enough steps."""
    target = f"{name} {dtype}: no allocation growth per step"
    steps = cell.get("growth_steps")
    if steps is not None and steps < GROWTH_MIN_STEPS:
        return _check(target, None, "<=", GROWTH_LIMIT_MIB, "MiB",
                      f"too few steps ({steps:g}) to tell")
    return _check(target, cell.get("rss_growth_per_1000_steps"), "<=", GROWTH_LIMIT_MIB, "MiB")
