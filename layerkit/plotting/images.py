"""A grid of images titled with their labels and predictions."""

import numpy as np

from layerkit.plotting.figures import new_figure


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
