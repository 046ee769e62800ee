"""``Variable``: a weight as a ``call()`` sees it, with Keras's ``assign`` methods.

Inside a layer's ``call()`` each weight array (``self.w``) reads as a Variable: a
Tensor over the weight array itself, recorded by the training step's tape when the
weight is trained (so ``x @ self.w`` gets its gradient) and a constant otherwise. Its
``assign``, ``assign_add`` and ``assign_sub`` write into the array in place, as
Keras's variables do for state such as a running total; they are not differentiated.
Outside ``call()`` the weight is the plain array again.
"""

import numpy as np

from layerkit.ops.operation import Leaf
from layerkit.ops.tensor import Tensor, value_of


class Variable(Tensor):
    """A Tensor over a weight array, writable with ``assign`` (never copied).

    Parameters
    ----------
    value : ndarray
        The weight array; the Variable reads and writes it in place.
    tape : GradientTape, optional
        A recording tape makes the Variable one of its sources (a trained weight).
    name : str, optional

    Example
    -------
    >>> total = Variable(np.zeros(2), name="total")
    >>> total.assign_add(np.array([1.0, 2.0])); total.assign_add(np.array([1.0, 1.0]))
    >>> total.numpy()
    array([2., 3.])
    """

    __slots__ = ("name",)

    def __init__(self, value, tape=None, name=None):
        super().__init__(value, Leaf() if tape is not None else None, tape)
        self.name = name

    def assign(self, value):
        """Write ``value`` into the weight (broadcast to its shape, cast to its dtype)."""
        np.copyto(self.value, value_of(value), casting="same_kind")

    def assign_add(self, value):
        """``weight += value``, in place."""
        np.add(self.value, value_of(value), out=self.value, casting="same_kind")

    def assign_sub(self, value):
        """``weight -= value``, in place."""
        np.subtract(self.value, value_of(value), out=self.value, casting="same_kind")

    def numpy(self):
        """A copy of the weight's current value."""
        return np.array(self.value, copy=True)

    def __repr__(self):
        return f"<Variable name={self.name}, shape={self.shape}, dtype={self.dtype}>"
