"""Layers that move values without computing: Reshape, Permute, RepeatVector, Identity.

Each backward undoes its forward's rearrangement (or sums the copies).
"""

import math
import numbers

import numpy as np

from layerkit.layers.layer import Layer


def _input_rank_error(layer, expected, input_shape):
    return ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
                      f"ndim={expected}, found ndim={len(input_shape)}. Full shape received: "
                      f"{tuple(input_shape)}")


class Reshape(Layer):
    """Give each sample the shape ``target_shape`` (one entry may be -1); backward reshapes back.

    Parameters
    ----------
    target_shape : tuple of int
        The shape of one sample, without the batch axis.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For entries that are not integers >= 0 or a single -1, or (when called) a
        target whose size differs from the input's.

    Example
    -------
    >>> import numpy as np
    >>> Reshape((3, -1))(np.zeros((2, 6))).shape
    (2, 3, 2)
    """

    cache_names = ("X_shape",)

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < -1
               for d in target_shape):
            raise ValueError("Each dimension in `target_shape` must be a non-negative integer, or "
                             f"`-1` for a single unknown dimension. Received: "
                             f"target_shape={target_shape}.")
        if target_shape.count(-1) > 1:
            raise ValueError("There must be at most one unknown dimension (-1) in `target_shape`. "
                             f"Received: target_shape={target_shape}.")
        self.target_shape = tuple(int(d) for d in target_shape)

    def compute_output_shape(self, input_shape):
        sample = tuple(input_shape[1:])
        if None in sample:
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        size, known = math.prod(sample), math.prod(d for d in self.target_shape if d != -1)
        if -1 not in self.target_shape:
            if size != known:
                raise ValueError("The total size of the tensor must be unchanged. Received: "
                                 f"input_shape={sample}, target_shape={self.target_shape}")
            return (input_shape[0],) + self.target_shape
        if known == 0 or size % known:
            raise ValueError("The total size of the tensor must be unchanged, however, the input "
                             "size cannot by divided by the specified dimensions in target_shape. "
                             f"Received: input_shape={sample}, target_shape={self.target_shape}")
        return (input_shape[0],) + tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x, training=False):
        self.X_shape = x.shape
        return x.reshape(self.compute_output_shape(x.shape))

    def backward(self, grad_output, input_gradient=True):
        return grad_output.reshape(self.X_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Reorder the axes of each sample: ``Y = transpose(X, (0, *dims))``; backward transposes back.

    Parameters
    ----------
    dims : tuple of int
        A permutation of ``1 .. rank - 1`` (the batch axis 0 stays first).
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        If ``dims`` is not a permutation of 1..n, or (when called) the input's rank is
        not ``len(dims) + 1``.

    Example
    -------
    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 2, 3))).shape
    (4, 3, 2)
    """

    cache_names = ()

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of "
                             "indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")
        self.dims = tuple(int(d) for d in dims)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise _input_rank_error(self, len(self.dims) + 1, input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def forward(self, x, training=False):
        self.compute_output_shape(x.shape)
        return np.transpose(x, (0,) + self.dims)

    def backward(self, grad_output, input_gradient=True):
        """The inverse permutation: axis ``dims[k]`` of the input is axis ``k + 1`` of the output."""
        return np.transpose(grad_output, (0,) + tuple(np.argsort(self.dims) + 1))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeat each sample's vector ``n`` times: ``(N, D) -> (N, n, D)``; backward ``dX = Σₜ dYₜ``.

    Parameters
    ----------
    n : int
        Positive number of repetitions.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    TypeError
        For an ``n`` that is not an integer.
    ValueError
        For ``n <= 0``, or (when called) inputs that are not of rank 2.

    Example
    -------
    >>> import numpy as np
    >>> RepeatVector(3)(np.array([[1.0, 2.0]]))
    array([[[1., 2.],
            [1., 2.],
            [1., 2.]]], dtype=float32)
    """

    cache_names = ()

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = int(n)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise _input_rank_error(self, 2, input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x, training=False):
        self.compute_output_shape(x.shape)
        return np.repeat(x[:, np.newaxis, :], self.n, axis=1)

    def backward(self, grad_output, input_gradient=True):
        return grad_output.sum(axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Identity(Layer):
    """``Y = X``; backward ``dX = dY``. A placeholder, e.g. where a layer is optional.

    Example
    -------
    >>> import numpy as np
    >>> Identity()(np.array([[1.0, 2.0]]))
    array([[1., 2.]], dtype=float32)
    """

    cache_names = ()

    def forward(self, x, training=False):
        return x

    def backward(self, grad_output, input_gradient=True):
        return grad_output
