"""Cross-entropy losses, stable for any logits, with fused output gradients.

With a sigmoid output and binary cross-entropy (or a softmax output and
categorical cross-entropy) the chain rule collapses: dL/dZ = (A - Y) / N. The
engine asks ``loss.fuses_with(activation)`` and then calls
``loss.logits_value_and_gradient``, which computes the value from the logits Z
(finite for |Z| = 1000) and the gradient at Z directly.
"""

import numpy as np

from layerkit import activations, backend
from layerkit.losses.loss import Loss


def _bce_from_logits(y, z):
    """Elementwise ``-(y log σ(z) + (1 - y) log(1 - σ(z)))``, as ``max(z, 0) - z y + log1p(e^-|z|)``."""
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def check_class_axis(axis):
    """``axis`` if it is -1, the only class axis the cross-entropies support.

    Raises
    ------
    ValueError
        For any other axis.
    """
    if axis not in (-1,):
        raise ValueError(f"Only `axis=-1` (the class axis last) is supported. Received: axis={axis}")
    return axis


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy (mean over the last axis).

    Example
    -------
    >>> np.round(binary_crossentropy(np.array([[1.0]]), np.array([[0.5]])), 4)
    array([0.6931])
    """
    return BinaryCrossentropy(from_logits, label_smoothing, axis).values(y_true, y_pred)


class BinaryCrossentropy(Loss):
    """Binary cross-entropy, ``l = -mean(y log p + (1 - y) log(1 - p))``.

    Probabilities are clipped to ``[ε, 1 - ε]`` (ε = ``backend.epsilon()``), as
    in Keras; with ``from_logits=True`` (or fused behind a sigmoid output) the
    value is computed from the logits and never clipped.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds logits rather than probabilities.
    label_smoothing : float
        In [0, 1]: targets become ``y (1 - s) + s / 2``.
    axis : int
        The axis to average over (only -1).
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> float(loss(np.array([[0.0]]), np.array([[1000.0]])))
    1000.0
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"`label_smoothing` must be in [0, 1]. Received: {label_smoothing}")
        self.from_logits, self.label_smoothing = bool(from_logits), label_smoothing
        self.axis = check_class_axis(axis)

    def _smooth(self, y):
        return y * (1 - self.label_smoothing) + 0.5 * self.label_smoothing if self.label_smoothing else y

    def call(self, y_true, y_pred):
        y = self._smooth(y_true)
        if self.from_logits:
            return np.mean(_bce_from_logits(y, y_pred), axis=-1)
        p = np.clip(y_pred, backend.epsilon(), 1 - backend.epsilon())
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=-1)

    def backward(self, y_true, y_pred):
        y = self._smooth(y_true)
        if self.from_logits:
            return (activations.sigmoid(y_pred) - y) / y_pred.shape[-1]
        eps = backend.epsilon()
        p = np.clip(y_pred, eps, 1 - eps)
        inside = (y_pred > eps) & (y_pred < 1 - eps)
        return np.where(inside, (p - y) / (p * (1 - p)), 0) / y_pred.shape[-1]

    def fuses_with(self, activation):
        return not self.from_logits and activation is activations.sigmoid

    def logits_call(self, y_true, z):
        return np.mean(_bce_from_logits(self._smooth(y_true), z), axis=-1)

    def logits_value_and_gradient(self, y_true, z, a, sample_weight=None):
        """``(loss, dloss/dZ)`` for ``A = sigmoid(Z)``: the value from Z, the gradient (A - Y) / N."""
        y_true, z, sample_weight = self._prepare(y_true, z, sample_weight)
        return self._reduced(self.logits_call(y_true, z), (a - self._smooth(y_true)) / z.shape[-1],
                             y_true, z, sample_weight)

    def validate_targets(self, y_true, output_shape, dtype=None):
        y_true = super().validate_targets(y_true, output_shape, dtype)
        if y_true.size and (y_true.min() < 0 or y_true.max() > 1):
            raise ValueError(
                f"Loss {self.name!r} expects targets in [0, 1]. Received values from "
                f"{y_true.min()} to {y_true.max()}."
            )
        return y_true

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


def categorical_values_and_backward(y, y_pred, from_logits, want_gradient):
    """Per-sample ``-sum(y log p)`` and, if ``want_gradient``, its gradient with respect to y_pred.

    ``p`` is ``softmax(y_pred)`` with ``from_logits``, else ``y_pred`` divided by
    its row sum and clipped to ``[ε, 1 - ε]`` (a row of zeros counts as all-ε).
    """
    if from_logits:
        values = -np.sum(y * activations.log_softmax(y_pred), axis=-1)
        if not want_gradient:
            return values, None
        return values, activations.softmax(y_pred) * y.sum(axis=-1, keepdims=True) - y
    eps = backend.epsilon()
    total = y_pred.sum(axis=-1, keepdims=True)
    # A row of zeros is taken as all-ε, with no gradient (Keras's 0 / 0 would give NaN).
    p_raw = np.divide(y_pred, total, out=np.zeros_like(y_pred), where=total != 0)
    p = np.clip(p_raw, eps, 1 - eps)
    values = -np.sum(y * np.log(p), axis=-1)
    if not want_gradient:
        return values, None
    dp = np.where((p_raw > eps) & (p_raw < 1 - eps), -y / p, 0)
    grad = dp - np.sum(dp * p_raw, axis=-1, keepdims=True)
    return values, np.divide(grad, total, out=np.zeros_like(grad), where=total != 0)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical cross-entropy, ``-sum(y log p, axis=-1)``.

    Example
    -------
    >>> np.round(categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])), 4)
    array([0.6931])
    """
    return CategoricalCrossentropy(from_logits, label_smoothing, axis).values(y_true, y_pred)


class CategoricalCrossentropy(Loss):
    """Categorical cross-entropy for one-hot (or soft) targets, ``l = -sum(y log p)``.

    Predictions are normalised to sum to one and clipped to ``[ε, 1 - ε]`` as
    in Keras; logits (``from_logits=True`` or fused behind a softmax output) go
    through a stable log-softmax instead.

    Parameters
    ----------
    from_logits : bool
    label_smoothing : float
        In [0, 1]: targets become ``y (1 - s) + s / K``.
    axis : int
        The class axis (only -1).
    reduction, name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = CategoricalCrossentropy(from_logits=True)
    >>> float(loss(np.array([[1.0, 0.0]]), np.array([[0.0, 1000.0]])))
    1000.0
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"`label_smoothing` must be in [0, 1]. Received: {label_smoothing}")
        self.from_logits, self.label_smoothing = bool(from_logits), label_smoothing
        self.axis = check_class_axis(axis)

    def _smooth(self, y):
        if not self.label_smoothing:
            return y
        return y * (1 - self.label_smoothing) + self.label_smoothing / y.shape[-1]

    def call(self, y_true, y_pred):
        return categorical_values_and_backward(self._smooth(y_true), y_pred, self.from_logits, False)[0]

    def backward(self, y_true, y_pred):
        return categorical_values_and_backward(self._smooth(y_true), y_pred, self.from_logits, True)[1]

    def fuses_with(self, activation):
        return not self.from_logits and activation is activations.softmax

    def logits_value_and_gradient(self, y_true, z, a, sample_weight=None):
        """``(loss, dloss/dZ)`` for ``A = softmax(Z)``: the value from Z, the gradient (A - Y) / N.

        Targets are distributions (each row sums to one), which ``validate_targets`` checks.
        """
        y_true, z, sample_weight = self._prepare(y_true, z, sample_weight)
        return self._reduced(self.logits_call(y_true, z), a - self._smooth(y_true), y_true, z,
                             sample_weight)

    def logits_call(self, y_true, z):
        return -np.sum(self._smooth(y_true) * activations.log_softmax(z), axis=-1)

    def validate_targets(self, y_true, output_shape, dtype=None):
        y_true = super().validate_targets(y_true, output_shape, dtype)
        row_sums = y_true.sum(axis=-1)
        if y_true.size and (y_true.min() < 0 or not np.allclose(row_sums, 1, atol=1e-3)):
            raise ValueError(
                f"Loss {self.name!r} expects one-hot (or probability) targets whose rows sum "
                f"to 1. Received rows summing to {row_sums.min()}..{row_sums.max()}, values "
                f"from {y_true.min()} to {y_true.max()}. For integer class labels use "
                "'sparse_categorical_crossentropy'."
            )
        return y_true

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}
