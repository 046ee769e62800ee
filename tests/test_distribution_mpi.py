"""Data parallelism on two processes: ``mpiexec -n 2`` runs ``distribution_programs.py``.

Each program also runs alone (one process, the same script): two processes must end
with the weights, History, predictions and evaluation of one (float64: 1e-12
relative; float32: 1e-5), whatever the data (arrays, a validation split, a memmap,
an HDF5 dataset, a PyDataset, a generator), with each process reading only its rows
of the files. Only process 0 prints and writes; a process that raises ends the job
with its message; processes given different data or models all refuse to train.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from parity import rel_err
from peers import REQUIRED, import_peer

import_peer("mpi4py")
REPO = Path(__file__).resolve().parents[1]
PROGRAM = Path(__file__).resolve().with_name("distribution_programs.py")
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")
if MPIEXEC is None:
    message = "mpiexec is not installed (the `mpi` extra installs Open MPI's)"
    if REQUIRED:
        pytest.fail(f"LAYERKIT_REQUIRE_PEERS=1 but {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)

ENV = dict(os.environ, PYTHONPATH=str(REPO), OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
           MPLBACKEND="Agg")
ENV.pop("LAYERKIT_REQUIRE_PEERS", None)
WORST = {}  # kind -> (worst relative error, bound)
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}
CASES = ("sequential", "graph", "split", "memmap", "hdf5", "pydataset", "generator", "weighted")


def note(kind, err, bound):
    WORST[kind] = (max(WORST.get(kind, (0.0,))[0], err), bound)


@pytest.fixture(scope="module", autouse=True)
def _report_worst_errors(request):
    """Print the worst relative errors (two processes against one) at the end of the module."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not WORST:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("\ndata parallelism, 2 processes against 1: worst relative errors")
        for kind, (err, bound) in sorted(WORST.items()):
            reporter.write_line(f"  {kind:<32}{err:.3e} (bound {bound:.0e})")


def run(arguments, processes=None, timeout=240, check=True, **env):
    """Run a command alone, or under ``mpiexec -n processes``; return the finished process."""
    launcher = [] if processes is None else [MPIEXEC, "--oversubscribe", "-n", str(processes)]
    done = subprocess.run(launcher + [sys.executable] + arguments, capture_output=True, text=True,
                          env=dict(ENV, **env), cwd=REPO, timeout=timeout)
    if check:
        assert done.returncode == 0, f"{arguments} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def program(name, folder, *arguments, processes=None, **options):
    folder.mkdir(parents=True, exist_ok=True)
    return run([str(PROGRAM), name, str(folder), *arguments], processes, **options)


def arrays(path):
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module", params=["float64", "float32"])
def trained(request, tmp_path_factory):
    """``(dtype, alone folder, two-process folder)`` after the ``train`` program ran both ways."""
    alone, two = tmp_path_factory.mktemp("alone"), tmp_path_factory.mktemp("two")
    program("train", alone, request.param)
    program("train", two, request.param, processes=2)
    return request.param, alone, two


@pytest.mark.parametrize("case", CASES + ("manual",))
def test_two_processes_end_with_the_weights_of_one(trained, case):
    dtype, alone, two = trained
    expected = arrays(alone / f"{case}.0.npz")
    for rank in (0, 1):
        found = arrays(two / f"{case}.{rank}.npz")
        assert sorted(found) == sorted(expected)
        for key in expected:
            err = rel_err(found[key], expected[key])
            note(f"{dtype} weights, predictions", err, TOLERANCE[dtype])
            assert err < TOLERANCE[dtype], (case, key, rank, err)
    rank0, rank1 = arrays(two / f"{case}.0.npz"), arrays(two / f"{case}.1.npz")
    assert all(np.array_equal(rank0[key], rank1[key]) for key in rank0)  # the same, bit for bit


@pytest.mark.parametrize("case", CASES + ("manual",))
def test_two_processes_report_the_history_of_one(trained, case):
    dtype, alone, two = trained
    expected = json.loads((alone / "report.0.json").read_text())[case]
    for rank in (0, 1):
        found = json.loads((two / f"report.{rank}.json").read_text())[case]
        assert sorted(found["history"]) == sorted(expected["history"])
        for key, values in expected["history"].items():
            err = rel_err(np.array(found["history"][key]), np.array(values))
            note(f"{dtype} history", err, TOLERANCE[dtype])
            assert err < TOLERANCE[dtype], (case, key, rank)
        if "evaluate" in expected:
            assert rel_err(np.array(found["evaluate"]), np.array(expected["evaluate"])) < TOLERANCE[dtype]


@pytest.mark.parametrize("case", ["memmap", "hdf5", "manual"])
def test_each_process_reads_only_its_rows_of_a_file(trained, case):
    _, alone, two = trained
    everything = collections.Counter(json.loads((alone / "report.0.json").read_text())[case]["rows"])
    shares = [collections.Counter(json.loads((two / f"report.{r}.json").read_text())[case]["rows"])
              for r in (0, 1)]
    first_batch = range(32)  # read whole once, to build and check the model before training
    later = {row: count for row, count in everything.items() if row not in first_batch}
    assert later and {row: shares[0][row] + shares[1][row] for row in later} == later
    for share in shares:
        read = sum(share[row] for row in later)
        assert 0.4 * sum(later.values()) <= read <= 0.6 * sum(later.values())


def test_only_process_0_prints_and_writes(tmp_path):
    program("chief", tmp_path, processes=2)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert not [name for name in written if name.startswith("rank1")], written
    for name in ("rank0/ckpt-1.weights.h5", "rank0/ckpt-2.weights.h5", "rank0.csv", "rank0.keras",
                 "rank0.weights.h5", "rank0/backup/training_metadata.json"):
        assert name in written
    assert len((tmp_path / "rank0.csv").read_text().splitlines()) == 3  # a header, two epochs
    shown = (tmp_path / "stdout.0").read_text()
    assert shown.count("Epoch 1/2 - ") == 1 and shown.count("Epoch 2/2 - ") == 1
    assert "saving model to" in shown and "Evaluate - " in shown and "Predict " in shown
    assert (tmp_path / "stdout.1").read_text() == ""


def test_a_process_that_raises_ends_the_job_with_its_message(tmp_path):
    started = time.perf_counter()
    done = program("fail", tmp_path, processes=2, check=False, timeout=120)
    elapsed = time.perf_counter() - started
    assert done.returncode != 0
    assert "process 1 failed on purpose at batch 7" in done.stderr
    assert "layerkit.distribution: process 1 of 2: RuntimeError" in done.stderr
    assert not list(tmp_path.glob("finished.*"))  # process 0 did not go on training
    assert elapsed < 60, elapsed  # ended by MPI_Abort, not by the timeout


def test_processes_given_different_data_or_models_all_refuse(tmp_path):
    program("mismatch", tmp_path, processes=2)
    errors = [json.loads((tmp_path / f"errors.{rank}.json").read_text()) for rank in (0, 1)]
    assert errors[0] == errors[1]  # the same error on every process
    found = errors[0]
    assert sorted(found) == ["length", "losses", "model", "optimizer"]
    assert ("process 1 has samples=160, batches per epoch=5 where process 0 has samples=161, "
            "batches per epoch=6") in found["length"]
    assert "differ in the model given to fit()" in found["model"] and "(5, 9)" in found["model"]
    assert "momentum" in found["optimizer"] and "0.8" in found["optimizer"]
    assert "reduction='sum'" in found["losses"]


def test_a_resumed_run_continues_from_process_0s_backup(tmp_path):
    program("resume", tmp_path, processes=2)
    program("uninterrupted", tmp_path)
    expected = arrays(tmp_path / "uninterrupted.0.npz")
    for rank in (0, 1):
        assert json.loads((tmp_path / f"resumed.{rank}.json").read_text()) == [1, 2]
        found = arrays(tmp_path / f"resumed.{rank}.npz")
        for key in expected:
            err = rel_err(found[key], expected[key])
            note("float64 resumed weights", err, 1e-12)
            assert err < 1e-12
    assert not (tmp_path / "backup-not-read-1").exists()


def test_the_example_prints_the_same_final_loss_alone_and_on_two_processes(tmp_path):
    example = [str(REPO / "examples" / "distributed_training.py")]
    alone = run(example, LAYERKIT_EXAMPLES_OUTPUT=str(tmp_path / "alone")).stdout
    two = run(example, processes=2, LAYERKIT_EXAMPLES_OUTPUT=str(tmp_path / "two")).stdout
    losses = [re.findall(r"final loss: (\S+)", out) for out in (alone, two)]
    assert len(losses[0]) == 1 and losses[0] == losses[1], (alone, two)
    assert "processes: 1," in alone and "processes: 2," in two
    assert [p.name for p in (tmp_path / "two" / "distributed_training").iterdir()] == ["last.weights.h5"]



def test_the_benchmark_of_w4_on_two_processes_runs(tmp_path):
    run(["-m", "benchmarks.distributed", "--quick", "--repeats", "1", "--output", str(tmp_path)],
        timeout=400)
    results = json.loads((tmp_path / "distributed.json").read_text())
    summary = results["summary"]
    assert [run["processes"] for run in results["alone"] + results["mpi"]] == [1, 2]
    assert summary["gradient_mb"] == pytest.approx((784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10)
                                                   * 4 / 1e6)
    assert summary["mpi_all_reduce_ms_per_step"] > 0 and summary["all_reduce_ms_per_mb"] > 0
    assert np.isfinite(results["mpi"][0]["loss"])
    assert "| 2 processes" in (tmp_path / "distributed.md").read_text()
