"""``LambdaCallback``: a callback made of plain functions, one per hook."""

from layerkit.callbacks.callback import Callback
from layerkit.callbacks.function_config import function_from_config, function_to_config

HOOKS = tuple(sorted(name for name in vars(Callback) if name.startswith("on_")))
_NAMED = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
          "on_train_batch_begin", "on_train_batch_end")


class LambdaCallback(Callback):
    """Call the functions given, each at its hook, with the hook's arguments (Keras's).

    ``on_epoch_begin(epoch, logs)`` and ``on_epoch_end(epoch, logs)``;
    ``on_train_begin(logs)`` and ``on_train_end(logs)``; the batch hooks
    ``on_train_batch_begin(batch, logs)`` and ``on_train_batch_end(batch, logs)``.
    Any other hook of :class:`Callback`
    (``on_test_begin=...``, ``on_predict_batch_end=...``) is given by keyword.

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        ``f(batch, logs)``.
    **kwargs : callable
        Other hooks, by their names.

    Raises
    ------
    TypeError
        For a keyword that is not a hook name (the message lists them) or a
        value that is not callable.

    Example
    -------
    >>> seen = []
    >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
    >>> callback.on_epoch_end(0, {"loss": 0.5})
    >>> seen
    [(0, 0.5)]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks {unknown}. Valid hooks are "
                            f"{list(HOOKS)}.")
        named = dict(zip(_NAMED, (on_epoch_begin, on_epoch_end, on_train_begin, on_train_end,
                                  on_train_batch_begin, on_train_batch_end)))
        self._functions = {}
        for hook, function in {**named, **kwargs}.items():
            function = function_from_config(function, "LambdaCallback", hook)
            if function is not None:
                setattr(self, hook, function)  # an instance attribute shadows the hook
                self._functions[hook] = function

    def get_config(self):
        """The functions by hook (by registered name when registered; see ``function_config``)."""
        config = dict.fromkeys(_NAMED)
        config.update({hook: function_to_config(f) for hook, f in self._functions.items()})
        return config
