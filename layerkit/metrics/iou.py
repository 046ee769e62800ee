"""Intersection over union, from a confusion matrix accumulated over every batch.

For a class c, ``IoU_c = TP_c / (TP_c + FP_c + FN_c)``: the samples labelled
and predicted c, over those labelled or predicted c. The matrix holds the
(weighted) number of samples of each (true class, predicted class) pair.
Unlike Keras, whose default integer dtype truncates float sample weights,
weights are accumulated as floats.
"""

import numbers

import numpy as np

from layerkit import backend
from layerkit.metrics.metric import Metric


def _check_int(argument, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"Argument `{argument}` must be an integer >= {low}. "
                         f"Received: {argument}={value!r}")
    return int(value)


class IoU(Metric):
    """The mean IoU of the classes ``target_class_ids`` (those absent from data and predictions skipped).

    Parameters
    ----------
    num_classes : int
        The number of classes.
    target_class_ids : list of int
        The classes whose IoU is averaged.
    name, dtype
        As for :class:`Metric`.
    ignore_class : int, optional
        Samples with this label are not counted.
    sparse_y_true, sparse_y_pred : bool
        Whether targets / predictions are class ids (True) or scores along ``axis``.
    axis : int
        The class axis of non-sparse inputs.

    Raises
    ------
    ValueError
        For a target class id outside ``[0, num_classes)``.

    Example
    -------
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)   # 1 / (1 + 1 + 1)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = _check_int("num_classes", num_classes, 1)
        ids = [_check_int("target_class_ids", i, 0) for i in target_class_ids]
        if not ids:
            raise ValueError("Argument `target_class_ids` must name at least one class. Received: []")
        if max(ids) >= num_classes:
            raise ValueError(f"Target class id {max(ids)} is out of range, which is [0, {num_classes}).")
        self.target_class_ids = ids
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.declare_state("total_cm", (num_classes, num_classes))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's (weighted) (true class, predicted class) pairs to the confusion matrix.

        Ids outside ``[0, num_classes)`` (and the ignored class) are not counted.
        """
        y_true = np.argmax(y_true, axis=self.axis) if not self.sparse_y_true else np.asarray(y_true)
        y_pred = np.argmax(y_pred, axis=self.axis) if not self.sparse_y_pred else np.asarray(y_pred)
        y_true, y_pred = y_true.astype(np.int64).reshape(-1), y_pred.astype(np.int64).reshape(-1)
        weights = np.ones(y_true.shape) if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, dtype=np.float64).reshape(-1), y_true.shape)
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        pairs = np.where(keep, y_true * self.num_classes + y_pred, 0)
        counts = np.bincount(pairs, weights=np.where(keep, weights, 0.0), minlength=self.num_classes ** 2)
        self.total_cm += counts.reshape(self.num_classes, self.num_classes)

    def result(self):
        true_positives = np.diag(self.total_cm)
        union = self.total_cm.sum(axis=0) + self.total_cm.sum(axis=1) - true_positives
        true_positives, union = true_positives[self.target_class_ids], union[self.target_class_ids]
        valid = union > 1e-9  # a class never labelled nor predicted is left out of the mean
        iou = np.where(valid, true_positives / (union + backend.epsilon()), 0.0)
        return self.as_result(iou.sum() / (valid.sum() + backend.epsilon()))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary targets against predictions thresholded at ``threshold`` (``ŷ >= t`` is 1).

    Parameters
    ----------
    target_class_ids : tuple of int
        ``(0, 1)`` (default: the mean of both), ``(0,)`` or ``(1,)``.
    threshold : float
        Predictions at or above it are class 1 (0.5).
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = BinaryIoU(target_class_ids=[1])
    >>> m.update_state([0, 1, 1, 1], [0.9, 0.6, 0.2, 0.7]); round(float(m.result()), 4)   # 2 / (2 + 1 + 1)
    0.5
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise ValueError(f"Argument `threshold` must be a number. Received: threshold={threshold!r}")
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Threshold the predictions, then count as :meth:`IoU.update_state`."""
        predicted = (np.asarray(y_pred, dtype=np.float64) >= self.threshold).astype(np.int64)
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those absent skipped).

    Parameters
    ----------
    num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        As for :class:`IoU`.

    Example
    -------
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(_check_int("num_classes", num_classes, 1))), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot targets (and, unless ``sparse_y_pred``, class scores).

    Parameters
    ----------
    num_classes, target_class_ids, name, dtype, ignore_class, axis
        As for :class:`IoU`.
    sparse_y_pred : bool
        Whether predictions are class ids (False: scores, argmax taken).

    Example
    -------
    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1])
    >>> m.update_state([[1, 0], [0, 1]], [[0.2, 0.8], [0.3, 0.7]]); round(float(m.result()), 4)
    0.5
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot targets (and, unless ``sparse_y_pred``, class scores).

    Parameters
    ----------
    num_classes, name, dtype, ignore_class, sparse_y_pred, axis
        As for :class:`OneHotIoU`.

    Example
    -------
    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m.update_state([[1, 0], [0, 1]], [[0.2, 0.8], [0.3, 0.7]]); round(float(m.result()), 4)
    0.25
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
