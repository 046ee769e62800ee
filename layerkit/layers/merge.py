"""Merge layers: several inputs in, one output out, each with its own backward.

Each returns one gradient per input; where a tensor feeds several layers, the
graph engine adds up the gradients it receives back.
"""

import numpy as np

from layerkit.layers.layer import Layer


class Merge(Layer):
    """Base of the merge layers: checks the list of input shapes.

    Raises
    ------
    ValueError
        If called on fewer than two inputs or on inputs of different shapes.
    """

    min_inputs = 2
    max_inputs = None

    def _check_shapes(self, input_shapes):
        if not isinstance(input_shapes, list) or len(input_shapes) < self.min_inputs or (
                self.max_inputs is not None and len(input_shapes) > self.max_inputs):
            expected = (f"exactly {self.max_inputs}" if self.max_inputs == self.min_inputs
                        else f"at least {self.min_inputs}")
            count = len(input_shapes) if isinstance(input_shapes, list) else 1
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) must be called on a "
                             f"list of {expected} inputs. Received {count}.")

    def compute_output_shape(self, input_shapes):
        self._check_shapes(input_shapes)
        first = input_shapes[0]
        for shape in input_shapes[1:]:
            if len(shape) != len(first) or any(a is not None and b is not None and a != b
                                               for a, b in zip(shape[1:], first[1:])):
                raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) needs inputs of "
                                 f"one shape. Received shapes {[tuple(s) for s in input_shapes]}.")
        return tuple(first)


class Add(Merge):
    """``A = X₁ + X₂ + ...``; backward: each input receives ``dA``.

    Example
    -------
    >>> Add()([np.ones((1, 2)), np.ones((1, 2))])
    array([[2., 2.]], dtype=float32)
    """

    cache_names = ("count",)

    def forward(self, inputs, training=False):
        self.count = len(inputs)
        return sum(inputs[1:], inputs[0])

    def backward(self, grad_output, input_gradient=True):
        return [grad_output] * self.count


class Subtract(Merge):
    """``A = X₁ - X₂``; backward: ``dX₁ = dA``, ``dX₂ = -dA``.

    Example
    -------
    >>> Subtract()([np.ones((1, 2)), np.ones((1, 2))])
    array([[0., 0.]], dtype=float32)
    """

    max_inputs = 2
    cache_names = ()

    def forward(self, inputs, training=False):
        return inputs[0] - inputs[1]

    def backward(self, grad_output, input_gradient=True):
        return [grad_output, -grad_output]


class Multiply(Merge):
    """``A = X₁ ⊙ X₂ ⊙ ...``; backward: ``dXᵢ = dA ⊙ Π_{j≠i} Xⱼ``.

    Example
    -------
    >>> Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)])
    array([[6., 6.]], dtype=float32)
    """

    cache_names = ("X",)

    def forward(self, inputs, training=False):
        self.X = list(inputs)
        result = inputs[0]
        for x in inputs[1:]:
            result = result * x
        return result

    def backward(self, grad_output, input_gradient=True):
        grads = []
        for i in range(len(self.X)):
            grad = grad_output
            for j, x in enumerate(self.X):
                if j != i:
                    grad = grad * x
            grads.append(grad)
        return grads


class Average(Merge):
    """``A = (X₁ + ... + Xₙ) / n``; backward: each input receives ``dA / n``.

    Example
    -------
    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 2.0)])
    array([[1., 1.]], dtype=float32)
    """

    cache_names = ("count",)

    def forward(self, inputs, training=False):
        self.count = len(inputs)
        return sum(inputs[1:], inputs[0]) / self.count

    def backward(self, grad_output, input_gradient=True):
        return [grad_output / self.count] * self.count


class Concatenate(Merge):
    """Join inputs along ``axis``; backward splits ``dA`` back into the inputs' parts.

    Parameters
    ----------
    axis : int
        The axis to join along (the last by default); the others must match.

    Example
    -------
    >>> Concatenate()([np.zeros((1, 2)), np.ones((1, 3))]).shape
    (1, 5)
    """

    cache_names = ("sizes",)

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"`axis` must be an integer. Received: axis={axis!r}")
        self.axis = axis

    def compute_output_shape(self, input_shapes):
        self._check_shapes(input_shapes)
        rank = len(input_shapes[0])
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"Layer {self.name!r} cannot concatenate along the batch axis.")
        for shape in input_shapes:
            others = [d for k, d in enumerate(shape) if k not in (0, axis)]
            first = [d for k, d in enumerate(input_shapes[0]) if k not in (0, axis)]
            if len(shape) != rank or others != first:
                raise ValueError(
                    f"Layer {self.name!r} (Concatenate, axis={self.axis}) needs inputs whose "
                    f"shapes match except along the concatenation axis. Received shapes "
                    f"{[tuple(s) for s in input_shapes]}.")
        sizes = [shape[axis] for shape in input_shapes]
        joined = None if None in sizes else sum(sizes)
        return tuple(input_shapes[0][:axis]) + (joined,) + tuple(input_shapes[0][axis + 1:])

    def forward(self, inputs, training=False):
        self.sizes = [x.shape[self.axis] for x in inputs]
        return np.concatenate(inputs, axis=self.axis)

    def backward(self, grad_output, input_gradient=True):
        return np.split(grad_output, np.cumsum(self.sizes)[:-1], axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Extremum(Merge):
    """Base of :class:`Maximum` and :class:`Minimum`: ``A = reduce(X₁, X₂, ...)`` elementwise.

    Backward: ``dA`` goes to the input holding the extremum; where several hold it
    (a tie) they share ``dA`` equally, the average of the one-sided derivatives
    (what central differences measure).

    Example
    -------
    >>> layer = Maximum()
    >>> _ = layer([np.array([[1.0, 2.0]]), np.array([[3.0, 2.0]])])
    >>> layer.backward(np.ones((1, 2)))
    [array([[0. , 0.5]]), array([[1. , 0.5]])]
    """

    cache_names = ("shares",)
    reduce = None  # np.max or np.min

    def forward(self, inputs, training=False):
        stacked = np.stack(inputs)
        result = self.reduce(stacked, axis=0)
        holds = (stacked == result).astype(result.dtype)
        self.shares = holds / holds.sum(axis=0)     # 1 for the input holding it, 1/k on ties
        return result

    def backward(self, grad_output, input_gradient=True):
        return [grad_output * share for share in self.shares]


class Maximum(Extremum):
    """``A = max(X₁, X₂, ...)`` elementwise; backward: ``dA`` goes to the input holding the maximum.

    Example
    -------
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[3., 5.]], dtype=float32)
    """

    reduce = staticmethod(np.max)


class Minimum(Extremum):
    """``A = min(X₁, X₂, ...)`` elementwise; backward: ``dA`` goes to the input holding the minimum.

    Example
    -------
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[1., 2.]], dtype=float32)
    """

    reduce = staticmethod(np.min)
