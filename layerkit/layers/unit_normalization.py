"""UnitNormalization: scale each sample to unit L2 norm over ``axis``, ``Y = X / ‖X‖``."""

import numpy as np

from layerkit.layers.layer import Layer
from layerkit.layers.layer_normalization import resolve_axes, standardize_axes

_EPSILON = 1e-12  # Keras's floor on the norm


def l2_normalize(x, axes, epsilon):
    """``(Y, 1/max(‖X‖, ε), ‖X‖ <= ε)``: ``Y = X / max(‖X‖, ε)``, the norm over ``axes``.

    Example
    -------
    >>> l2_normalize(np.array([[3.0, 4.0]]), (1,), 1e-12)[0]
    array([[0.6, 0.8]])
    """
    norm = np.sqrt(np.square(x).sum(axis=axes, keepdims=True))
    inv_norm = 1.0 / np.maximum(norm, epsilon)
    return x * inv_norm, inv_norm, norm <= epsilon


def l2_normalize_backward(grad_output, y, inv_norm, floored, axes):
    """``dX = (dY - Y·Σ(dY·Y)) / ‖X‖``, or ``dY / ε`` where the norm is at the floor ε.

    The arguments after ``grad_output`` are what :func:`l2_normalize` returned.

    Example
    -------
    >>> y, inv_norm, floored = l2_normalize(np.array([[3.0, 4.0]]), (1,), 1e-12)
    >>> l2_normalize_backward(np.array([[0.6, 0.8]]), y, inv_norm, floored, (1,))  # along Y: 0
    array([[0., 0.]])
    """
    projected = grad_output - y * (grad_output * y).sum(axis=axes, keepdims=True)
    return np.where(floored, grad_output, projected) * inv_norm


class UnitNormalization(Layer):
    """``Y = X / max(‖X‖, 1e-12)``, the norm over the ``axis`` axes of each sample.

    Backward: ``dX = (dY - Y·Σ(dY·Y)) / ‖X‖``; where the norm is below the floor,
    ``Y = X / 1e-12`` and ``dX = dY / 1e-12``.

    Parameters
    ----------
    axis : int or list of int
        The axes the norm is taken over (the last by default).
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    TypeError
        For an axis that is not an int or a list of ints.
    ValueError
        For an axis out of range or the batch axis (when called).

    Example
    -------
    >>> import numpy as np
    >>> UnitNormalization()(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]], dtype=float32)
    """

    cache_names = ("Y", "inv_norm", "floored")

    def __init__(self, axis=-1, **kwargs):
        self._axes = standardize_axes(axis, "UnitNormalization")
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.Y = self.inv_norm = self.floored = None

    def compute_output_shape(self, input_shape):
        resolve_axes(self._axes, input_shape, self.axis)
        return tuple(input_shape)

    def forward(self, x, training=False):
        axes = tuple(resolve_axes(self._axes, x.shape, self.axis))
        self.Y, self.inv_norm, self.floored = l2_normalize(x, axes, _EPSILON)
        return self.Y

    def backward(self, grad_output, input_gradient=True):
        """``dX = (dY - Y·Σ(dY·Y)) / ‖X‖``, or ``dY / 1e-12`` below the floor."""
        axes = tuple(resolve_axes(self._axes, grad_output.shape, self.axis))
        return l2_normalize_backward(grad_output, self.Y, self.inv_norm, self.floored, axes)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
