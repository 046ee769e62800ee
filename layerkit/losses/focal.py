"""Focal cross-entropies (Lin et al., 2018): cross-entropy scaled down on easy examples.

Both follow Keras's computation step by step (logits through a sigmoid or a
softmax, probabilities clipped to ``[ε, 1 - ε]``), so the values are Keras's,
and the gradient is the derivative of exactly those steps.
"""

import numbers

import numpy as np

from layerkit import activations, backend
from layerkit.losses.arguments import check_axis, check_fraction, check_non_negative, normalize_axes
from layerkit.losses.loss import Loss


def _power_and_slope(base, gamma):
    """``(base^γ, γ base^(γ-1))``, quietly.

    Where the slope is infinite (``base = 0`` with ``0 < γ < 1``) it is taken as
    0; where a fractional power of a negative base is undefined, both are NaN.
    """
    if float(gamma).is_integer():
        slope = gamma * base ** (gamma - 1) if gamma >= 1 else np.zeros_like(base)
        return base ** gamma, slope
    defined = base >= 0
    power = np.power(base, gamma, out=np.full_like(base, np.nan), where=defined)
    slope = np.power(base, gamma - 1, out=np.full_like(base, np.nan), where=base > 0)
    return power, np.where(base == 0, 0.0, gamma * slope)


def _clip_passes(p, eps):
    """Where ``clip(p, ε, 1 - ε)`` lets the gradient through (the bounds included, as in Keras)."""
    return (p >= eps) & (p <= 1 - eps)


class BinaryFocalCrossentropy(Loss):
    """Binary focal cross-entropy, ``l = mean(w (1 - p_t)^γ bce(y, p))`` over ``axis``.

    ``p_t = y p + (1 - y)(1 - p)`` is the probability given to the true label;
    ``bce`` is the binary cross-entropy with ``p`` clipped to ``[ε, 1 - ε]``;
    ``w = α y + (1 - α)(1 - y)`` with ``apply_class_balancing``, else 1. With
    ``from_logits`` p is ``sigmoid(ŷ)``. ``γ = 0`` without balancing is plain BCE.

    Parameters
    ----------
    apply_class_balancing : bool
        Whether to weigh class 1 by ``alpha`` and class 0 by ``1 - alpha``.
    alpha : float
        In [0, 1], default 0.25.
    gamma : float
        The focusing parameter, >= 0, default 2.
    from_logits : bool
        Whether ``y_pred`` holds logits rather than probabilities.
    label_smoothing : float
        In [0, 1]: targets become ``y (1 - s) + s / 2``.
    axis : int
        The axis the mean is taken over, default -1.
    reduction, name, dtype
        As for :class:`Loss`.

    Raises
    ------
    ValueError
        For ``alpha`` or ``label_smoothing`` outside [0, 1], a negative ``gamma``
        or a non-integer ``axis``.

    Example
    -------
    >>> loss = BinaryFocalCrossentropy(gamma=2.0)
    >>> round(float(loss(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))), 6)
    0.173287
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha = check_fraction("alpha", alpha)
        self.gamma = check_non_negative("gamma", gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_fraction("label_smoothing", label_smoothing)
        self.axis = check_axis(axis)

    def reduced_axes(self, ndim):
        return normalize_axes(self.axis, ndim)

    def _parts(self, y_true, y_pred):
        """Smoothed targets, probabilities, their clip, bce, 1 - p_t and the class weight."""
        s = self.label_smoothing
        y = y_true * (1.0 - s) + 0.5 * s if s else y_true
        p = activations.sigmoid(y_pred) if self.from_logits else y_pred
        eps = backend.epsilon()
        clipped = np.clip(p, eps, 1 - eps)
        bce = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
        miss = 1.0 - (y * p + (1 - y) * (1 - p))
        weight = y * self.alpha + (1 - y) * (1 - self.alpha) if self.apply_class_balancing else 1.0
        return y, p, clipped, bce, miss, weight

    def call(self, y_true, y_pred):
        _, _, _, bce, miss, weight = self._parts(y_true, y_pred)
        return np.mean(weight * _power_and_slope(miss, self.gamma)[0] * bce, axis=self.axis)

    def backward(self, y_true, y_pred):
        y, p, clipped, bce, miss, weight = self._parts(y_true, y_pred)
        focal, slope = _power_and_slope(miss, self.gamma)
        bce_slope = np.where(_clip_passes(p, backend.epsilon()),
                             (clipped - y) / (clipped * (1 - clipped)), 0.0)
        grad = weight * (slope * (1 - 2 * y) * bce + focal * bce_slope) / y_pred.shape[self.axis]
        return grad * (p * (1 - p)) if self.from_logits else grad

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


def _check_alpha(alpha):
    """A non-negative number, or a list of them (one per class)."""
    if isinstance(alpha, (list, tuple)):
        for value in alpha:
            check_non_negative("alpha", value)
        return list(alpha)
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool) and alpha >= 0:
        return alpha
    raise ValueError(f"`alpha` must be a number >= 0 or a list of them, one per class. "
                     f"Received: alpha={alpha!r}")


class CategoricalFocalCrossentropy(Loss):
    """Categorical focal cross-entropy, ``l = -sum(α (1 - p)^γ y log p)`` over ``axis``.

    As in Keras: with ``from_logits`` p is ``softmax(ŷ)``; p is divided by its
    sum along ``axis`` and clipped to ``[ε, 1 - ε]`` (the clipped p also goes in
    the modulating factor). A row of zeros is taken as all-ε (Keras gives NaN),
    with no gradient.

    Parameters
    ----------
    alpha : float or list of float
        A weight for every class, or one per class (>= 0), default 0.25.
    gamma : float
        The focusing parameter, >= 0, default 2.
    from_logits : bool
    label_smoothing : float
        In [0, 1]: targets become ``y (1 - s) + s / K``.
    axis : int
        The class axis, default -1.
    reduction, name, dtype
        As for :class:`Loss`.

    Raises
    ------
    ValueError
        For a negative ``alpha`` or ``gamma``, ``label_smoothing`` outside
        [0, 1], or (when called) a list ``alpha`` whose length is not the number
        of classes.

    Example
    -------
    >>> loss = CategoricalFocalCrossentropy()
    >>> round(float(loss(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))), 6)
    0.043322
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha = _check_alpha(alpha)
        self.gamma = check_non_negative("gamma", gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_fraction("label_smoothing", label_smoothing)
        self.axis = check_axis(axis)

    def reduced_axes(self, ndim):
        return normalize_axes(self.axis, ndim)

    def _alpha(self, y_pred):
        alpha = np.asarray(self.alpha, dtype=y_pred.dtype)
        if alpha.ndim and alpha.shape[0] != y_pred.shape[-1]:
            raise ValueError(f"Loss {self.name!r}: `alpha` has {alpha.shape[0]} entries but the "
                             f"predictions have {y_pred.shape[-1]} classes on their last axis. "
                             f"Received: alpha={self.alpha}, y_pred.shape={y_pred.shape}")
        return alpha

    def _parts(self, y_true, y_pred):
        """Smoothed targets, probabilities, their sum, normalised p and its clip."""
        s = self.label_smoothing
        y = y_true * (1.0 - s) + s / y_true.shape[-1] if s else y_true
        p = activations.softmax(y_pred, axis=self.axis) if self.from_logits else y_pred
        total = np.sum(p, axis=self.axis, keepdims=True)
        normalised = np.divide(p, total, out=np.zeros_like(p), where=total != 0)
        eps = backend.epsilon()
        return y, p, total, normalised, np.clip(normalised, eps, 1 - eps)

    def call(self, y_true, y_pred):
        y, _, _, _, clipped = self._parts(y_true, y_pred)
        modulating = _power_and_slope(1.0 - clipped, self.gamma)[0]
        return np.sum(self._alpha(y_pred) * modulating * (-y * np.log(clipped)), axis=self.axis)

    def backward(self, y_true, y_pred):
        y, p, total, normalised, clipped = self._parts(y_true, y_pred)
        modulating, slope = _power_and_slope(1.0 - clipped, self.gamma)
        log_p = np.log(clipped)
        d_clipped = self._alpha(y_pred) * y * (slope * log_p - modulating / clipped)
        d_normalised = np.where(_clip_passes(normalised, backend.epsilon()), d_clipped, 0.0)
        inner = np.sum(d_normalised * normalised, axis=self.axis, keepdims=True)
        d_p = np.divide(d_normalised - inner, total, out=np.zeros_like(p), where=total != 0)
        if not self.from_logits:
            return d_p
        return p * (d_p - np.sum(d_p * p, axis=self.axis, keepdims=True))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "alpha": self.alpha, "gamma": self.gamma}


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary focal cross-entropy (see :class:`BinaryFocalCrossentropy`).

    Example
    -------
    >>> np.round(binary_focal_crossentropy(np.array([[1.0]]), np.array([[0.0]]),
    ...                                    from_logits=True), 6)
    array([0.173287])
    """
    return BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits,
                                   label_smoothing, axis).values(y_true, y_pred)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample categorical focal cross-entropy (see :class:`CategoricalFocalCrossentropy`).

    Example
    -------
    >>> np.round(categorical_focal_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.0, 0.0]]),
    ...                                         from_logits=True), 6)
    array([0.043322])
    """
    return CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing,
                                        axis).values(y_true, y_pred)
