"""Functions in a callback's config: by registered name when registered, else the function itself.

A config refers to a registered function by its name (``"my_pkg>halve"``), so it
survives JSON; nothing is ever evaluated from a config. An unregistered function
(a lambda, say) stays in the config as the function object: the round trip
``from_config(get_config())`` still gives an equal callback, but the config is not
JSON-able until the function is registered with
``layerkit.saving.register_keras_serializable``.
"""

from layerkit import registry


def function_to_config(function):
    """``function``'s registered name, or ``function`` itself when it is not registered.

    Example
    -------
    >>> @registry.register_keras_serializable(package="docs")
    ... def halve(epoch, lr):
    ...     return lr / 2
    >>> function_to_config(halve), function_to_config(None)
    ('docs>halve', None)
    """
    if function is None:
        return None
    name = registry.get_registered_name(function)
    return name if registry.get_registered_object(name) is function else function


def function_from_config(value, owner, argument):
    """Inverse of :func:`function_to_config`: a name is looked up, a callable kept.

    Raises
    ------
    ValueError
        For a name that is neither registered nor in a ``custom_object_scope``.
    TypeError
        For a value that is neither a name, a callable nor None.
    """
    if value is None or callable(value):
        return value
    if not isinstance(value, str):
        raise TypeError(f"`{argument}` of {owner} must be a function. Received: {argument}={value!r}")
    function = registry.get_registered_object(value)
    if function is None:
        raise ValueError(f"Unknown function {value!r} for `{argument}` of {owner}: register it with "
                         "`layerkit.saving.register_keras_serializable()` or pass it in a "
                         "`custom_object_scope`.")
    return function
