"""The initializer protocol, ``initializer(shape, dtype=None) -> ndarray``, and the seeded base."""

import math
import numbers

import numpy as np

from layerkit import backend


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``.

    Example
    -------
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return backend.full(shape, 2.0, dtype)
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from :meth:`get_config`'s output."""
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration (Keras's ``clone``)."""
        return type(self).from_config(self.get_config())


class RandomInitializer(Initializer):
    """Base of the random initializers: holds ``seed`` and the generator it gives.

    With a ``seed`` every call returns the same values, as in Keras; without one,
    each call draws new values from layerkit's generator (``set_random_seed``).

    Parameters
    ----------
    seed : int, optional

    Raises
    ------
    TypeError
        If ``seed`` is not an integer or None.

    Example
    -------
    >>> RandomInitializer(seed=3).get_config()
    {'seed': 3}
    """

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(
                f"`seed` of {type(self).__name__} must be an integer or None. Received: seed={seed!r}"
            )
        self.seed = seed

    def _generator(self):
        return backend.make_generator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def check_number(owner, name, value, minimum=None, exclusive=False, optional=False):
    """Return ``value`` if it is a finite number (above ``minimum``), else raise a ValueError.

    The one argument check of the math modules (initializers, schedules,
    regularizers, constraints), with Keras's "Received: name=value" wording.

    Parameters
    ----------
    owner : str
        The class or function, named in the message.
    name : str
        The argument.
    value : object
    minimum : float, optional
        Lower bound, included unless ``exclusive``.
    exclusive : bool
        Require ``value > minimum``.
    optional : bool
        Accept None.

    Returns
    -------
    The value, unchanged.

    Raises
    ------
    ValueError
        For a non-number (a bool included), a NaN or infinity, or a value out of bounds.

    Example
    -------
    >>> check_number("L2", "l2", 0.01, minimum=0)
    0.01
    >>> check_number("L2", "l2", -1, minimum=0)
    Traceback (most recent call last):
    ...
    ValueError: `l2` of L2 must be a finite number >= 0. Received: l2=-1
    """
    if value is None and optional:
        return value
    number = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if (not number or not math.isfinite(value) or
            (minimum is not None and (value <= minimum if exclusive else value < minimum))):
        bound = "" if minimum is None else f" {'>' if exclusive else '>='} {minimum}"
        none = " or None" if optional else ""
        raise ValueError(f"`{name}` of {owner} must be a finite number{bound}{none}. "
                         f"Received: {name}={value!r}")
    return value
