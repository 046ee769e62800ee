"""Which ``layerkit.ops`` function a NumPy function means on a Tensor (NumPy's NEP 18 ``implements``).

Each op declares the NumPy functions it stands for::

    @implements(np.sum, a="x")          # np.sum(t, axis=0) -> ops.sum(x=t, axis=0)
    def sum(x, axis=None, keepdims=False): ...

``Tensor.__array_ufunc__`` and ``Tensor.__array_function__`` look the NumPy function
up here and call the op with NumPy's arguments renamed to the op's. A NumPy function
that no op stands for, or an argument that the op does not take, raises a TypeError
naming it: nothing is ever computed on a recorded Tensor's value behind the tape's back.
"""

import inspect

import numpy as np

HANDLED = {}    # NumPy function, ufunc or ``operator`` function -> the op that computes it
_RENAMED = {}   # NumPy function -> {NumPy argument name: the op's argument name}
_SIGNATURES = {}


def implements(*numpy_functions, **renamed):
    """Decorator: calling any of ``numpy_functions`` on a Tensor calls the decorated op.

    Parameters
    ----------
    *numpy_functions : callable
        NumPy functions or ufuncs (or ``operator`` functions, for Tensor's methods).
    **renamed : str
        ``numpy_argument="op_argument"`` for arguments whose names differ.

    Returns
    -------
    callable
        A decorator that registers its function and returns it unchanged.

    Example
    -------
    >>> @implements(np.fft.ifft)
    ... def my_ifft(x):
    ...     return x
    >>> HANDLED.pop(np.fft.ifft) is my_ifft
    True
    """

    def register(op):
        for function in numpy_functions:
            HANDLED[function] = op
            _RENAMED[function] = renamed
        return op

    return register


def numpy_name(function, method="__call__"):
    """``"numpy.linalg.norm"``, ``"numpy.add.reduce"``: how a NumPy function is called.

    Example
    -------
    >>> numpy_name(np.add, "reduce"), numpy_name(np.linalg.inv)
    ('numpy.add.reduce', 'numpy.linalg.inv')
    """
    if isinstance(function, np.ufunc):
        return f"numpy.{function.__name__}" + ("" if method == "__call__" else f".{method}")
    return f"{function.__module__}.{function.__name__}"


def refusal(name):
    """The TypeError for a NumPy function that has no op: computing it would cut the gradient."""
    return TypeError(
        f"{name}() was called on a Tensor that a GradientTape is recording, and layerkit.ops has "
        "no differentiable operation for it: computing it on the Tensor's value would silently "
        "cut it from the gradient. Apply it to `ops.stop_gradient(x)` if no gradient should flow "
        "through it, or write an `ops.Operation` with its backward.")


def call_handled(function, args, kwargs):
    """Call the op registered for NumPy's ``function`` with ``function``'s arguments.

    NumPy's argument names are renamed to the op's; an argument the op does not
    take is accepted only at NumPy's default value.

    Raises
    ------
    TypeError
        For an argument the op does not take (``np.sum(t, where=mask)``).
    """
    op = HANDLED[function]
    if function not in _SIGNATURES:
        _SIGNATURES[function] = (inspect.signature(function), inspect.signature(op).parameters)
    signature, op_parameters = _SIGNATURES[function]
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    renamed, op_kwargs = _RENAMED[function], {}
    for name, value in bound.arguments.items():
        target = renamed.get(name, name)
        if value is np._NoValue or (name == "kwargs" and not value):
            continue
        if target in op_parameters:
            op_kwargs[target] = value
        elif not _is_default(value, signature.parameters[name].default):
            raise TypeError(f"{numpy_name(function)}(..., {name}=...) cannot be recorded on a "
                            f"GradientTape: layerkit.ops.{op.__name__} has no `{name}` argument.")
    return op(**op_kwargs)


def _is_default(value, default):
    if value is default:
        return True
    simple = (str, int, float, bool)
    return type(value) in simple and type(value) is type(default) and value == default
