"""Dot: the dot product of two inputs along one axis each, sample by sample (Keras's ``batch_dot``)."""

import numbers

import numpy as np

from layerkit import backend
from layerkit.layers.merge import Merge
from layerkit.layers.unit_normalization import l2_normalize, l2_normalize_backward


class Dot(Merge):
    """``A[n, p, q] = Σₖ X₁[n, p, k] · X₂[n, k, q]``, ``k`` running along ``axes`` of each input.

    ``p`` stands for the other axes of the first input, ``q`` for those of the
    second, in order; two vectors give shape ``(N, 1)``. With ``normalize`` the inputs
    are first divided by their L2 norm along those axes (``A`` is then the cosine
    similarity). Backward: ``dX₁ = dA · X₂ᵀ`` and ``dX₂ = X₁ᵀ · dA`` per sample (then
    through the normalisation's backward).

    Parameters
    ----------
    axes : int or (int, int)
        The axis of each input to sum over (never the batch axis 0).
    normalize : bool
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    TypeError
        For ``axes`` that is neither an int nor a pair.
    ValueError
        For a pair of other than two integers; (when called) anything but two inputs,
        the batch axis, or sizes that differ along the axes.

    Example
    -------
    >>> import numpy as np
    >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
    array([[11.]], dtype=float32)
    """

    min_inputs = max_inputs = 2
    cache_names = ("X1", "X2", "summed", "normalized")

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, numbers.Integral) or isinstance(axes, bool):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Invalid type for argument `axes`: it should be a list or an int. "
                                f"Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError("Invalid format for argument `axes`: it should contain two "
                                 f"elements. Received: axes={axes}")
            if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
                raise ValueError("Invalid format for argument `axes`: list elements should be "
                                 f"integers. Received: axes={axes}")
        self.axes = int(axes) if isinstance(axes, numbers.Integral) else [int(a) for a in axes]
        self.normalize = bool(normalize)
        self.X1 = self.X2 = self.summed = self.normalized = None

    def _resolve(self, shape1, shape2):
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        axes = []
        for axis, shape in zip(pair, (shape1, shape2)):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"Layer {self.name!r} (Dot): axis {axis} is out of bounds for "
                                 f"input shape {tuple(shape)}. Received: axes={self.axes}")
            axes.append(axis % len(shape))
        if 0 in axes:
            raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not "
                             "batched, add a dummy batch dimension to your inputs using "
                             "keras.ops.expand_dims(x, 0)")
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with "
                             f"shapes {tuple(shape1)} and {tuple(shape2)}.")
        return axes

    def compute_output_shape(self, input_shapes):
        self._check_shapes(input_shapes)
        shape1, shape2 = (list(s) for s in input_shapes)
        a1, a2 = self._resolve(shape1, shape2)
        if None not in (shape1[a1], shape2[a2]) and shape1[a1] != shape2[a2]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[a1]} (at axis {a1}) "
                             f"!= {shape2[a2]} (at axis {a2}). Full input shapes: "
                             f"{tuple(shape1)}, {tuple(shape2)}")
        shape1.pop(a1)
        shape2.pop(a2)
        output = shape1 + shape2[1:]
        return tuple(output + [1] if len(output) == 1 else output)

    def forward(self, inputs, training=False):
        x1, x2 = inputs
        self.summed = self._resolve(x1.shape, x2.shape)
        a1, a2 = self.summed
        self.normalized = None
        if self.normalize:
            self.normalized = (l2_normalize(x1, a1, backend.epsilon()),
                               l2_normalize(x2, a2, backend.epsilon()))
            x1, x2 = self.normalized[0][0], self.normalized[1][0]
        self.X1, self.X2 = np.moveaxis(x1, a1, -1), np.moveaxis(x2, a2, 1)  # (N, p.., k), (N, k, q..)
        n, k = x1.shape[0], self.X1.shape[-1]
        product = self.X1.reshape(n, -1, k) @ self.X2.reshape(n, k, -1)
        return product.reshape(self.compute_output_shape([x1.shape, x2.shape]))

    def backward(self, grad_output, input_gradient=True):
        """``dX₁ = dA · X₂ᵀ``, ``dX₂ = X₁ᵀ · dA`` per sample, moved back to each input's axes."""
        n, k = self.X1.shape[0], self.X1.shape[-1]
        X1, X2 = self.X1.reshape(n, -1, k), self.X2.reshape(n, k, -1)
        G = grad_output.reshape(n, X1.shape[1], X2.shape[2])
        a1, a2 = self.summed
        grads = [np.moveaxis((G @ X2.transpose(0, 2, 1)).reshape(self.X1.shape), -1, a1),
                 np.moveaxis((X1.transpose(0, 2, 1) @ G).reshape(self.X2.shape), 1, a2)]
        if self.normalize:   # back through Y = X / max(‖X‖, ε)
            grads = [l2_normalize_backward(g, *cached, axis)
                     for g, cached, axis in zip(grads, self.normalized, self.summed)]
        return grads

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}
