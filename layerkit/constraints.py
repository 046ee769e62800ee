"""Weight constraints: projections applied to a weight after each update, ``w <- constraint(w)``.

Each is Keras's formula, epsilon included (ε = ``backend.epsilon()``, 1e-7): with
``‖w‖`` the L2 norm along ``axis`` (kept for broadcasting),

- ``MaxNorm``: ``w * clip(‖w‖, 0, max_value) / (ε + ‖w‖)``
- ``MinMaxNorm``: ``w * (rate * clip(‖w‖, min_value, max_value) + (1 - rate) ‖w‖) / (ε + ‖w‖)``
- ``UnitNorm``: ``w / (ε + ‖w‖)``
- ``NonNeg``: ``max(w, 0)``

A constraint returns a new array and never modifies the one it is given. For a
``Dense`` kernel of shape (input_dim, units), ``axis=0`` constrains each unit's
incoming weight vector.
"""

import numbers

import numpy as np

from layerkit import backend, registry
from layerkit.initializers.initializer import check_number


class Constraint:
    """Base class: subclasses implement ``__call__(w) -> projected w`` and ``get_config``.

    The base returns a copy of ``w`` unchanged.

    Example
    -------
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return np.clip(w, -1, 1)
    >>> Clip()(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """

    def __call__(self, w):
        return np.array(w, copy=True)

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a constraint from :meth:`get_config`'s output."""
        return cls(**config)


def _check_axis(owner, axis):
    """An int, a list or tuple of ints, or None (every axis); else a ValueError."""
    def is_int(a):
        return isinstance(a, numbers.Integral) and not isinstance(a, bool)

    if axis is None or is_int(axis) or (isinstance(axis, (list, tuple)) and all(map(is_int, axis))):
        return axis
    raise ValueError(f"`axis` of {owner} must be an integer, a list of integers or None. "
                     f"Received: axis={axis!r}")


def _norms(w, axis):
    """``‖w‖`` along ``axis``, with that axis kept (size 1)."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale each weight vector whose norm exceeds ``max_value`` down to it.

    ``w * clip(‖w‖, 0, max_value) / (ε + ‖w‖)`` with norms along ``axis``.

    Parameters
    ----------
    max_value : float
        The largest norm allowed, >= 0.
    axis : int, list of int or None
        The axis (or axes) the norms run along.

    Raises
    ------
    ValueError
        For a negative or non-finite ``max_value`` or an invalid ``axis``.

    Example
    -------
    >>> MaxNorm(max_value=1.0)(np.array([[3.0, 0.3], [4.0, 0.4]])).round(6)
    array([[0.6, 0.3],
           [0.8, 0.4]])
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = check_number("MaxNorm", "max_value", max_value, minimum=0)
        self.axis = _check_axis("MaxNorm", axis)

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        return w * (np.clip(norms, 0, self.max_value) / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each weight vector's norm into ``[min_value, max_value]``, at speed ``rate``.

    ``w * (rate * clip(‖w‖, min_value, max_value) + (1 - rate) ‖w‖) / (ε + ‖w‖)``.

    Parameters
    ----------
    min_value, max_value : float
        The bounds on the norm, ``0 <= min_value <= max_value``.
    rate : float
        In [0, 1]: 1 projects at once, less moves part of the way.
    axis : int, list of int or None
        The axis (or axes) the norms run along.

    Raises
    ------
    ValueError
        For bounds out of order, a rate outside [0, 1], a non-finite number or an
        invalid ``axis``.

    Example
    -------
    >>> MinMaxNorm(min_value=1.0, max_value=2.0)(np.array([[0.3], [0.4]])).round(6)
    array([[0.6],
           [0.8]])
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = check_number("MinMaxNorm", "min_value", min_value, minimum=0)
        self.max_value = check_number("MinMaxNorm", "max_value", max_value, minimum=min_value)
        self.rate = check_number("MinMaxNorm", "rate", rate, minimum=0)
        if rate > 1:
            raise ValueError(f"`rate` of MinMaxNorm must be in [0, 1]. Received: rate={rate}")
        self.axis = _check_axis("MinMaxNorm", axis)

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights set to 0: ``max(w, 0)``.

    Example
    -------
    >>> NonNeg()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    def __call__(self, w):
        w = np.asarray(w)
        return np.maximum(w, 0).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Each weight vector scaled to norm 1: ``w / (ε + ‖w‖)``.

    Parameters
    ----------
    axis : int, list of int or None
        The axis (or axes) the norms run along.

    Raises
    ------
    ValueError
        For an invalid ``axis``.

    Example
    -------
    >>> UnitNorm()(np.array([[3.0], [4.0]])).round(6)
    array([[0.6],
           [0.8]])
    """

    def __init__(self, axis=0):
        self.axis = _check_axis("UnitNorm", axis)

    def __call__(self, w):
        w = np.asarray(w)
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


_CLASSES = (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_CONSTRAINTS = {cls.__name__: cls for cls in _CLASSES}
_CONSTRAINTS.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})

# Keras's lowercase aliases of the classes (``keras.constraints.max_norm(2.0)``).
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm


def get(identifier):
    """Return a constraint from a name, class, instance, config dict, callable or None.

    A name (``"max_norm"``, ``"min_max_norm"``, ``"non_neg"``, ``"unit_norm"`` or
    the class name) gives the class with its defaults.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything else.

    Example
    -------
    >>> get("max_norm").get_config()
    {'max_value': 2, 'axis': 0}
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return registry.deserialize(identifier, _CONSTRAINTS, "constraint")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret constraint identifier: {identifier!r}. Expected a name "
                    "such as 'max_norm', a Constraint, a callable(w) or None.")


def serialize(constraint):
    """``{"class_name": ..., "config": ...}`` for a constraint.

    Example
    -------
    >>> serialize(UnitNorm(axis=1))
    {'class_name': 'UnitNorm', 'config': {'axis': 1}}
    """
    return registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to custom classes.

    Raises
    ------
    ValueError
        For an unknown class name; the message lists the valid names.

    Example
    -------
    >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}}).max_value
    3
    """
    return registry.deserialize(config, _CONSTRAINTS, "constraint", custom_objects)
