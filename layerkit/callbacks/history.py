"""``History``: records each epoch's logs; ``fit`` returns it."""

from layerkit.callbacks.callback import Callback


class History(Callback):
    """Records the logs of every epoch.

    Attributes
    ----------
    history : dict
        ``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``, one value per epoch.
    epoch : list of int
        The epochs recorded (0-based).

    It takes no constructor arguments, so its config is ``{}``: a round trip gives
    an empty History (the values recorded are state, not configuration).

    Example
    -------
    >>> h = History(); h.on_train_begin(); h.on_epoch_end(0, {"loss": 0.5})
    >>> h.history, h.epoch
    ({'loss': [0.5]}, [0])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        model = self.model
        if model is not None:
            model.history = self
