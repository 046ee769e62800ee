"""``CallbackList``: calls each hook on every callback that implements it."""

from layerkit import registry
from layerkit.callbacks.backup_and_restore import BackupAndRestore
from layerkit.callbacks.callback import Callback
from layerkit.callbacks.csv_logger import CSVLogger
from layerkit.callbacks.early_stopping import EarlyStopping
from layerkit.callbacks.history import History
from layerkit.callbacks.lambda_callback import LambdaCallback
from layerkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from layerkit.callbacks.model_checkpoint import ModelCheckpoint
from layerkit.callbacks.progbar_logger import ProgbarLogger
from layerkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from layerkit.callbacks.terminate_on_nan import TerminateOnNaN

#: The hooks called at every batch or epoch: called only on the callbacks that implement them.
_FREQUENT_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                   "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
                   "on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end")
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
_BUILT_IN = {cls.__name__: cls for cls in (
    Callback, History, ProgbarLogger, TerminateOnNaN, EarlyStopping, ModelCheckpoint,
    ReduceLROnPlateau, LearningRateScheduler, CSVLogger, LambdaCallback, BackupAndRestore)}


def _overrides(callback, hook):
    """Whether ``callback`` has its own ``hook`` (a method of its class, or a function set on it)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", method) is not getattr(Callback, hook)


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [c for item in callbacks for c in _flatten(item)]
    return [callbacks]


class CallbackList(Callback):
    """A list of callbacks behaving as one, with ``History`` and the progress bar added.

    Batch hooks are dispatched only to callbacks that override them, so that a
    step costs nothing for callbacks that only care about epochs.

    Parameters
    ----------
    callbacks : Callback or list of Callback, optional
        One callback, or a (nested) list of them, as Keras accepts.
    add_history : bool
        Append a :class:`History` unless one is given.
    add_progbar : bool
        Append a :class:`ProgbarLogger` unless one is given.
    model : Model, optional
    **params
        Passed to every callback's ``set_params`` (``verbose``, ``epochs``, ``steps``).

    Raises
    ------
    TypeError
        For an item that is not a :class:`Callback`.

    ``get_config()`` holds the callbacks, each as ``{"class_name", "config"}``, the two
    flags and the params; ``from_config`` rebuilds them (a custom callback class must
    be registered with ``layerkit.saving.register_keras_serializable``).

    Example
    -------
    >>> from layerkit.callbacks import TerminateOnNaN
    >>> callbacks = CallbackList(TerminateOnNaN(), add_history=True)
    >>> [type(c).__name__ for c in callbacks.callbacks]
    ['TerminateOnNaN', 'History']
    >>> callbacks.resume_epoch() is None
    True
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must be Callback instances. Received: {callback!r}")
        self.add_history, self.add_progbar = bool(add_history), bool(add_progbar)
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self._find_listeners()
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
        """Whether any callback implements ``hook``: if none does, the hook need not be called,
        nor its per-batch logs computed."""
        return bool(self._listeners_now()[hook])

    def _find_listeners(self):
        """``{hook: the callbacks that implement it}`` for the frequent hooks, kept with the list."""
        self._listened = list(self.callbacks)
        self._listeners = {hook: [c for c in self.callbacks if _overrides(c, hook)
                                  or _overrides(c, _ALIASES.get(hook, hook))]
                           for hook in _FREQUENT_HOOKS}
        return self._listeners

    def _listeners_now(self):
        """The listeners, found again when ``callbacks`` has changed since (a callback
        appended, removed or replaced: Keras calls whatever the list holds)."""
        if self._listened != self.callbacks:
            return self._find_listeners()
        return self._listeners

    def resume_epoch(self):
        """The epoch a restarted ``fit`` starts from: the first answer that is not None, or None.

        The training loop calls it once, right after ``on_train_begin``. When some
        callback answers, every callback is then told with ``on_train_resume(epoch)``.
        """
        epoch = next((e for e in (c.resume_epoch() for c in self.callbacks) if e is not None), None)
        if epoch is not None:
            for callback in self.callbacks:
                callback.on_train_resume(epoch)
        return epoch

    def on_train_resume(self, epoch):
        for callback in self.callbacks:
            callback.on_train_resume(epoch)

    def _call(self, hook, *args):
        *args, logs = args
        for callback in self.callbacks:  # a dict for each, as Keras's pythonify_logs gives
            getattr(callback, hook)(*args, {} if logs is None else logs)

    def _call_listeners(self, hook, index, logs):
        for callback in self._listeners_now()[hook]:
            getattr(callback, hook)(index, {} if logs is None else logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_listeners("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call_listeners("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_listeners("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_listeners("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_listeners("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_listeners("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_listeners("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_listeners("on_predict_batch_end", batch, logs)

    def get_config(self):
        return {"callbacks": [registry.serialize(c) for c in self.callbacks],
                "add_history": self.add_history, "add_progbar": self.add_progbar, **self.params}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the list: each callback from its ``{"class_name", "config"}``."""
        config = dict(config)
        items = [registry.deserialize(item, _BUILT_IN, "callback", custom_objects)
                 for item in config.pop("callbacks", [])]
        return cls(items, **config)
