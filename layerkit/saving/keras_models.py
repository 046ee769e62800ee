"""Sequential and graph models in Keras 3's config form, and back.

A Sequential model is its list of layer entries (the ``InputLayer`` first) and its
``build_input_shape``. A graph model is Keras's functional config: each layer entry
carries its ``inbound_nodes`` (the calls, their arguments as ``__keras_tensor__``
references ``[layer name, node index, tensor index]``), and ``input_layers`` /
``output_layers`` are such references, as one, a list or a dict. Reading replays the
calls in the order Keras's ``functional_from_config`` makes them (layer by layer in the
config's order, a call as soon as its inputs exist), which layerkit's
``Functional.from_config`` then repeats. Keras orders a graph's layers itself (by depth)
whatever the config's order, so layerkit writes them in the order they were first called:
replaying that rebuilds the graph with the same layer (and weight) order as before. A
nested graph model's first node in Keras is the one linking its own inputs to outputs,
so its calls are numbered from 1 there.
"""

from layerkit import layers
from layerkit.saving.keras_compile import compile_to_keras
from layerkit.saving.keras_layers import layer_from_keras, layer_to_keras, shape_list
from layerkit.saving.keras_objects import dtype_policy
from layerkit.saving.keras_order import is_graph


def entry_to_keras(layer):
    """Any layer or model as its Keras entry (``module``, ``class_name``, ``config``...).

    A model's entry carries its ``compile_config`` (``{}`` when not compiled), as Keras's.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> entry = entry_to_keras(Sequential([layers.Input((2,)), layers.Dense(1)], name="s"))
    >>> entry["class_name"], [e["class_name"] for e in entry["config"]["layers"]]
    ('Sequential', ['InputLayer', 'Dense'])
    """
    serialized = layers.serialize(layer)
    if not (layer.sublayers() or "layers" in serialized["config"]):
        return layer_to_keras(serialized, type(layer), layer.input_shape if layer.built else None)
    if layer.sublayers() and is_graph(layer):
        entry = _functional_to_keras(layer, serialized)
    else:
        entry = _sequential_to_keras(layer, serialized)
    return {**entry, "compile_config": compile_to_keras(layer) or {}}


def _head(layer, serialized, module, registered):
    if type(layer).__module__.split(".")[0] == "layerkit":
        return {"module": module, "class_name": serialized["class_name"]}, registered
    return {"module": type(layer).__module__, "class_name": type(layer).__name__}, \
        serialized["class_name"]


def _sequential_to_keras(model, serialized):
    config = serialized["config"]
    entries, inner = [], {"name": config["name"], "trainable": config["trainable"],
                          "dtype": dtype_policy(config["dtype"])}
    listed = config["layers"]
    if len(listed) > len(model.layers):  # the InputLayer leads
        entries.append(layer_to_keras(listed[0]))
        inner["build_input_shape"] = listed[0]["config"]["batch_shape"]
    entries += [entry_to_keras(layer) for layer in model.layers]
    head, registered = _head(model, serialized, "keras", None)
    result = {**head, "config": {**inner, "layers": entries}, "registered_name": registered}
    if model.built:
        result["build_config"] = {"input_shape": shape_list(model.input_shape)}
    return result


def _functional_to_keras(model, serialized):
    config = serialized["config"]
    own = {}
    for node in sorted(model.nodes, key=lambda n: n.index):
        own.setdefault(id(node.layer), []).append(node)
    position = {}
    for nodes in own.values():
        offset = 1 if nodes[0].layer.sublayers() and is_graph(nodes[0].layer) else 0
        position.update({id(node): k + offset for k, node in enumerate(nodes)})

    def ref(tensor):
        return [tensor.node.layer.name, position[id(tensor.node)], 0]

    def keras_tensor(tensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shape_list(tensor.shape), "dtype": tensor.dtype,
                           "keras_history": ref(tensor)}}

    entries = []  # in the order the layers were first called: replaying it gives the same graph
    for layer in sorted(model.layers, key=lambda layer: own[id(layer)][0].index):
        kwargs = {"mask": None} if layer.sublayers() else {}  # Keras records a model's mask
        calls = [{"args": [[keras_tensor(t) for t in node.inbound]] if node.takes_list
                  else [keras_tensor(node.inbound[0])], "kwargs": dict(kwargs)}
                 for node in own[id(layer)] if not node.is_input]
        entries.append({**entry_to_keras(layer), "name": layer.name, "inbound_nodes": calls})
    inputs, outputs = [ref(t) for t in model.inputs], [ref(t) for t in model.outputs]
    if config.get("input_names"):
        inputs = dict(zip(config["input_names"], inputs))
    elif len(inputs) == 1:
        inputs = inputs[0]
    if config.get("output_keys"):
        outputs = dict(zip(config["output_keys"], outputs))
    elif config.get("single_output"):
        outputs = outputs[0]
    head, registered = _head(model, serialized, "keras.src.models.functional", "Functional")
    inner = {"name": config["name"], "trainable": config["trainable"], "layers": entries,
             "input_layers": inputs, "output_layers": outputs}
    return {**head, "config": inner, "registered_name": registered,
            "build_config": {"input_shape": None}}


# ------------------------------------------------------------------ Keras -> layerkit
def entry_from_keras(entry, reader, where):
    """A Keras layer or model entry as layerkit's ``{"class_name", "config"}``, checked.

    Raises
    ------
    ValueError
        Naming the part (``where``) for anything malformed, unknown or refused.
    """
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a layer entry (a JSON object), found "
                         f"{type(entry).__name__}.")
    config = entry.get("config")
    if not (isinstance(config, dict) and "layers" in config):
        return layer_from_keras(entry, reader, where)
    if not isinstance(config["layers"], list):
        raise ValueError(f"{where}: `layers` must be a list of layer entries; found "
                         f"{type(config['layers']).__name__}.")
    name = reader.class_name(entry, where)
    if "input_layers" in config:
        return {"class_name": "Functional" if name == "Model" else name,
                "config": _functional_from_keras(config, reader, where)}
    listed = [entry_from_keras(item, reader, f"{where}.layers[{k}]")
              for k, item in enumerate(config["layers"])]
    if not listed or listed[0]["class_name"] != "InputLayer":
        shape = config.get("build_input_shape") or (entry.get("build_config") or {}).get(
            "input_shape")
        if isinstance(shape, list):
            listed.insert(0, {"class_name": "InputLayer", "config": {"batch_shape": shape}})
    return {"class_name": name, "config": {"name": config.get("name"), "layers": listed,
                                           "trainable": config.get("trainable", True)}}


def _reference(value, where):
    """``[layer name, node index, 0]`` as ``(name, index)``."""
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value[1:])):
        raise ValueError(f"{where}: expected a tensor reference [layer name, node index, "
                         f"tensor index]; found {value!r}.")
    if value[2] != 0:
        raise ValueError(f"{where}: tensor index {value[2]} of layer {value[0]!r}: layerkit's "
                         "layers have one output.")
    return value[0], value[1]


def _call(node, where):
    """One entry of ``inbound_nodes`` as ``(references, takes_list)``."""
    if isinstance(node, list):  # Keras 2's form: [[name, node, tensor, kwargs], ...]
        if any(isinstance(item, list) and len(item) == 4 and item[3] for item in node):
            raise ValueError(f"{where}: layerkit calls a layer on its inputs alone; call "
                             "arguments are not supported.")
        refs = [_reference(item[:3] if isinstance(item, list) else item, where) for item in node]
        return refs, len(refs) > 1
    if not isinstance(node, dict) or not isinstance(node.get("args"), list) or len(
            node["args"]) != 1:
        raise ValueError(f"{where}: expected {{'args': [inputs], 'kwargs': {{}}}}; found {node!r}.")
    kwargs = node.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ValueError(f"{where}: `kwargs` must be a JSON object; found {kwargs!r}.")
    training = kwargs.get("training")
    if training is True:
        raise ValueError(f"{where}: the layer was called with training=True in the graph (noise "
                         "kept at inference, as Monte Carlo dropout): not supported, layerkit's "
                         "model passes its own training flag to every layer.")
    if training is not None and training is not False:
        raise ValueError(f"{where}: a call's `training` must be true, false or null; found "
                         f"{training!r}.")
    # Keras records `training=False` for layers with a training argument: the model's own
    # flag overrides it in every fit, evaluate and predict, as in layerkit.
    if any(value is not None for key, value in kwargs.items() if key != "training"):
        raise ValueError(f"{where}: layerkit calls a layer on its inputs alone; the call "
                         f"arguments {kwargs!r} are not supported.")
    argument = node["args"][0]
    takes_list = isinstance(argument, list)
    refs = []
    for tensor in argument if takes_list else [argument]:
        if not (isinstance(tensor, dict) and tensor.get("class_name") == "__keras_tensor__"
                and isinstance(tensor.get("config"), dict)):
            raise ValueError(f"{where}: a layer's input must be a __keras_tensor__ reference; "
                             f"found {tensor!r}.")
        refs.append(_reference(tensor["config"].get("keras_history"), where))
    return refs, takes_list


def _structure(value, where):
    """``input_layers``/``output_layers``: ``(references, dict keys or None, single)``."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [_reference(value, where)], None, True
    if isinstance(value, dict):
        return [_reference(v, f"{where}.{k}") for k, v in value.items()], list(value), False
    if isinstance(value, list) and value:
        return [_reference(v, f"{where}[{k}]") for k, v in enumerate(value)], None, False
    raise ValueError(f"{where}: expected a tensor reference, a list or a dict of them; found "
                     f"{value!r}.")


def _functional_from_keras(config, reader, where):
    made, pending = {}, {}
    for k, entry in enumerate(config["layers"]):
        part = f"{where}.layers[{k}]"
        name = entry.get("name") if isinstance(entry, dict) else None
        converted = entry_from_keras(entry, reader, part)
        if not isinstance(name, str) or name in made or converted["config"].get("name") != name:
            raise ValueError(f"{part}: every layer entry needs a unique `name`, the same as its "
                             f"config's; found {name!r}.")
        calls = entry.get("inbound_nodes", [])
        if not isinstance(calls, list):
            raise ValueError(f"{part}: `inbound_nodes` must be a list.")
        made[name] = converted
        pending[name] = [_call(call, f"{part}.inbound_nodes[{j}]") for j, call in enumerate(calls)]
    # Keras numbers a nested graph model's calls from 1 (its node 0 links its own inputs).
    offset = {name: int("input_layers" in entry["config"]) for name, entry in made.items()}
    made_nodes = {name: int(entry["class_name"] == "InputLayer") + offset[name]
                  for name, entry in made.items()}
    for name, calls in pending.items():
        for refs, _ in calls:
            for ref, index in refs:
                if ref not in made or index < offset[ref]:
                    raise ValueError(f"{where}: layer {name!r} is called on [{ref!r}, {index}], "
                                     "a tensor that is not in the model.")
    nodes = []
    while any(pending.values()):  # Keras's order: layer by layer, each call once it can run
        progressed = False
        for name in made:
            while pending[name] and all(made_nodes[r] > i for r, i in pending[name][0][0]):
                refs, takes_list = pending[name].pop(0)
                nodes.append([name, [[r, i - offset[r]] for r, i in refs], takes_list])
                made_nodes[name] += 1
                progressed = True
        if not progressed:
            stuck = sorted(name for name, calls in pending.items() if calls)
            raise ValueError(f"{where}: invalid functional config: the graph has loops or calls "
                             f"on tensors that never exist (layers {stuck}).")
    inputs, input_names, _ = _structure(config.get("input_layers"), f"{where}.input_layers")
    outputs, output_keys, single = _structure(config.get("output_layers"),
                                              f"{where}.output_layers")
    for ref, index in inputs + outputs:
        if ref not in made or not offset[ref] <= index < made_nodes[ref]:
            raise ValueError(f"{where}: the model's inputs or outputs name [{ref!r}, {index}], "
                             "a tensor that does not exist.")
    return {"name": config.get("name"), "trainable": config.get("trainable", True),
            "layers": list(made.values()), "nodes": nodes,
            "input_layers": [[r, i - offset[r]] for r, i in inputs],
            "output_layers": [[r, i - offset[r]] for r, i in outputs],
            "input_names": input_names, "output_keys": output_keys, "single_output": single}
