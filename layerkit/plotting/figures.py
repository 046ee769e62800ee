"""``new_figure``: a figure drawn by Agg, outside pyplot, that every plot starts from."""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


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
