"""``OrthogonalRegularizer``: the mean absolute cosine between distinct rows (or columns)."""

import numpy as np

from layerkit import backend
from layerkit.initializers.initializer import check_number
from layerkit.regularizers.regularizer import Regularizer


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
