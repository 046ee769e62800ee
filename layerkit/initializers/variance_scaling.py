"""VarianceScaling: samples of variance ``scale / n``, n from the weight's fans (Keras's rule).

A kernel of shape (fan_in, fan_out) gets ``n = fan_in``, ``fan_out`` or their
mean. The truncated normal is cut at two standard deviations, which shrinks its
standard deviation by 0.87962566103423978 (the standard deviation of N(0, 1)
restricted to [-2, 2]); Keras divides by that constant so that the variance
after truncation is ``scale / n``, and so does layerkit.
"""

import math

from layerkit import backend
from layerkit.initializers.initializer import RandomInitializer, check_number
from layerkit.initializers.random_initializers import truncated_normal

TRUNCATED_STDDEV = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    Rank 1: both the length; rank 2: ``(rows, cols)``; higher ranks: the last two
    axes times the receptive field (the product of the others). With
    ``input_axes`` and ``output_axes``, the products of those axes.

    Parameters
    ----------
    shape : tuple of int
    input_axes, output_axes : list of int, optional
        Axes counted as inputs and outputs (both or neither).

    Returns
    -------
    tuple of int

    Example
    -------
    >>> compute_fans((12288, 20))
    (12288, 20)
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[axis] for axis in input_axes)),
                int(math.prod(shape[axis] for axis in output_axes)))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class VarianceScaling(RandomInitializer):
    """Samples with variance ``scale / n``, n from the weight's fans.

    ``truncated_normal``: stddev ``sqrt(scale / n) / 0.8796...`` before cutting at
    two standard deviations; ``untruncated_normal``: stddev ``sqrt(scale / n)``;
    ``uniform``: ``U(-l, l)`` with ``l = sqrt(3 scale / n)``. ``n`` is at least 1.

    Parameters
    ----------
    scale : float
        Positive scaling factor.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan ``n`` is.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}
        Case-insensitive; ``"normal"`` means ``"truncated_normal"`` (as in Keras).
        ``untruncated_normal`` with ``scale=1, mode="fan_in"`` is the classic
        ``randn(fan_in, fan_out) / sqrt(fan_in)``.
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        Axes whose sizes multiply into ``fan_in`` and ``fan_out`` (both or neither);
        by default Keras's rule (:func:`compute_fans`).

    Raises
    ------
    ValueError
        For a non-positive scale, an unknown mode or distribution, or only one of
        ``input_axes`` and ``output_axes``.

    Example
    -------
    >>> w = VarianceScaling(distribution="untruncated_normal", seed=1)((400, 300))
    >>> round(float(w.std() * 20), 1)
    1.0
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        check_number(type(self).__name__, "scale", scale, minimum=0, exclusive=True)
        if mode not in self._MODES:
            raise ValueError(f"`mode` must be one of {list(self._MODES)}. Received: mode={mode!r}")
        name = distribution.lower() if isinstance(distribution, str) else distribution
        name = "truncated_normal" if name == "normal" else name
        if name not in self._DISTRIBUTIONS:
            raise ValueError(
                f"`distribution` must be one of {list(self._DISTRIBUTIONS)}. "
                f"Received: distribution={distribution!r}"
            )
        if (input_axes is None) != (output_axes is None):
            raise ValueError(
                "Pass both `input_axes` and `output_axes`, or neither. Received: "
                f"input_axes={input_axes}, output_axes={output_axes}"
            )
        self.scale, self.mode, self.distribution = scale, mode, name
        self.input_axes, self.output_axes = input_axes, output_axes

    def variance(self, shape):
        """The variance ``scale / max(1, n)`` the values for ``shape`` have.

        Example
        -------
        >>> VarianceScaling(scale=2.0, mode="fan_avg").variance((100, 300))
        0.01
        """
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype=None):
        variance = self.variance(shape)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            values = truncated_normal(generator, shape, 0.0, math.sqrt(variance) / TRUNCATED_STDDEV)
        elif self.distribution == "untruncated_normal":
            values = generator.normal(0.0, math.sqrt(variance), size=shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = generator.uniform(-limit, limit, size=shape)
        return backend.convert_to_array(values, dtype)

    def _axes_config(self):
        """``input_axes``/``output_axes`` for the config, only when they were given."""
        if self.input_axes is None:
            return {}
        return {"input_axes": list(self.input_axes), "output_axes": list(self.output_axes)}

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, **self._axes_config()}

