"""``MonitorCallback``: what EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share.

A monitored quantity improves when ``current - min_delta > best`` (mode "max")
or ``current + min_delta < best`` (mode "min"), ``min_delta >= 0``; the first
value always improves on ``best = None``. This is Keras 3's rule.
"""

from layerkit.callbacks.arguments import check_number
from layerkit.callbacks.callback import Callback

MODES = ("auto", "min", "max")
# Keras infers "auto" from the metric objects' direction; layerkit reads it from the
# name, whose last word (after any "val_" and output prefix) says which way is better.
# Comparisons are in float64 (Keras's ops compare in float32).
_HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "precision", "recall", "f1_score", "fbeta_score",
                     "r2_score", "iou", "cosine_similarity", "correlation")
_LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "mape", "msle", "rmse", "crossentropy",
                    "hinge", "kl_divergence", "kld", "poisson", "logcosh")


def _ends_with_word(name, words):
    return any(name == word or name.endswith("_" + word) for word in words)


def direction(owner, monitor, mode):
    """``+1`` when higher values of ``monitor`` are better, ``-1`` when lower are.

    Raises
    ------
    ValueError
        For an unknown ``mode``, or ``mode="auto"`` with a name whose direction
        cannot be told (Keras's message: pass ``mode="min"`` or ``"max"``).

    Example
    -------
    >>> direction("EarlyStopping", "val_accuracy", "auto"), direction("EarlyStopping", "val_mae", "auto")
    (1, -1)
    """
    if mode not in MODES:
        raise ValueError(f"`mode` of {owner} must be one of {list(MODES)}. Received: mode={mode!r}")
    if mode != "auto":
        return 1 if mode == "max" else -1
    name = str(monitor).removeprefix("val_")
    if _ends_with_word(name, _LOWER_IS_BETTER):
        return -1
    if _ends_with_word(name, _HIGHER_IS_BETTER):
        return 1
    raise ValueError(f"{owner} callback received monitor={monitor}, but layerkit isn't able to "
                     "automatically determine whether that metric should be maximized or "
                     "minimized. Pass `mode='max'` in order to monitor based on the highest "
                     "metric value, or pass `mode='min'` in order to use the lowest value.")


class MonitorCallback(Callback):
    """Base class of callbacks that watch one log value and judge its improvements.

    Parameters
    ----------
    monitor : str
        A key of the logs, e.g. ``"val_loss"``.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``"auto"`` reads it from the name
        (losses and errors: lower; accuracies, AUC, precision, recall: higher).
    baseline : float, optional
        The initial ``best`` (None: the first value seen improves).
    min_delta : float
        The smallest change counted as an improvement (its absolute value is used).

    Raises
    ------
    ValueError
        For an unknown ``mode``, a name whose direction ``"auto"`` cannot tell,
        or a ``min_delta``/``baseline`` that is not a finite number.

    Example
    -------
    >>> watch = MonitorCallback("val_loss", min_delta=0.1)
    >>> watch.is_improvement(0.85, 1.0), watch.is_improvement(0.95, 1.0)
    (True, False)
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        self.monitor, self.mode = monitor, mode
        self._sign = direction(owner, monitor, mode)
        self.min_delta = abs(check_number(owner, "min_delta", min_delta))
        self.best = check_number(owner, "baseline", baseline, optional=True)

    def is_improvement(self, current, reference):
        """Whether ``current`` beats ``reference`` by more than ``min_delta`` (None: always)."""
        if reference is None:
            return True
        if self._sign > 0:
            return float(current) - self.min_delta > float(reference)
        return float(current) + self.min_delta < float(reference)
