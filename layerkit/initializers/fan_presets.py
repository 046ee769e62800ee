"""The named VarianceScaling presets: Glorot (Xavier), He and LeCun, uniform and normal.

Each fixes ``scale``, ``mode`` and ``distribution`` and keeps only ``seed`` (and
Keras's ``input_axes``/``output_axes``) as arguments, so its config is ``{"seed": ...}``.
"""

from layerkit.initializers.variance_scaling import VarianceScaling


class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: ``U(-l, l)`` with ``l = sqrt(6 / (fan_in + fan_out))``.

    ``VarianceScaling(scale=1.0, mode="fan_avg", distribution="uniform")``.

    Parameters
    ----------
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        See :class:`VarianceScaling`.

    Example
    -------
    >>> GlorotUniform(seed=0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) normal: truncated normal of variance ``2 / (fan_in + fan_out)``.

    ``VarianceScaling(scale=1.0, mode="fan_avg", distribution="truncated_normal")``.

    Parameters
    ----------
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        See :class:`VarianceScaling`.

    Example
    -------
    >>> GlorotNormal(seed=0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class HeNormal(VarianceScaling):
    """He normal: truncated normal of variance ``2 / fan_in``, for ReLU layers.

    ``VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal")``.

    Parameters
    ----------
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        See :class:`VarianceScaling`.

    Example
    -------
    >>> HeNormal(seed=0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class HeUniform(VarianceScaling):
    """He uniform: ``U(-l, l)`` with ``l = sqrt(6 / fan_in)``, for ReLU layers.

    ``VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")``.

    Parameters
    ----------
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        See :class:`VarianceScaling`.

    Example
    -------
    >>> HeUniform(seed=0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class LecunNormal(VarianceScaling):
    """LeCun normal: truncated normal of variance ``1 / fan_in``, for SELU layers.

    ``VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal")``.

    Parameters
    ----------
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        See :class:`VarianceScaling`.

    Example
    -------
    >>> LecunNormal(seed=0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class LecunUniform(VarianceScaling):
    """LeCun uniform: ``U(-l, l)`` with ``l = sqrt(3 / fan_in)``.

    ``VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform")``.

    Parameters
    ----------
    seed : int, optional
        Fixes the values (the same on every call).
    input_axes, output_axes : list of int, optional
        See :class:`VarianceScaling`.

    Example
    -------
    >>> LecunUniform(seed=0)((3, 2)).shape
    (3, 2)
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "uniform", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}
