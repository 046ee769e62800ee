"""The coefficient of determination R², from per-output sums accumulated over every batch.

``R² = 1 - SS_res / SS_tot`` per output, with ``SS_res = Σ w (y - ŷ)²`` and
``SS_tot = Σ w y² - (Σ w y)² / Σ w`` (the weighted spread of the targets about
their mean): only sums are kept, so batches add up to the whole set.
"""

import numbers
import warnings

import numpy as np

from layerkit.metrics.metric import Metric, as_float_pair

CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """R² score, optionally adjusted for the number of regressors.

    Parameters
    ----------
    class_aggregation : str, optional
        How the outputs' scores are combined: ``"uniform_average"`` (default),
        ``"variance_weighted_average"`` (weighted by each output's ``SS_tot``)
        or None (one score per output).
    num_regressors : int
        For the adjusted R², ``1 - (1 - R²)(n - 1)/(n - p - 1)`` with ``n`` the
        number of target values seen; 0 (default) gives the plain R².
    name, dtype
        As for :class:`Metric`.

    Raises
    ------
    ValueError
        For an unknown ``class_aggregation`` or a negative ``num_regressors``;
        in ``update_state``, for inputs that are not 2-D.

    Example
    -------
    >>> m = R2Score(); m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])
    >>> float(m.result())                       # 1 - 1 / 2
    0.5
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in CLASS_AGGREGATIONS:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{CLASS_AGGREGATIONS}. Received: class_aggregation={class_aggregation!r}")
        if (isinstance(num_regressors, bool) or not isinstance(num_regressors, numbers.Integral)
                or num_regressors < 0):
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. "
                             f"Received: num_regressors={num_regressors!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.declare_state("num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                             f"input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        for total in ("squared_sum", "sum", "total_mse", "count"):
            self.declare_state(total, (y_pred_shape[-1],))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's weighted sums of y, y² and squared errors, per output."""
        y_true, y_pred = as_float_pair(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weights = np.asarray(1.0 if sample_weight is None else sample_weight, dtype=np.float64)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = np.broadcast_to(weights, y_true.shape)
        self.sum += np.sum(y_true * weights, axis=0)
        self.squared_sum += np.sum(y_true * y_true * weights, axis=0)
        self.total_mse += np.sum((y_true - y_pred) ** 2 * weights, axis=0)
        self.count += np.sum(weights, axis=0)
        self.num_samples += y_true.size

    def result(self):
        if not self.num_samples:  # nothing seen: 0, like a Mean
            per_output = self.class_aggregation is None and self._built
            return self.as_result(np.zeros_like(self.sum) if per_output else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):  # as Keras: x/0 -> 0, 0/0 -> NaN
            total = self.squared_sum - self.sum * (self.sum / self.count)
            raw_scores = 1 - self.total_mse / total
            raw_scores = np.where(np.isinf(raw_scores), 0.0, raw_scores)
            if self.class_aggregation == "uniform_average":
                score = np.mean(raw_scores)
            elif self.class_aggregation == "variance_weighted_average":
                score = np.sum(total * raw_scores) / np.sum(total)
            else:
                score = raw_scores
        n, p = self.num_samples, self.num_regressors
        if p and p > n - 1:
            warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling "
                          "back to standard R2 score.", stacklevel=2)
        elif p and p == n - 1:
            warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                          stacklevel=2)
        elif p:
            score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return self.as_result(score)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
