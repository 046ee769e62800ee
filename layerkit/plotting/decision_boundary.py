"""The regions a two-feature classifier assigns to each class, with the data on top."""

import inspect

import numpy as np
from matplotlib.colors import ListedColormap

from layerkit.plotting.figures import new_figure

_TWO_CLASSES = ListedColormap(["#d7301f", "#2b8cbe"])


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
