"""Names for objects: built-ins by name, custom classes and functions by registration.

Configs refer to objects by name only (``"relu"``, ``{"class_name": "Dense", ...}``):
nothing is ever imported, pickled or evaluated from a config. A custom layer, loss or
activation becomes loadable by registering it, as in Keras::

    @layerkit.saving.register_keras_serializable(package="my_pkg")
    def swish2(x): ...

or by naming it for one load (``custom_objects=``) or for a block
(:class:`CustomObjectScope`). A name is looked up as Keras looks it up: the open
scopes, then the registered objects (:func:`get_custom_objects`), then the
``custom_objects`` given, then the caller's built-ins.

Safe mode (:class:`SafeModeScope`, :func:`enable_unsafe_deserialization`) is Keras's
switch for files that hold code (a lambda's bytecode): the readers refuse such entries
in safe mode. layerkit never runs code from a file, so they are refused in either mode.

This module imports nothing from layerkit.
"""

import inspect

_REGISTERED = {}       # "package>name" -> object (Keras's GLOBAL_CUSTOM_OBJECTS)
_REGISTERED_NAMES = {}  # object -> "package>name"
_SCOPES = []           # stack of {name: object} from custom_object_scope
_SAFE_MODE = [None]    # None: not set, each reader uses its own ``safe_mode`` argument


def get_custom_objects():
    """The live global dictionary of registered objects, ``{"package>name": object}``.

    Objects named in a :class:`CustomObjectScope` are not in it. Adding an entry
    (``get_custom_objects()["MyLayer"] = MyLayer``) makes the name known everywhere.

    Returns
    -------
    dict

    Example
    -------
    >>> @register_keras_serializable(package="docs_live")
    ... def triple(x):
    ...     return 3 * x
    >>> get_custom_objects()["docs_live>triple"] is triple
    True
    """
    return _REGISTERED


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
    """The name ``obj`` is registered under, else its ``__name__``.

    Example
    -------
    >>> @register_keras_serializable(package="docs_names")
    ... def halve(x):
    ...     return x / 2
    >>> get_registered_name(halve), get_registered_name(len)
    ('docs_names>halve', 'len')
    """
    if obj in _REGISTERED_NAMES:
        return _REGISTERED_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Find the object called ``name``: open scopes, registry, ``custom_objects``, module.

    Parameters
    ----------
    name : str
    custom_objects : dict, optional
        ``{name: object}`` given by the caller (``load_model(..., custom_objects=...)``).
    module_objects : dict, optional
        The built-ins of the module asking.

    Returns
    -------
    object or None
        None when no one knows the name.

    Example
    -------
    >>> get_registered_object("nothing_by_this_name") is None
    True
    >>> get_registered_object("seven", custom_objects={"seven": 7})
    7
    """
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    """Make ``{name: object}`` known to every ``from_config``/``load_model`` in the block.

    ``custom_object_scope`` is the same class (Keras's two spellings). Scopes nest: an
    inner scope's names come first, an outer scope's stay visible.

    Parameters
    ----------
    custom_objects : dict, optional
        ``{name: class or function}``.

    Example
    -------
    >>> with custom_object_scope({"double": lambda x: 2 * x}):
    ...     get_registered_object("double") is not None
    True
    >>> get_registered_object("double") is None
    True
    """

    def __init__(self, custom_objects=None):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _SCOPES.pop()
        return False


custom_object_scope = CustomObjectScope


class SafeModeScope:
    """Set safe mode for the readers in the block (Keras's ``SafeModeScope``).

    Parameters
    ----------
    safe_mode : bool
        True: entries that hold code are refused, and say that safe mode refused them.

    Example
    -------
    >>> with SafeModeScope(False):
    ...     in_safe_mode()
    False
    >>> in_safe_mode() is None
    True
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode
        self.original_value = None

    def __enter__(self):
        self.original_value = _SAFE_MODE[0]
        _SAFE_MODE[0] = self.safe_mode
        return self

    def __exit__(self, *exc_info):
        _SAFE_MODE[0] = self.original_value
        return False


def in_safe_mode():
    """The safe mode set by a :class:`SafeModeScope` or :func:`enable_unsafe_deserialization`.

    Returns
    -------
    bool or None
        None when nothing set it: each reader then follows its ``safe_mode`` argument.
    """
    return _SAFE_MODE[0]


def enable_unsafe_deserialization():
    """Turn safe mode off for every later load, as ``keras.config.enable_unsafe_deserialization``.

    layerkit still never runs code from a file: an entry holding bytecode is refused
    either way, and the message then says so.

    Example
    -------
    >>> with SafeModeScope(in_safe_mode()):  # puts the setting back afterwards
    ...     enable_unsafe_deserialization()
    ...     in_safe_mode()
    False
    """
    _SAFE_MODE[0] = False


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
