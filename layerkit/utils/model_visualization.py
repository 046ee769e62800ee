"""``plot_model``: a model's layers as boxes and arrows, drawn with matplotlib (no graphviz).

Each layer is a box labelled as Keras labels it (its class, or ``name (Class)``;
with the options, its activation, input and output shapes, dtype, and whether it
is trainable); arrows follow the data from each layer to those that read its
output, fan-in and fan-out included. The boxes are laid out in ranks
(:func:`~layerkit.utils.model_graph.layered_layout`): top to bottom for
``rankdir="TB"``, left to right for ``"LR"``. One data unit is one inch, so text
and boxes keep their size whatever the model's size.
"""

import os

from layerkit.utils.model_graph import layered_layout, model_graph

RANKDIRS = ("TB", "BT", "LR", "RL")
SPLINES = ("ortho", "curved", "polyline", "spline", "line")
CHAR_WIDTH, LINE_HEIGHT, FONT_SIZE = 0.075, 0.19, 9
RANK_GAP, SIBLING_GAP, MARGIN = 0.55, 0.3, 0.3


def _activation_name(activation):
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(
        activation)


def layer_label(layer, show_shapes=False, show_dtype=False, show_layer_names=False,
                show_layer_activations=False, show_trainable=False):
    """The lines of a layer's box, as Keras's ``make_layer_label`` fills its table.

    Example
    -------
    >>> from layerkit import layers
    >>> dense = layers.Dense(3, activation="relu", name="hidden")
    >>> layer_label(dense, show_layer_names=True, show_layer_activations=True)
    'hidden (Dense)\\nActivation: relu'
    """
    class_name = type(layer).__name__
    lines = [f"{layer.name} ({class_name})" if show_layer_names else class_name]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {_activation_name(activation)}")
    if show_shapes:
        def shape(value):
            return "?" if value is None else str(value)
        if class_name != "InputLayer":
            lines.append(f"Input shape: {shape(layer.input_shape)}")
        lines.append(f"Output shape: {shape(layer.output_shape)}")
    if show_dtype:
        lines.append(f"Output dtype: {layer.dtype or '?'}")
    if show_trainable and layer.weights:
        lines.append("Trainable" if layer.trainable else "Non-trainable")
    return "\n".join(lines)


def _centres(places, rankdir, width, height):
    """Box centres (inches) from ``(rank, position)`` places."""
    centres = []
    for rank, position in places:
        if rankdir in ("TB", "BT"):
            x, y = position * (width + SIBLING_GAP), -rank * (height + RANK_GAP)
        else:
            x, y = rank * (width + RANK_GAP), -position * (height + SIBLING_GAP)
        centres.append((-x if rankdir == "RL" else x, -y if rankdir == "BT" else y))
    return centres


def _arrow(start, end, rankdir, splines):
    """The arrow from a box's side to the next box's side, routed as ``splines`` asks."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    style = {"arrowstyle": "-|>", "mutation_scale": 11, "linewidth": 1.2, "color": "#333333",
             "zorder": 2}
    (x1, y1), (x2, y2) = start, end
    if splines == "ortho" and (x1 != x2 and y1 != y2):
        if rankdir in ("TB", "BT"):
            middle = y2 + (RANK_GAP / 2 if rankdir == "TB" else -RANK_GAP / 2)
            vertices = [(x1, y1), (x1, middle), (x2, middle), (x2, y2)]
        else:
            middle = x2 + (-RANK_GAP / 2 if rankdir == "LR" else RANK_GAP / 2)
            vertices = [(x1, y1), (middle, y1), (middle, y2), (x2, y2)]
        return FancyArrowPatch(path=Path(vertices), **style)
    bend = "arc3,rad=0.25" if splines in ("curved", "spline") else "arc3,rad=0"
    return FancyArrowPatch(start, end, connectionstyle=bend, shrinkA=0, shrinkB=0, **style)


def draw_model(model, rankdir="TB", expand_nested=False, splines="ortho", **label_options):
    """The figure of ``model``'s graph (see :func:`plot_model`); options go to :func:`layer_label`."""
    from matplotlib.patches import FancyBboxPatch, Rectangle  # slow to import: only to draw

    from layerkit.plotting import new_figure

    graph = model_graph(model, expand_nested)
    if not graph.layers:  # a model without known layers is one box, as in Keras
        graph.box(model)
    labels = [layer_label(layer, **label_options) for layer in graph.layers]
    width = max(len(line) for label in labels for line in label.split("\n")) * CHAR_WIDTH + 0.3
    height = max(label.count("\n") + 1 for label in labels) * LINE_HEIGHT + 0.2
    centres = _centres(layered_layout(len(labels), graph.edges), rankdir, width, height)
    corners = [(x - width / 2, y - height / 2, x + width / 2, y + height / 2) for x, y in centres]
    deepest = max((depth for _, _, depth in graph.clusters), default=0)
    frames = []
    for name, members, depth in graph.clusters:
        pad = 0.12 * (deepest - depth + 1)
        left, bottom = (min(corners[m][k] for m in members) - pad for k in (0, 1))
        right, top = (max(corners[m][k] for m in members) + pad for k in (2, 3))
        frames.append((name, left, bottom, right, top + LINE_HEIGHT))
    box_edges = corners + [frame[1:] for frame in frames]
    low_x, low_y = (min(edge[k] for edge in box_edges) - MARGIN for k in (0, 1))
    high_x, high_y = (max(edge[k] for edge in box_edges) + MARGIN for k in (2, 3))
    figure = new_figure(high_x - low_x, high_y - low_y, layout=None)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(low_x, high_x)
    ax.set_ylim(low_y, high_y)
    ax.set_axis_off()
    for name, left, bottom, right, top in frames:
        ax.add_patch(Rectangle((left, bottom), right - left, top - bottom, fill=False,
                               linestyle="--", edgecolor="#777777", zorder=0))
        ax.text(left + 0.08, top - 0.06, name, ha="left", va="top", fontsize=FONT_SIZE,
                style="italic", color="#555555")
    for layer, label, (x, y) in zip(graph.layers, labels, centres):
        colour = "#eef3fb"
        if label_options.get("show_trainable") and layer.weights:
            colour = "#e3f4e1" if layer.trainable else "#fbe3e1"
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0,rounding_size=0.06", facecolor=colour,
                                    edgecolor="#222222", linewidth=1.0, zorder=1))
        ax.text(x, y, label, ha="center", va="center", fontsize=FONT_SIZE, zorder=3, gid=layer.name)
    sides = {"TB": ((0, -1), (0, 1)), "BT": ((0, 1), (0, -1)), "LR": ((1, 0), (-1, 0)),
             "RL": ((-1, 0), (1, 0))}[rankdir]
    for source, destination in graph.edges:
        (ax_, ay), (bx, by) = centres[source], centres[destination]
        start = (ax_ + sides[0][0] * width / 2, ay + sides[0][1] * height / 2)
        end = (bx + sides[1][0] * width / 2, by + sides[1][1] * height / 2)
        arrow = _arrow(start, end, rankdir, splines)
        arrow.set_gid(f"{graph.layers[source].name}->{graph.layers[destination].name}")
        ax.add_patch(arrow)
    return figure


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw a model's layers and the arrows between them, and save the picture to ``to_file``.

    Parameters
    ----------
    model : Model
        A built Sequential or graph model.
    to_file : str or path, optional
        The image file; its extension picks the format (``.png`` when it has none).
        None: return the figure without saving it.
    show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable : bool
        What each box shows besides the layer's class.
    rankdir : {"TB", "LR", "BT", "RL"}
        Top to bottom, left to right (or the reverse).
    expand_nested : bool
        Draw nested models' layers inside a dashed frame named after the model.
    dpi : float
        Resolution of the saved image.
    splines : {"ortho", "curved", "polyline", "spline", "line"}
        Right-angled arrows, curved ones, or straight lines.

    Returns
    -------
    matplotlib.figure.Figure
        The drawing (Keras returns an IPython image for notebooks; a figure shows
        itself there too). Its texts are the boxes' labels (each with its layer's name
        as ``gid``) and the frames' names; each arrow's ``gid`` is ``"source->destination"``.

    Raises
    ------
    ValueError
        For a model that is not built, a bad ``rankdir``, ``splines`` or ``dpi``, a file
        format matplotlib cannot write, or an unknown keyword argument.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(3, name="hidden"),
    ...                     layers.Dense(1, name="out")])
    >>> figure = plot_model(model, to_file=None, show_layer_names=True)
    >>> [text.get_text() for text in figure.axes[0].texts]
    ['hidden (Dense)', 'out (Dense)']
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    if rankdir not in RANKDIRS:
        raise ValueError(f"`rankdir` must be one of {list(RANKDIRS)}. Received: rankdir={rankdir!r}")
    if splines not in SPLINES:
        raise ValueError(f"`splines` must be one of {list(SPLINES)}. Received: splines={splines!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"`dpi` must be a positive number. Received: dpi={dpi!r}")
    figure = draw_model(model, rankdir, expand_nested, splines, show_shapes=show_shapes,
                        show_dtype=show_dtype, show_layer_names=show_layer_names,
                        show_layer_activations=show_layer_activations,
                        show_trainable=show_trainable)
    if to_file is not None:
        extension = os.path.splitext(str(to_file))[1][1:].lower() or "png"
        formats = figure.canvas.get_supported_filetypes()
        if extension not in formats:
            raise ValueError(f"Cannot write a {extension!r} image: the formats are "
                             f"{sorted(formats)}. Received: to_file={str(to_file)!r}")
        figure.savefig(to_file, format=extension, dpi=dpi)
    return figure
