"""The benchmark suite: the lean NumPy loop's arithmetic, the report's targets, and a tiny run.

No assertion is made on speed. The lean loop is checked against finite
differences and against layerkit (same data, weights and losses); the report
is checked on made-up runs whose ratios the test computes itself; a tiny run
of W4 and W6 (steps ÷ 1,000, one repeat, layerkit and the lean loop) checks
that the whole suite runs and writes its reports; PyTorch's GEMM timing and
trainer are checked in this process (a subprocess importing PyTorch costs
seconds).
"""

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

# `benchmarks` is a top-level folder, not an installed package: make it importable
# however pytest is started (`python -m pytest` adds the current folder, `pytest` doesn't).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import call_layers, compare, gemm, report, runner, summary, workloads  # noqa: E402
from benchmarks.lean import LeanMLP, initial_weights  # noqa: E402
from benchmarks.trainers import TRAINERS  # noqa: E402
from benchmarks.workloads import DTYPES, SEED, WORKLOADS, make_data  # noqa: E402

FRAMEWORKS = ["layerkit", "numpy"]  # the tiny run's; PyTorch is checked in this process
SMOKE = ["W4", "W6"]
DETERMINISTIC = ["W1", "W2", "W3", "W6"]   # full batch or in order: the same trajectory


# ---------------------------------------------------------------- the lean loop
def _tiny(name, layers, **changes):
    """A small network of the kind of workload ``name`` (its loss and activations)."""
    return dataclasses.replace(WORKLOADS[name], inputs=9, layers=layers, learning_rate=1.0,
                               momentum=0.0, **changes)


TINY = {"relu-sigmoid-bce": _tiny("W3", ((4, "relu"), (3, "relu"), (1, "sigmoid"))),
        "relu-softmax-ce": _tiny("W4", ((6, "relu"), (4, "softmax"))),
        "sigmoid-linear-mse": _tiny("W5", ((5, "sigmoid"), (2, None)), initializer="default"),
        "sigmoid-sigmoid-mse": _tiny("W6", ((3, "sigmoid"), (2, "sigmoid")),
                                     initializer="default")}


def _batch(workload, rng, rows=7):
    x = rng.standard_normal((rows, workload.inputs))
    units = workload.layers[-1][0]
    if workload.loss == "sparse_categorical_crossentropy":
        return x, rng.integers(0, units, rows)
    if workload.loss == "binary_crossentropy":
        return x, (rng.random((rows, units)) < 0.5).astype(float)
    return x, rng.standard_normal((rows, units))


def _net(workload, weights, learning_rate):
    copies = [(k.copy(), b.copy()) for k, b in weights]
    return LeanMLP(dataclasses.replace(workload, learning_rate=learning_rate), copies, 7)


@pytest.mark.parametrize("kind", list(TINY))
def test_lean_gradients_match_finite_differences(kind, rng):
    workload = TINY[kind]
    weights = initial_weights(workload, "float64", rng)
    x, y = _batch(workload, rng)
    net = _net(workload, weights, 1.0)
    net.step(x, y)  # with a learning rate of 1, the step's gradient buffers hold -dW, -db
    h = 1e-6
    for layer, (kernel, bias) in enumerate(weights):
        for array, computed in ((kernel, net.grad_kernels[layer]), (bias, net.grad_biases[layer])):
            numeric = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                values = []
                for sign in (1, -1):
                    shifted = [(k.copy(), b.copy()) for k, b in weights]
                    (shifted[layer][0] if array is kernel else shifted[layer][1])[index] += sign * h
                    values.append(_net(workload, shifted, 0.0).step(x, y))
                numeric[index] = (values[0] - values[1]) / (2 * h)
            assert rel_err(-computed, numeric) < 1e-6, (kind, layer)


def test_lean_momentum_is_the_keras_rule(rng):
    """``v = μ v - η g``, ``w += v``: two steps against the gradients at w₀ and w₁."""
    workload = dataclasses.replace(TINY["relu-softmax-ce"], momentum=0.9)
    w0 = initial_weights(workload, "float64", rng)
    x, y = _batch(workload, rng)
    net = _net(workload, w0, 0.01)
    net.step(x, y)
    w1 = [(k.copy(), b.copy()) for k, b in zip(net.kernels, net.biases)]
    net.step(x, y)

    def gradient(weights):
        probe = _net(workload, weights, 1.0)
        probe.step(x, y)
        return [(-gk, -gb) for gk, gb in zip(probe.grad_kernels, probe.grad_biases)]

    w2 = list(zip(net.kernels, net.biases))
    for before, g0, g1, after in zip(w0, gradient(w0), gradient(w1), w2):
        for start, first, second, end in zip(before, g0, g1, after):
            v1 = -0.01 * first
            assert rel_err(end, start + v1 + (0.9 * v1 - 0.01 * second)) < 1e-12


def test_lean_initial_weights_are_layerkits():
    """Seeded alike, the lean loop draws exactly layerkit's Glorot-uniform kernels."""
    import layerkit

    for name in ("W1", "W5", "W6"):
        workload = WORKLOADS[name]
        layerkit.utils.set_random_seed(SEED)
        init = {"normal": {"kernel_initializer": layerkit.initializers.RandomNormal(0.0, 1.0)},
                "constant": {"kernel_initializer": layerkit.initializers.Constant(0.1),
                             "bias_initializer": layerkit.initializers.Constant(0.1)},
                "default": {}}[workload.initializer]
        model = layerkit.Sequential([layerkit.Input((workload.inputs,))]
                                    + [layerkit.layers.Dense(units, activation=act, **init)
                                       for units, act in workload.layers])
        mine = [w for pair in initial_weights(workload, "float32", np.random.default_rng(SEED))
                for w in pair]
        for a, b in zip(mine, model.trainable_weights):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_lean_loop_trains_like_layerkit(name, dtype):
    """Same data, weights and steps: the deterministic workloads reach layerkit's loss to
    rounding; the shuffled ones (each framework shuffles its own way) come close."""
    workload = WORKLOADS[name].scaled(1000)
    x, y = make_data(workload, dtype)
    runs = {f: TRAINERS[f](workload, x, y, dtype) for f in ("layerkit", "numpy")}
    for run in runs.values():
        assert run["steps"] == workload.steps and run["weights_dtype"] == dtype
        assert np.isfinite(run["loss"]) and run["rss_end_mib"] > 0
    tolerance = ({"float32": 1e-5, "float64": 1e-9}[dtype] if name in DETERMINISTIC else 0.1)
    assert runs["numpy"]["loss"] == pytest.approx(runs["layerkit"]["loss"], rel=tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_call_written_stack_trains_like_the_built_in_one(dtype):
    """W1's network with its Dense layers written with ``call()`` (the benchmark's peer of the
    built-in stack): the same weights, steps and loss, to rounding."""
    workload = WORKLOADS["W1"].scaled(1000)
    x, y = make_data(workload, dtype)
    runs = {f: TRAINERS[f](workload, x, y, dtype) for f in ("layerkit", "layerkit-call")}
    for run in runs.values():
        assert run["steps"] == workload.steps and run["weights_dtype"] == dtype
    tolerance = {"float32": 1e-5, "float64": 1e-12}[dtype]
    assert runs["layerkit-call"]["loss"] == pytest.approx(runs["layerkit"]["loss"], rel=tolerance)


def test_the_call_layers_table_says_whether_the_target_is_met():
    rows = {"float32": {"built-in": 0.5, "call()": 0.8, "ratio": 1.6},
            "float64": {"built-in": 1.0, "call()": 1.4, "ratio": 1.4}}
    table = call_layers.render("W1", rows, "ms/step")
    assert "| float32 | 0.5 | 0.8 | 1.60 (missed) |" in table
    assert "| float64 | 1 | 1.4 | 1.40 (met) |" in table


# ---------------------------------------------------------------- the report, on made-up runs
def _training_run(name, framework, dtype, seconds, peak=100.0, growth=0.0, steps=2000):
    workload = WORKLOADS[name]
    samples = workload.epochs * workload.rows
    value = (samples / seconds if workload.metric == "samples/s"
             else seconds / steps * runner.SCALES[workload.metric])
    return {"workload": name, "framework": framework, "dtype": dtype, "repeat": 0,
            "value": value, "seconds_per_sample": seconds / samples, "peak_rss_mib": peak,
            "rss_growth_per_1000_steps": growth, "loss": 0.5, "steps": steps}


def _gemm_run(name, library, dtype, step_seconds):
    workload = WORKLOADS[name]
    shapes = [{"name": n, "m": m, "k": k, "n": nn, "layout": "A·B",
               "seconds": step_seconds / 8, "gflops": 1.0}
              for n, (m, k, nn), _, _ in gemm.step_gemms(workload.sizes, workload.batch)]
    return {"workload": name, "framework": f"{library}-gemm", "dtype": dtype, "repeat": 0,
            "shapes": shapes, "step_seconds": step_seconds, "batch": workload.batch,
            "seconds_per_sample": step_seconds / workload.batch,
            "limit_samples_per_s": workload.batch / step_seconds, "gflops": 1.0,
            "flops_per_step": 1, "flops_per_sample": 1}


def _made_up_results(torch_gemm_seconds):
    """W4 (float32) and W6 (float64): layerkit 0.95× and 0.4× the lean loop; PyTorch's GEMMs given."""
    runs = [_training_run("W4", "layerkit", "float32", 10.0, peak=90.0, growth=0.5),
            _training_run("W4", "numpy", "float32", 9.5),
            _training_run("W4", "torch", "float32", 8.0, peak=300.0),
            _gemm_run("W4", "numpy", "float32", 0.002),
            _gemm_run("W4", "torch", "float32", torch_gemm_seconds),
            _training_run("W6", "layerkit", "float64", 2.5, growth=3.0),
            _training_run("W6", "numpy", "float64", 1.0),
            _training_run("W6", "torch", "float64", 3.0)]
    results = {"started": "2026-01-01T00:00:00", "duration_s": 60.0, "quick": False,
               "divisor": 1, "repeats": 1, "frameworks": ["layerkit", "numpy", "torch"],
               "skipped": {"keras": "not importable (keras missing)"}, "runs": runs,
               "machine": {"cpu": "test", "cores": 2, "versions": {"numpy": "2"}, "blas": None}}
    results.update(summary.summarize(runs, ["W4", "W6"], results["frameworks"]))
    return results


def _target(results, start):
    found = [t for t in results["targets"] if t["target"].startswith(start)]
    assert len(found) == 1, start
    return found[0]


def test_report_ratios_and_targets():
    results = _made_up_results(torch_gemm_seconds=0.004)  # NumPy's GEMMs are faster
    w4, w6 = results["summary"]["W4"]["float32"], results["summary"]["W6"]["float64"]
    assert w4["speedup_vs_numpy"] == pytest.approx(9.5 / 10.0)
    assert w4["speedup_vs_torch"] == pytest.approx(8.0 / 10.0)
    assert w4["torch_gemm_speedup"] == pytest.approx(0.002 / 0.004)
    samples = WORKLOADS["W4"].epochs * WORKLOADS["W4"].rows
    assert w4["fraction_of_limit"]["layerkit"] == pytest.approx((0.002 / 128) / (10.0 / samples))
    assert w6["step_ratio_vs_numpy"] == pytest.approx(2.5)
    expected = {"W4 float32: at least 0.9× the lean": "met",
                "W6 float64: at least 0.9× the lean": "not met",
                "W6 float64: step at most 2×": "not met",
                "W4 float32: at least 85 %": "met" if w4["fraction_of_limit"]["layerkit"] >= 0.85
                else "not met",
                "W4 float32: at least 1.0× PyTorch": "not met",
                "W4 float32: peak RSS": "met",
                "W4 float32: no allocation growth": "met",
                "W6 float64: no allocation growth": "not met"}
    for start, status in expected.items():
        assert _target(results, start)["status"] == status, start
    assert {t["status"] for t in results["targets"]} <= set(summary.STATUSES)


def test_growth_is_not_judged_on_a_short_run():
    cells = _made_up_results(torch_gemm_seconds=0.004)["summary"]
    cells["W6"]["float64"]["frameworks"]["layerkit"]["growth_steps"] = summary.GROWTH_MIN_STEPS - 1
    found = [t for t in summary.targets(cells) if t["target"].startswith("W6 float64: no alloc")]
    assert found[0]["status"] == "n/a" and "too few steps" in found[0]["note"]


def _short_run(full=True):
    """A timed run of 3 steps (``timed`` sees fewer than GROWTH_MIN_STEPS) that leaks 1 MiB."""
    workload = dataclasses.replace(WORKLOADS["W4"], full=full)
    held = []

    def train(epochs):
        held.append(np.ones(2**17))  # 1 MiB, kept: a leak the RSS may or may not show
        return 3 * epochs, 0.5

    def growth(epochs):
        train(1)
        before = workloads.allocated_mib()
        steps, _ = train(epochs)
        return steps, before, workloads.allocated_mib()

    return workloads.timed(workload, train, np.ones(1), growth), held


def test_a_short_run_measures_its_growth_on_untimed_epochs_after_it():
    result, held = _short_run()
    assert result["growth_measure"] == "allocated" and result["growth_steps"] == 3 * 334
    assert result["growth_mib"] == pytest.approx(1.0, abs=0.01)  # the leak, seen exactly
    assert len(held) == 3 and result["steps"] == 3  # timed, then one epoch, then the measured ones


def test_a_quick_run_trains_nothing_untimed():
    result, held = _short_run(full=False)
    assert result["growth_measure"] == "resident" and result["growth_steps"] == 3 and len(held) == 1


def test_report_waives_the_pytorch_target_where_its_gemm_is_faster():
    results = _made_up_results(torch_gemm_seconds=0.001)
    target = _target(results, "W4 float32: at least 1.0× PyTorch")
    assert target["status"] == "n/a" and "2.00× faster" in target["note"]
    markdown = report.render(results)
    assert "waived: PyTorch's GEMMs are 2.00× faster" in markdown
    assert "| W4 | float32 | 8 |" in markdown and "PyTorch (2.00×)" in markdown


def test_report_renders_every_table():
    results = _made_up_results(torch_gemm_seconds=0.004)
    markdown = report.render(results)
    for heading in ("### Workloads", "### The GEMMs of each step", "### W4's GEMMs shape by shape",
                    "### Final loss", "### Targets"):
        assert heading in markdown
    assert "| Workload | dtype | metric | layerkit | lean NumPy | PyTorch |" in markdown
    assert "†" not in markdown  # every growth is the resident memory's


def test_report_marks_the_growth_of_allocated_memory():
    results = _made_up_results(torch_gemm_seconds=0.004)
    for framework in ("layerkit", "numpy"):
        results["summary"]["W4"]["float32"]["frameworks"][framework]["growth_measure"] = "allocated"
    markdown = report.render(results)
    assert "+0.50† / +0.00† |" in markdown and "† W4 float32: memory allocated" in markdown
    assert "layerkit / lean NumPy" in markdown and "Skipped: Keras not importable" in markdown
    assert "| not met |" in markdown and "| met |" in markdown


def test_update_docs_needs_every_framework(tmp_path):
    docs = tmp_path / "performance.md"
    docs.write_text(f"# Performance\n\n{report.DOCS_BEGIN}\nold\n{report.DOCS_END}\n\nafter\n")
    results = _made_up_results(torch_gemm_seconds=0.004)
    with pytest.raises(ValueError, match="keras"):
        report.update_docs(results, docs)
    results.update(frameworks=list(workloads.FRAMEWORKS), skipped={})
    results.update(summary.summarize(results["runs"], ["W4", "W6"], results["frameworks"]))
    report.update_docs(results, docs)
    text = docs.read_text()
    assert "old" not in text and "### Targets" in text and text.endswith("after\n")


# ---------------------------------------------------------------- the suite's plumbing
def test_schedule_interleaves_and_adds_the_gemms():
    planned = runner.schedule(["W4", "W6"], ["layerkit", "numpy", "torch"], repeats=2)
    first = [f for r, name, dtype, f in planned if (r, name, dtype) == (0, "W4", "float32")]
    second = [f for r, name, dtype, f in planned if (r, name, dtype) == (1, "W4", "float32")]
    assert first == ["layerkit", "numpy", "torch", "numpy-gemm", "torch-gemm"]
    assert second == ["numpy", "torch", "layerkit", "numpy-gemm", "torch-gemm"]
    assert len(planned) == 2 * 2 * len(DTYPES) * 5
    alone = runner.schedule(["W6"], ["numpy"], repeats=1, dtypes=["float64"])
    assert alone == [(0, "W6", "float64", "numpy"), (0, "W6", "float64", "numpy-gemm")]


def test_a_framework_that_does_not_import_is_skipped(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(runner.importlib.util, "find_spec",
                        lambda name: None if name == "torch" else find_spec(name))
    found, skipped = runner.available(["layerkit", "numpy", "torch", "keras"])
    assert found == ["layerkit", "numpy"]
    assert skipped == {"torch": "not importable (torch missing)",
                       "keras": "not importable (torch missing)"}


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_gemm_flops_and_shapes(name):
    workload = WORKLOADS[name]
    gemms = gemm.step_gemms(workload.sizes, workload.batch)
    assert len(gemms) == 3 * len(workload.layers) - 1
    flops = sum(2 * m * k * n for _, (m, k, n), _, _ in gemms)
    assert flops == workload.batch * gemm.flops_per_sample(workload.sizes)


def test_w4_flops_per_sample():
    assert gemm.flops_per_sample((784, 512, 512, 10)) == (
        6 * (784 * 512 + 512 * 512 + 512 * 10) - 2 * 784 * 512)


def test_gemm_refuses_an_unknown_library():
    with pytest.raises(ValueError, match="Received: library='jax'"):
        gemm.measure((2, 2), 1, library="jax")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_data_shapes(name, dtype):
    workload = WORKLOADS[name].scaled(50)
    x, y = make_data(workload, dtype)
    assert x.shape == (workload.rows, workload.inputs) and x.dtype == dtype
    assert len(y) == workload.rows


def test_command_line_names():
    args = cli.parse_args(["--frameworks", "numpy", "--dtypes", "float64"])
    assert args.frameworks == ["numpy"] and args.dtypes == ["float64"]
    for bad in (["--workloads", "W9"], ["--dtypes", "float16"], ["--frameworks", "jax"]):
        with pytest.raises(SystemExit):
            cli.parse_args(bad)


# ---------------------------------------------------------------- PyTorch, in this process
@pytest.fixture
def torch():
    """PyTorch (skipped when missing, required in CI), its global settings restored afterwards."""
    torch = import_peer("torch")
    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    yield torch
    torch.set_default_dtype(dtype)
    torch.set_num_threads(threads)


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_gemm_times_a_workloads_shapes(torch, dtype):
    workload = WORKLOADS["W4"]
    result = gemm.measure(workload.sizes, workload.batch, dtype, "torch", samples=1,
                          target_seconds=1e-4)
    assert result["library"] == "torch" and len(result["shapes"]) == 8
    assert result["flops_per_step"] == workload.batch * gemm.flops_per_sample(workload.sizes)
    assert result["gflops"] > 0 and all(s["seconds"] > 0 for s in result["shapes"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_and_the_lean_loop_train_the_same_network(torch, dtype):
    """W6 starts from the same constant weights and visits the samples in order."""
    workload = WORKLOADS["W6"].scaled(100)
    x, y = make_data(workload, dtype)
    losses = {f: TRAINERS[f](workload, x, y, dtype)["loss"] for f in ("numpy", "torch")}
    assert losses["torch"] == pytest.approx(losses["numpy"], rel=1e-5 if dtype == "float32"
                                            else 1e-12)


# ---------------------------------------------------------------- a tiny run of the suite
@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """One tiny run (steps ÷ 1,000) of W4 and W6 in both dtypes: layerkit and the lean loop."""
    folder = tmp_path_factory.mktemp("results")
    results = cli.main(["--divisor", "1000", "--repeats", "1", "--workloads", ",".join(SMOKE),
                        "--frameworks", ",".join(FRAMEWORKS), "--output", str(folder)])
    return results, folder


def test_every_run_succeeded(suite):
    results, _ = suite
    assert [r for r in results["runs"] if "error" in r or "warning" in r] == []
    assert {(r["workload"], r["dtype"], r["framework"]) for r in results["runs"]} == {
        (name, dtype, f) for name in SMOKE for dtype in DTYPES for f in FRAMEWORKS + ["numpy-gemm"]}


def test_summary_has_every_cell_and_gemm(suite):
    results, _ = suite
    for name in SMOKE:
        for dtype in DTYPES:
            row = results["summary"][name][dtype]
            for framework in FRAMEWORKS:
                cell = row["frameworks"][framework]
                assert cell["median"] > 0 and cell["peak_rss_mib"] > 0 and cell["runs"] == 1
                assert cell["rss_growth_per_1000_steps"] is not None
            assert row["speedup_vs_numpy"] > 0 and row["fraction_of_limit"]["numpy"] > 0
            assert len(row["gemm"]["numpy"]["shapes"]) == 3 * len(WORKLOADS[name].layers) - 1
            assert row["gemm"]["numpy"]["gflops"] > 0 and row["gemm"]["torch"] is None
    assert {t["status"] for t in results["targets"]} <= set(summary.STATUSES)
    losses = {(r["dtype"], r["framework"]): r["loss"] for r in results["runs"]
              if r["workload"] == "W6" and "loss" in r}
    for dtype in DTYPES:
        assert losses[dtype, "numpy"] == pytest.approx(losses[dtype, "layerkit"], rel=1e-5)


def test_reports_are_written_and_re_rendered(suite, capsys):
    results, folder = suite
    saved = json.loads((folder / "latest.json").read_text())
    assert saved["summary"].keys() == results["summary"].keys()
    assert len(list(folder.glob("2*.json"))) == 1
    markdown = (folder / "latest.md").read_text()
    assert "| Workload | dtype | metric | layerkit | lean NumPy |" in markdown
    for name in SMOKE:
        assert f"| {name} " in markdown
    cli.main(["--report", str(folder / "latest.json")])
    assert capsys.readouterr().out.strip() == markdown.strip()


# ---------------------------------------------------------------- comparing two versions
def test_compare_pairs_each_round_and_swaps_the_order():
    calls = []

    def time_of(version, cell):
        calls.append((version, cell))
        return 2.0 if version == 0 else 3.0  # the second version takes 1.5 times as long

    cells = [("W2", "float64"), ("W6", "float32")]
    values = compare.paired_values(cells, 3, time_of)
    assert calls[:4] == [(0, cells[0]), (1, cells[0]), (0, cells[1]), (1, cells[1])]
    assert calls[4:8] == [(1, cells[0]), (0, cells[0]), (1, cells[1]), (0, cells[1])]
    assert values[cells[0]] == [(2.0, 3.0)] * 3
    assert compare.time_ratio(values[cells[0]]) == (1.5, 1.5, 1.5)
    assert compare.time_ratio([(100.0, 200.0)], higher_is_faster=True) == (0.5, 0.5, 0.5)


def test_compare_ratio_interval_holds_the_median_of_noisy_rounds(rng):
    pairs = [(1.0, r) for r in rng.normal(1.1, 0.05, 41)]
    median, low, high = compare.time_ratio(pairs)
    assert low < median < high and low > 1.0 and median == pytest.approx(1.1, abs=0.03)


def test_compare_cells_and_versions(tmp_path):
    assert compare.parse_cells("W2:float64, W6") == [("W2", "float64"), ("W6", "float32"),
                                                     ("W6", "float64")]
    with pytest.raises(Exception, match="unknown cell 'W9'"):
        compare.parse_cells("W9")
    here = compare.source_tree(str(runner.ROOT), tmp_path)
    assert here == str(runner.ROOT)
    head = Path(compare.source_tree("HEAD", tmp_path))
    assert (head / "layerkit" / "__init__.py").is_file() and head != runner.ROOT
    with pytest.raises(ValueError, match="'no-such-revision' is neither a folder"):
        compare.source_tree("no-such-revision", tmp_path)


def test_compare_times_two_versions_in_fresh_interpreters(capsys):
    compare.main(["HEAD", "--cells", "W6:float32", "--rounds", "1", "--divisor", "50"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| W | dtype | metric | HEAD | this checkout |")
    cells = [c.strip() for c in lines[2].split("|")[1:-1]]
    assert cells[:3] == ["W6", "float32", "us/step"] and float(cells[3]) > 0 and float(cells[4]) > 0
