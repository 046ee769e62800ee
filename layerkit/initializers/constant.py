"""Constant initializers: Constant, Zeros, Ones, and Identity (the identity matrix times ``gain``)."""

from layerkit import backend
from layerkit.initializers.initializer import Initializer, check_number


class Constant(Initializer):
    """Every value equal to ``value``.

    Parameters
    ----------
    value : float

    Example
    -------
    >>> Constant(0.1)((2,), "float64")
    array([0.1, 0.1])
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return backend.full(shape, self.value, dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """All zeros.

    Example
    -------
    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return backend.zeros(shape, dtype)


class Ones(Initializer):
    """All ones.

    Example
    -------
    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return backend.ones(shape, dtype)


class Identity(Initializer):
    """The identity matrix times ``gain``: ``W[i, j] = gain`` if i == j else 0 (2-D shapes only).

    A rectangular shape gets ones on its main diagonal, as ``numpy.eye(rows, cols)``.

    Parameters
    ----------
    gain : float
        Multiplies the identity.

    Raises
    ------
    ValueError
        When called with a shape that is not 2-D.

    Example
    -------
    >>> Identity(gain=2.0)((2, 3), "float64")
    array([[2., 0., 0.],
           [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        check_number("Identity", "gain", gain)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        identity = backend.zeros(shape, dtype)
        identity[range(min(shape)), range(min(shape))] = self.gain
        return identity

    def get_config(self):
        return {"gain": self.gain}
