"""The suite's results as markdown: the tables, the reports on disk, and docs/performance.md.

:func:`render` writes the tables from the dict ``runner.run_suite`` returns
(or a saved ``latest.json``); :func:`write_results` saves a run;
:func:`update_docs` puts the tables into ``docs/performance.md``.
"""

import json
from pathlib import Path

from benchmarks.workloads import FRAMEWORKS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
NAMES = {"layerkit": "layerkit", "numpy": "lean NumPy", "torch": "PyTorch", "keras": "Keras"}
UNITS = {"ms/step": "ms/step", "us/step": "µs/step", "samples/s": "samples/s"}


def _number(value, metric=None):
    if value is None:
        return "—"
    if metric == "samples/s":
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"


def _times(value):
    return "—" if value is None else f"{value:.2f}×"


def _percent(value):
    return "—" if value is None else f"{100 * value:.0f} %"


def _mib(value, signed=False):
    return "—" if value is None else (f"{value:+.2f}" if signed else f"{value:.0f}")


def _growth(cell):
    """The growth per 1,000 steps, marked † when it is the allocated memory's (W4's)."""
    mark = "†" if cell.get("growth_measure") == "allocated" else ""
    return _mib(cell["rss_growth_per_1000_steps"], True) + mark


def _measured(target):
    value, sign = target["measured"], "≥" if target["op"] == ">=" else "≤"
    if value is None:
        return target["note"] or "—"
    if target["unit"] == "%":
        return f"{100 * value:.0f} % ({sign} {100 * target['threshold']:.0f} %)"
    if target["unit"] == "MiB":
        return f"{value:+.2f} MiB / 1,000 steps ({sign} {target['threshold']:g})"
    return f"{value:.2f}× ({sign} {target['threshold']:g}×)"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def _rows(results):
    return [(name, dtype, row) for name, by_dtype in results["summary"].items()
            for dtype, row in by_dtype.items()]


def _blas(blas):
    """threadpoolctl's list of libraries, or NumPy's build configuration, in a few words."""
    if isinstance(blas, list):
        return ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} "
                         f"threads, {b.get('architecture')})" for b in blas)
    if isinstance(blas, dict):
        return " ".join(str(blas[k]) for k in ("name", "version", "openblas configuration")
                        if blas.get(k))
    return str(blas)


def _header(results):
    machine = results["machine"]
    mode = f"quick (steps ÷ {results['divisor']})" if results["quick"] else "full"
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    blas = _blas(machine["blas"])
    load = "→".join(f"{la[0]:.1f}" for la in (machine.get("load_average"),
                                              machine.get("load_average_end")) if la)
    lines = [f"Run on {results['started']}, {mode}, median of {results['repeats']} run(s) per "
             f"cell, {results['duration_s'] / 60:.1f} min in all. Machine: {machine['cpu']}, "
             f"{machine['cores']} cores, load average {load}; {versions}; BLAS: {blas}; "
             f"git {machine.get('git')}.", ""]
    if results["skipped"]:
        lines += ["Skipped: " + "; ".join(f"{NAMES[f]} {why}" for f, why in
                                         results["skipped"].items()) + ".", ""]
    return lines


def _speed_table(results):
    frameworks = results["frameworks"]
    mine = "layerkit" in frameworks
    others = [f for f in ("numpy", "torch", "keras") if f in frameworks and mine]
    names = " / ".join(NAMES[f] for f in frameworks)
    growth = [f for f in ("layerkit", "numpy") if f in frameworks]
    header = (["Workload", "dtype", "metric"] + [NAMES[f] for f in frameworks]
              + [f"layerkit / {NAMES[f]}" for f in others] + ["GEMM GFLOP/s NumPy / PyTorch"]
              + ["layerkit % of GEMM limit"] * mine
              + [f"peak RSS MiB ({names})",
                 "RSS growth MiB/1k steps (" + " / ".join(NAMES[f] for f in growth) + ")"])
    rows = []
    for name, dtype, row in _rows(results):
        cells, gemms = row["frameworks"], row["gemm"]
        rows.append([f"{name} {row['title']}", dtype, UNITS[row["metric"]]]
                    + [_number(cells[f]["median"], row["metric"]) for f in frameworks]
                    + [_times(row.get(f"speedup_vs_{f}")) for f in others]
                    + [" / ".join(f"{g['gflops']:.3g}" if g else "—"
                                  for g in (gemms["numpy"], gemms["torch"]))]
                    + [_percent(row["fraction_of_limit"].get("layerkit"))] * mine
                    + [" / ".join(_mib(cells[f]["peak_rss_mib"]) for f in frameworks),
                       " / ".join(_growth(cells[f]) for f in growth)])
    allocated = [f"{name} {dtype}" for name, dtype, row in _rows(results)
                 if any(row["frameworks"][f].get("growth_measure") == "allocated" for f in growth)]
    note = ["", f"† {', '.join(allocated)}: memory allocated and not freed (``tracemalloc``), "
            "over untimed epochs of the same training after the first (a timed run of "
            "fewer than 1,000 steps is too short to tell)."] if allocated else []
    return (["### Workloads", "", "Ratios are speeds: above 1 means layerkit is faster.", ""]
            + _table(header, rows) + note)


def _gemm_table(results):
    frameworks = results["frameworks"]
    header = (["Workload", "dtype", "GEMMs", "MFLOP/step", "NumPy µs/step", "PyTorch µs/step",
               "faster GEMM"] + [f"{NAMES[f]} % of limit" for f in frameworks])
    rows = []
    for name, dtype, row in _rows(results):
        numpy_gemm, torch_gemm = row["gemm"]["numpy"], row["gemm"]["torch"]
        if not numpy_gemm:
            continue
        faster = row["torch_gemm_speedup"]
        winner = "—" if faster is None else (
            f"PyTorch ({faster:.2f}×)" if faster > 1 else f"NumPy ({1 / faster:.2f}×)")
        rows.append([name, dtype, len(numpy_gemm["shapes"]),
                     f"{numpy_gemm['flops_per_step'] / 1e6:.3g}",
                     f"{1e6 * numpy_gemm['step_seconds']:.3g}",
                     f"{1e6 * torch_gemm['step_seconds']:.3g}" if torch_gemm else "—", winner]
                    + [_percent(row["fraction_of_limit"].get(f)) for f in frameworks])
    lines = ["", "### The GEMMs of each step", "",
             "NumPy's and PyTorch's matmul timed on the products of one training step of each "
             "workload (forward, dW, and dX but for the first layer), at its batch size. "
             "A framework's % of limit is the NumPy GEMMs' time per sample over its own.", ""]
    return lines + _table(header, rows) if rows else []


def _w4_table(results):
    w4 = results["summary"].get("W4", {})
    columns = [(dtype, library, row["gemm"][library]) for dtype, row in w4.items()
               for library in ("numpy", "torch") if row["gemm"].get(library)]
    if not columns:
        return []
    shapes = columns[0][2]["shapes"]
    library_names = {"numpy": "NumPy", "torch": "PyTorch"}
    lines = ["", "### W4's GEMMs shape by shape", "",
             f"FLOPs per sample: {columns[0][2]['flops_per_sample']:,} (forward 2×MACs + "
             "backward 4×MACs, less the first layer's input gradient).", ""]
    return lines + _table(
        ["GEMM", "m×k×n", "layout"] + [f"{d} {library_names[lib]} µs / GFLOP/s"
                                       for d, lib, _ in columns],
        [[s["name"], f"{s['m']}×{s['k']}×{s['n']}", s["layout"]]
         + [f"{1e6 * g['shapes'][i]['seconds']:.1f} / {g['shapes'][i]['gflops']:.1f}"
            for _, _, g in columns] for i, s in enumerate(shapes)])


def _loss_table(results):
    frameworks = results["frameworks"]
    rows = [[name, dtype] + [f"{row['frameworks'][f]['loss']:.6g}"
                             if row["frameworks"][f]["loss"] is not None else "—"
                             for f in frameworks] for name, dtype, row in _rows(results)]
    return (["", "### Final loss", "",
             "The last epoch's loss, to check that every framework trained the same network "
             "(W1-W3 and W6 are deterministic; W4 and W5 shuffle differently in each).", ""]
            + _table(["Workload", "dtype"] + [NAMES[f] for f in frameworks], rows))


def render(results):
    """The results as markdown: set-up, the workloads, the GEMMs, the losses and the targets."""
    lines = _header(results) + _speed_table(results) + _gemm_table(results)
    lines += _w4_table(results) + _loss_table(results)
    lines += ["", "### Targets", ""]
    lines += _table(["Target", "measured", "result"],
                    [[t["target"], _measured(t), t["status"]] for t in results["targets"]])
    notes = [f"{r['workload']} {r['dtype']} {r['framework']} (repeat {r['repeat'] + 1}): "
             + r.get("error", r.get("warning", "")) for r in results["runs"]
             if "error" in r or "warning" in r]
    if notes:
        lines += ["", "Problems:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


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


def update_docs(results, path=DOCS):
    """Replace the text between the results markers of ``docs/performance.md``.

    Raises
    ------
    ValueError
        If the page has no markers, or the run left out a framework (its table
        would not compare them all).
    """
    missing = [f for f in FRAMEWORKS if f not in results["frameworks"]]
    if missing:
        raise ValueError(f"Not updating {path}: this run did not time {missing} "
                         f"(skipped: {results['skipped'] or 'none'}).")
    path = Path(path)
    text = path.read_text()
    if DOCS_BEGIN not in text or DOCS_END not in text:
        raise ValueError(f"{path} has no {DOCS_BEGIN} ... {DOCS_END} section.")
    before, rest = text.split(DOCS_BEGIN, 1)
    after = rest.split(DOCS_END, 1)[1]
    path.write_text(f"{before}{DOCS_BEGIN}\n{render(results)}{DOCS_END}{after}")
