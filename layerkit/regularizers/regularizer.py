"""The ``Regularizer`` protocol: a penalty ``regularizer(w) -> float`` and its gradient."""

from layerkit.initializers.initializer import check_number


class Regularizer:
    """Base class: subclasses implement ``__call__(x) -> float``, ``gradient(x)`` and ``get_config``.

    Example
    -------
    >>> import numpy as np
    >>> class Sum(Regularizer):
    ...     __call__ = lambda self, x: float(np.sum(x))
    >>> Sum()(np.array([1.0, 2.0]))
    3.0
    """

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x) -> penalty.")

    def gradient(self, x):
        """``d penalty / dx``, an array of ``x``'s shape and dtype."""
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(x).")

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a regularizer from :meth:`get_config`'s output."""
        return cls(**config)


def _factor(owner, name, value, default):
    """Keras's rule: None means ``default``; otherwise a finite number >= 0, kept as a float."""
    value = default if value is None else value
    return float(check_number(owner, name, value, minimum=0))
