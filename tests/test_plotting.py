"""layerkit.plotting: figures from a History, a model and images, drawn without a display."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from layerkit import Input, Sequential, plotting
from layerkit.layers import Dense
from layerkit.optimizers import SGD

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def history():
    """A real History from two epochs of fit, with validation."""
    model = Sequential([Input((2,)), Dense(4, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(40, 2))
    return model.fit(x, (x[:, 0] > 0).astype(float), epochs=3, validation_split=0.25, verbose=0)


def _no_pyplot_figures():
    import matplotlib.pyplot as plt
    return plt.get_fignums() == []


def test_plot_history_draws_training_and_validation_per_quantity(history, tmp_path):
    figure = plotting.plot_history(history)
    assert isinstance(figure, Figure)
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    for ax, name in zip(figure.axes, ("loss", "accuracy")):
        (train, val) = ax.lines
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(train.get_ydata(), history.history[name])
        np.testing.assert_allclose(val.get_ydata(), history.history["val_" + name])
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
        assert ax.get_xlabel() == "epoch"
    figure.savefig(tmp_path / "h.png")
    assert matplotlib.image.imread(tmp_path / "h.png").ndim == 3
    assert _no_pyplot_figures()


def test_plot_history_metrics_argument_and_dict_input(history):
    figure = plotting.plot_history(history.history, metrics=["accuracy"])
    assert [ax.get_title() for ax in figure.axes] == ["accuracy"]
    figure = plotting.plot_history({"loss": [3.0, 2.0, 1.0]}, metrics="loss")
    assert len(figure.axes[0].lines) == 1
    with pytest.raises(ValueError, match=r"no \['auc'\].*recorded.*'accuracy'"):
        plotting.plot_history(history, metrics=["auc"])
    with pytest.raises(ValueError, match="non-empty"):
        plotting.plot_history({})


def test_plot_history_overlays_several_histories_one_colour_each():
    """The cat tutorial's comparison of learning rates: one curve per run, on the same axes."""
    runs = {}
    for rate in (0.1, 0.01):
        model = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
        model.compile(optimizer=SGD(learning_rate=rate), loss="binary_crossentropy",
                      metrics=["accuracy"])
        x = np.random.default_rng(0).normal(size=(40, 2))
        runs[f"lr={rate}"] = model.fit(x, (x[:, 0] > 0).astype(float), epochs=4,
                                       validation_split=0.25, verbose=0)
    figure = plotting.plot_history(runs)
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    for ax, name in zip(figure.axes, ("loss", "accuracy")):
        lines = {line.get_label(): line for line in ax.lines}
        assert sorted(lines) == ["lr=0.01", "lr=0.01 (validation)", "lr=0.1", "lr=0.1 (validation)"]
        for label, history in runs.items():
            np.testing.assert_allclose(lines[label].get_ydata(), history.history[name])
            np.testing.assert_allclose(lines[f"{label} (validation)"].get_ydata(),
                                       history.history["val_" + name])
            assert lines[label].get_color() == lines[f"{label} (validation)"].get_color()
            assert lines[label].get_linestyle() == "-"
            assert lines[f"{label} (validation)"].get_linestyle() == "--"
        assert lines["lr=0.1"].get_color() != lines["lr=0.01"].get_color()
    as_list = plotting.plot_history([runs["lr=0.1"].history, {"loss": [0.9, 0.8, 0.1]}],
                                    metrics="loss")
    labels = [line.get_label() for line in as_list.axes[0].lines]
    assert labels == ["run 1", "run 1 (validation)", "run 2"]
    np.testing.assert_array_equal(as_list.axes[0].lines[2].get_xdata(), [1, 2, 3])
    with pytest.raises(ValueError, match="non-empty list"):
        plotting.plot_history([])
    with pytest.raises(ValueError, match=r"no \['auc'\]"):
        plotting.plot_history(runs, metrics=["auc"])
    assert _no_pyplot_figures()


def test_plot_decision_boundary_with_a_model_and_with_a_function(tmp_path):
    model = Sequential([Input((2,)), Dense(8, activation="tanh"), Dense(1, activation="sigmoid")])
    x = np.random.default_rng(1).normal(size=(30, 2))
    y = (x[:, 1] > 0).astype(int)
    figure = plotting.plot_decision_boundary(model, x, y, resolution=50)
    assert len(figure.axes) == 2  # the map and its colour bar
    assert figure.axes[0].get_title() == "decision boundary"
    figure.savefig(tmp_path / "b.png")

    def three_classes(points):  # scores: the class is the argmax
        return np.stack([points[:, 0], points[:, 1], -points[:, 0]], axis=1)
    figure = plotting.plot_decision_boundary(three_classes, x, np.arange(30) % 3, resolution=20,
                                             title="three")
    assert figure.axes[0].get_title() == "three"
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plotting.plot_decision_boundary(model, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="one label per row"):
        plotting.plot_decision_boundary(model, x, y[:-1])
    with pytest.raises(TypeError, match="predict"):
        plotting.plot_decision_boundary(object(), x, y)
    assert _no_pyplot_figures()


def test_plot_images_titles_say_label_and_prediction_in_colour(tmp_path):
    images = np.random.default_rng(2).integers(0, 256, size=(7, 16, 16, 3), dtype=np.uint8)
    labels, predictions = np.array([0, 1, 1, 0, 1, 0, 0]), np.array([[0], [1], [0], [0], [1],
                                                                      [1], [0]])
    figure = plotting.plot_images(images, labels, predictions, class_names=["dog", "cat"],
                                  ncols=4, title="pets")
    axes = figure.axes
    assert len(axes) == 8  # 2 rows of 4, the last one empty
    assert [ax.get_title() for ax in axes[:3]] == ["dog / pred. dog", "cat / pred. cat",
                                                   "cat / pred. dog"]
    assert axes[1].title.get_color() == "green" and axes[2].title.get_color() == "red"
    assert axes[7].get_images() == []
    figure.savefig(tmp_path / "i.png")
    grey = plotting.plot_images(np.zeros((2, 8, 8, 1)), labels=[3, 4])
    assert [ax.get_title() for ax in grey.axes] == ["3", "4"]
    assert plotting.plot_images(np.ones((1, 4, 4))).axes[0].get_title() == ""
    with pytest.raises(ValueError, match="one entry per image"):
        plotting.plot_images(images, labels[:3])
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_images(np.zeros((2, 8)))
    assert _no_pyplot_figures()


def test_plots_need_no_display_and_no_pyplot(tmp_path):
    """Even with a GUI back end requested and no display, the figures draw and save."""
    script = (
        "import sys, numpy as np\n"
        "from layerkit import plotting\n"
        "f = plotting.plot_history({'loss': [1.0, 0.5], 'val_loss': [1.1, 0.7]})\n"
        "f.savefig(sys.argv[1] + '/a.png')\n"
        "g = plotting.plot_decision_boundary(lambda p: p[:, :1], np.eye(2), [0, 1])\n"
        "g.savefig(sys.argv[1] + '/b.png')\n"
        "plotting.plot_images(np.zeros((2, 4, 4), np.uint8), [0, 1]).savefig(sys.argv[1] + '/c.png')\n"
        "print('pyplot imported:', 'matplotlib.pyplot' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MPLBACKEND"] = "TkAgg"
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pyplot imported: False" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c.png"]
