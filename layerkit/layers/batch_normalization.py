"""BatchNormalization: normalise each feature by the batch's statistics in training, the moving ones after."""

import numbers

import numpy as np

from layerkit import constraints, initializers, regularizers
from layerkit.layers.layer import Layer


class BatchNormalization(Layer):
    """``Y = γ (X - μ) / √(σ² + ε) + β`` per feature (the entries along ``axis``).

    In training (``training=True`` and the layer ``trainable``) μ and σ² are the
    batch's mean and (biased) variance over every axis but ``axis``, and the moving
    statistics are staged (written with the training step, whole or not at all)::

        moving_mean     <- momentum · moving_mean     + (1 - momentum) · μ
        moving_variance <- momentum · moving_variance + (1 - momentum) · σ²

    Otherwise (inference, or a frozen layer, as in Keras) μ and σ² are the moving ones.
    Backward, with ``X̂ = (X - μ)/√(σ² + ε)`` and ``G = dY · γ``: ``dγ = Σ dY·X̂``,
    ``dβ = Σ dY``, and ``dX = (G - mean(G) - X̂·mean(G·X̂)) / √(σ² + ε)`` with batch
    statistics, ``dX = G / √(σ² + ε)`` with moving ones (the moving statistics then
    get their gradients too: ``-Σ G / √(σ² + ε)`` and ``-½ Σ G·X̂ / (σ² + ε)``).

    Parameters
    ----------
    axis : int
        The features axis (the last by default).
    momentum : float
        In [0, 1].
    epsilon : float
        Positive; added to the variance.
    center, scale : bool
        Whether to learn β (``beta``) and γ (``gamma``).
    beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer
        ``"zeros"``, ``"ones"``, ``"zeros"``, ``"ones"`` by default.
    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint : optional
    renorm, renorm_clipping, renorm_momentum, synchronized
        Keras's batch renormalisation and cross-device statistics: not supported
        (``renorm`` and ``synchronized`` must be False).
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a non-integer axis, a momentum outside [0, 1], a non-positive epsilon,
        ``synchronized=True``, or an axis outside the input's rank (when built).
    NotImplementedError
        For ``renorm=True``.

    Example
    -------
    >>> import numpy as np
    >>> layer = BatchNormalization(epsilon=0.0001)
    >>> layer(np.array([[1.0], [3.0]]), training=True).round(3)
    array([[-1.],
           [ 1.]], dtype=float32)
    >>> layer.moving_mean, layer.weight_names
    (array([0.02], dtype=float32), ['gamma', 'beta', 'moving_mean', 'moving_variance'])
    """

    cache_names = ("X_hat", "inv_std", "batch_statistics")

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"`axis` of BatchNormalization must be an integer. Received: axis={axis!r}")
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow "
                             "backend: layerkit computes on one device.")
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not supported: layerkit "
                                      "has no batch renormalisation. Received: renorm=True")
        _check_number("momentum", momentum, 0.0, 1.0)
        _check_number("epsilon", epsilon, 0.0, None)
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized, self.renorm = False, False
        self.renorm_clipping, self.renorm_momentum = renorm_clipping, renorm_momentum
        self.X_hat = self.inv_std = self.batch_statistics = None

    def _feature_axis(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape "
                             f"{tuple(input_shape)}. Received: axis={self.axis}")
        return self.axis % rank

    def build(self, input_shape):
        axis = self._feature_axis(input_shape)
        if input_shape[axis] is None:
            raise ValueError(f"Layer {self.name!r} needs a known size along axis {self.axis}. "
                             f"Received input shape {tuple(input_shape)}")
        shape = (input_shape[axis],)
        if self.scale:
            self.add_weight(shape, self.gamma_initializer, name="gamma",
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.add_weight(shape, self.beta_initializer, name="beta",
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.add_weight(shape, self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.add_weight(shape, self.moving_variance_initializer, name="moving_variance",
                        trainable=False)

    def compute_output_shape(self, input_shape):
        axis = self._feature_axis(input_shape)
        if self.built and input_shape[axis] != self.moving_mean.shape[0]:
            raise ValueError(f"Input of layer {self.name!r} is incompatible with the layer: "
                             f"expected axis {self.axis} of input shape to have value "
                             f"{self.moving_mean.shape[0]}, but received input with shape "
                             f"{tuple(input_shape)}")
        return tuple(input_shape)

    # -------------------------------------------------------------- the computation
    def _along_axis(self, v, ndim):
        """A per-feature vector shaped to broadcast against the input."""
        shape = [1] * ndim
        shape[self.axis % ndim] = -1
        return np.reshape(v, shape)

    def _reduction_axes(self, ndim):
        return tuple(k for k in range(ndim) if k != self.axis % ndim)

    def _gamma(self, ndim):
        return self._along_axis(self.gamma, ndim) if self.scale else 1.0

    def forward(self, x, training=False):
        axes = self._reduction_axes(x.ndim)
        self.batch_statistics = bool(training and self.trainable)
        if self.batch_statistics:
            mean, variance = x.mean(axis=axes), x.var(axis=axes)
            m = self.momentum
            self.stage_update("moving_mean", m * self.moving_mean + (1 - m) * mean)
            self.stage_update("moving_variance", m * self.moving_variance + (1 - m) * variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        self.inv_std = self._along_axis(1.0 / np.sqrt(variance + self.epsilon), x.ndim)
        self.X_hat = (x - self._along_axis(mean, x.ndim)) * self.inv_std   # X̂ = (X - μ)/√(σ² + ε)
        y = self.X_hat * self._gamma(x.ndim)
        return y + self._along_axis(self.beta, x.ndim) if self.center else y

    def backward(self, grad_output, input_gradient=True):
        axes = self._reduction_axes(grad_output.ndim)
        if self.scale:
            self.grads["gamma"] = (grad_output * self.X_hat).sum(axis=axes)        # dγ = Σ dY·X̂
        if self.center:
            self.grads["beta"] = grad_output.sum(axis=axes)                        # dβ = Σ dY
        G = grad_output * self._gamma(grad_output.ndim)
        if self.batch_statistics:
            self.grads["moving_mean"] = np.zeros_like(self.moving_mean)
            self.grads["moving_variance"] = np.zeros_like(self.moving_variance)
            if not input_gradient:
                return None
            return self.inv_std * (G - G.mean(axis=axes, keepdims=True)
                                   - self.X_hat * (G * self.X_hat).mean(axis=axes, keepdims=True))
        inv_std = self.inv_std.reshape(-1)
        self.grads["moving_mean"] = -(G.sum(axis=axes) * inv_std)
        self.grads["moving_variance"] = -0.5 * (G * self.X_hat).sum(axis=axes) * inv_std ** 2
        return G * self.inv_std if input_gradient else None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized, "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum}


def _check_number(name, value, minimum, maximum):
    """``value`` a finite number in [minimum, maximum] (minimum excluded when maximum is None)."""
    number = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if maximum is None:
        ok, bound = number and np.isfinite(value) and value > minimum, f"> {minimum}"
    else:
        ok, bound = number and minimum <= value <= maximum, f"in [{minimum}, {maximum}]"
    if not ok:
        raise ValueError(f"`{name}` of BatchNormalization must be a number {bound}. "
                         f"Received: {name}={value!r}")
