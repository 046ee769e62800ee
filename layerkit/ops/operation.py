"""``Operation``: one node of the graph a tape records, its forward and its backward side by side.

As in MiniFlow, every operation has a forward pass that computes its output from its
inputs and a backward pass, the vector-Jacobian product: given ``g = dL/d(output)``
it returns ``dL/d(input)`` for each input that needs one. An operation is applied by
calling a fresh instance, ``Multiply()(x, y)``; when an input is a Tensor that a tape
is recording, the call is recorded (the instance becomes the output's node), and
otherwise it just computes. Built-in operations are applied by their ``ops``
function, which calls NumPy directly when no Tensor is involved.
"""

import numpy as np

from layerkit import backend
from layerkit.ops.tensor import Tensor


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, down to ``shape``.

    The VJP of a broadcast input: ``b`` of shape ``(n,)`` added to ``(batch, n)``
    receives ``Σ_batch g``.

    Parameters
    ----------
    grad : ndarray
        The gradient with respect to the broadcast result.
    shape : tuple of int
        The input's shape.

    Returns
    -------
    ndarray
        Of ``shape``.

    Example
    -------
    >>> unbroadcast(np.ones((4, 3)), (3,)), unbroadcast(np.ones((4, 3)), (4, 1)).ravel()
    (array([4., 4., 4.]), array([3., 3., 3., 3.]))
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra == 1 and grad.ndim == 2 and grad.shape[1] == shape[0]:
        return backend.sum_rows(grad)  # the bias of a dense layer: one matrix-vector product
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=tuple(range(extra)) + stretched).reshape(shape)


class Operation:
    """Base class of every operation; subclass it for a custom one.

    A subclass defines ``forward(*inputs) -> ndarray`` and ``backward(grad_output)
    -> tuple``, one gradient per input (``None`` for an input that needs none), each
    of the input's shape. Constructor arguments hold what is not an input (an axis,
    a slope). Call a fresh instance per application, ``MyOp()(x, y)``: what
    ``forward`` caches on ``self`` then belongs to that application.

    When the call is recorded, the instance holds, before ``forward`` runs:

    - ``inputs``: the input values (ndarrays, or the constants as given);
    - ``needs_gradient``: one bool per input; during ``backward`` it says which
      inputs need a gradient in *this* gradient computation (a constant never does);
    - ``parents``: the nodes that made the recorded inputs (None for the others);

    and, after it, ``output``: the value ``forward`` returned. An operation whose
    backward reads only its inputs' shapes sets ``keeps_inputs = False`` (``inputs``
    then holds their shapes and dtypes), and one that does not read its output sets
    ``keeps_output = False``: the graph then does not hold on to those arrays.

    ``forward`` and ``backward`` see plain ndarrays only, never Tensors, and
    ``backward`` must not modify ``grad_output``. An output that is not a
    floating-point array (a boolean mask, indices) is returned as a plain ndarray:
    nothing flows back through it.

    Example
    -------
    >>> class Cube(Operation):
    ...     def forward(self, x):
    ...         return x ** 3
    ...     def backward(self, grad_output):
    ...         (x,) = self.inputs
    ...         return (grad_output * 3 * x ** 2,)
    >>> from layerkit import ops
    >>> with ops.GradientTape() as tape:
    ...     x = tape.watch(np.array([1.0, 2.0]))
    ...     y = Cube()(x)
    >>> tape.gradient(y, x)
    array([ 3., 12.])
    >>> Cube()(np.array([2.0]))          # no Tensor: it just computes
    array([8.])
    """

    parents = ()
    needs_gradient = ()
    keeps_inputs = True
    keeps_output = True
    always_backward = False  # True: backward has effects of its own, run it whenever reached

    def forward(self, *inputs):
        """The output value, from the input values."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(*inputs).")

    def backward(self, grad_output):
        """One gradient per input (None where ``needs_gradient`` is False), from dL/d(output)."""
        raise NotImplementedError(f"{type(self).__name__} must define backward(grad_output).")

    def __call__(self, *args):
        values, parents, needs, tape = [], [], [], None
        for arg in args:
            if isinstance(arg, Tensor):
                values.append(arg.value)
                if arg.tape is None or not arg.tape.recording:
                    parents.append(None)  # a constant: its tape has stopped recording
                    needs.append(False)
                    continue
                if tape is None:
                    tape = arg.tape
                elif arg.tape is not tape:
                    raise ValueError(_MIXED_TAPES.format(type(self).__name__))
                parents.append(arg.node)
                needs.append(True)
            else:
                values.append(np.asarray(arg) if isinstance(arg, (list, tuple)) else arg)
                parents.append(None)
                needs.append(False)
        if tape is None:
            return self.forward(*values)
        self.inputs = tuple(values)
        self.parents = tuple(parents)
        self.needs_gradient = tuple(needs)
        output = self.forward(*values)
        if type(output) is not np.ndarray:
            if isinstance(output, Tensor):
                raise TypeError(_TENSOR_FROM_FORWARD.format(type(self).__name__))
            output = np.asarray(output)
        if output.dtype.kind != "f":
            return output
        if not self.keeps_inputs:  # let the graph hold shapes, not arrays its backward never reads
            self.inputs = tuple(ShapeOnly(v) if isinstance(v, np.ndarray) else v for v in values)
        if self.keeps_output:
            self.output = output
        tape.record(self)
        return Tensor(output, self, tape)


class ShapeOnly:
    """What an operation with ``keeps_inputs = False`` keeps of an input: its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, value):
        self.shape, self.dtype = value.shape, value.dtype

    @property
    def ndim(self):
        """The number of axes."""
        return len(self.shape)


class Leaf(Operation):
    """The node of a watched value: a source of the graph, with no inputs."""


_MIXED_TAPES = (
    "{} received Tensors recorded by two different GradientTapes. Nested tapes (and so "
    "higher-order gradients) are not supported: pass `ops.stop_gradient(x)` for the outer "
    "tape's Tensor to use its value as a constant.")
_TENSOR_FROM_FORWARD = (
    "{}.forward returned a Tensor: it used a Tensor that was not one of its inputs (forward "
    "receives plain ndarrays). Pass that Tensor as an input, so that backward can give its "
    "gradient.")
