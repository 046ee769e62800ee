"""``L1``, ``L2`` and ``L1L2``: Keras's norm penalties and their gradients, written out."""

import numpy as np

from layerkit.regularizers.regularizer import Regularizer, _factor


class L1L2(Regularizer):
    """``l1 * Σ|x| + l2 * Σ x²``; gradient ``l1 * sign(x) + 2 * l2 * x`` (``sign(0) = 0``).

    Parameters
    ----------
    l1, l2 : float
        Non-negative factors (None means 0, as in Keras).

    Raises
    ------
    ValueError
        For a negative, NaN or infinite factor.

    Example
    -------
    >>> L1L2(l1=0.5, l2=0.1)(np.array([1.0, -2.0]))
    2.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("L1L2", "l1", l1, 0.0)
        self.l2 = _factor("L1L2", "l2", l2, 0.0)

    def __call__(self, x):
        x = np.asarray(x)
        return float(self.l1 * np.sum(np.abs(x)) + self.l2 * np.sum(np.square(x)))

    def gradient(self, x):
        x = np.asarray(x)
        return self.l1 * np.sign(x) + 2 * self.l2 * x

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * Σ|x|``; gradient ``l1 * sign(x)``, with ``sign(0) = 0``.

    Parameters
    ----------
    l1 : float
        Non-negative factor (None means 0.01, as in Keras).

    Raises
    ------
    ValueError
        For a negative, NaN or infinite factor.

    Example
    -------
    >>> L1(0.1).gradient(np.array([-3.0, 0.0, 2.0]))
    array([-0.1,  0. ,  0.1])
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor("L1", "l1", l1, 0.01)

    def __call__(self, x):
        return float(self.l1 * np.sum(np.abs(x)))

    def gradient(self, x):
        return self.l1 * np.sign(x)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * Σ x²`` (Keras's formula, no 1/2); gradient ``2 * l2 * x``.

    Parameters
    ----------
    l2 : float
        Non-negative factor (None means 0.01, as in Keras).

    Raises
    ------
    ValueError
        For a negative, NaN or infinite factor.

    Example
    -------
    >>> L2(0.1)(np.array([1.0, -2.0]))
    0.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor("L2", "l2", l2, 0.01)

    def __call__(self, x):
        return float(self.l2 * np.sum(np.square(x)))

    def gradient(self, x):
        return 2 * self.l2 * np.asarray(x)

    def get_config(self):
        return {"l2": self.l2}
