"""``layerkit.utils.plot_model``: boxes and arrows drawn with matplotlib, saved as an image.

The figure is checked through its artists: the texts are the layers' labels (what
Keras's ``make_layer_label`` puts in its table), each arrow is a ``FancyArrowPatch``
from one box's side to the next box's side, and the boxes follow the data's
direction (down for ``rankdir="TB"``, right for ``"LR"``).
"""

import matplotlib.image
import pytest
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path

from layerkit import Input, Model, Sequential, layers
from layerkit.utils import plot_model


def _graph():
    """Two inputs, fan-in (Add), fan-out (two heads), a nested Sequential."""
    a, b = Input((3,), name="a"), Input((2,), name="b")
    left = layers.Dense(4, activation="tanh", name="left")(a)
    right = layers.Dense(4, name="right")(b)
    joined = layers.Add(name="join")([left, right])
    block = Sequential([Input((4,)), layers.Dense(4, activation="relu", name="inner_1"),
                        layers.Dense(4, name="inner_2")], name="block")
    head_1 = layers.Dense(1, activation="sigmoid", name="head_1")(block(joined))
    head_2 = layers.Dense(2, name="head_2")(joined)
    return Model([a, b], [head_1, head_2], name="two_heads")


def _texts(figure):
    return [text.get_text() for text in figure.axes[0].texts]


def _centres(figure):
    """Each box's layer name -> the centre of its label (data units: inches)."""
    return {text.get_gid(): text.get_position() for text in figure.axes[0].texts if text.get_gid()}


def _arrows(figure):
    """``{(source, destination): the arrow's path vertices}`` (data units)."""
    arrows = {}
    for patch in figure.axes[0].patches:
        if isinstance(patch, FancyArrowPatch):
            path = patch.get_path()
            drawn = path.codes != Path.CLOSEPOLY  # a closing code's vertex is not drawn
            arrows[tuple(patch.get_gid().split("->"))] = path.vertices[drawn]
    return arrows


def _runs_between(arrows, centres, axis, sign):
    """Every arrow lies between its two boxes' centres, going ``sign`` along ``axis``."""
    for (source, destination), vertices in arrows.items():
        start, end = centres[source][axis], centres[destination][axis]
        assert sign * (end - start) > 0, (source, destination)
        low, high = min(start, end), max(start, end)
        assert (vertices[:, axis] >= low - 1e-9).all() and (vertices[:, axis] <= high + 1e-9).all()


def test_a_sequential_model_is_saved_as_an_image_with_its_layers_named(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
                        layers.Dense(1, activation="sigmoid", name="output")])
    figure = plot_model(model, to_file=tmp_path / "model.png", show_layer_names=True)
    image = matplotlib.image.imread(tmp_path / "model.png")
    assert image.ndim == 3 and image.shape[0] > 50
    assert _texts(figure) == ["hidden (Dense)", "output (Dense)"]  # no Input box, as in Keras
    assert _texts(plot_model(model, to_file=None)) == ["Dense", "Dense"]
    arrows = _arrows(figure)
    assert list(arrows) == [("hidden", "output")]
    _runs_between(arrows, _centres(figure), axis=1, sign=-1)  # top to bottom


def test_a_graph_draws_every_layer_once_and_an_arrow_per_connection(tmp_path):
    model = _graph()
    figure = plot_model(model, to_file=tmp_path / "graph.png", show_layer_names=True)
    names = [text.split(" (")[0] for text in _texts(figure)]
    assert names == [layer.name for layer in model.layers]
    expected = sorted((t.node.layer.name, node.layer.name) for node in model.nodes
                      for t in node.inbound)
    arrows = _arrows(figure)
    assert sorted(arrows) == expected  # fan-in to "join", fan-out from it
    _runs_between(arrows, _centres(figure), axis=1, sign=-1)  # topological order, downwards


def test_expand_nested_draws_the_inner_layers_inside_a_named_frame(tmp_path):
    figure = plot_model(_graph(), to_file=tmp_path / "g.pdf", show_layer_names=True,
                        expand_nested=True)
    texts = _texts(figure)
    assert "block" in texts and "inner_1 (Dense)" in texts and "inner_2 (Dense)" in texts
    assert not any(text.startswith("block (") for text in texts)
    arrows = _arrows(figure)
    assert ("join", "inner_1") in arrows and ("inner_2", "head_1") in arrows
    assert ("inner_1", "inner_2") in arrows and not any("block" in pair for pair in arrows)
    _runs_between(arrows, _centres(figure), axis=1, sign=-1)
    assert (tmp_path / "g.pdf").read_bytes()[:4] == b"%PDF"


def test_left_to_right_and_the_options_of_each_box(tmp_path):
    model = _graph()
    model.get_layer("right").trainable = False
    figure = plot_model(model, to_file=tmp_path / "lr", rankdir="LR", show_shapes=True,
                        show_dtype=True, show_layer_names=True, show_layer_activations=True,
                        show_trainable=True, splines="line")
    assert (tmp_path / "lr").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # png when no extension
    labels = {text.split("\n")[0]: text for text in _texts(figure)}
    assert labels["left (Dense)"] == ("left (Dense)\nActivation: tanh\nInput shape: (None, 3)\n"
                                      "Output shape: (None, 4)\nOutput dtype: float32\nTrainable")
    assert labels["right (Dense)"].endswith("Non-trainable")
    assert labels["a (InputLayer)"] == "a (InputLayer)\nOutput shape: (None, 3)\nOutput dtype: float32"
    assert "Input shape: [(None, 4), (None, 4)]" in labels["join (Add)"]
    _runs_between(_arrows(figure), _centres(figure), axis=0, sign=1)  # left to right


@pytest.mark.parametrize("kwargs, message", [
    ({"rankdir": "XY"}, r"`rankdir` must be one of \['TB', 'BT', 'LR', 'RL'\]"),
    ({"splines": "wiggly"}, "`splines` must be one of"),
    ({"dpi": 0}, "`dpi` must be a positive number"),
    ({"layer_range": ["a", "b"]}, "`layer_range` is no longer supported"),
    ({"colour": "red"}, "Unrecognized keyword arguments"),
    ({"to_file": "model.dot"}, "Cannot write a 'dot' image"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_model(_graph(), **{"to_file": None, **kwargs})


def test_an_unbuilt_model_is_refused_and_no_pyplot_figure_is_left():
    with pytest.raises(ValueError, match="This model has not yet been built"):
        plot_model(Sequential([layers.Dense(2)]), to_file=None)
    plot_model(_graph(), to_file=None)
    import matplotlib.pyplot as plt
    assert plt.get_fignums() == []
