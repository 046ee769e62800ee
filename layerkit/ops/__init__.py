"""Keras's operations (``keras.ops``), each with its forward and backward, and the tape that runs them.

On plain arrays an operation is just its NumPy call: ``ops.matmul(a, b)`` is
``np.matmul(a, b)``. On a Tensor that a ``GradientTape`` is recording, the call is
also recorded, and ``tape.gradient`` runs the recorded operations backward, each
one's vector-Jacobian product in reverse topological order, summing the gradients
where a value was used several times. The gradient of a loss in three lines:

>>> import numpy as np
>>> from layerkit import ops
>>> with ops.GradientTape() as tape:
...     w, b = tape.watch([np.array([[1.0], [2.0]]), np.array([0.5])])
...     loss = ops.mean((ops.matmul(np.array([[1.0, 1.0]]), w) + b - 4.0) ** 2)
>>> tape.gradient(loss, [w, b])
[array([[-1.],
       [-1.]]), array([-1.])]

NumPy's functions work on Tensors too (``np.tanh(t)``, ``w @ t``); one with no
operation here raises a TypeError rather than cutting the gradient. Write a new
differentiable operation by subclassing :class:`Operation`.
"""

from layerkit.ops.activation_op import activation
from layerkit.ops.arithmetic import add, divide, multiply, negative, subtract, true_divide
from layerkit.ops.comparison import equal, greater, greater_equal, less, less_equal, not_equal
from layerkit.ops.core import cast, convert_to_numpy, convert_to_tensor, ndim, shape, size, stop_gradient
from layerkit.ops.creation import arange, eye, full, full_like, ones, ones_like, zeros, zeros_like
from layerkit.ops.elementwise import abs, absolute, cos, erf, sign, sin
from layerkit.ops.exponential import exp, expm1, log, log1p, logaddexp
from layerkit.ops.grad import value_and_grad
from layerkit.ops.indexing import getitem, one_hot, take, take_along_axis
from layerkit.ops.linalg import dot, matmul, norm
from layerkit.ops.nn import (
    gelu,
    glu,
    log_sigmoid,
    log_softmax,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    sparsemax,
    swish,
    tanh,
)
from layerkit.ops.nn_rectifiers import (
    celu,
    elu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    relu,
    relu6,
    selu,
)
from layerkit.ops.nn_shrinkage import (
    hard_shrink,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    tanh_shrink,
    threshold,
)
from layerkit.ops.operation import Operation, unbroadcast
from layerkit.ops.powers import power, sqrt, square
from layerkit.ops.reduction import argmax, argmin, max, mean, min, sum
from layerkit.ops.reshaping import concatenate, expand_dims, reshape, squeeze, stack, transpose
from layerkit.ops.selection import clip, maximum, minimum, where
from layerkit.ops.statistics import logsumexp, std, var
from layerkit.ops.tape import GradientTape
from layerkit.ops.tensor import Tensor
from layerkit.ops.variable import Variable

__all__ = [
    "GradientTape", "Operation", "Tensor", "Variable", "unbroadcast", "value_and_grad", "activation",
    # arithmetic and elementwise
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "power", "square", "sqrt",
    "exp", "log", "log1p", "expm1", "logaddexp", "abs", "absolute", "sign", "sin", "cos", "erf",
    "maximum", "minimum", "clip", "where",
    # products, reductions, shapes, indexing
    "matmul", "dot", "norm", "sum", "mean", "max", "min", "var", "std", "logsumexp",
    "argmax", "argmin", "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack",
    "getitem", "take", "take_along_axis", "one_hot",
    # activations
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "sigmoid", "tanh", "softplus", "softsign", "silu", "swish", "log_sigmoid", "gelu",
    "glu", "softmax", "log_softmax", "sparsemax", "hard_shrink", "soft_shrink", "tanh_shrink",
    "threshold", "sparse_sigmoid", "sparse_plus", "squareplus",
    # values, constants and comparisons
    "cast", "convert_to_tensor", "convert_to_numpy", "stop_gradient", "shape", "ndim", "size",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "eye",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
]
