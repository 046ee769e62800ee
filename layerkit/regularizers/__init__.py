"""Weight regularizers: a penalty ``regularizer(w) -> float`` and its gradient ``d penalty / dw``.

The penalties are Keras's, to the formula: ``L1`` is ``l1 * Σ|w|``, ``L2`` is
``l2 * Σ w²`` (no 1/2), ``L1L2`` their sum, ``OrthogonalRegularizer`` the mean
absolute cosine between distinct rows (or columns). A layer adds the penalty to
the loss and ``gradient(w)`` to the weight's gradient; both are written out here
(no autograd). Where |w| has no derivative (w = 0) the gradient uses
``sign(0) = 0``, the subgradient TensorFlow and PyTorch return.

``get`` accepts Keras's names: ``"l1"``, ``"l2"``, ``"l1l2"`` and
``"orthogonal_regularizer"`` (the class defaults), the class names, and
``"l1_l2"``, which Keras documents as ``L1L2(l1=0.01, l2=0.01)``.
"""

from layerkit import backend, registry
from layerkit.regularizers.norms import L1, L1L2, L2
from layerkit.regularizers.orthogonal import OrthogonalRegularizer
from layerkit.regularizers.regularizer import Regularizer

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]

_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
_REGULARIZERS = {cls.__name__: cls for cls in _CLASSES}
_REGULARIZERS.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})
_REGULARIZERS["l1_l2"] = L1L2

# Keras's lowercase aliases of the classes (``keras.regularizers.l2(1e-3)``).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier):
    """Return a regularizer from a name, class, instance, config dict, or None.

    A name gives the class with its defaults, except ``"l1_l2"``: ``L1L2(l1=0.01,
    l2=0.01)``, as Keras documents it.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything else, a callable without a ``gradient`` method included.

    Example
    -------
    >>> get("l2").get_config()
    {'l2': 0.01}
    >>> get("l1_l2").get_config()
    {'l1': 0.01, 'l2': 0.01}
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier == "l1_l2":
            return L1L2(l1=0.01, l2=0.01)
        return registry.deserialize(identifier, _REGULARIZERS, "regularizer")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier) and callable(getattr(identifier, "gradient", None)):
        return identifier
    raise TypeError(
        f"Could not interpret regularizer identifier: {identifier!r}. Expected a name such as "
        "'l2', a Regularizer, or None (a custom one needs `__call__(x)` and `gradient(x)`)."
    )


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}`` for a regularizer.

    Example
    -------
    >>> serialize(L2(0.1))
    {'class_name': 'L2', 'config': {'l2': 0.1}}
    """
    return registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to custom classes.

    Raises
    ------
    ValueError
        For an unknown class name; the message lists the valid names.

    Example
    -------
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    """
    return registry.deserialize(config, _REGULARIZERS, "regularizer", custom_objects)
