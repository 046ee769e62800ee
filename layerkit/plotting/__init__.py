"""Figures for training results: learning curves, decision boundaries, images.

Every function returns a ``matplotlib.figure.Figure`` made without pyplot: no
window opens, nothing is kept in pyplot's list of figures, and it works on a
machine without a display (the Agg canvas draws it). Save it with
``fig.savefig("name.png")``; in a notebook, a returned figure shows itself.

One module a figure: :mod:`~layerkit.plotting.history` (learning curves),
:mod:`~layerkit.plotting.decision_boundary` and :mod:`~layerkit.plotting.images`, each drawn
on a :func:`~layerkit.plotting.figures.new_figure`. This package never imports the engine:
it draws arrays, a ``History`` (or its ``history`` dict), and calls a model's public
``predict``.

Example
-------
>>> fig = plot_history({"loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.6, 0.55]})
>>> [ax.get_title() for ax in fig.axes]
['loss']
"""

from layerkit.plotting.decision_boundary import plot_decision_boundary
from layerkit.plotting.figures import new_figure
from layerkit.plotting.history import plot_history
from layerkit.plotting.images import plot_images

__all__ = ["plot_history", "plot_decision_boundary", "plot_images", "new_figure"]
