"""``CallbackList``: calls each hook on every callback that implements it."""

from layerkit.callbacks.callback import Callback
from layerkit.callbacks.history import History
from layerkit.callbacks.progbar_logger import ProgbarLogger

_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
                "on_batch_begin", "on_batch_end")
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    return getattr(type(callback), hook) is not getattr(Callback, hook)


class CallbackList(Callback):
    """A list of callbacks behaving as one, with ``History`` and the progress bar added.

    Batch hooks are dispatched only to callbacks that override them, so that a
    step costs nothing for callbacks that only care about epochs.

    Parameters
    ----------
    callbacks : list of Callback, optional
    add_history : bool
        Append a :class:`History` unless one is given.
    add_progbar : bool
        Append a :class:`ProgbarLogger` unless one is given.
    model : Model, optional
    **params
        Passed to every callback's ``set_params`` (``verbose``, ``epochs``, ``steps``).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must be Callback instances. Received: {callback!r}")
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self._listeners = {hook: [c for c in self.callbacks if _overrides(c, hook)
                                  or _overrides(c, _ALIASES.get(hook, hook))]
                           for hook in _BATCH_HOOKS}
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self._model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def wants_batch_logs(self, hook):
        """Whether any callback implements ``hook`` (so per-batch logs are worth computing)."""
        return bool(self._listeners[hook])

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def _call_batch(self, hook, batch, logs):
        for callback in self._listeners[hook]:
            getattr(callback, hook)(batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)
