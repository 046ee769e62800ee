"""Normalization: standardise features with a mean and variance given or learnt by ``adapt``."""

import numbers

import numpy as np

from layerkit import backend
from layerkit.layers.layer import Layer
from layerkit.layers.statistics import batches_of, merged_moments
from layerkit.layers.weights import assign_weights


class Normalization(Layer):
    """``Y = (X - mean) / max(√variance, ε)``, or with ``invert`` ``Y = mean + X·max(√variance, ε)``.

    One mean and variance per position along the ``axis`` axes (the kept axes),
    ε = ``backend.epsilon()``. They are given (``mean``, ``variance``: constants) or
    computed from data by :meth:`adapt` (then held in the non-trainable weights
    ``mean``, ``variance`` and ``count``, saved in Keras's order). Backward
    ``dX = dY / max(√variance, ε)`` (``dY·max(√variance, ε)`` inverted); the adapted
    statistics get their gradients too, for the gradient checks.

    Parameters
    ----------
    axis : int, tuple of int or None
        The axes kept (one statistic per position); None: one mean and variance for all.
    mean, variance : float or array-like, optional
        Given together, broadcast from the right against the kept axes.
    invert : bool
        Undo a normalisation instead.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For only one of ``mean`` and ``variance``, different shapes, a mean of higher
        rank than the axes, a negative variance, or (when built) an axis out of range
        or of unknown size.

    Example
    -------
    >>> import numpy as np
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> layer(np.array([[2.0, 20.0]])), layer.mean
    (array([[0., 0.]], dtype=float32), array([ 2., 20.], dtype=float32))
    """

    cache_names = ("X", "denominator")

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axis):
            raise ValueError(f"`axis` of Normalization must be an int, a tuple of ints or None. "
                             f"Received: axis={axis!r}")
        self.axis, self.invert = tuple(int(a) for a in axis), bool(invert)
        if (mean is not None) != (variance is not None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be "
                             f"set. Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("When setting values directly, `mean` and `variance` must have "
                                 f"the same shape. Received: mean shape {np.shape(mean)} and "
                                 f"variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError("The rank of `mean` must be less than or equal to the number of "
                                 f"axes ({len(self.axis)}). Received: mean shape {np.shape(mean)} "
                                 f"for axis {self.axis}")
            if not (np.isfinite(mean).all() and np.isfinite(variance).all()
                    and (np.asarray(variance) >= 0).all()):
                raise ValueError("`mean` and `variance` of Normalization must be finite, the "
                                 f"variance >= 0. Received: mean={mean}, variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self.X = self.denominator = None

    # -------------------------------------------------------------- shapes
    def _kept_axes(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError("All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={ndim}, while axis={self.axis}")
        kept = tuple(sorted(a % ndim for a in self.axis))
        for d in kept:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received "
                                 f"axis={self.axis}, inputs.shape={tuple(input_shape)}, with "
                                 f"unknown axis at index {d}")
        return kept

    def build(self, input_shape):
        kept = self._kept_axes(input_shape)
        self._build_shape = tuple(input_shape)
        self._broadcast_shape = tuple(input_shape[d] if d in kept else 1
                                      for d in range(len(input_shape)))
        self._reduce_axes = tuple(d for d in range(len(input_shape)) if d not in kept)
        statistics_shape = tuple(input_shape[d] for d in kept)
        if self.input_mean is None:
            self.add_weight(statistics_shape, "zeros", name="mean", trainable=False)
            self.add_weight(statistics_shape, "ones", name="variance", trainable=False)
            self.add_weight((), "zeros", name="count", trainable=False)
            return
        expanded = [1] * len(input_shape)
        mean_shape = np.shape(self.input_mean)
        for i in range(1, len(mean_shape) + 1):          # align from the right, as Keras does
            expanded[kept[-i]] = mean_shape[-i]
        self._given = [np.broadcast_to(np.reshape(np.asarray(v, dtype=self.dtype), expanded),
                                       self._broadcast_shape)
                       for v in (self.input_mean, self.input_variance)]

    def compute_output_shape(self, input_shape):
        self._kept_axes(input_shape)
        return tuple(input_shape)

    # -------------------------------------------------------------- the computation
    def _statistics(self):
        if self.input_mean is not None:
            return self._given
        return [np.reshape(self.mean, self._broadcast_shape),
                np.reshape(self.variance, self._broadcast_shape)]

    def forward(self, x, training=False):
        mean, variance = self._statistics()
        self.X = x
        self.denominator = np.maximum(np.sqrt(variance), backend.epsilon()).astype(x.dtype)
        if self.invert:
            return mean + x * self.denominator
        return (x - mean) / self.denominator

    def backward(self, grad_output, input_gradient=True):
        if self.input_mean is None:
            self._statistics_gradients(grad_output)
        if not input_gradient:
            return None
        return grad_output * self.denominator if self.invert else grad_output / self.denominator

    def _statistics_gradients(self, grad_output):
        """dL/dmean and dL/dvariance (d√v/dv = 1/(2√v) where √v is above the floor ε)."""
        mean, variance = self._statistics()
        root = np.sqrt(variance)
        d_root = np.where(root > backend.epsilon(), 0.5 / np.maximum(root, backend.epsilon()), 0.0)
        if self.invert:                                   # Y = m + X·d
            d_mean, d_variance = grad_output, grad_output * self.X * d_root
        else:                                             # Y = (X - m)/d
            d_mean = -grad_output / self.denominator
            d_variance = grad_output * -(self.X - mean) / self.denominator ** 2 * d_root
        self.grads["mean"] = d_mean.sum(axis=self._reduce_axes).reshape(self.mean.shape)
        self.grads["variance"] = d_variance.sum(axis=self._reduce_axes).reshape(self.variance.shape)
        self.grads["count"] = np.zeros_like(self.count)

    # -------------------------------------------------------------- adapt
    def adapt(self, data):
        """Compute the mean and (biased) variance of ``data`` over every axis but the kept ones.

        Parameters
        ----------
        data : ndarray, or an iterable of batches (arrays)
            An array is one batch; any other iterable (a list of arrays, a generator)
            yields batches, whose statistics are merged exactly.

        Raises
        ------
        ValueError
            If the layer was given ``mean`` and ``variance``, for no data, NaN or inf,
            or a shape that does not match the layer's (nothing is changed then).
        TypeError
            For data that is neither an array nor an iterable of arrays.
        """
        if self.input_mean is not None:
            raise ValueError(f"Layer {self.name!r} was given `mean` and `variance`: adapt() "
                             "cannot change them. Create it without them to adapt it.")
        batches = batches_of(data, f"adapt() of layer {self.name!r}")
        first = next(batches)
        if not self.built:   # the batch axis stays free unless it is one of the kept axes
            keeps_batch = any(-first.ndim <= a < first.ndim and a % first.ndim == 0
                              for a in self.axis)
            self.build_for(first.shape if keeps_batch else (None,) + first.shape[1:])
        mean, variance = merged_moments(batches, first, self._reduce_axes, self._build_shape,
                                        f"adapt() of layer {self.name!r}")
        assign_weights([(self, "mean"), (self, "variance")], [mean, variance])

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist()}
