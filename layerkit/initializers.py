"""Weight initializers: ``initializer(shape, dtype=None) -> ndarray``.

Random initializers draw from layerkit's one seeded generator
(``layerkit.utils.set_random_seed``) unless given a ``seed`` of their own, in
which case every call returns the same values (as in Keras). Fan-based ones
follow Keras's ``VarianceScaling``: a kernel of shape (fan_in, fan_out) gets
variance ``scale / n`` with n = fan_in, fan_out or their mean.
"""

import math

import numpy as np

from layerkit import backend, registry


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``.

    Example
    -------
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return backend.full(shape, 2.0, dtype)
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from :meth:`get_config`'s output."""
        return cls(**config)


class Constant(Initializer):
    """Every value equal to ``value``.

    Example
    -------
    >>> Constant(0.1)((2,), "float64")
    array([0.1, 0.1])
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return backend.full(shape, self.value, dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """All zeros.

    Example
    -------
    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return backend.zeros(shape, dtype)


class Ones(Initializer):
    """All ones.

    Example
    -------
    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return backend.ones(shape, dtype)


class RandomInitializer(Initializer):
    """Base of the random initializers: holds ``seed`` and the generator it gives."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(
                f"`seed` of {type(self).__name__} must be an integer or None. Received: seed={seed!r}"
            )
        self.seed = seed

    def _generator(self):
        return backend.make_generator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal distribution, ``N(mean, stddev²)``.

    Example
    -------
    >>> RandomNormal(seed=0)((2, 3)).shape
    (2, 3)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = self._generator().normal(self.mean, self.stddev, size=shape)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Example
    -------
    >>> bool(np.all(np.abs(RandomUniform(seed=0)((100,))) <= 0.05))
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        values = self._generator().uniform(self.minval, self.maxval, size=shape)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(generator, shape, mean, stddev):
    """Normal samples, redrawn until each lies within two standard deviations."""
    values = generator.normal(size=shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.normal(size=int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class TruncatedNormal(RandomInitializer):
    """Normal distribution truncated (by redrawing) to ``mean ± 2 stddev``.

    Example
    -------
    >>> bool(np.all(np.abs(TruncatedNormal(seed=0)((100,))) <= 0.1))
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = _truncated_normal(self._generator(), shape, self.mean, self.stddev)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    Example
    -------
    >>> compute_fans((12288, 20))
    (12288, 20)
    """
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class VarianceScaling(RandomInitializer):
    """Samples with variance ``scale / n``, n from the weight's fans.

    Parameters
    ----------
    scale : float
        Positive scaling factor.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan ``n`` is.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}
        ``untruncated_normal`` with ``scale=1, mode="fan_in"`` is the classic
        ``randn(fan_in, fan_out) / sqrt(fan_in)``.
    seed : int, optional

    Raises
    ------
    ValueError
        For a non-positive scale or an unknown mode or distribution.

    Example
    -------
    >>> w = VarianceScaling(distribution="untruncated_normal", seed=1)((400, 300))
    >>> round(float(w.std() * 20), 1)
    1.0
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if not scale > 0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"`mode` must be one of {list(self._MODES)}. Received: mode={mode!r}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"`distribution` must be one of {list(self._DISTRIBUTIONS)}. "
                f"Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(generator, shape, 0.0, math.sqrt(variance) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = generator.normal(0.0, math.sqrt(variance), size=shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = generator.uniform(-limit, limit, size=shape)
        return backend.convert_to_array(values, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _variance_scaling_preset(class_name, scale, mode, distribution, summary):
    """Make a named ``VarianceScaling`` whose only argument is ``seed``."""

    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    doc = (f"{summary}\n\n    ``VarianceScaling(scale={scale}, mode={mode!r}, "
           f"distribution={distribution!r})``.\n\n    Example\n    -------\n"
           f"    >>> {class_name}(seed=0)((3, 2)).shape\n    (3, 2)\n    ")
    return type(class_name, (VarianceScaling,),
                {"__init__": __init__, "get_config": get_config, "__doc__": doc,
                 "__module__": __name__})


GlorotUniform = _variance_scaling_preset(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    "Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _variance_scaling_preset(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    "Glorot (Xavier) normal: truncated normal, stddev sqrt(2 / (fan_in + fan_out)).")
HeNormal = _variance_scaling_preset(
    "HeNormal", 2.0, "fan_in", "truncated_normal",
    "He normal: truncated normal, stddev sqrt(2 / fan_in), for ReLU layers.")
HeUniform = _variance_scaling_preset(
    "HeUniform", 2.0, "fan_in", "uniform",
    "He uniform: U(-l, l) with l = sqrt(6 / fan_in), for ReLU layers.")
LecunNormal = _variance_scaling_preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal",
    "LeCun normal: truncated normal, stddev sqrt(1 / fan_in), for SELU layers.")
LecunUniform = _variance_scaling_preset(
    "LecunUniform", 1.0, "fan_in", "uniform",
    "LeCun uniform: U(-l, l) with l = sqrt(3 / fan_in).")

_CLASSES = (Constant, Zeros, Ones, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
            LecunNormal, LecunUniform)
_INITIALIZERS = {cls.__name__: cls for cls in _CLASSES}
_INITIALIZERS.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})
_INITIALIZERS.update({"normal": RandomNormal, "uniform": RandomUniform, "zero": Zeros,
                      "one": Ones})


def get(identifier):
    """Return an initializer from a name, class, instance, config dict or callable.

    Example
    -------
    >>> type(get("he_normal")).__name__
    'HeNormal'
    """
    if isinstance(identifier, str):
        found = registry.deserialize(identifier, _INITIALIZERS, "initializer")
        return found() if isinstance(found, type) else found
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret initializer identifier: {identifier!r}. Expected a name such "
        "as 'glorot_uniform', an Initializer, or a callable(shape, dtype)."
    )


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` for an initializer.

    Example
    -------
    >>> serialize(Constant(0.5))
    {'class_name': 'Constant', 'config': {'value': 0.5}}
    """
    return registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`."""
    return registry.deserialize(config, _INITIALIZERS, "initializer", custom_objects)
