"""Activation layers with Keras's arguments: ReLU, LeakyReLU, ELU, Softmax (PReLU learns its slope).

Each applies a function of :mod:`layerkit.activations` with its arguments bound,
``A = f(Z)``, and backpropagates through that function's own backward,
``dZ = f.backward(dA, Z, A)``.
"""

import functools
import math
import numbers
import warnings

from layerkit import activations
from layerkit.layers.layer import Layer


def _check(owner, name, value, optional=False):
    """A finite number >= 0 (or None when ``optional``), else Keras's ValueError."""
    if value is None and optional:
        return None
    if (value is None or isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        kind = "a negative value" if optional else "None or a negative value"
        raise ValueError(f"{name} of a {owner} layer cannot be {kind}. Received: {name}={value!r}")
    return float(value)


class FunctionLayer(Layer):
    """Base: ``A = f(Z)`` for an activation function ``f`` with bound arguments.

    After a forward pass the layer holds ``Z`` (its input) and ``A`` (its output).

    Example
    -------
    >>> import numpy as np
    >>> class Tanh(FunctionLayer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.use(activations.tanh)
    >>> Tanh()(np.array([[0.0]]))
    array([[0.]], dtype=float32)
    """

    cache_names = ("Z", "A")

    def use(self, function, **arguments):
        """Apply ``function(x, **arguments)`` from now on (called by the subclass's ``__init__``)."""
        self.function = functools.partial(function, **arguments)
        self.function_backward = activations.backward_of(self.function)
        self.Z = self.A = None

    def forward(self, x, training=False):
        self.Z = x
        self.A = self.function(x)
        return self.A

    def backward(self, grad_output, input_gradient=True):
        """``dZ = f.backward(dA, Z, A)``."""
        return self.function_backward(grad_output, self.Z, self.A)


class ReLU(FunctionLayer):
    """Rectified linear unit with Keras's options: ``A = relu(Z)``, ``max(Z, 0)`` by default.

    ``A = Z`` above ``threshold`` (capped at ``max_value``), ``negative_slope·(Z - threshold)``
    below it; backward multiplies ``dA`` by the slope of the piece.

    Parameters
    ----------
    max_value : float, optional
        Saturation value, >= 0 (None: no cap).
    negative_slope : float
        Slope below the threshold, >= 0.
    threshold : float
        >= 0.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a negative (or missing) argument, in Keras's words.

    Example
    -------
    >>> import numpy as np
    >>> ReLU(max_value=1.0)(np.array([[-1.0, 0.5, 3.0]]))
    array([[0. , 0.5, 1. ]], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        self.max_value = _check("ReLU", "max_value", max_value, optional=True)
        self.negative_slope = _check("ReLU", "negative_slope", negative_slope)
        self.threshold = _check("ReLU", "threshold", threshold)
        super().__init__(**kwargs)
        self.use(activations.relu, negative_slope=self.negative_slope, max_value=self.max_value,
                 threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(FunctionLayer):
    """``A = Z`` for Z > 0, ``negative_slope · Z`` otherwise.

    Parameters
    ----------
    negative_slope : float
        >= 0 (0.3 by default, as in Keras). ``alpha`` is its deprecated name.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a negative or missing slope.

    Example
    -------
    >>> import numpy as np
    >>> LeakyReLU(negative_slope=0.5)(np.array([[-2.0, 2.0]]))
    array([[-1.,  2.]], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          UserWarning, stacklevel=2)
        self.negative_slope = _check("LeakyReLU", "negative_slope", negative_slope)
        super().__init__(**kwargs)
        self.use(activations.leaky_relu, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(FunctionLayer):
    """``A = Z`` for Z > 0, ``alpha · (e^Z - 1)`` otherwise.

    Parameters
    ----------
    alpha : float
        Scale of the negative part (a finite number).
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For an alpha that is not a finite number.

    Example
    -------
    >>> import numpy as np
    >>> ELU(alpha=2.0)(np.array([[0.0, 1.0]]))
    array([[0., 1.]], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha):
            raise ValueError(f"`alpha` of ELU must be a finite number. Received: alpha={alpha!r}")
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self.use(activations.elu, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(FunctionLayer):
    """``A = e^Z / Σ e^Z`` along ``axis`` (an int, or several axes at once).

    Backward ``dZ = A ⊙ (dA - Σ dA·A)``. Along the last axis the layer names
    ``softmax`` as its output activation, so that a categorical cross-entropy after
    it takes the fused gradient ``(A - Y)/N`` at Z.

    Parameters
    ----------
    axis : int or list of int
        The axis (axes) that sum to one; the last by default.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    TypeError
        For an axis that is not an int or a list of ints.
    NotImplementedError
        When called with a ``mask`` (layerkit has no masks).

    Example
    -------
    >>> import numpy as np
    >>> Softmax()(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
            raise TypeError(f"`axis` of Softmax must be an int or a list of ints. Received: "
                            f"axis={axis!r}")
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.use(activations.softmax, axis=tuple(axes) if len(axes) > 1 else int(axes[0]))

    def __call__(self, inputs, training=False, mask=None):
        if mask is not None:
            raise NotImplementedError(f"Layer {self.name!r} (Softmax) was called with a `mask`: "
                                      "layerkit has no masks. Set the masked logits to a large "
                                      "negative number instead.")
        return super().__call__(inputs, training=training)

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -len(input_shape) <= axis < len(input_shape):
                raise ValueError(f"Axis {axis} is out of bounds for input shape "
                                 f"{tuple(input_shape)}. Received: axis={self.axis}")
        return tuple(input_shape)

    def output_activation(self):
        """``softmax`` when the axis is the last one (the fused cross-entropy pair), else None."""
        return activations.softmax if self.axis in (-1, [-1]) else None

    def backward_from_z(self, grad_z, input_gradient=True):
        """The gradient at Z is the gradient with respect to the input."""
        return grad_z

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
