"""Weight regularizers: a penalty ``regularizer(w) -> float`` and its gradient ``d penalty / dw``.

The penalties are Keras's, to the formula: ``L1`` is ``l1 * Σ|w|``, ``L2`` is
``l2 * Σ w²`` (no 1/2), ``L1L2`` their sum, ``OrthogonalRegularizer`` the mean
absolute cosine between distinct rows (or columns). A layer adds the penalty to
the loss and ``gradient(w)`` to the weight's gradient; both are written out here
(no autograd). Where |w| has no derivative (w = 0) the gradient uses
``sign(0) = 0``, the subgradient TensorFlow and PyTorch return.

``get`` accepts Keras's names: ``"l1"``, ``"l2"``, ``"l1l2"`` and
``"orthogonal_regularizer"`` (the class defaults), the class names, and
``"l1_l2"``, which Keras documents as ``L1L2(l1=0.01, l2=0.01)``.
"""

import numpy as np

from layerkit import backend, registry
from layerkit.initializers.initializer import check_number


class Regularizer:
    """Base class: subclasses implement ``__call__(x) -> float``, ``gradient(x)`` and ``get_config``.

    Example
    -------
    >>> class Sum(Regularizer):
    ...     __call__ = lambda self, x: float(np.sum(x))
    >>> Sum()(np.array([1.0, 2.0]))
    3.0
    """

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x) -> penalty.")

    def gradient(self, x):
        """``d penalty / dx``, an array of ``x``'s shape and dtype."""
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(x).")

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a regularizer from :meth:`get_config`'s output."""
        return cls(**config)


def _factor(owner, name, value, default):
    """Keras's rule: None means ``default``; otherwise a finite number >= 0, kept as a float."""
    value = default if value is None else value
    return float(check_number(owner, name, value, minimum=0))


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


class OrthogonalRegularizer(Regularizer):
    """``factor`` times the mean of ``|n_i · n_j|`` over pairs i < j of L2-normalised rows (or columns).

    With ``N`` the rows scaled to unit norm (``n = x / max(‖x‖, ε)``, ε =
    ``backend.epsilon()``, as Keras) and ``P = N Nᵀ``, the penalty is
    ``factor * Σ_{i≠j} |P_ij| / (2 * pairs)``, ``pairs = k (k - 1) / 2`` for k rows.
    Gradient: ``G = factor / pairs * S N`` with ``S = sign(P)`` off the diagonal,
    then through the normalisation, ``(G_i - (G_i · n_i) n_i) / ‖x_i‖`` (``G_i / ε``
    for a row shorter than ε). With one row there are no pairs: the penalty is 0
    (Keras returns 0/0 = NaN).

    Parameters
    ----------
    factor : float
        Non-negative factor.
    mode : {"rows", "columns"}
        Which vectors are pushed towards orthogonality.

    Raises
    ------
    ValueError
        For a negative, NaN or infinite factor or an unknown mode; when called, for
        an input that is not 2-D.

    Example
    -------
    >>> OrthogonalRegularizer(factor=1.0)(np.array([[1.0, 0.0], [1.0, 1.0]]))
    0.7071067811865475
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = float(check_number("OrthogonalRegularizer", "factor", factor, minimum=0))
        if mode not in ("rows", "columns"):
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                             f"Received: mode={mode}")
        self.mode = mode

    def _rows(self, x):
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={x.shape}")
        return x if self.mode == "rows" else x.T

    def _parts(self, rows):
        """``(norms, N, sign(P) without its diagonal, pairs)``."""
        norms = np.sqrt(np.sum(np.square(rows), axis=1, keepdims=True))
        unit = rows / np.maximum(norms, backend.epsilon())
        signs = np.sign(unit @ unit.T)
        np.fill_diagonal(signs, 0)
        k = rows.shape[0]
        return norms, unit, signs, k * (k - 1) / 2

    def __call__(self, x):
        rows = self._rows(x)
        norms, unit, signs, pairs = self._parts(rows)
        if pairs == 0:
            return 0.0
        return float(self.factor * 0.5 * np.sum(signs * (unit @ unit.T)) / pairs)

    def gradient(self, x):
        rows = self._rows(x)
        norms, unit, signs, pairs = self._parts(rows)
        if pairs == 0:
            return np.zeros_like(np.asarray(x))
        g = (self.factor / pairs) * (signs @ unit)
        eps = backend.epsilon()
        radial = np.sum(g * unit, axis=1, keepdims=True) * unit
        grad = np.where(norms > eps, (g - radial) / np.maximum(norms, eps), g / eps)
        return (grad if self.mode == "rows" else grad.T).astype(np.asarray(x).dtype, copy=False)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
_REGULARIZERS = {cls.__name__: cls for cls in _CLASSES}
_REGULARIZERS.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})
_REGULARIZERS["l1_l2"] = L1L2

# Keras's lowercase aliases of the classes (``keras.regularizers.l2(1e-3)``).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier):
    """Return a regularizer from a name, class, instance, config dict, or None.

    A name gives the class with its defaults, except ``"l1_l2"``: ``L1L2(l1=0.01,
    l2=0.01)``, as Keras documents it.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything else, a callable without a ``gradient`` method included.

    Example
    -------
    >>> get("l2").get_config()
    {'l2': 0.01}
    >>> get("l1_l2").get_config()
    {'l1': 0.01, 'l2': 0.01}
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier == "l1_l2":
            return L1L2(l1=0.01, l2=0.01)
        return registry.deserialize(identifier, _REGULARIZERS, "regularizer")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier) and callable(getattr(identifier, "gradient", None)):
        return identifier
    raise TypeError(
        f"Could not interpret regularizer identifier: {identifier!r}. Expected a name such as "
        "'l2', a Regularizer, or None (a custom one needs `__call__(x)` and `gradient(x)`)."
    )


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}`` for a regularizer.

    Example
    -------
    >>> serialize(L2(0.1))
    {'class_name': 'L2', 'config': {'l2': 0.1}}
    """
    return registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to custom classes.

    Raises
    ------
    ValueError
        For an unknown class name; the message lists the valid names.

    Example
    -------
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    """
    return registry.deserialize(config, _REGULARIZERS, "regularizer", custom_objects)
