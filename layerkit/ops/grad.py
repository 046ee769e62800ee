"""``value_and_grad``: JAX's way to ask for a gradient, on top of ``GradientTape``."""

import functools
import numbers

import numpy as np

from layerkit.ops.tape import GradientTape
from layerkit.ops.tensor import value_of


def value_and_grad(fn, argnums=0, has_aux=False):
    """Make ``fn`` return its value and its gradient with respect to the arguments ``argnums``.

    ``value_and_grad(fn)(x, y)`` runs ``fn(x, y)`` on a tape watching ``x`` and
    returns ``(value, d value / dx)``. An argument may be an array or a list, tuple
    or dict of arrays (the gradient then has its structure).

    Parameters
    ----------
    fn : callable
        Returns a scalar computed with ``layerkit.ops`` (or ``(scalar, aux)`` with ``has_aux``).
    argnums : int or tuple of int
        Which positional arguments to differentiate; a tuple gives a tuple of gradients.
    has_aux : bool
        ``fn`` returns ``(value, aux)``; the result is then ``((value, aux), grads)``.

    Returns
    -------
    callable
        ``(*args, **kwargs) -> (value, grads)``, the value as a 0-d ndarray. A source
        the value does not depend on gets zeros.

    Raises
    ------
    TypeError
        (when called) If ``fn``'s value is not a scalar, or ``argnums`` names a missing argument.

    Example
    -------
    The 2-2-1 tutorial's question, "how does the loss change with each weight?":

    >>> from layerkit import ops
    >>> def loss(w, x, y):
    ...     return ops.mean((ops.sigmoid(x @ w) - y) ** 2)
    >>> x, y = np.array([[-2.0, -1.0], [25.0, 6.0]]), np.array([1.0, 0.0])
    >>> value, dw = ops.value_and_grad(loss)(np.array([0.1, 0.1]), x, y)
    >>> dw.shape, bool(value > 0)
    ((2,), True)
    """
    positions = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    if not positions or not all(isinstance(p, numbers.Integral) for p in positions):
        raise TypeError(f"`argnums` must be an int or a non-empty tuple of ints. "
                        f"Received: argnums={argnums!r}")

    @functools.wraps(fn)
    def value_and_grad_fn(*args, **kwargs):
        if max(positions) >= len(args):
            raise TypeError(f"value_and_grad of {getattr(fn, '__name__', fn)!r}: argnums={argnums!r} "
                            f"but only {len(args)} positional arguments were given.")
        args = list(args)
        with GradientTape() as tape:
            for position in positions:
                args[position] = tape.watch(args[position])
            out = fn(*args, **kwargs)
        value, aux = out if has_aux else (out, None)
        if np.ndim(value_of(value)) != 0:
            raise TypeError(f"value_and_grad needs a function with a scalar value; "
                            f"{getattr(fn, '__name__', fn)!r} returned shape {np.shape(value_of(value))}.")
        grads = tape.gradient(value, [args[p] for p in positions], unconnected_gradients="zero")
        grads = grads[0] if isinstance(argnums, numbers.Integral) else tuple(grads)
        value = np.asarray(value_of(value))
        return ((value, aux), grads) if has_aux else (value, grads)

    return value_and_grad_fn
