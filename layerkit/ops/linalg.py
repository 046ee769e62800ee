"""Products and norms: matmul (``@``), dot and norm."""

import numpy as np

from layerkit.ops.arithmetic import multiply
from layerkit.ops.dispatch import implements
from layerkit.ops.operation import Operation, unbroadcast
from layerkit.ops.tensor import Tensor


class Matmul(Operation):
    """``Y = A · B``; ``dA = G · Bᵀ``, ``dB = Aᵀ · G`` (batch axes broadcast, 1-d operands promoted)."""

    keeps_output = False

    def forward(self, a, b):
        return np.matmul(a, b)

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs_gradient
        if a.ndim == 2 and b.ndim == 2:  # a dense layer: X · W
            return (g @ b.T if need_a else None, a.T @ g if need_b else None)
        # A vector is a matrix of one row (a) or one column (b), as np.matmul treats it.
        a2 = a[np.newaxis, :] if a.ndim == 1 else a
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        g2 = g[..., np.newaxis] if b.ndim == 1 else g            # put back b's column axis,
        g2 = g2[..., np.newaxis, :] if a.ndim == 1 else g2       # then a's row axis
        da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if need_a else None
        db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) if need_b else None
        return da, db


class Dot(Operation):
    """``np.dot``: sums over ``a``'s last axis and ``b``'s second-to-last (its only, if 1-d).

    The backward contracts ``g`` with the other operand over the axes that were not summed.
    """

    keeps_output = False

    def forward(self, a, b):
        return np.dot(a, b)

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs_gradient
        summed_b = max(b.ndim - 2, 0)        # b's contracted axis
        free_a = a.ndim - 1                  # g's axes: a's free axes, then b's
        free_b = [axis for axis in range(b.ndim) if axis != summed_b]
        da = np.tensordot(g, b, axes=(list(range(free_a, g.ndim)), free_b)) if need_a else None
        if not need_b:
            return da, None
        db = np.tensordot(a, g, axes=(list(range(free_a)), list(range(free_a))))
        return da, np.moveaxis(db, 0, summed_b)


class Norm(Operation):
    """``y = (Σ |x|ᵖ)^(1/p)`` over ``axis``; ``dx = g · sign(x) · |x|^(p-1) / y^(p-1)``.

    ``p = ±inf`` (the largest or smallest ``|x|``) sends ``g · sign(x)`` to the elements
    that attain it, shared equally. The gradient is 0 where ``y`` is 0.
    """

    def __init__(self, ord, axis, keepdims):
        self.ord, self.axis, self.keepdims = ord, axis, keepdims

    def forward(self, x):
        return np.linalg.norm(x, self.ord, self.axis, self.keepdims)

    def backward(self, g):
        (x,) = self.inputs
        axes = tuple(range(x.ndim)) if self.axis is None else np.atleast_1d(self.axis).tolist()
        y, g = self.output, g
        if not self.keepdims:
            y, g = np.expand_dims(y, axes), np.expand_dims(g, axes)
        p = 2 if self.ord in (None, "fro") else self.ord
        if np.isinf(p):
            attains = (np.abs(x) == y).astype(x.dtype)
            return (g * np.sign(x) * attains / attains.sum(axis=tuple(axes), keepdims=True),)
        scale = np.divide(g, y ** (p - 1), out=np.zeros_like(y * g), where=y != 0)
        return (scale * np.sign(x) * np.abs(x) ** (p - 1),)


@implements(np.matmul)
def matmul(x1, x2):
    """Matrix product, ``x1 @ x2`` (NumPy's rules for 1-d operands and batch axes).

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> matmul(np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]]))
    array([[11.]])
    """
    if isinstance(x1, Tensor) or isinstance(x2, Tensor):
        return Matmul()(x1, x2)
    return np.matmul(x1, x2)


@implements(np.dot, a="x1", b="x2")
def dot(x1, x2):
    """Dot product, ``np.dot``: a scalar operand multiplies, otherwise sums over ``x1``'s last axis.

    Parameters
    ----------
    x1, x2 : array-like or Tensor

    Returns
    -------
    ndarray, or a Tensor when an input is recorded on a tape.

    Example
    -------
    >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.float64(11.0)
    """
    if not (isinstance(x1, Tensor) or isinstance(x2, Tensor)):
        return np.dot(x1, x2)
    if np.ndim(getattr(x1, "value", x1)) == 0 or np.ndim(getattr(x2, "value", x2)) == 0:
        return multiply(x1, x2)
    return Dot()(x1, x2)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector p-norm or Frobenius norm, ``(Σ |x|ᵖ)^(1/p)``, over ``axis``.

    Parameters
    ----------
    x : array-like or Tensor
    ord : {None, "fro", float >= 1, inf, -inf}
        None: the Euclidean norm of the elements over ``axis`` (all of them when None);
        ``"fro"`` for two axes. Matrix norms other than Frobenius are not supported.
    axis : int or tuple of int, optional
    keepdims : bool

    Returns
    -------
    ndarray, or a Tensor when ``x`` is recorded on a tape.

    Raises
    ------
    NotImplementedError
        For a matrix norm other than Frobenius, or a vector ``ord`` below 1.

    Example
    -------
    >>> norm(np.array([3.0, 4.0]))
    np.float64(5.0)
    """
    if not isinstance(x, Tensor):
        return np.linalg.norm(x, ord, axis, keepdims)
    if ord is not None:
        matrix = (axis is None and x.ndim == 2) or (np.ndim(axis) == 1 and len(axis) == 2)
        vector_ord = not isinstance(ord, str) and (ord >= 1 or ord == -np.inf)
        if not (ord == "fro" if matrix else vector_ord):
            raise NotImplementedError(
                "ops.norm supports the vector norms (ord >= 1, inf, -inf) and the Frobenius "
                f"norm. Received: ord={ord!r}, axis={axis!r} for an input of {x.ndim} axes.")
    return Norm(ord, axis, keepdims)(x)
