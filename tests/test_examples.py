"""The worked examples, each run as a user runs it: ``python examples/NAME.py``.

The cat logistic regression and the deep network run in full and must give the
course's numbers. Each example's plots are checked to exist.
The examples write into a temporary folder (``LAYERKIT_EXAMPLES_OUTPUT``).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import peers
import pytest
from peers import import_peer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LAYERKIT_DATA_DIR") or REPO.parent / "shared" / "datasets")
needs_data = peers.needs_data(DATA)


def run_example(name, tmp_path, *args):
    """Run ``examples/<name>.py``; return its standard output and its output folder."""
    env = dict(os.environ, LAYERKIT_DATA_DIR=str(DATA), MPLBACKEND="Agg",
               LAYERKIT_EXAMPLES_OUTPUT=str(tmp_path), LAYERKIT_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, str(REPO / "examples" / f"{name}.py"), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
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
    assert_plots(folder, "learning_curves.png", "mislabelled_test_images.png")


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
