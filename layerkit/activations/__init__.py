"""Activation functions, each with its backward pass, all numerically stable.

An activation is a plain function ``y = f(x, **kwargs)`` with Keras's name,
arguments and defaults. Its backward pass,
``f.backward(grad_output, x, y, **kwargs) -> grad_input``, is attached to it so
that a layer can turn dL/dA into dL/dZ without knowing which activation it has:

    dZ = f.backward(dA, Z, A)

Elementwise activations multiply ``dA`` by f'(Z); those along an axis (softmax,
log_softmax, sparsemax, glu) contract it along that axis. Every function here
except ``exponential`` stays finite and silent (no NumPy warnings) for inputs as
large as |x| = 1000, in float32 and float64, and keeps float32 inputs in float32.

The families live in their own modules: :mod:`.rectifiers`,
:mod:`.exponential_units`, :mod:`.squashing`, :mod:`.smooth_rectifiers`,
:mod:`.shrinkage`, :mod:`.along_axis`. This module holds the name table and
``get``, ``serialize``, ``deserialize``, ``backward_of`` and ``names``.

A custom activation is any callable with a ``backward`` attribute of that
signature; register it with ``layerkit.saving.register_keras_serializable`` to
save and load models that use it.
"""

import functools
import inspect

from layerkit import registry
from layerkit.activations._attach import record_tensors_with, tensor_aware
from layerkit.activations.along_axis import glu, log_softmax, softmax, sparsemax
from layerkit.activations.exponential_units import celu, elu, exponential, selu
from layerkit.activations.rectifiers import leaky_relu, linear, relu, relu6, threshold
from layerkit.activations.shrinkage import hard_shrink, soft_shrink, tanh_shrink
from layerkit.activations.smooth_rectifiers import (
    gelu,
    hard_silu,
    mish,
    silu,
    softplus,
    sparse_plus,
    squareplus,
)
from layerkit.activations.squashing import (
    hard_sigmoid,
    hard_tanh,
    log_sigmoid,
    sigmoid,
    softsign,
    sparse_sigmoid,
    tanh,
)

# Each public activation also takes layerkit.ops Tensors (recorded inside a call()).
(linear, relu, leaky_relu, relu6, threshold, elu, selu, celu, exponential, sigmoid, log_sigmoid,
 hard_sigmoid, sparse_sigmoid, tanh, hard_tanh, softsign, softplus, sparse_plus, squareplus, silu,
 hard_silu, gelu, mish, tanh_shrink, soft_shrink, hard_shrink, softmax, log_softmax, sparsemax,
 glu) = map(tensor_aware, (
    linear, relu, leaky_relu, relu6, threshold, elu, selu, celu, exponential, sigmoid, log_sigmoid,
    hard_sigmoid, sparse_sigmoid, tanh, hard_tanh, softsign, softplus, sparse_plus, squareplus,
    silu, hard_silu, gelu, mish, tanh_shrink, soft_shrink, hard_shrink, softmax, log_softmax,
    sparsemax, glu))
swish = silu
hard_swish = hard_silu

__all__ = ["celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
           "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
           "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
           "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
           "threshold", "backward_of", "deserialize", "get", "names", "record_tensors_with",
           "serialize"]

_ACTIVATIONS = {
    f.__name__: f
    for f in (linear, relu, leaky_relu, relu6, threshold, elu, selu, celu, exponential,
              sigmoid, log_sigmoid, hard_sigmoid, sparse_sigmoid, tanh, hard_tanh, softsign,
              softplus, sparse_plus, squareplus, silu, hard_silu, gelu, mish,
              tanh_shrink, soft_shrink, hard_shrink, softmax, log_softmax, sparsemax, glu)
}
_ACTIVATIONS.update({"swish": silu, "hard_swish": hard_silu})  # Keras's aliases, after the names


def names():
    """The names :func:`get` accepts for the built-in activations, sorted.

    Every name of ``keras.activations`` is there, aliases included (``"swish"``
    is ``silu``, ``"hard_swish"`` is ``hard_silu``). Two of them cannot be used as
    ``f(x)`` on any array: ``"threshold"`` has two required arguments, and
    ``"glu"`` halves its axis (its length must be even).

    Returns
    -------
    list of str

    Example
    -------
    >>> "gelu" in names() and "swish" in names()
    True
    """
    return sorted(_ACTIVATIONS)


def backward_of(activation):
    """Return ``activation``'s backward function, ``(grad_output, x, y) -> grad_input``.

    Works for the functions here, for ``functools.partial`` of them (their keyword
    arguments are passed on) and for any callable with a ``backward`` attribute.

    Parameters
    ----------
    activation : callable

    Returns
    -------
    callable

    Raises
    ------
    TypeError
        If ``activation`` has no backward pass.

    Example
    -------
    >>> import numpy as np
    >>> backward_of(relu)(np.ones(2), np.array([-1.0, 1.0]), None)
    array([0., 1.])
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
    identifier : str, dict, callable or None
        A name (``"relu"``), a :func:`serialize` dict, a function, or None for ``linear``.

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

    A ``functools.partial`` is saved as ``{"class_name": name, "config": keywords}``.

    Parameters
    ----------
    activation : callable

    Returns
    -------
    str or dict

    Example
    -------
    >>> serialize(sigmoid)
    'sigmoid'
    >>> serialize(functools.partial(gelu, approximate=True))
    {'class_name': 'gelu', 'config': {'approximate': True}}
    """
    if isinstance(activation, functools.partial):
        return {"class_name": serialize(activation.func), "config": dict(activation.keywords)}
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return name
    return registry.get_registered_name(activation)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`.

    Parameters
    ----------
    config : str or dict
    custom_objects : dict, optional
        ``{name: function}`` for custom activations.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid names), or keyword arguments the
        activation does not take.

    Example
    -------
    >>> deserialize("tanh") is tanh
    True
    >>> deserialize({"class_name": "relu", "config": {"max_value": 6.0}}).keywords
    {'max_value': 6.0}
    """
    if isinstance(config, dict):
        if not isinstance(config.get("class_name"), str) or not isinstance(
                config.get("config", {}), dict):
            raise ValueError("An activation config must be {'class_name': name, 'config': "
                             f"{{keyword: value}}}}. Received: {config!r}")
        fn = registry.deserialize(config["class_name"], _ACTIVATIONS, "activation", custom_objects)
        keywords = config.get("config", {})
        try:
            inspect.signature(fn).bind_partial(None, **keywords)
        except TypeError as error:
            raise ValueError(f"Activation {config['class_name']!r} does not take the keyword "
                             f"arguments {sorted(keywords)}: {error}.") from None
        return functools.partial(fn, **keywords)
    return registry.deserialize(config, _ACTIVATIONS, "activation", custom_objects)
