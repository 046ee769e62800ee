"""Names for objects: built-ins by name, custom classes and functions by registration.

Configs refer to objects by name only (``"relu"``, ``{"class_name": "Dense", ...}``):
nothing is ever imported, pickled or evaluated from a config. A custom layer, loss or
activation becomes loadable by registering it, as in Keras::

    @layerkit.saving.register_keras_serializable(package="my_pkg")
    def swish2(x): ...

This module imports nothing from layerkit.
"""

import contextlib
import inspect

_REGISTERED = {}       # "package>name" -> object
_REGISTERED_NAMES = {}  # object -> "package>name"
_SCOPES = []           # stack of {name: object} from custom_object_scope


def register_keras_serializable(package="Custom", name=None):
    """Decorator that registers a class or function under ``"package>name"``.

    Parameters
    ----------
    package : str
        Namespace of the object, ``"Custom"`` by default.
    name : str, optional
        Name to register; the object's ``__name__`` by default.

    Returns
    -------
    callable
        The decorator, which returns the object unchanged.

    Raises
    ------
    ValueError
        If ``package`` contains ``">"``, or a class without ``get_config`` is registered.

    Example
    -------
    >>> @register_keras_serializable(package="demo")
    ... def double(x):
    ...     return 2 * x
    >>> get_registered_name(double)
    'demo>double'
    """
    if ">" in str(package):
        raise ValueError(f"`package` may not contain '>'. Received: package={package!r}")

    def decorator(obj):
        registered_name = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a class needs a `get_config()` method."
            )
        _REGISTERED[registered_name] = obj
        _REGISTERED_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is registered under, else its ``__name__``."""
    if obj in _REGISTERED_NAMES:
        return _REGISTERED_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Find the object called ``name``: scopes, then ``custom_objects``, registry, module.

    Returns
    -------
    object or None
        None when no one knows the name.
    """
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Make ``{name: object}`` known to every ``from_config``/``load_model`` in the block.

    Example
    -------
    >>> with custom_object_scope({"double": lambda x: 2 * x}):
    ...     get_registered_object("double") is not None
    True
    """
    _SCOPES.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _SCOPES.pop()


def serialize(obj):
    """Config of ``obj``: a function's registered name, or ``{"class_name", "config"}``."""
    if obj is None:
        return None
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return get_registered_name(obj)
    return {"class_name": get_registered_name(type(obj)), "config": obj.get_config()}


def deserialize(config, module_objects, kind, custom_objects=None):
    """Rebuild an object from :func:`serialize`'s output.

    Parameters
    ----------
    config : str or dict
        A name, or ``{"class_name": ..., "config": {...}}``.
    module_objects : dict
        The built-in ``{name: object}`` of the module asking (losses, activations...).
    kind : str
        What is being rebuilt, for the error message (``"activation"``...).

    Raises
    ------
    ValueError
        If the name is neither built in nor registered; the message lists the valid names.
    """
    name = config["class_name"] if isinstance(config, dict) else config
    obj = get_registered_object(name, custom_objects, module_objects)
    if obj is None:
        valid = sorted(k for k in module_objects if not k.startswith("_"))
        raise ValueError(
            f"Unknown {kind}: {name!r}. Valid names are {valid}; a custom {kind} must be "
            "registered with `layerkit.saving.register_keras_serializable()` or passed in "
            "`custom_objects`."
        )
    if isinstance(config, dict):
        return obj.from_config(config.get("config", {}))
    return obj
