"""The functional forms of the merge layers, as Keras code writes them: ``layers.add([a, b])``.

Each makes the layer (``**kwargs`` go to its constructor: ``name``, ``dtype``...) and
calls it on ``inputs``, a list of KerasTensors (the layer is wired into the graph and
a KerasTensor returned) or of arrays (the result is computed).
"""

from layerkit.layers.dot import Dot
from layerkit.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum.

    Example
    -------
    >>> import numpy as np
    >>> add([np.ones((1, 2)), np.ones((1, 2))])
    array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: the difference of two inputs.

    Example
    -------
    >>> import numpy as np
    >>> subtract([np.full((1, 2), 3.0), np.ones((1, 2))])
    array([[2., 2.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product.

    Example
    -------
    >>> import numpy as np
    >>> multiply([np.full((1, 2), 3.0), np.full((1, 2), 2.0)])
    array([[6., 6.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean.

    Example
    -------
    >>> import numpy as np
    >>> average([np.zeros((1, 2)), np.full((1, 2), 2.0)])
    array([[1., 1.]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum.

    Example
    -------
    >>> import numpy as np
    >>> maximum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[3., 5.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum.

    Example
    -------
    >>> import numpy as np
    >>> minimum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[1., 2.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``: the inputs joined along ``axis``.

    Example
    -------
    >>> import numpy as np
    >>> concatenate([np.zeros((1, 2)), np.ones((1, 1))])
    array([[0., 0., 1.]], dtype=float32)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """``Dot(axes=axes, **kwargs)(inputs)``: the dot product along ``axes`` (the last by default).

    Example
    -------
    >>> import numpy as np
    >>> dot([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
    array([[11.]], dtype=float32)
    """
    return Dot(axes=axes, **kwargs)(inputs)
