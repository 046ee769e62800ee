"""Activation functions, each with its backward pass, all numerically stable.

An activation is a plain function ``y = f(x)``. Its backward pass,
``f.backward(grad_output, x, y, **kwargs) -> grad_input``, is attached to it so
that a layer can turn dL/dA into dL/dZ without knowing which activation it has:

    dZ = f.backward(dA, Z, A)

Elementwise activations multiply ``dA`` by f'(Z); softmax, whose Jacobian is not
diagonal, computes A * (dA - sum(dA * A)). Every function here stays finite and
silent (no NumPy warnings) for inputs as large as |x| = 1000.

A custom activation is any callable with a ``backward`` attribute of that
signature; register it with ``layerkit.saving.register_keras_serializable`` to
save and load models that use it.
"""

import functools

import numpy as np

from layerkit import registry


def _backward_of(forward):
    """Decorator: attach the decorated function as ``forward.backward``."""

    def attach(backward):
        forward.backward = backward
        return backward

    return attach


def linear(x):
    """Identity, ``f(x) = x``.

    Example
    -------
    >>> linear(np.array([-1.0, 2.0]))
    array([-1.,  2.])
    """
    return x


@_backward_of(linear)
def _linear_backward(grad_output, x, y):
    return grad_output


def sigmoid(x):
    """Logistic sigmoid, ``f(x) = 1 / (1 + exp(-x))``.

    Computed as ``(1 + tanh(x / 2)) / 2`` (the same function), which never
    overflows, as Chainer does.

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    y = np.tanh(np.multiply(x, 0.5))
    y += 1
    y *= 0.5
    return y


@_backward_of(sigmoid)
def _sigmoid_backward(grad_output, x, y):
    return grad_output * y * (1 - y)


def tanh(x):
    """Hyperbolic tangent, ``f(x) = (e^x - e^-x) / (e^x + e^-x)``.

    Example
    -------
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(x)


@_backward_of(tanh)
def _tanh_backward(grad_output, x, y):
    return grad_output * (1 - y * y)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, ``f(x) = max(x, 0)``, with Keras's options.

    ``f(x) = x`` for ``threshold < x < max_value``, ``max_value`` above it and
    ``negative_slope * (x - threshold)`` at or below ``threshold``.

    Parameters
    ----------
    x : ndarray
    negative_slope : float
        Slope below the threshold (0 gives the plain ReLU).
    max_value : float, optional
        Saturation value (``None``: no upper bound).
    threshold : float
        Where the function switches from the slope to the identity.

    Example
    -------
    >>> relu(np.array([-2.0, 3.0]))
    array([0., 3.])
    """
    x = np.asarray(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return np.maximum(x, 0).astype(x.dtype, copy=False)  # the plain ReLU, the common case
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = np.minimum(y, max_value)
    return y.astype(x.dtype, copy=False)


@_backward_of(relu)
def _relu_backward(grad_output, x, y, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0 and max_value is None and threshold == 0:
        return grad_output * (x > 0)
    slope = np.where(x > threshold, 1, negative_slope).astype(grad_output.dtype)
    if max_value is not None:
        slope[x >= max_value] = 0
    return grad_output * slope


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU, ``f(x) = x`` for x > 0 and ``negative_slope * x`` otherwise.

    Example
    -------
    >>> leaky_relu(np.array([-1.0, 2.0]))
    array([-0.2,  2. ])
    """
    x = np.asarray(x)
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


@_backward_of(leaky_relu)
def _leaky_relu_backward(grad_output, x, y, negative_slope=0.2):
    slope = (x > 0) * (1 - negative_slope) + negative_slope  # 1 where x > 0, else the slope
    return grad_output * slope.astype(grad_output.dtype, copy=False)


def elu(x, alpha=1.0):
    """Exponential linear unit, ``f(x) = x`` for x > 0 and ``alpha * (e^x - 1)`` otherwise.

    Example
    -------
    >>> elu(np.array([0.0, 1.0]))
    array([0., 1.])
    """
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


@_backward_of(elu)
def _elu_backward(grad_output, x, y, alpha=1.0):
    return np.where(x > 0, grad_output, grad_output * (y + alpha))


def selu(x):
    """Scaled ELU, ``f(x) = scale * elu(x, alpha)`` with Klambauer et al.'s constants.

    Example
    -------
    >>> float(selu(np.array([1.0]))[0])
    1.0507009873554805
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_backward_of(selu)
def _selu_backward(grad_output, x, y):
    return np.where(x > 0, _SELU_SCALE * grad_output, grad_output * (y + _SELU_SCALE * _SELU_ALPHA))


def softplus(x):
    """Softplus, ``f(x) = log(1 + e^x)``, computed as ``max(x, 0) + log1p(e^-|x|)``.

    Example
    -------
    >>> softplus(np.array([1000.0]))
    array([1000.])
    """
    x = np.asarray(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@_backward_of(softplus)
def _softplus_backward(grad_output, x, y):
    return grad_output * sigmoid(x)


def silu(x):
    """Sigmoid linear unit (swish), ``f(x) = x * sigmoid(x)``.

    Example
    -------
    >>> silu(np.array([0.0]))
    array([0.])
    """
    return x * sigmoid(x)


@_backward_of(silu)
def _silu_backward(grad_output, x, y):
    s = sigmoid(x)
    return grad_output * (s + x * s * (1 - s))


def exponential(x):
    """Exponential, ``f(x) = e^x`` (overflows to inf for x > ~88 in float32, as it must).

    Example
    -------
    >>> exponential(np.array([0.0]))
    array([1.])
    """
    return np.exp(x)


@_backward_of(exponential)
def _exponential_backward(grad_output, x, y):
    return grad_output * y


def softmax(x, axis=-1):
    """Softmax along ``axis``, ``f(x)_i = e^(x_i - max x) / sum_j e^(x_j - max x)``.

    Subtracting the maximum first keeps every exponent <= 0: no overflow.

    Parameters
    ----------
    x : ndarray
    axis : int
        The axis that sums to one.

    Example
    -------
    >>> softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@_backward_of(softmax)
def _softmax_backward(grad_output, x, y, axis=-1):
    return y * (grad_output - (grad_output * y).sum(axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """Log of the softmax, ``x - max x - log(sum e^(x - max x))``, stable.

    Example
    -------
    >>> np.round(np.exp(log_softmax(np.array([[0.0, 0.0]]))), 3)
    array([[0.5, 0.5]])
    """
    x = np.asarray(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@_backward_of(log_softmax)
def _log_softmax_backward(grad_output, x, y, axis=-1):
    return grad_output - np.exp(y) * grad_output.sum(axis=axis, keepdims=True)


_ACTIVATIONS = {
    f.__name__: f
    for f in (linear, sigmoid, tanh, relu, leaky_relu, elu, selu, softplus, silu,
              exponential, softmax, log_softmax)
}
_ACTIVATIONS["swish"] = silu


def backward_of(activation):
    """Return ``activation``'s backward function, ``(grad_output, x, y) -> grad_input``.

    Works for the functions here, for ``functools.partial`` of them (their keyword
    arguments are passed on) and for any callable with a ``backward`` attribute.

    Raises
    ------
    TypeError
        If ``activation`` has no backward pass.
    """
    if isinstance(activation, functools.partial):
        return functools.partial(backward_of(activation.func), **activation.keywords)
    backward = getattr(activation, "backward", None)
    if backward is None:
        name = getattr(activation, "__name__", repr(activation))
        raise TypeError(
            f"Activation {name!r} has no backward pass. A custom activation must be a "
            "callable with a `backward(grad_output, x, y)` attribute returning dL/dx."
        )
    return backward


def get(identifier):
    """Return the activation function ``identifier`` names.

    Parameters
    ----------
    identifier : str, callable or None
        A name (``"relu"``), a function, or None for ``linear``.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything else.

    Example
    -------
    >>> get("relu") is relu
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret activation identifier: {identifier!r}. Expected a name "
        f"such as 'relu', a callable or None."
    )


def serialize(activation):
    """The name an activation is saved under (``"relu"``, ``"my_pkg>swish2"``).

    Example
    -------
    >>> serialize(sigmoid)
    'sigmoid'
    """
    if isinstance(activation, functools.partial):
        return {"class_name": serialize(activation.func), "config": dict(activation.keywords)}
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return name
    return registry.get_registered_name(activation)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`.

    Example
    -------
    >>> deserialize("tanh") is tanh
    True
    """
    if isinstance(config, dict):
        fn = registry.deserialize(config["class_name"], _ACTIVATIONS, "activation", custom_objects)
        return functools.partial(fn, **config.get("config", {}))
    return registry.deserialize(config, _ACTIVATIONS, "activation", custom_objects)
