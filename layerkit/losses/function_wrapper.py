"""``LossFunctionWrapper``: a loss made from a plain function of ``(y_true, y_pred)``."""

from layerkit import registry
from layerkit.losses.loss import Loss, differentiate

#: The package's per-sample loss functions by name (filled by ``layerkit.losses``), for
#: :class:`LossFunctionWrapper` configs.
FUNCTIONS = {}


class LossFunctionWrapper(Loss):
    """A loss made from a function ``fn(y_true, y_pred, **kwargs) -> per-sample values``.

    To train with it, ``fn`` needs a ``backward(y_true, y_pred, **kwargs)``
    attribute giving the per-sample gradient.

    Example
    -------
    >>> import numpy as np
    >>> def sq(y_true, y_pred):
    ...     return ((y_pred - y_true) ** 2).mean(axis=-1)
    >>> sq.backward = lambda y_true, y_pred: 2 * (y_pred - y_true) / y_pred.shape[-1]
    >>> float(LossFunctionWrapper(sq)(np.array([[0.0]]), np.array([[2.0]])))
    4.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def backward(self, y_true, y_pred):
        """The function's ``backward`` attribute if it has one, else derived from the function."""
        backward = getattr(self.fn, "backward", None)
        if backward is None:
            return differentiate(lambda yp: self.fn(y_true, yp, **self._fn_kwargs), y_pred,
                                 self.name)
        return backward(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": registry.get_registered_name(self.fn),
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.pop("fn")
        fn = registry.get_registered_object(name, module_objects=FUNCTIONS)
        if fn is None:
            raise ValueError(
                f"Unknown loss function {name!r}: register it with "
                "`layerkit.saving.register_keras_serializable()`."
            )
        return cls(fn, **config)
