"""Discretization: real values to bin indices, with boundaries given or learnt from quantiles."""

import numbers

import numpy as np

from layerkit.layers.category_encoding import encode, encoded_shape
from layerkit.layers.layer import Layer
from layerkit.layers.statistics import batches_of

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class Discretization(Layer):
    """Bin index ``i`` such that ``b[i-1] <= x < b[i]`` (``b`` the ``bin_boundaries``), encoded.

    With ``k`` boundaries there are ``k + 1`` bins: ``(-inf, b0), [b0, b1), ...,
    [b_{k-1}, inf)``. ``output_mode="int"`` returns the indices (as floats: layerkit
    layers compute in floating point), the other modes encode them as
    :class:`CategoryEncoding` does. :meth:`adapt` finds ``num_bins - 1`` boundaries at
    the data's quantiles with Keras's approximate algorithm (same boundaries as Keras).
    The output is piecewise constant: backward returns zeros.

    Parameters
    ----------
    bin_boundaries : list of float, optional
        Increasing boundaries (give these or ``num_bins``).
    num_bins : int, optional
        Number of bins for :meth:`adapt`, >= 1.
    epsilon : float
        Error tolerance of the quantiles, in (0, 1).
    output_mode : str
        ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
    sparse : bool
        Must be False.
    dtype, name : optional

    Raises
    ------
    ValueError
        For both or neither of ``bin_boundaries`` and ``num_bins``, unsorted or
        non-finite boundaries, a bad ``num_bins``, ``epsilon`` or mode, ``sparse=True``;
        (when called) NaN inputs, or use before the boundaries are known.

    Example
    -------
    >>> import numpy as np
    >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-0.5, 0.0, 0.5, 2.0]]))
    array([[0., 1., 1., 2.]], dtype=float32)
    """

    cache_names = ("X_shape",)

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(dtype=dtype, name=name)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown value for `output_mode` argument of Discretization. Allowed "
                             f"values are: {OUTPUT_MODES}. Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` is not supported: layerkit has no sparse tensors.")
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(
                num_bins, numbers.Integral) or num_bins < 1):
            raise ValueError(f"`num_bins` must be an integer >= 1. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not 0 < epsilon < 1:
            raise ValueError(f"`epsilon` must be a number in (0, 1). Received: epsilon={epsilon!r}")
        self.bin_boundaries = None if bin_boundaries is None else _checked_boundaries(bin_boundaries)
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon, self.output_mode, self.sparse = float(epsilon), output_mode, False

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, self.output_mode, self._depth(), self)

    def forward(self, x, training=False):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction "
                             "time or call `adapt(dataset)` before you can start using the "
                             "`Discretization` layer.")
        if np.isnan(x).any():
            raise ValueError(f"Layer {self.name!r} (Discretization) received NaN, which falls in "
                             "no bin.")
        self.X_shape = x.shape
        self.compute_output_shape(x.shape)
        indices = np.digitize(x, self.bin_boundaries)
        if self.output_mode == "int":
            return indices.astype(self.dtype)
        return encode(indices, self.output_mode, self._depth(), self.dtype)

    def backward(self, grad_output, input_gradient=True):
        """Zeros: away from the boundaries a small change of the input changes no bin."""
        return np.zeros(self.X_shape, dtype=grad_output.dtype) if input_gradient else None

    # -------------------------------------------------------------- adapt
    def adapt(self, data, steps=None):
        """Set ``num_bins - 1`` boundaries at the quantiles of ``data`` (Keras's algorithm).

        Parameters
        ----------
        data : ndarray, or an iterable of batches
        steps : int, optional
            Read at most this many batches of an iterable.

        Raises
        ------
        ValueError
            If the layer was given ``bin_boundaries``, for no data, NaN or inf (the
            boundaries are unchanged then).
        """
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with "
                             "`bin_boundaries`, use `num_bins` instead.")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, numbers.Integral)
                                  or steps < 1):
            raise ValueError(f"`steps` must be None or an integer >= 1. Received: steps={steps!r}")
        summary = np.array([[], []], dtype="float32")
        for step, batch in enumerate(batches_of(data, f"adapt() of layer {self.name!r}")):
            if steps is not None and step >= steps:
                break
            summary = _merge_summaries(_summarize(batch.astype("float32"), self.epsilon), summary,
                                       self.epsilon)
        self.bin_boundaries = _compress_summary(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """After ``adapt`` both ``bin_boundaries`` and ``num_bins`` are set: restore both."""
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if boundaries is None or config.get("num_bins") is None:
            return cls(bin_boundaries=boundaries, **config)
        layer = cls(**config)
        layer.bin_boundaries = _checked_boundaries(boundaries)
        return layer


def _checked_boundaries(boundaries):
    values = np.asarray(boundaries, dtype=np.float64).reshape(-1)
    if not np.isfinite(values).all() or (np.diff(values) < 0).any():
        raise ValueError("`bin_boundaries` must be finite and sorted in increasing order. "
                         f"Received: bin_boundaries={boundaries}")
    return [float(b) for b in boundaries]


# Keras's quantile summaries (keras/src/layers/preprocessing/discretization.py), in float32 as there.
def _summarize(values, epsilon):
    """Sorted values at steps of ``max(size·epsilon, 1)``, each weighted by that step."""
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _merge_summaries(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary, epsilon):
    """Interpolate the cumulative weights at steps of ``epsilon`` (a no-op for small summaries)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")
