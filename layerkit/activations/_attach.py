"""The one decorator every activation file uses to attach a backward pass to its forward."""


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
