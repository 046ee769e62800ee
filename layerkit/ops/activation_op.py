"""Keras's activation ops, computed by ``layerkit.activations``, which is looked up by name at each call.

An activation is ``y = f(x, **kwargs)`` with its backward ``f.backward(g, x, y,
**kwargs)`` attached (see ``layerkit.activations``): one operation class records any
of them, so every activation that module has (or gains) is differentiable here.
"""

import inspect

from layerkit import activations
from layerkit.ops.operation import Operation
from layerkit.ops.tensor import Tensor


class Activation(Operation):
    """``y = f(x, **kwargs)``; ``dx = f.backward(g, x, y, **kwargs)`` (f from layerkit.activations)."""

    def __init__(self, function, kwargs):
        self.function, self.kwargs = function, kwargs

    def forward(self, x):
        return self.function(x, **self.kwargs)

    def backward(self, g):
        backward = activations.backward_of(self.function)
        return (backward(g, self.inputs[0], self.output, **self.kwargs),)


def activation(name, x, **kwargs):
    """Apply ``layerkit.activations.get(name)`` to ``x``, recorded when ``x`` is a recorded Tensor.

    Parameters
    ----------
    name : str
        The activation's name (``"relu"``, ``"gelu"``...).
    x : array-like or Tensor
    **kwargs
        The activation's own arguments (``axis``, ``alpha``...).

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Raises
    ------
    NotImplementedError
        If ``layerkit.activations`` has no activation of that name.

    Example
    -------
    >>> import numpy as np
    >>> activation("relu", np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    try:
        function = activations.get(name)
    except ValueError:
        raise NotImplementedError(f"ops.{name} is computed by layerkit.activations.{name}, which "
                                  "this version of layerkit.activations does not have.") from None
    if isinstance(x, Tensor):
        return Activation(function, kwargs)(x)
    return function(x, **kwargs)


def _record(function, x, args, kwargs):
    """``layerkit.activations``' hook: ``function(x, *args, **kwargs)`` recorded for a Tensor."""
    if not isinstance(x, Tensor):
        return NotImplemented
    if args:  # positional arguments after x, named for the operation
        kwargs = inspect.signature(function).bind(x, *args, **kwargs).arguments
        kwargs.pop(next(iter(kwargs)))  # the input itself
    return Activation(function, dict(kwargs))(x)


activations.record_tensors_with(_record)
