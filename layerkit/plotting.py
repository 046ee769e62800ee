"""Figures for training results: learning curves, decision boundaries, images.

Every function returns a ``matplotlib.figure.Figure`` made without pyplot: no
window opens, nothing is kept in pyplot's list of figures, and it works on a
machine without a display (the Agg canvas draws it). Save it with
``fig.savefig("name.png")``; in a notebook, a returned figure shows itself.

This module never imports the engine: it draws arrays, a ``History`` (or its
``history`` dict), and calls a model's public ``predict``.

Example
-------
>>> fig = plot_history({"loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.6, 0.55]})
>>> [ax.get_title() for ax in fig.axes]
['loss']
"""

import inspect

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

_TWO_CLASSES = ListedColormap(["#d7301f", "#2b8cbe"])


def new_figure(width, height, layout="constrained"):
    """A figure of ``width`` x ``height`` inches drawn by Agg, outside pyplot (no window opens).

    Example
    -------
    >>> new_figure(3, 2).get_size_inches().tolist()
    [3.0, 2.0]
    """
    figure = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(figure)  # draw with Agg, whatever pyplot's back end is
    return figure


def _as_history_dict(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("`history` must be a History (as fit returns) or a non-empty dict of "
                         f"lists. Received: {type(history).__name__}")
    return logs


def _is_one_history(history):
    """A History, or a dict of logs (lists of numbers), rather than several histories."""
    if hasattr(history, "history"):
        return True
    return isinstance(history, dict) and not any(
        hasattr(v, "history") or isinstance(v, dict) for v in history.values())


def _labelled_histories(history):
    """``[(label or None, logs, epochs)]``: one history unlabelled, several with their labels."""
    if _is_one_history(history):
        runs = [(None, history)]
    elif isinstance(history, dict):
        runs = [(str(label), h) for label, h in history.items()]
    elif isinstance(history, (list, tuple)) and history:
        runs = [(f"run {i + 1}", h) for i, h in enumerate(history)]
    else:
        raise ValueError("`history` must be a History, a dict of logs, or several of them (a "
                         f"non-empty list, or a dict of labels to histories). Received: "
                         f"{type(history).__name__}")
    if not runs:
        raise ValueError("`history` holds no history to plot.")
    return [(label, _as_history_dict(h), getattr(h, "epoch", None)) for label, h in runs]


def plot_history(history, metrics=None):
    """Loss and metrics against epochs, training and validation on the same axes.

    Several histories (e.g. one per learning rate) are overlaid: one colour per
    history, training solid and validation dashed.

    Parameters
    ----------
    history : History or dict, or several of them
        What ``model.fit`` returns, or its ``history`` dict: ``{"loss": [...],
        "val_loss": [...], "accuracy": [...], ...}``; or a dict of labels to such
        histories (``{"lr=0.01": h1, "lr=0.001": h2}``), or a list of them (labelled
        ``run 1``, ``run 2``...).
    metrics : list of str, optional
        The quantities to plot, one panel each (their ``val_`` twins join them).
        By default the loss, then every other training metric recorded.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per quantity, x axis the epoch (from 1).

    Raises
    ------
    ValueError
        For an empty history, or a metric none recorded (the message lists those they did).

    Example
    -------
    >>> logs = {"loss": [0.7, 0.4], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    >>> fig = plot_history(logs)
    >>> [ax.get_title() for ax in fig.axes], len(fig.axes[1].lines)
    (['loss', 'accuracy'], 2)
    >>> fig = plot_history({"lr=0.1": {"loss": [0.7, 0.3]}, "lr=0.01": {"loss": [0.7, 0.6]}})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['lr=0.1', 'lr=0.01']
    """
    runs = _labelled_histories(history)
    recorded = list(dict.fromkeys(name for _, logs, _ in runs for name in logs))
    if metrics is None:
        metrics = sorted((name for name in recorded if not name.startswith("val_")),
                         key=lambda name: name != "loss")
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in recorded and "val_" + m not in recorded]
        if unknown:
            raise ValueError(f"The history has no {unknown}. It recorded: {sorted(recorded)}.")
    figure = new_figure(4.5 * len(metrics), 3.5)
    for ax, name in zip(figure.subplots(1, len(metrics), squeeze=False)[0], metrics):
        for run, (label, logs, epochs) in enumerate(runs):
            colour = f"C{run}" if label is not None else None
            for key, part, style in ((name, "training", "-"), ("val_" + name, "validation", "--")):
                if key in logs:
                    values = np.asarray(logs[key], dtype=float)
                    x = (np.asarray(epochs) + 1) if epochs is not None and len(epochs) == len(
                        values) else np.arange(1, len(values) + 1)
                    text = part if label is None else (label if key == name else f"{label} ({part})")
                    ax.plot(x, values, style, label=text, color=colour)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    return figure


def _predict_fn(model):
    predict = getattr(model, "predict", None)
    if predict is None:
        if callable(model):
            return model
        raise TypeError(f"`model` must have a `predict` method or be callable. Received: "
                        f"{type(model).__name__}")
    try:
        takes_verbose = "verbose" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        takes_verbose = False
    return (lambda x: predict(x, verbose=0)) if takes_verbose else predict


def plot_decision_boundary(model, x, y, resolution=200, margin=0.5, title=None):
    """The regions a two-feature classifier assigns to each class, with the points on top.

    The model predicts every point of a ``resolution`` x ``resolution`` grid
    covering the data (plus ``margin``) in one call. One output unit is read
    as the probability of class 1 (shaded, the 0.5 contour drawn); several
    units as class scores (each point's class is the argmax).

    Parameters
    ----------
    model : object with ``predict(x)``, or a callable
        Maps an (n, 2) array to (n,), (n, 1) or (n, classes) outputs.
    x : array-like, shape (n, 2)
    y : array-like, shape (n,)
        Integer class labels (or 0/1 values) of the points.
    resolution : int
        Grid points per axis.
    margin : float
        Added around the data's bounding box.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``x`` is not (n, 2) or ``y`` does not have n entries.

    Example
    -------
    >>> x = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> fig = plot_decision_boundary(lambda p: (p.sum(axis=1) > 1).astype(float), x, y)
    >>> len(fig.axes)
    2
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"`x` must have shape (n, 2). Received shape {x.shape}.")
    if len(y) != len(x):
        raise ValueError(f"`y` must have one label per row of `x` ({len(x)}). Received {len(y)}.")
    low, high = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution))
    outputs = np.asarray(_predict_fn(model)(np.c_[gx.ravel(), gy.ravel()]), dtype=float)
    figure = new_figure(5.5, 4.5)
    ax = figure.subplots()
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        surface = outputs.reshape(gx.shape)
        filled = ax.contourf(gx, gy, surface, levels=np.linspace(0, 1, 11), cmap="RdBu",
                             alpha=0.7)
        ax.contour(gx, gy, surface, levels=[0.5], colors="k", linewidths=1.5)
        figure.colorbar(filled, ax=ax, label="P(class 1)")
        cmap = _TWO_CLASSES
    else:
        surface = outputs.argmax(axis=1).reshape(gx.shape)
        classes = outputs.shape[1]
        filled = ax.contourf(gx, gy, surface, levels=np.arange(classes + 1) - 0.5,
                             cmap="tab10", alpha=0.4)
        figure.colorbar(filled, ax=ax, ticks=range(classes), label="predicted class")
        cmap = "tab10"
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap=cmap, edgecolors="k", linewidths=0.4, s=14)
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(title or "decision boundary")
    return figure


def _names(values, class_names):
    if values is None:
        return None
    values = np.asarray(values).reshape(len(values), -1)[:, 0]
    if class_names is None:
        return [str(v) for v in values]
    return [class_names[int(v)] for v in values]


def plot_images(x, labels=None, predictions=None, class_names=None, ncols=5, title=None):
    """A grid of images, each titled with its label and, if given, the prediction.

    A title is green when the prediction equals the label and red when not.

    Parameters
    ----------
    x : array-like, shape (n, height, width) or (n, height, width, 3 or 4)
        Colour images: uint8 in 0..255 or floats in [0, 1]. Grey images: any
        range, one grey scale for the whole set (dark is high).
    labels : array-like, shape (n,) or (n, 1), optional
        The true classes (integers, indices into ``class_names``).
    predictions : array-like, shape (n,) or (n, 1), optional
        The predicted classes.
    class_names : sequence of str, optional
        Names of the classes, by index.
    ncols : int
        Images per row.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For images of the wrong rank, or labels/predictions of another length.

    Example
    -------
    >>> images = np.zeros((3, 8, 8), dtype=np.uint8)
    >>> fig = plot_images(images, [0, 1, 1], [0, 1, 0], class_names=["no", "yes"])
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['no / pred. no', 'yes / pred. yes', 'yes / pred. no']
    """
    x = np.asarray(x)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3, 4)):
        raise ValueError("`x` must have shape (n, height, width) or (n, height, width, channels) "
                         f"with 1, 3 or 4 channels. Received shape {x.shape}.")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != len(x):
            raise ValueError(f"`{name}` must have one entry per image ({len(x)}). "
                             f"Received {len(values)}.")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    truth, guess = _names(labels, class_names), _names(predictions, class_names)
    n = len(x)
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    figure = new_figure(2.0 * ncols, 2.2 * nrows)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    grey = x.ndim == 3
    if not grey and x.dtype != np.uint8:
        x = np.clip(x, 0.0, 1.0)
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        if grey:  # one scale for the whole set, so that images compare
            ax.imshow(x[i], cmap="gray_r", vmin=min(x.min(), 0), vmax=max(x.max(), 1))
        else:
            ax.imshow(x[i])
        parts, color = [], "black"
        if truth is not None:
            parts.append(truth[i])
        if guess is not None:
            parts.append(f"pred. {guess[i]}")
            if truth is not None:
                color = "green" if truth[i] == guess[i] else "red"
        ax.set_title(" / ".join(parts), color=color, fontsize=9)
    if title:
        figure.suptitle(title)
    return figure
