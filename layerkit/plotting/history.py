"""Learning curves: loss and metrics against epochs, from one ``History`` or several."""

import numpy as np

from layerkit.plotting.figures import new_figure


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
