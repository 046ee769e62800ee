"""Weight initializers: ``initializer(shape, dtype=None) -> ndarray``, Keras's full set.

Random initializers draw from layerkit's one seeded generator
(``layerkit.utils.set_random_seed``) unless given a ``seed`` of their own, in
which case every call returns the same values (as in Keras). Fan-based ones
follow Keras's ``VarianceScaling``: a kernel of shape (fan_in, fan_out) gets
variance ``scale / n`` with n = fan_in, fan_out or their mean.

The classes live by family: :mod:`.constant` (Constant, Zeros, Ones, Identity),
:mod:`.random_initializers` (RandomNormal, RandomUniform, TruncatedNormal),
:mod:`.variance_scaling` and :mod:`.fan_presets` (Glorot, He, LeCun),
:mod:`.orthogonal`, :mod:`.stft`. Every name Keras accepts works here: the class
name, its snake_case form, and Keras's aliases (``"normal"``, ``"uniform"``,
``"zero"``, ``"one"``, ``"IdentityInitializer"``, ``"OrthogonalInitializer"``,
``"STFTInitializer"``).

Keras's lowercase names are the classes themselves, as in Keras
(``initializers.glorot_uniform is initializers.GlorotUniform``): ``constant``,
``zeros``, ``ones``, ``identity``, ``stft``, ``random_normal``, ``random_uniform``,
``truncated_normal``, ``variance_scaling``, ``glorot_uniform``, ``glorot_normal``,
``he_uniform``, ``he_normal``, ``lecun_uniform``, ``lecun_normal``, ``orthogonal``, and
the older ``IdentityInitializer``, ``OrthogonalInitializer`` and ``STFTInitializer``.
A lowercase name that is also a submodule's (``constant``, ``orthogonal``, ``stft``,
``variance_scaling``) names the class here; the submodule's own names are imported
from it (``from layerkit.initializers.variance_scaling import compute_fans``).
"""

from layerkit import backend, registry
from layerkit.initializers.constant import Constant, Identity, Ones, Zeros
from layerkit.initializers.fan_presets import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
)
from layerkit.initializers.initializer import Initializer, RandomInitializer
from layerkit.initializers.orthogonal import Orthogonal
from layerkit.initializers.random_initializers import RandomNormal, RandomUniform, TruncatedNormal
from layerkit.initializers.stft import STFT
from layerkit.initializers.variance_scaling import VarianceScaling, compute_fans

# Keras's other names of the classes (keras.initializers.glorot_uniform is GlorotUniform)
constant = Constant
zeros = Zeros
ones = Ones
identity = IdentityInitializer = Identity
stft = STFTInitializer = STFT
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = OrthogonalInitializer = Orthogonal

__all__ = ["Initializer", "RandomInitializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal",
           "RandomUniform", "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal",
           "HeNormal", "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "STFT",
           "constant", "zeros", "ones", "identity", "IdentityInitializer", "stft", "STFTInitializer",
           "random_normal", "random_uniform", "truncated_normal", "variance_scaling",
           "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
           "lecun_normal", "orthogonal", "OrthogonalInitializer",
           "compute_fans", "get", "serialize", "deserialize"]

_CLASSES = (Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal, STFT)
_INITIALIZERS = {cls.__name__: cls for cls in _CLASSES}
_INITIALIZERS.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})
_INITIALIZERS.update({"normal": RandomNormal, "uniform": RandomUniform, "zero": Zeros, "one": Ones,
                      "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                      "STFTInitializer": STFT})


def get(identifier):
    """Return an initializer from a name, class, instance, config dict or callable.

    Parameters
    ----------
    identifier : str, dict, type, Initializer or callable
        A name (``"he_normal"``, ``"HeNormal"``, ``"orthogonal"``), a
        :func:`serialize` dict, an Initializer class or instance, or any
        ``callable(shape, dtype=None)``.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything else.

    Example
    -------
    >>> type(get("he_normal")).__name__
    'HeNormal'
    >>> type(get("orthogonal")).__name__
    'Orthogonal'
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

    Parameters
    ----------
    initializer : Initializer

    Returns
    -------
    dict

    Example
    -------
    >>> serialize(Constant(0.5))
    {'class_name': 'Constant', 'config': {'value': 0.5}}
    """
    return registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`.

    Parameters
    ----------
    config : dict or str
    custom_objects : dict, optional
        ``{name: class}`` for custom initializers.

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        For an unknown class name; the message lists the valid names.

    Example
    -------
    >>> deserialize({"class_name": "Identity", "config": {"gain": 2.0}}).gain
    2.0
    """
    return registry.deserialize(config, _INITIALIZERS, "initializer", custom_objects)
