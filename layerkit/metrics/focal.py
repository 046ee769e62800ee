"""Focal cross-entropies (Lin et al., 2018) as per-sample metric functions.

The cross-entropy of each element is scaled by ``(1 - p_t)^γ``, ``p_t`` the
probability given to the right answer, so that easy, confident examples count
for less. Probabilities are clipped to ``[ε, 1 - ε]`` inside the logarithms.
"""

import numpy as np

from layerkit import activations, backend
from layerkit.metrics.reduction import metric_function


@metric_function
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary focal cross-entropy, ``mean((1 - p_t)^γ · bce, axis)``.

    ``p_t = y·p + (1 - y)(1 - p)``; with ``apply_class_balancing`` each element
    is also weighted ``α`` (target 1) or ``1 - α`` (target 0).

    Example
    -------
    >>> np.round(binary_focal_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.4, 0.6]]), gamma=0.0), 4)
    array([0.5108])
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = activations.sigmoid(y_pred)
    eps = backend.epsilon()
    p = np.clip(y_pred, eps, 1.0 - eps)
    bce = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return np.mean(focal, axis=axis)


@metric_function
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample categorical focal cross-entropy, ``Σ α (1 - p)^γ · (-y log p)`` over ``axis``.

    ``alpha`` may be one weight per class.

    Example
    -------
    >>> np.round(categorical_focal_crossentropy(np.array([[0, 1, 0]]), np.array([[0.05, 0.95, 0.0]]),
    ...                                         alpha=1.0, gamma=0.0), 4)
    array([0.0513])
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = activations.softmax(y_pred, axis=axis)
    eps = backend.epsilon()
    output = np.clip(y_pred / np.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    return np.sum(alpha * (1.0 - output) ** gamma * (-y_true * np.log(output)), axis=axis)
