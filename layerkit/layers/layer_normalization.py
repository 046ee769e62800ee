"""LayerNormalization: normalise each sample over its feature axes, ``Y = γ X̂ + β``."""

import numbers
import warnings

import numpy as np

from layerkit import constraints, initializers, regularizers
from layerkit.layers.layer import Layer


def standardize_axes(axis, owner):
    """``axis`` (an int, or a list or tuple of ints) as a list, or Keras's TypeError naming ``owner``.

    Example
    -------
    >>> standardize_axes(-1, "LayerNormalization"), standardize_axes((1, 2), "LayerNormalization")
    ([-1], [1, 2])
    """
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
        raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis' of "
                        f"{owner}, but received: {axis!r}")
    return [int(a) for a in axes]


def resolve_axes(axes, input_shape, given):
    """``axes`` as sorted non-negative indices into ``input_shape``, or Keras's ValueError.

    Raises
    ------
    ValueError
        For an axis outside the input's rank, or the batch axis 0 (normalising across
        samples would make a sample's output depend on the rest of its batch).

    Example
    -------
    >>> resolve_axes([-1, 1], (None, 2, 3), [-1, 1])
    [1, 2]
    """
    rank = len(input_shape)
    for axis in axes:
        if axis >= rank or axis < -rank:
            raise ValueError(f"Axis {axis} is out of bounds for input shape {tuple(input_shape)}. "
                             f"Received: axis={given}")
    resolved = sorted({a % rank for a in axes})
    if 0 in resolved:
        raise ValueError(f"Cannot normalize along the batch axis 0 of input shape "
                         f"{tuple(input_shape)}. Received: axis={given}")
    return resolved


class LayerNormalization(Layer):
    """``Y = γ (X - μ) / √(σ² + ε) + β``, μ and σ² of each sample over the ``axis`` axes.

    γ and β have the shape of the normalised axes. Backward, with
    ``X̂ = (X - μ)/√(σ² + ε)`` and ``G = dY·γ`` (means over the normalised axes):
    ``dX = (G - mean(G) - X̂·mean(G·X̂)) / √(σ² + ε)``, ``dγ = Σ dY·X̂``, ``dβ = Σ dY``
    (sums over the other axes). With ``rms_scaling`` (deprecated in Keras, kept as
    Keras computes it): ``Y = γ X / √(σ² + ε)``, no β, and
    ``dX = G/s - (X - μ)·Σ(G·X) / (n s³)`` with ``s = √(σ² + ε)``, n the normalised size.

    Parameters
    ----------
    axis : int or list of int
        The axes to normalise over (not the batch axis); the last by default.
    epsilon : float
        Positive; added to the variance.
    center, scale : bool
        Whether to learn β (``beta``) and γ (``gamma``).
    beta_initializer, gamma_initializer : optional
        ``"zeros"`` and ``"ones"`` by default.
    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint : optional
    rms_scaling : bool
        Keras's deprecated variant (a warning says so, as in Keras).
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    TypeError
        For an axis that is not an int or a list of ints.
    ValueError
        For a non-positive epsilon, or (when built) an axis out of range or the batch axis.

    Example
    -------
    >>> import numpy as np
    >>> LayerNormalization(epsilon=1e-12)(np.array([[1.0, 3.0], [0.0, -4.0]]))
    array([[-1.,  1.],
           [ 1., -1.]], dtype=float32)
    """

    cache_names = ("X", "X_hat", "inv_std")

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, rms_scaling=False, **kwargs):
        self._axes = standardize_axes(axis, "LayerNormalization")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not (
                0 < epsilon < np.inf):
            raise ValueError("`epsilon` of LayerNormalization must be a positive number. "
                             f"Received: epsilon={epsilon!r}")
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument "
                          "incorrectly scales the input by the variance, not the root mean "
                          "square.", UserWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.X = self.X_hat = self.inv_std = None

    def build(self, input_shape):
        axes = resolve_axes(self._axes, input_shape, self.axis)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"Layer {self.name!r} needs known sizes along axis={self.axis}. "
                             f"Received input shape {tuple(input_shape)}")
        if self.scale or self.rms_scaling:
            self.add_weight(shape, self.gamma_initializer, name="gamma",
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.add_weight(shape, self.beta_initializer, name="beta",
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def compute_output_shape(self, input_shape):
        resolve_axes(self._axes, input_shape, self.axis)
        return tuple(input_shape)

    # -------------------------------------------------------------- the computation
    def _param(self, name, ndim):
        """``gamma`` or ``beta`` shaped to broadcast against the input (None when absent)."""
        if name not in self.weight_names:
            return None
        axes = resolve_axes(self._axes, (None,) * ndim, self.axis)
        shape = [getattr(self, name).shape[axes.index(k)] if k in axes else 1 for k in range(ndim)]
        return getattr(self, name).reshape(shape)

    def forward(self, x, training=False):
        axes = tuple(resolve_axes(self._axes, x.shape, self.axis))
        self.X = x
        mean = x.mean(axis=axes, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + self.epsilon)
        self.X_hat = (x if self.rms_scaling else x - mean) * self.inv_std
        gamma, beta = self._param("gamma", x.ndim), self._param("beta", x.ndim)
        y = self.X_hat if gamma is None else self.X_hat * gamma
        return y if beta is None else y + beta

    def backward(self, grad_output, input_gradient=True):
        ndim = grad_output.ndim
        axes = tuple(resolve_axes(self._axes, grad_output.shape, self.axis))
        others = tuple(k for k in range(ndim) if k not in axes)
        gamma = self._param("gamma", ndim)
        if gamma is not None:
            self.grads["gamma"] = (grad_output * self.X_hat).sum(axis=others).reshape(self.gamma.shape)
        if "beta" in self.weight_names:
            self.grads["beta"] = grad_output.sum(axis=others).reshape(self.beta.shape)
        if not input_gradient:
            return None
        G = grad_output if gamma is None else grad_output * gamma
        if self.rms_scaling:   # Y = γ X / s: dX = G/s - (X - μ) Σ(G·X) / (n s³)
            n = np.prod([grad_output.shape[a] for a in axes])
            centred = self.X - self.X.mean(axis=axes, keepdims=True)
            return G * self.inv_std - centred * (G * self.X).sum(
                axis=axes, keepdims=True) * self.inv_std ** 3 / n
        return self.inv_std * (G - G.mean(axis=axes, keepdims=True)
                               - self.X_hat * (G * self.X_hat).mean(axis=axes, keepdims=True))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}
