"""Reductions: the (weighted) ``Mean`` and ``Sum`` of values, and ``MeanMetricWrapper``.

``MeanMetricWrapper`` turns a per-sample function ``fn(y_true, y_pred)`` into a
metric: the running weighted mean of its values. The built-in functions of
this package register themselves with :func:`metric_function`, which is how a
config naming one (``{"fn": "binary_accuracy"}``) finds it again.
"""

import numpy as np

from layerkit import registry
from layerkit.metrics.metric import Metric, squeeze_or_expand_to_same_rank

#: The package's per-sample metric functions by name (filled by ``metric_function``).
FUNCTIONS = {}


def metric_function(fn):
    """Decorator: make ``fn`` findable by name in a :class:`MeanMetricWrapper` config."""
    FUNCTIONS[fn.__name__] = fn
    return fn


def reduce_to_samplewise_values(values, sample_weight, reduce_fn):
    """One value (and weight) per sample, as Keras reduces them.

    Values with more axes than the weights are first reduced (``reduce_fn``:
    ``np.mean`` or ``np.sum``) down to the weights' rank, then weighted; what
    is left beyond the batch axis is reduced the same way.

    Returns
    -------
    (ndarray, ndarray or None)
        The weighted values and the per-sample weights (None without weights).

    Raises
    ------
    ValueError
        If ``sample_weight`` cannot be broadcast to the values.
    """
    values = np.asarray(values, dtype=np.float64)
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = reduce_fn(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(f"`sample_weight` of shape {np.shape(sample_weight)} cannot be "
                             f"broadcast to values of shape {values.shape}.") from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce_fn(weights, axis=tuple(range(1, weights.ndim)))
        sample_weight = weights
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of every value given, ``total = Σ w_i v_i``.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = Sum(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
    4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.declare_state("total")

    def update_state(self, values, sample_weight=None):
        """Add ``values`` (weighted by ``sample_weight``) to the total."""
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum)
        self.total += float(values.sum())

    def result(self):
        return self.as_result(self.total)


class Mean(Metric):
    """The (weighted) mean of every value given, ``Σ w_i v_i / Σ w_i`` (0 before any).

    ``update_state(value, sample_weight=n)`` with a Python float and an int
    (the training loop's loss, once a step) takes a fast path of two additions.

    Parameters
    ----------
    name, dtype
        As for :class:`Metric`.

    Example
    -------
    >>> m = Mean(); m.update_state([1, 2]); m.update_state([3], sample_weight=[2])
    >>> float(m.result())
    2.25
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.declare_state("total")
        self.declare_state("count")

    def update_state(self, values, sample_weight=None):
        """Add ``values`` to the running mean, each counting ``sample_weight`` (1 by default)."""
        if isinstance(values, float) and (sample_weight is None or isinstance(sample_weight, int)):
            weight = 1 if sample_weight is None else sample_weight
            self.total += values * weight
            self.count += weight
            return
        values, weights = reduce_to_samplewise_values(values, sample_weight, np.mean)
        self.total += float(values.sum())
        if weights is not None:
            self.count += float(weights.sum())
        else:
            self.count += values.shape[0] if values.ndim else 1

    def result(self):
        return self.as_result(self.total / self.count if self.count else 0.0)


class MeanMetricWrapper(Mean):
    """The running (weighted) mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Parameters
    ----------
    fn : callable
        Returns one value per sample (or per element: the extra axes are averaged).
    name : str, optional
        ``"mean_metric_wrapper"`` (made unique) by default.
    dtype : str, optional
        As for :class:`Metric`.
    **kwargs
        Passed on to ``fn``; kept in the config.

    Example
    -------
    >>> def abs_err(y_true, y_pred):
    ...     return np.abs(np.subtract(y_pred, y_true)).mean(axis=-1)
    >>> m = MeanMetricWrapper(abs_err, name="abs_err")
    >>> m.update_state(np.array([[0.0], [0.0]]), np.array([[2.0], [4.0]])); float(m.result())
    3.0
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        if not callable(fn):
            raise TypeError(f"`fn` must be callable. Received: fn={fn!r}")
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add ``fn(y_true, y_pred)``'s values, weighted by ``sample_weight``."""
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "fn": registry.get_registered_name(self._fn),
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        """Rebuild the metric; ``config["fn"]`` names a registered or built-in function.

        Raises
        ------
        ValueError
            If no function of that name is known.
        """
        config = dict(config)
        if "fn" not in config:
            return cls(**config)
        name = config.pop("fn")
        fn = registry.get_registered_object(name, module_objects=FUNCTIONS)
        if fn is None:
            raise ValueError(f"Unknown metric function {name!r}: register it with "
                             "`layerkit.saving.register_keras_serializable()`. Built-in ones: "
                             f"{sorted(FUNCTIONS)}.")
        return cls(fn, **config)
