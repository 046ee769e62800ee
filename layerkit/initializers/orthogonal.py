"""Orthogonal: a random orthogonal matrix (Saxe et al., 2014), from the QR of a normal draw."""

import math

import numpy as np

from layerkit import backend
from layerkit.initializers.initializer import RandomInitializer, check_number


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix times ``gain``: orthonormal columns, or rows if there are fewer.

    Shapes of rank > 2 are treated as the matrix ``(shape[0] * ... * shape[-2],
    shape[-1])`` and reshaped. As in Keras: draw ``A ~ N(0, 1)`` of shape
    ``(max(r, c), min(r, c))``, factor ``A = QR``, multiply Q's columns by the signs
    of R's diagonal (so that Q is uniformly distributed), transpose if r < c.

    Parameters
    ----------
    gain : float
        Multiplies the matrix.
    seed : int, optional
        Fixes the values (the same on every call).

    Raises
    ------
    ValueError
        When called with a shape of rank < 2.

    Example
    -------
    >>> w = Orthogonal(seed=0)((4, 3), "float64")
    >>> np.allclose(w.T @ w, np.eye(3))
    True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        check_number("Orthogonal", "gain", gain)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. Received: "
                f"shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._generator().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return backend.convert_to_array(self.gain * q.reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}
