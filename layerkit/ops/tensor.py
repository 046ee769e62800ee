"""``Tensor``: a value recorded on a ``GradientTape``, with NumPy's operators and functions.

A Tensor holds ``value`` (an ndarray), ``node`` (the operation that made it, or the
tape's leaf for a watched value) and ``tape``. Everything a Keras guide does with a
tensor works on it and is recorded: ``x @ w + b``, ``2 * x``, ``x[:, 0]``, ``x.T``,
``np.tanh(x)``, ``np.sum(x, axis=0)``, ``np.concatenate([x, y])``. A NumPy function
with no ``layerkit.ops`` counterpart raises a TypeError instead of silently leaving
the gradient, and so does ``np.asarray(x)``: the value is read deliberately, with
``ops.convert_to_numpy(x)`` or ``ops.stop_gradient(x)``.

Once its tape stops recording (or for a Tensor made without a tape) a Tensor is a
constant: operations on it compute plainly and return ndarrays.

The operators call the op that ``dispatch.HANDLED`` maps their NumPy function to
(``+`` is ``np.add``'s op), so this module needs none of the op modules.
"""

import operator

import numpy as np

from layerkit.ops import dispatch


def value_of(x):
    """``x.value`` for a Tensor, ``x`` itself otherwise.

    Example
    -------
    >>> value_of(Tensor(np.array([1.0]))), value_of(2.0)
    (array([1.]), 2.0)
    """
    return x.value if isinstance(x, Tensor) else x


def unwrap(structure):
    """``structure`` with every Tensor in it (also inside lists and tuples) replaced by its value."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(unwrap(item) for item in structure)
    return value_of(structure)


def is_recording(x):
    """Whether ``x`` is a Tensor whose tape is recording (inside lists and tuples too)."""
    if isinstance(x, (list, tuple)):
        return any(is_recording(item) for item in x)
    return isinstance(x, Tensor) and x.tape is not None and x.tape.recording


def _op(function):
    return dispatch.HANDLED[function]


class Tensor:
    """An ndarray recorded on a :class:`GradientTape`: its value and the node that made it.

    Tensors are made by ``tape.watch(x)`` and by operations on Tensors; construct one
    directly only to get a constant (``Tensor(value)`` belongs to no tape).

    Parameters
    ----------
    value : array-like
        The value (kept as given when it is an ndarray: never copied, never modified).
    node : Operation, optional
        The operation whose output this is (set by the tape).
    tape : GradientTape, optional
        The tape that records operations on this Tensor.

    Example
    -------
    >>> from layerkit import ops
    >>> with ops.GradientTape() as tape:
    ...     x = tape.watch(np.array([[1.0, 2.0], [3.0, 4.0]]))
    ...     y = np.tanh(x[:, 0] @ x) + 2 * x.T[0]
    >>> y.shape, type(y).__name__
    ((2,), 'Tensor')
    >>> tape.gradient(y, x).shape
    (2, 2)
    """

    __slots__ = ("value", "node", "tape")

    def __init__(self, value, node=None, tape=None):
        self.value = value if type(value) is np.ndarray else np.asarray(value)
        self.node = node
        self.tape = tape

    # ------------------------------------------------------------ what it is
    shape = property(lambda self: self.value.shape, doc="The value's shape.")
    dtype = property(lambda self: self.value.dtype, doc="The value's dtype.")
    ndim = property(lambda self: self.value.ndim, doc="The value's number of axes.")
    size = property(lambda self: self.value.size, doc="The value's number of elements.")
    T = property(lambda self: _op(np.transpose)(self), doc="The transpose (recorded).")

    def __repr__(self):
        made_by = "" if self.node is None else f", op={type(self.node).__name__}"
        return f"Tensor({self.value!r}{made_by})"

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # Reading a number out is always deliberate: no gradient is implied.
    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __bool__(self):
        return bool(self.value)

    def __array__(self, dtype=None, copy=None):
        if self.tape is not None and self.tape.recording:
            raise TypeError(
                "np.asarray()/np.array() was called on a Tensor that a GradientTape is recording: "
                "the result would be cut from the gradient. Use `ops.convert_to_numpy(x)` (or "
                "`x.value`) to read its value, `ops.stop_gradient(x)` to use it as a constant, or "
                "layerkit.ops functions to compute with it.")
        value = self.value if dtype is None else self.value.astype(dtype, copy=False)
        return value.copy() if copy else value

    # ------------------------------------------------------------ NumPy's protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and ufunc in dispatch.HANDLED:
            return dispatch.HANDLED[ufunc](*inputs)
        if is_recording(inputs) or is_recording(kwargs.get("out", ())):
            if ufunc in dispatch.HANDLED and method == "__call__":
                raise TypeError(f"{dispatch.numpy_name(ufunc)}(..., {', '.join(kwargs)}=...) "
                                "cannot be recorded on a GradientTape; call "
                                f"layerkit.ops.{dispatch.HANDLED[ufunc].__name__} without them.")
            raise dispatch.refusal(dispatch.numpy_name(ufunc, method))
        kwargs = {key: unwrap(value) for key, value in kwargs.items()}
        return getattr(ufunc, method)(*unwrap(inputs), **kwargs)

    def __array_function__(self, function, types, args, kwargs):
        if function in dispatch.HANDLED:
            return dispatch.call_handled(function, args, kwargs)
        if is_recording(args) or is_recording(list(kwargs.values())):
            raise dispatch.refusal(dispatch.numpy_name(function))
        return function(*unwrap(args), **{key: unwrap(value) for key, value in kwargs.items()})

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key):
        return _op(operator.getitem)(self, key)

    def __setitem__(self, key, value):
        raise TypeError("A Tensor cannot be modified in place (the tape would lose the value it "
                        "recorded). Build the new value with ops.where, ops.concatenate or ops.stack.")

    # ------------------------------------------------------------ arithmetic, both ways
    def __add__(self, other):
        return _op(np.add)(self, other)

    def __radd__(self, other):
        return _op(np.add)(other, self)

    def __sub__(self, other):
        return _op(np.subtract)(self, other)

    def __rsub__(self, other):
        return _op(np.subtract)(other, self)

    def __mul__(self, other):
        return _op(np.multiply)(self, other)

    def __rmul__(self, other):
        return _op(np.multiply)(other, self)

    def __truediv__(self, other):
        return _op(np.divide)(self, other)

    def __rtruediv__(self, other):
        return _op(np.divide)(other, self)

    def __matmul__(self, other):
        return _op(np.matmul)(self, other)

    def __rmatmul__(self, other):
        return _op(np.matmul)(other, self)

    def __pow__(self, other):
        return _op(np.power)(self, other)

    def __rpow__(self, other):
        return _op(np.power)(other, self)

    def __neg__(self):
        return _op(np.negative)(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _op(np.absolute)(self)

    # ------------------------------------------------------------ comparisons: plain booleans
    def __eq__(self, other):
        return _op(np.equal)(self, other)

    def __ne__(self, other):
        return _op(np.not_equal)(self, other)

    def __lt__(self, other):
        return _op(np.less)(self, other)

    def __le__(self, other):
        return _op(np.less_equal)(self, other)

    def __gt__(self, other):
        return _op(np.greater)(self, other)

    def __ge__(self, other):
        return _op(np.greater_equal)(self, other)

    __hash__ = None  # as an ndarray: == is elementwise

    # ------------------------------------------------------------ NumPy-style methods
    def reshape(self, *shape):
        """``ops.reshape(self, shape)``; ``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` both work."""
        return _op(np.reshape)(self, shape[0] if len(shape) == 1 else shape)

    def sum(self, axis=None, keepdims=False):
        """``ops.sum(self, axis, keepdims)``."""
        return _op(np.sum)(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        """``ops.mean(self, axis, keepdims)``."""
        return _op(np.mean)(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        """``ops.max(self, axis, keepdims)``."""
        return _op(np.max)(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        """``ops.min(self, axis, keepdims)``."""
        return _op(np.min)(self, axis=axis, keepdims=keepdims)
