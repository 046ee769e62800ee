"""Smoke test of the benchmark suite: a tiny run, then the JSON and markdown reports.

No assertion is made on speed: only that every workload ran in every framework
asked for, and that the reports have what they should.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

# `benchmarks` is a top-level folder, not an installed package: make it importable
# however pytest is started (`python -m pytest` adds the current folder, `pytest` doesn't).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import gemm, runner  # noqa: E402
from benchmarks.workloads import WORKLOADS, make_data  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None
FRAMEWORKS = ["layerkit", "torch"] if HAS_TORCH else ["layerkit"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """One quick run (steps divided by 1,000) of every workload, layerkit and PyTorch."""
    folder = tmp_path_factory.mktemp("results")
    results = cli.main(["--quick", "--divisor", "1000", "--repeats", "1", "--frameworks",
                        ",".join(FRAMEWORKS), "--output", str(folder)])
    return results, folder


def test_every_run_succeeded(suite):
    results, _ = suite
    problems = [r for r in results["runs"] if "error" in r or "warning" in r]
    assert problems == []
    assert {(r["workload"], r["framework"]) for r in results["runs"]} >= {
        (name, framework) for name in WORKLOADS for framework in FRAMEWORKS}


def test_summary_has_every_workload_and_key(suite):
    results, _ = suite
    assert set(results["summary"]) == set(WORKLOADS)
    assert set(results["summary"]["W4"]) >= {"float32", "float64", "float64_slowdown"}
    for name, workload in WORKLOADS.items():
        for dtype in workload.dtypes:
            row = results["summary"][name][dtype]
            assert row["metric"] == workload.metric
            for framework in FRAMEWORKS:
                cell = row["frameworks"][framework]
                assert cell["median"] > 0 and cell["peak_rss_mib"] > 0 and cell["runs"] == 1
            if HAS_TORCH:
                assert row["speedup_vs_torch"] > 0
    for dtype in ("float32", "float64"):
        row = results["summary"]["W4"][dtype]
        assert row["gemm"]["limit_samples_per_s"] > 0 and len(row["gemm"]["shapes"]) == 8
        assert row["fraction_of_limit"]["layerkit"] > 0
    assert {t["status"] for t in results["targets"]} <= {"PASS", "FAIL", "n/a"}
    assert len(results["targets"]) == 11
    assert results["machine"]["cores"] >= 1 and results["machine"]["versions"]["numpy"]


def test_frameworks_train_the_same_network(suite):
    """W6 starts from the same constant weights and visits the samples in order."""
    results, _ = suite
    losses = {r["framework"]: r["loss"] for r in results["runs"] if r["workload"] == "W6"}
    for loss in losses.values():
        assert loss == pytest.approx(losses["layerkit"], rel=1e-4)


def test_reports_are_written(suite, tmp_path):
    results, folder = suite
    saved = json.loads((folder / "latest.json").read_text())
    assert saved["summary"].keys() == results["summary"].keys()
    assert len(list(folder.glob("2*.json"))) == 1
    markdown = (folder / "latest.md").read_text()
    assert "| Workload | dtype | metric | layerkit |" in markdown
    for heading in ("### Workloads", "### W4 and its GEMM-bound limit", "### Targets"):
        assert heading in markdown
    for name in WORKLOADS:
        assert f"| {name} " in markdown
    docs = tmp_path / "performance.md"
    docs.write_text(f"# Performance\n\n{runner.DOCS_BEGIN}\nold\n{runner.DOCS_END}\n\nafter\n")
    runner.update_docs(saved, docs)
    text = docs.read_text()
    assert "old" not in text and "### Targets" in text and text.endswith("after\n")


def test_report_re_renders_a_saved_run(suite, capsys):
    _, folder = suite
    cli.main(["--report", str(folder / "latest.json")])
    assert "### Targets" in capsys.readouterr().out


def test_gemm_flops_and_shapes():
    assert gemm.flops_per_sample() == 6 * (784 * 512 + 512 * 512 + 512 * 10) - 2 * 784 * 512
    gemms = gemm.w4_gemms()
    assert len(gemms) == 8
    assert sum(2 * m * k * n for _, (m, k, n), _, _ in gemms) == 128 * gemm.flops_per_sample()


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_data_shapes(name):
    workload = WORKLOADS[name]
    x, y = make_data(workload, "float32")
    assert x.shape == (workload.rows, workload.inputs) and x.dtype == "float32"
    assert len(y) == workload.rows


def test_unknown_workload_is_rejected():
    with pytest.raises(SystemExit):
        cli.parse_args(["--workloads", "W9"])
