"""Cross-entropy for integer class labels, with an ignored class and the fused softmax gradient."""

import numpy as np

from layerkit import activations
from layerkit.losses.crossentropy import categorical_values_and_backward, check_class_axis
from layerkit.losses.loss import Loss


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample cross-entropy for integer labels, ``-log p[label]``.

    Example
    -------
    >>> np.round(sparse_categorical_crossentropy(np.array([1]), np.array([[0.5, 0.5]])), 4)
    array([0.6931])
    """
    return SparseCategoricalCrossentropy(from_logits, ignore_class, axis=axis).values(y_true, y_pred)


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy for integer class labels in ``[0, K)``.

    Parameters
    ----------
    from_logits : bool
    ignore_class : int, optional
        A label whose samples count for nothing (the mean is over the others).
    reduction
        As for :class:`Loss`.
    axis : int
        The class axis (only -1).
    name, dtype
        As for :class:`Loss`.

    Example
    -------
    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))), 4)
    0.1643
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits, self.ignore_class = bool(from_logits), ignore_class
        check_class_axis(axis)  # only -1; Keras's config leaves `axis` out too

    def _standardize_targets(self, y_true, y_pred, dtype):
        if y_true.ndim == y_pred.ndim and y_true.shape[-1:] == (1,):
            y_true = y_true[..., 0]
        if y_true.shape != y_pred.shape[:-1]:
            raise ValueError(
                f"Loss {self.name!r}: integer labels must have shape y_pred.shape[:-1]. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        return y_true.astype(np.int64), y_pred

    def value_mask(self, labels, y_pred):
        """The samples whose label is not ``ignore_class`` (None when nothing is ignored)."""
        return None if self.ignore_class is None else labels != self.ignore_class

    def _one_hot(self, labels, y_pred):
        """One-hot rows; an ignored label's row is all zeros (its value is 0, as in Keras)."""
        eye = np.eye(y_pred.shape[-1], dtype=y_pred.dtype)
        keep = self.value_mask(labels, y_pred)
        return eye[labels] if keep is None else eye[np.where(keep, labels, 0)] * keep[..., None]

    def call(self, labels, y_pred):
        return categorical_values_and_backward(self._one_hot(labels, y_pred), y_pred,
                                                self.from_logits, False)[0]

    def backward(self, labels, y_pred):
        return categorical_values_and_backward(self._one_hot(labels, y_pred), y_pred,
                                                self.from_logits, True)[1]

    def fuses_with(self, activation):
        return not self.from_logits and activation is activations.softmax

    def logits_value_and_gradient(self, y_true, z, a, sample_weight=None):
        """``(loss, dloss/dZ)`` for ``A = softmax(Z)``: the gradient is (A - onehot(y)) / N."""
        labels, z, sample_weight = self._prepare(y_true, z, sample_weight)
        return self._reduced(self.logits_call(labels, z), a - self._one_hot(labels, z), labels, z,
                             sample_weight)

    def logits_call(self, labels, z):
        return -np.sum(self._one_hot(labels, z) * activations.log_softmax(z), axis=-1)

    def validate_targets(self, y_true, output_shape, dtype=None):
        y_true = np.asarray(y_true)
        num_classes = output_shape[-1]
        if y_true.ndim == len(output_shape) and y_true.shape[-1:] == (1,):
            y_true = y_true[..., 0]
        if y_true.shape[1:] != tuple(output_shape[1:-1]):
            raise ValueError(
                f"Loss {self.name!r} expects integer labels of shape (N,) for an output of "
                f"shape {tuple(output_shape)}. Received y of shape {y_true.shape}. For one-hot "
                "targets use 'categorical_crossentropy'."
            )
        allowed = (y_true >= 0) & (y_true < num_classes) & (y_true == np.round(y_true))
        if self.ignore_class is not None:
            allowed |= y_true == self.ignore_class
        if not allowed.all():
            bad = y_true[~allowed].ravel()[0]
            raise ValueError(
                f"Loss {self.name!r} expects integer labels in [0, {num_classes}) for an output "
                f"of {num_classes} classes. Received label {bad}."
            )
        return y_true.astype(np.int64)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class}
