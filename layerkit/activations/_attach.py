"""The one decorator every activation file uses to attach a backward pass to its forward, and
the wrapper that lets ``layerkit.ops`` record an activation applied to one of its Tensors."""

import functools

import numpy as np


def backward_for(forward):
    """Decorator: attach the decorated function as ``forward.backward``.

    Parameters
    ----------
    forward : callable
        The activation, ``y = forward(x, **kwargs)``.

    Returns
    -------
    callable
        A decorator that stores its function as ``forward.backward`` and returns it unchanged.

    Example
    -------
    >>> def double(x):
    ...     return 2 * x
    >>> @backward_for(double)
    ... def _double_backward(grad_output, x, y):
    ...     return 2 * grad_output
    >>> double.backward(1.0, 0.0, 0.0)
    2.0
    """

    def attach(backward):
        forward.backward = backward
        return backward

    return attach


_tensor_recorder = []  # [recorder] once layerkit.ops has registered itself


def record_tensors_with(recorder):
    """Let ``recorder(activation, x, args, kwargs)`` apply activations to ``layerkit.ops`` Tensors.

    ``layerkit.ops`` calls this when it is imported, so that ``relu(x)`` on a Tensor that
    a ``call()`` is recording is recorded as an operation (its gradient flows), as
    ``keras.activations.relu`` does on a backend tensor; this package does not import
    ``layerkit.ops``. The recorder returns ``NotImplemented`` for anything but a Tensor.

    Example
    -------
    >>> import layerkit.ops                 # registers its recorder on import
    >>> from layerkit import activations
    >>> activations.relu(layerkit.ops.convert_to_tensor([-1.0, 2.0]))
    array([0., 2.], dtype=float32)
    """
    _tensor_recorder[:] = [recorder]


def tensor_aware(function):
    """``function`` for NumPy arrays, recorded by ``layerkit.ops`` for its Tensors.

    The wrapper keeps ``function``'s name, docstring and ``backward``; arrays go
    straight to ``function``.

    Example
    -------
    >>> import numpy as np
    >>> def double(x):
    ...     return 2 * x
    >>> tensor_aware(double)(np.ones(2))
    array([2., 2.])
    """
    @functools.wraps(function)
    def activation(x, *args, **kwargs):
        if type(x) is not np.ndarray and _tensor_recorder:
            recorded = _tensor_recorder[0](activation, x, args, kwargs)
            if recorded is not NotImplemented:
                return recorded
        return function(x, *args, **kwargs)

    return activation
