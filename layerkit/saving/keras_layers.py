"""Layer configs in Keras 3's form and back: one table entry per layer class.

layerkit's layers keep Keras's ``get_config`` keys, so most of a conversion is the
same for every class (the dtype as a ``DTypePolicy``, nested initializers, regularizers,
constraints and activations as Keras objects, a ``build_config`` with the input shape).
What differs per class is in :data:`LAYER_TABLE`: the keys Keras writes that layerkit
leaves out (with the value Keras writes when the feature is off), the Keras features
layerkit reads only at their default (``BatchNormalization(renorm=True)``,
``Embedding(mask_zero=True)``, quantization, LoRA, sparse or ragged inputs...: a file
asking for one is refused with the reason, before any layer is made), the values Keras
standardizes where layerkit keeps None, whether the dtype is a plain string
(``InputLayer``), and whether Keras writes a ``build_config`` (not for the layers it
builds in ``__init__``: Activation, Dropout). A new layer whose config is Keras's needs
no entry to work; give it one to list it, and to write what Keras writes.
"""

from layerkit import layers
from layerkit.saving.keras_objects import (
    CONFIG_ERRORS,
    KERAS_MODULES,
    config_to_keras,
    dtype_policy,
    explain,
)

_NONE_REGULARIZED = {"kernel_regularizer": None, "bias_regularizer": None,
                     "kernel_constraint": None, "bias_constraint": None}
# Why layerkit reads a Keras feature only at its default (the key's value when it is off).
UNSUPPORTED = {
    "sparse": "layerkit has no sparse tensors",
    "ragged": "layerkit has no ragged tensors",
    "optional": "layerkit's models are always given every input",
    "quantization_config": "layerkit has no quantization",
    "lora_rank": "layerkit has no low-rank adaptation (LoRA)",
    "lora_alpha": "layerkit has no low-rank adaptation (LoRA)",
    "mask_zero": "layerkit has no masks, so the layers after it could not skip the padding",
    "synchronized": "layerkit computes on one device (no cross-replica statistics)",
    "renorm": "layerkit has no batch renormalisation",
    "data_format": "layerkit's Flatten keeps the channels last",
}
_LORA = {"quantization_config": None, "lora_rank": None, "lora_alpha": None}


class KerasLayer:
    """How one layer class's config differs from Keras's.

    Parameters
    ----------
    keras_only : dict, optional
        Keys Keras's ``get_config`` writes that layerkit's leaves out, with the value
        Keras writes for layerkit's behaviour (added when writing; layerkit's
        constructor accepts them when reading).
    none_means : dict, optional
        Keys whose None in layerkit's config Keras writes as this value (Keras
        standardizes them in ``__init__``: Flatten's ``data_format``); read back as None.
    policy : bool
        Whether Keras writes the dtype as a ``DTypePolicy`` (False: a plain string).
    build_config : bool
        Whether Keras writes a ``build_config`` (the input shape) for this class.
    only_default : dict, optional
        Keras's keys for features layerkit does not have, with the value that turns the
        feature off (Keras's default): reading refuses any other value, saying why
        (:data:`UNSUPPORTED`).

    Example
    -------
    >>> LAYER_TABLE["Dense"].keras_only["quantization_config"] is None
    True
    """

    def __init__(self, keras_only=None, none_means=None, policy=True, build_config=True,
                 only_default=None):
        self.keras_only = dict(keras_only or {})
        self.none_means = dict(none_means or {})
        self.policy = policy
        self.build_config = build_config
        self.only_default = dict(only_default or {})


LAYER_TABLE = {
    "InputLayer": KerasLayer({"sparse": False, "ragged": False, "optional": False},
                             policy=False, build_config=False,
                             only_default={"sparse": False, "ragged": False, "optional": False}),
    "Dense": KerasLayer({**_NONE_REGULARIZED, "quantization_config": None}, only_default=_LORA),
    "Activation": KerasLayer(build_config=False),
    "Flatten": KerasLayer(none_means={"data_format": "channels_last"},
                          only_default={"data_format": "channels_last"}),
    "Add": KerasLayer(),
    "Subtract": KerasLayer(),
    "Multiply": KerasLayer(),
    "Average": KerasLayer(),
    "Concatenate": KerasLayer(),
    "Dropout": KerasLayer(build_config=False),
    "Embedding": KerasLayer({"embeddings_regularizer": None, "activity_regularizer": None,
                             "embeddings_constraint": None, "quantization_config": None},
                            only_default={**_LORA, "mask_zero": False}),
    # renorm_clipping and renorm_momentum do nothing without renorm, in Keras as here
    "BatchNormalization": KerasLayer({"beta_regularizer": None, "gamma_regularizer": None,
                                      "beta_constraint": None, "gamma_constraint": None,
                                      "synchronized": False, "renorm": False,
                                      "renorm_clipping": None, "renorm_momentum": 0.99},
                                     only_default={"synchronized": False, "renorm": False}),
    "CategoryEncoding": KerasLayer(only_default={"sparse": False}),
    "Discretization": KerasLayer(only_default={"sparse": False}),
}
_DEFAULT = KerasLayer()


def shape_list(shape):
    """A shape (or a list of shapes) as JSON lists, ``None`` for unknown dimensions.

    Example
    -------
    >>> shape_list([(None, 3), (None, 4)])
    [[None, 3], [None, 4]]
    """
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [shape_list(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def layer_to_keras(serialized, cls=None, input_shape=None):
    """A leaf layer's layerkit config (``layers.serialize``) as Keras writes it.

    Parameters
    ----------
    serialized : dict
        ``{"class_name", "config"}``.
    cls : type, optional
        The layer's class: a class outside layerkit is written with its module and
        registered name.
    input_shape : tuple or list of tuples, optional
        The shape the layer was built for (Keras's ``build_config``).

    Returns
    -------
    dict

    Example
    -------
    >>> from layerkit import layers
    >>> entry = layer_to_keras(layers.serialize(layers.Activation("relu", name="act")))
    >>> entry["module"], entry["class_name"], entry["config"]["activation"]
    ('keras.layers', 'Activation', 'relu')
    """
    name = serialized["class_name"]
    builtin = cls is None or cls.__module__.split(".")[0] == "layerkit"
    entry = LAYER_TABLE.get(name, _DEFAULT) if builtin else _DEFAULT
    config = {key: value for key, value in serialized["config"].items() if key != "input_shape"}
    config = config_to_keras(config)
    if entry.policy and isinstance(config.get("dtype"), str):
        config["dtype"] = dtype_policy(config["dtype"])
    for key, value in entry.keras_only.items():
        config.setdefault(key, value)
    for key, value in entry.none_means.items():
        if config.get(key) is None:
            config[key] = value
    if builtin:
        head = {"module": KERAS_MODULES["layer"], "class_name": name}
        registered = None
    else:
        module = cls.__module__
        head = {"module": None if module == "__main__" else module, "class_name": cls.__name__}
        registered = name
    result = {**head, "config": config, "registered_name": registered}
    if entry.build_config and input_shape is not None:
        result["build_config"] = {"input_shape": shape_list(input_shape)}
    return result


def layer_from_keras(entry, reader, where):
    """A Keras leaf-layer entry as layerkit's ``{"class_name", "config"}``, checked.

    ``reader`` checks the entries naming code; a Keras feature layerkit does not have,
    asked for by a non-default value, is refused (:func:`refuse_unsupported`); the layer
    is then made once from the result (unbuilt: nothing is allocated) so that its own
    ``from_config`` validates every argument and an error names this entry.
    ``build_config`` is not needed: the model builds its layers from the input shapes.

    Raises
    ------
    ValueError
        Naming ``where``, for an unknown class, an unsupported feature or an invalid
        argument.
    """
    name = reader.class_name(entry, where)
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{where}: the layer's config must be a JSON object; found "
                         f"{type(config).__name__}.")
    refuse_unsupported(name, config, where)
    converted = reader.config({k: v for k, v in config.items() if k != "dtype"}, where)
    if "dtype" in config:
        converted["dtype"] = reader.dtype(config["dtype"], f"{where}.dtype")
    for key, value in LAYER_TABLE.get(name, _DEFAULT).none_means.items():
        if converted.get(key) == value:
            converted[key] = None
    result = {"class_name": name, "config": converted}
    try:
        layers.deserialize(result, reader.custom_objects)
    except CONFIG_ERRORS as error:
        raise ValueError(f"{where}: invalid {name!r} layer: {explain(error)}") from None
    return result


def refuse_unsupported(name, config, where):
    """Refuse a Keras feature layerkit does not have, asked for in a ``name`` layer's config.

    Keras's default value of such a key (the feature off), or None, is read as it is.

    Raises
    ------
    ValueError
        Naming ``where``, the key, the value found, why it is not supported and the value
        layerkit reads.

    Example
    -------
    >>> refuse_unsupported("Embedding", {"mask_zero": False}, "emb")
    >>> refuse_unsupported("Embedding", {"mask_zero": True}, "emb")
    Traceback (most recent call last):
    ...
    ValueError: emb: Embedding(mask_zero=True) is not supported: layerkit has no masks, so the \
layers after it could not skip the padding. layerkit reads only Keras's default, mask_zero=False.
    """
    for key, default in LAYER_TABLE.get(name, _DEFAULT).only_default.items():
        if config.get(key) is not None and config[key] != default:
            raise ValueError(f"{where}: {name}({key}={config[key]!r}) is not supported: "
                             f"{UNSUPPORTED[key]}. layerkit reads only Keras's default, "
                             f"{key}={default!r}.")
