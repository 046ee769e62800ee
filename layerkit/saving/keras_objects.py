"""One object in Keras 3's serialized form and back: ``{"module", "class_name", "config", ...}``.

layerkit serializes an object as ``{"class_name", "config"}`` (a registered custom
class as ``"package>Name"``) and a function by its name; Keras 3 adds the public module
the class comes from and the name it is registered under::

    {"module": "keras.initializers", "class_name": "GlorotUniform",
     "config": {"seed": null}, "registered_name": null}

A built-in function (an activation, a loss given as a function) is Keras's
``{"module": "builtins", "class_name": "function", "config": "relu", ...}``, and a
layer's dtype is a ``DTypePolicy``. Inside a config, what a value is follows from its
key, as in Keras's ``get_config``: ``*_initializer``, ``*_regularizer``,
``*_constraint``, ``activation``, ``learning_rate`` (a schedule), ``fn`` (a function).

Reading (:class:`KerasReader`) checks each entry that names code: a class from a module
other than Keras's or layerkit's must be registered (or given in ``custom_objects``),
else it is refused, in safe mode with Keras's reason; a lambda's bytecode is refused
always, since layerkit never runs code from a file.
"""

from layerkit import activations, registry

KERAS_MODULES = {"layer": "keras.layers", "initializer": "keras.initializers",
                 "regularizer": "keras.regularizers", "constraint": "keras.constraints",
                 "optimizer": "keras.optimizers", "schedule": "keras.optimizers.schedules",
                 "loss": "keras.losses", "metric": "keras.metrics", "object": "keras"}
_SUFFIX_KINDS = (("_initializer", "initializer"), ("_regularizer", "regularizer"),
                 ("_constraint", "constraint"), ("activation", "activation"))
_FLOAT_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
# What a constructor may raise for a bad config: each becomes a ValueError naming the part.
CONFIG_ERRORS = (TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError,
                 NotImplementedError, ValueError)


def explain(error):
    """An error's message, led by its type unless it is a ValueError."""
    return str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"


def kind_of_key(key):
    """What the value of config key ``key`` is (``"initializer"``...), or None for a plain value.

    Example
    -------
    >>> kind_of_key("kernel_initializer"), kind_of_key("activation"), kind_of_key("units")
    ('initializer', 'activation', None)
    """
    for suffix, kind in _SUFFIX_KINDS:
        if key.endswith(suffix):
            return kind
    return {"learning_rate": "schedule", "fn": "function"}.get(key)


def _is_builtin_module(module):
    return isinstance(module, str) and module.split(".")[0] in ("keras", "layerkit")


# ------------------------------------------------------------------ layerkit -> Keras
def function_to_keras(name):
    """A function saved by name, as Keras saves a function object.

    Example
    -------
    >>> function_to_keras("relu")["class_name"]
    'function'
    """
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def dtype_policy(dtype):
    """A layer's dtype as Keras's ``DTypePolicy`` config.

    Example
    -------
    >>> dtype_policy("float64")["config"]
    {'name': 'float64'}
    """
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype},
            "registered_name": None}


def config_to_keras(config):
    """A layerkit object's inner config, its nested objects in Keras's form."""
    return {key: value_to_keras(value, kind_of_key(key)) for key, value in config.items()}


def value_to_keras(value, kind):
    """One config value of ``kind`` (see :func:`kind_of_key`) in Keras's form."""
    if kind is None or value is None or isinstance(value, (bool, int, float)):
        return value
    if kind == "activation":
        return _activation_to_keras(value)
    if kind == "function":
        return function_to_keras(value) if isinstance(value, str) else value
    if isinstance(value, str):
        return value  # a name Keras resolves the same way ("glorot_uniform", "l2")
    return object_to_keras(value, kind)


def object_to_keras(serialized, kind):
    """layerkit's ``{"class_name", "config"}`` as Keras's ``{"module", "class_name", "config",
    "registered_name"}``."""
    name = serialized["class_name"]
    found = registry.get_registered_object(name) if ">" in name else None
    if found is not None:  # a registered custom class: Keras finds it by its registered name
        module = getattr(found, "__module__", None)
        head = {"module": None if module == "__main__" else module,
                "class_name": getattr(found, "__name__", name.split(">")[-1])}
        tail = {"registered_name": name}
    else:
        head, tail = {"module": KERAS_MODULES[kind], "class_name": name}, {"registered_name": None}
    return {**head, "config": config_to_keras(serialized.get("config") or {}), **tail}


def _activation_to_keras(value):
    if isinstance(value, dict):  # layerkit's activation with keyword arguments: no Keras form
        return {"module": "layerkit.activations", "class_name": value["class_name"],
                "config": dict(value.get("config") or {}), "registered_name": None}
    if value in activations.names():
        return value
    return function_to_keras(value)


# ------------------------------------------------------------------ Keras -> layerkit
class KerasReader:
    """Turns Keras-form entries into layerkit's, refusing what names code it may not run.

    Parameters
    ----------
    custom_objects : dict, optional
        ``{name: class or function}`` the caller allows.
    safe_mode : bool
        Keras's switch; a :class:`~layerkit.registry.SafeModeScope` or
        ``enable_unsafe_deserialization()`` overrides it, as in Keras.

    Example
    -------
    >>> reader = KerasReader()
    >>> reader.object({"module": "keras.initializers", "class_name": "Constant",
    ...                "config": {"value": 2.0}, "registered_name": None}, "init")
    {'class_name': 'Constant', 'config': {'value': 2.0}}
    """

    def __init__(self, custom_objects=None, safe_mode=True):
        scoped = registry.in_safe_mode()
        self.custom_objects = dict(custom_objects or {})
        self.safe_mode = bool(safe_mode if scoped is None else scoped)

    def config(self, config, where):
        """An object's inner config, nested objects read by their keys."""
        if not isinstance(config, dict):
            raise ValueError(f"{where}: expected a JSON object as config, found "
                             f"{type(config).__name__}.")
        return {key: self.value(value, f"{where}.{key}") for key, value in config.items()}

    def value(self, value, where):
        """One config value: objects (at any depth) converted and checked, plain values kept."""
        if isinstance(value, list):
            return [self.value(item, f"{where}[{k}]") for k, item in enumerate(value)]
        if isinstance(value, dict) and "class_name" in value:
            if value.get("class_name") == "function":
                return self.function(value, where)
            return self.object(value, where)
        if isinstance(value, dict):
            return {key: self.value(item, f"{where}.{key}") for key, item in value.items()}
        return value

    def object(self, entry, where):
        """A Keras object entry as ``{"class_name", "config"}`` (nothing is built yet)."""
        name = self.class_name(entry, where)
        return {"class_name": name, "config": self.config(entry.get("config") or {}, where)}

    def function(self, entry, where):
        """A ``{"class_name": "function", ...}`` entry: the function's name, to be looked up."""
        name = entry.get("config")
        if not isinstance(name, str):
            raise ValueError(f"{where}: a function entry must name the function; found {name!r}.")
        module = entry.get("module")
        if module != "builtins" and not _is_builtin_module(module) and not self.known(name):
            self._refuse(f"function {name!r} of module {module!r}", where)
        return name

    def class_name(self, entry, where):
        """The name layerkit looks the class of ``entry`` up by, after the safety checks."""
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected an object entry, found {type(entry).__name__}.")
        name, module = entry.get("class_name"), entry.get("module")
        if name == "__lambda__" or (name == "Lambda" and _holds_bytecode(entry.get("config"))):
            self._refuse_bytecode(where)
        if not isinstance(name, str) or not name or name.startswith("__"):
            raise ValueError(f"{where}: {name!r} is not a class layerkit can rebuild.")
        if module is not None and not isinstance(module, str):
            raise ValueError(f"{where}: `module` must be a string or null; found {module!r}.")
        registered = entry.get("registered_name")
        if isinstance(registered, str) and registered not in (name, "function") and self.known(
                registered):
            return registered
        if _is_builtin_module(module) or self.known(name):
            return name
        self._refuse(f"class {name!r} of module {module!r}", where)

    def known(self, name):
        """Whether ``name`` is registered, in an open scope, or in ``custom_objects``."""
        return registry.get_registered_object(name, self.custom_objects) is not None

    def _refuse(self, what, where):
        if self.safe_mode:
            raise ValueError(
                f"{where}: the {what} is neither a layerkit or Keras built-in nor a registered "
                "object: refused in safe mode. Register it with "
                "`layerkit.saving.register_keras_serializable()` or pass it in `custom_objects`.")
        raise ValueError(
            f"{where}: unknown {what}: register it with "
            "`layerkit.saving.register_keras_serializable()` or pass it in `custom_objects`. "
            "layerkit never imports a module named in a file, even with safe_mode=False.")

    def _refuse_bytecode(self, where):
        if self.safe_mode:
            raise ValueError(
                f"{where}: requested the deserialization of a Python lambda (bytecode in the "
                "file). This carries a potential risk of arbitrary code execution and thus it "
                "is disallowed in safe mode. layerkit refuses it with safe_mode=False too: "
                "replace the lambda by a registered function.")
        raise ValueError(
            f"{where}: holds Python bytecode (a lambda). layerkit never runs code from a file, "
            "even with safe_mode=False: replace the lambda by a registered function "
            "(`layerkit.saving.register_keras_serializable()`).")

    def dtype(self, value, where):
        """A dtype or ``DTypePolicy`` entry as a dtype name (None stays None)."""
        if value is None or isinstance(value, str):
            return value
        if not isinstance(value, dict) or not _is_builtin_module(value.get("module")) or (
                value.get("class_name") not in _FLOAT_POLICIES):
            found = value.get("class_name") if isinstance(value, dict) else type(value).__name__
            raise ValueError(f"{where}: dtype policy {found!r} is not supported: layerkit "
                             f"reads {list(_FLOAT_POLICIES)} (one float dtype per layer).")
        config = value.get("config")
        name = config.get("name") if isinstance(config, dict) else None
        if not isinstance(name, str):
            raise ValueError(f"{where}: a DTypePolicy needs a dtype name; found {name!r}.")
        return name


def _holds_bytecode(config):
    """Whether a ``Lambda`` layer's config carries bytecode (Keras 3's or Keras 2's form)."""
    if not isinstance(config, dict):
        return False
    function = config.get("function")
    return config.get("function_type") == "lambda" or (
        isinstance(function, dict) and function.get("class_name") == "__lambda__")
