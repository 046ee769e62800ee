"""The worked examples, each run as a user runs it: ``python examples/NAME.py``.

The cat logistic regression and the deep network run in full and must give the
course's numbers. Each example's plots are checked to exist.
The examples write into a temporary folder (``LAYERKIT_EXAMPLES_OUTPUT``).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import peers
import pytest
from peers import import_peer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LAYERKIT_DATA_DIR") or REPO.parent / "shared" / "datasets")
needs_data = peers.needs_data(DATA)


# Downloads fail at once (a proxy on a closed local port): no test reaches the network.
OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def example_process(name, tmp_path, *args, examples=REPO / "examples", data_dir=DATA):
    """Run ``<examples>/<name>.py`` as a user does (``data_dir=None``: LAYERKIT_DATA_DIR unset)."""
    env = dict(os.environ, MPLBACKEND="Agg", LAYERKIT_EXAMPLES_OUTPUT=str(tmp_path),
               LAYERKIT_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), **OFFLINE)
    env.pop("LAYERKIT_DATA_DIR", None)
    if data_dir is not None:
        env["LAYERKIT_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, str(examples / f"{name}.py"), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)


def run_example(name, tmp_path, *args, **where):
    """Run ``examples/<name>.py``; return its standard output and its output folder."""
    done = example_process(name, tmp_path, *args, **where)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout, tmp_path / name


def number(pattern, text):
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in the output:\n{text}"
    return float(found.group(1))


def assert_plots(folder, *names):
    for name in names:
        assert (folder / name).stat().st_size > 10_000, f"{folder / name} is missing or empty"


@needs_data
def test_cat_logistic_regression_gives_the_courses_numbers(tmp_path):
    out, folder = run_example("cat_logistic_regression", tmp_path)
    # The course's printed costs, first and last, and its accuracies.
    assert "Cost after iteration 0: 0.693147" in out
    assert "Cost after iteration 100: 0.584508" in out
    assert "Cost after iteration 1900: 0.140872" in out
    assert number(r"train accuracy: ([\d.]+) %", out) == 99.04
    assert number(r"test accuracy: ([\d.]+) %", out) == 70.00
    assert "predictions identical: True" in out
    assert (folder / "cat_logistic_regression.weights.h5").is_file()
    assert_plots(folder, "learning_curve.png", "test_predictions.png")


@needs_data
def test_cat_deep_network_gives_the_courses_numbers(tmp_path):
    """The full 2,500 iterations (about 20 s): the course's cost at 2400 and its accuracies."""
    out, folder = run_example("cat_deep_network", tmp_path)
    course, own = out.split("== 2.")
    assert "Cost after iteration 0: 0.771749" in course
    assert "Cost after iteration 100: 0.672053" in course
    assert round(number(r"Cost after iteration 2400: ([\d.]+)", course), 4) == 0.0929
    assert number(r"course init: train accuracy: ([\d.]+) %", course) == 98.56
    assert number(r"course init: test accuracy: ([\d.]+) %", course) == 80.00
    assert "layerkit init (seed 1): test accuracy" in own
    assert "vary with the seed" in own
    assert "gave test accuracies" not in own  # a range is claimed only when measured (--seeds)
    assert_plots(folder, "learning_curves.png", "mislabelled_test_images.png")


@needs_data
def test_cat_deep_network_reports_the_range_it_measured_over_seeds(tmp_path):
    out, folder = run_example("cat_deep_network", tmp_path, "--quick", "--seeds", "2-3")
    own = out.split("== 2.")[1]
    tests = [number(rf"seed {seed}\): test accuracy: ([\d.]+) %", own) for seed in (2, 3)]
    trains = [number(rf"seed {seed}\): train accuracy: ([\d.]+) %", own) for seed in (2, 3)]
    claim = re.search(r"seeds 2 to 3 gave train accuracies from ([\d.]+) % to ([\d.]+) % and test "
                      r"accuracies from ([\d.]+) % to ([\d.]+) %", own)
    assert claim, own
    assert [float(v) for v in claim.groups()] == [min(trains), max(trains), min(tests), max(tests)]
    assert_plots(folder, "learning_curves.png")


def test_examples_say_what_they_are(tmp_path):
    for name in ("demo", "cat_deep_network", "moons"):
        done = example_process(name, tmp_path, "--help")
        assert done.returncode == 0 and done.stdout.startswith("usage:"), done.stderr
        assert "Run" in done.stdout or "run" in done.stdout


def test_examples_find_the_reference_data_beside_the_checkout(tmp_path):
    if not (REPO.parent / "shared" / "datasets" / "breast_cancer.csv").is_file():
        pytest.skip("no ../shared/datasets beside this checkout")
    out, folder = run_example("breast_cancer", tmp_path, data_dir=None)
    assert number(r"test accuracy: ([\d.]+) %", out) >= 95.0


def test_an_example_without_its_data_says_where_it_looked(tmp_path):
    checkout = tmp_path / "checkout"  # no ../shared/datasets beside this one
    shutil.copytree(REPO / "examples", checkout / "examples",
                    ignore=shutil.ignore_patterns("output", "__pycache__"))
    done = example_process("breast_cancer", tmp_path, examples=checkout / "examples", data_dir=None)
    assert done.returncode == 1
    message = done.stderr
    assert "breast_cancer.py needs a data file it could not find" in message
    assert "breast_cancer.csv" in message and str(tmp_path / "home" / "datasets") in message
    assert f"{tmp_path / 'shared' / 'datasets'} (the reference folder beside the checkout" in message
    assert "Traceback" not in message


def test_computation_graph_checks_its_gradients_and_plots_the_loss(tmp_path):
    out, folder = run_example("computation_graph", tmp_path)
    assert "Topological order (Kahn's algorithm):" in out
    assert number(r"worst relative error ([\d.e+-]+)", out) < 1e-6
    assert number(r"after 60 epochs: ([\d.]+)", out) < number(r"after 1 epoch: ([\d.]+)", out)
    assert_plots(folder, "loss_curve.png")


def test_demo_reaches_95_percent_with_checked_gradients(tmp_path):
    out, _ = run_example("demo", tmp_path)
    assert number(r"test accuracy: ([\d.]+)%", out) >= 95
    assert number(r"worst relative error ([\d.e+-]+)", out) < 1e-6


def test_moons_reaches_95_percent(tmp_path):
    out, folder = run_example("moons", tmp_path)
    assert number(r"test accuracy: ([\d.]+) %", out) >= 95.0
    assert_plots(folder, "learning_curve.png", "decision_boundary.png")


@needs_data
def test_boston_regression_beats_the_mean_by_far(tmp_path):
    out, folder = run_example("boston_regression", tmp_path)
    mae = number(r"test MAE: ([\d.]+) k\$", out)
    baseline = number(r"training mean: MAE ([\d.]+) k\$", out)
    assert mae < 3.5 < baseline
    assert_plots(folder, "loss_curve.png", "test_predictions.png")


@needs_data
def test_boston_functional_matches_the_sequential_version(tmp_path):
    out, folder = run_example("boston_functional", tmp_path)
    assert "Kahn's order: features -> dense -> dense_1" in out
    assert "the Sequential version, same seed, has identical weights: True" in out
    assert number(r"test MAE: ([\d.]+) k\$", out) < 3.5
    assert_plots(folder, "loss_curve.png", "test_predictions.png")


@pytest.fixture(scope="module")
def two_two_one(tmp_path_factory):
    out, folder = run_example("two_two_one", tmp_path_factory.mktemp("two_two_one"))
    predictions = {name: number(rf"prediction {name} .*: ([\d.]+)", out)
                   for name in ("Emily", "Frank")}
    return predictions, folder


def test_two_two_one_predicts_emily_female_and_frank_male(two_two_one):
    predictions, folder = two_two_one
    assert predictions["Emily"] > 0.9 and predictions["Frank"] < 0.1
    assert_plots(folder, "loss_curve.png")


def test_two_two_one_agrees_with_pytorch(two_two_one):
    torch = import_peer("torch")
    dtype = torch.float64
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1),
                              torch.nn.Sigmoid()).to(dtype)
    for parameter in net.parameters():
        torch.nn.init.constant_(parameter, 0.1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.tensor([[-2, -1], [25, 6], [17, 4], [-15, -6]], dtype=dtype)
    y = torch.tensor([[1], [0], [0], [1]], dtype=dtype)
    for _ in range(1000):
        for i in range(4):  # one sample a step, in order
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(net(x[i:i + 1]), y[i:i + 1]).backward()
            optimizer.step()
    with torch.no_grad():
        emily, frank = net(torch.tensor([[-7, -3], [20, 2]], dtype=dtype))[:, 0].tolist()
    predictions, _ = two_two_one
    # The example prints 10 decimals: agreement to the last one.
    assert predictions["Emily"] == pytest.approx(emily, abs=1e-10)
    assert predictions["Frank"] == pytest.approx(frank, abs=1e-10)


@needs_data
def test_digits_reaches_95_percent(tmp_path):
    out, folder = run_example("digits", tmp_path)
    assert number(r"test accuracy: ([\d.]+) %", out) >= 95.0
    assert_plots(folder, "learning_curves.png", "test_predictions.png")


@needs_data
def test_breast_cancer_reaches_95_percent(tmp_path):
    out, folder = run_example("breast_cancer", tmp_path)
    assert number(r"test accuracy: ([\d.]+) %", out) >= 95.0
    assert_plots(folder, "learning_curves.png")
