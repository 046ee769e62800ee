"""``Functional``: a model whose layers are wired as a graph (Keras's functional API).

    x = Input(shape=(13,))
    h = Dense(10, activation="sigmoid")(x)
    y = Dense(1)(h)
    model = Model(x, y)

The nodes are put in topological order once, when the model is made. Forward
runs them in that order; backward in reverse, and a tensor read by several
layers receives the sum of their gradients. A layer used twice keeps, per use,
what its backward needs, and its weight gradients are the sum over its uses.
"""

from layerkit import layers as layers_module
from layerkit.layers.input import InputLayer
from layerkit.layers.keras_tensor import KerasTensor
from layerkit.models.data import fits_shape
from layerkit.models.graph import collect_nodes, keras_layer_order, topological_order
from layerkit.models.model import Model, register_graph_model


def _flatten(structure, what):
    if isinstance(structure, dict):
        items = list(structure.values())
    elif isinstance(structure, (list, tuple)):
        items = list(structure)
    else:
        items = [structure]
    for item in items:
        if not isinstance(item, KerasTensor):
            raise TypeError(f"Model `{what}` must be KerasTensors (from Input() and layer "
                            f"calls). Received: {item!r}")
    return items


@register_graph_model
class Functional(Model):
    """A graph model; ``layerkit.Model(inputs, outputs)`` makes one.

    Parameters
    ----------
    inputs : KerasTensor, list or dict of them
        From ``Input(shape)``.
    outputs : KerasTensor, list or dict of them
    name : str, optional
    trainable : bool

    Raises
    ------
    ValueError
        If an output needs an input that was not given (the message names the
        layer), or the graph has a cycle.

    Example
    -------
    >>> import numpy as np
    >>> from layerkit import Input, Model, layers
    >>> x = Input(shape=(3,))
    >>> h = layers.Dense(4, activation="tanh")(x)
    >>> y = layers.Dense(1)(layers.Add()([h, layers.Dense(4)(x)]))
    >>> model = Model(x, y)
    >>> model.predict(np.ones((2, 3)), verbose=0).shape
    (2, 1)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True):
        Model.__init__(self, trainable=trainable, name=name)
        self._input_names = list(inputs) if isinstance(inputs, dict) else None
        self._single_output = isinstance(outputs, KerasTensor)
        self._output_keys = list(outputs) if isinstance(outputs, dict) else None
        self.inputs = _flatten(inputs, "inputs")
        self.outputs = _flatten(outputs, "outputs")
        self._nodes = topological_order(collect_nodes(self.inputs, self.outputs))
        self._layers = keras_layer_order(self.inputs, self.outputs)
        uses = {}
        for node in self._nodes:
            uses[id(node.layer)] = uses.get(id(node.layer), 0) + 1
        self._shared = {id(layer) for layer in self._layers if uses[id(layer)] > 1}
        self._consumers = {}
        for node in self._nodes:
            for tensor in node.inbound:
                self._consumers[id(tensor)] = self._consumers.get(id(tensor), 0) + 1
        self.built = True
        self._all_weights = self.weight_slots()  # the graph is fixed: its weights too
        shapes_in = [t.shape for t in self.inputs]
        shapes_out = [t.shape for t in self.outputs]
        self.input_shape = shapes_in[0] if len(shapes_in) == 1 else shapes_in
        self.output_shape = shapes_out[0] if len(shapes_out) == 1 else shapes_out

    # -------------------------------------------------------------- structure
    @property
    def layers(self):
        """Every layer, inputs included, in topological order (as in Keras)."""
        return list(self._layers)

    @property
    def nodes(self):
        """The layer applications in the order forward runs them."""
        return list(self._nodes)

    @property
    def output_names(self):
        if self._output_keys is not None:
            return list(self._output_keys)
        return [t.node.layer.name for t in self.outputs]

    @property
    def input_names(self):
        return self._input_names or [t.node.layer.name for t in self.inputs]

    @property
    def output_layers(self):
        return [t.node.layer for t in self.outputs]

    def output_can_fuse(self, index):
        """Whether output ``index``'s gradient may be given at its layer's Z (see Trainer)."""
        tensor = self.outputs[index]
        return (id(tensor.node.layer) not in self._shared and not self._consumers.get(id(tensor))
                and sum(t is tensor for t in self.outputs) == 1)

    @property
    def input_dtype(self):
        return self.inputs[0].node.layer.dtype

    @property
    def input_dtypes(self):
        return [tensor.node.layer.dtype for tensor in self.inputs]

    def build(self, input_shape=None):
        self.built = True

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def check_input(self, xs, caller):
        """The output shapes for inputs ``xs`` (a list), or a ValueError naming the input."""
        if len(xs) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} has {len(self.inputs)} inputs "
                             f"{self.input_names}; {caller}() received {len(xs)} arrays.")
        for name, tensor, x in zip(self.input_names, self.inputs, xs):
            expected = tensor.shape
            if not fits_shape(expected, x.shape):
                raise ValueError(f"Input {name!r} of model {self.name!r} is incompatible: "
                                 f"expected shape {expected}, but {caller}() received input "
                                 f"with shape {x.shape}.")
        return [t.shape for t in self.outputs]

    # -------------------------------------------------------------- passes
    def forward_all(self, xs, training=False):
        """Run every node in topological order; return one array per output.

        A layer used by several nodes leaves its cache per use (``get_cache``), for
        its backward to run once per use.
        """
        values = {id(t): x for t, x in zip(self.inputs, xs)}
        self._caches, self._activity = {}, {}
        for node in self._nodes:
            if node.is_input:
                continue
            args = [values[id(t)] for t in node.inbound]
            layer = node.layer
            values[id(node.output)] = layer.forward(args if node.takes_list else args[0],
                                                    training=training)
            if id(layer) in self._shared:
                self._caches[id(node)] = layer.get_cache()
            if layer.activity_regularizer is not None:
                self._record_activity(id(node), layer, values[id(node.output)])
        return [values[id(t)] for t in self.outputs]

    def backward_all(self, grads, at_z, input_gradients=True):
        """Reverse topological order: sum gradients at fan-out, accumulate shared layers'.

        With ``input_gradients=False``, layers fed only by the model's inputs skip
        their dX.
        """
        grad_of = {}
        for tensor, grad, fused in zip(self.outputs, grads, at_z):
            if grad is not None:
                _add_to(grad_of, (id(tensor), fused), grad)
        totals = {}
        for node in reversed(self._nodes):
            if node.is_input:
                continue
            layer = node.layer
            fused, grad = True, grad_of.pop((id(node.output), True), None)
            if grad is None:
                fused, grad = False, grad_of.pop((id(node.output), False), None)
            if grad is None:
                continue  # this node does not reach the loss
            if id(node) in self._activity:
                grad = self._activity_gradient(id(node), grad)
            wanted = input_gradients or not all(t.node.is_input for t in node.inbound)
            shared = id(layer) in self._shared
            if shared:
                layer.set_cache(self._caches[id(node)])
            grad_in = (layer.backward_from_z(grad, wanted) if fused
                       else layer.backward(grad, input_gradient=wanted))
            if shared:
                for member in layer.flatten_layers():
                    for name, g in member.grads.items():
                        _add_to(totals.setdefault(id(member), (member, {}))[1], name, g)
            grad_in = grad_in if node.takes_list else [grad_in]
            for tensor, g in zip(node.inbound, grad_in):
                if g is not None:
                    _add_to(grad_of, (id(tensor), False), g)
        for member, summed in totals.values():
            member.grads = summed
        for layer, name in self._all_weights:  # layers that do not reach the loss
            if name not in layer.grads:
                layer.grads[name] = 0 * getattr(layer, name)
        return [grad_of.get((id(t), False)) for t in self.inputs]

    # -------------------------------------------------------------- config
    def get_config(self):
        def ref(tensor):
            return [tensor.node.layer.name, tensor.node.node_index]

        calls = sorted((n for n in self._nodes if not n.is_input), key=lambda n: n.index)
        # The layers in the order their first node was made, so that a rebuilt model makes
        # its nodes in the same order, and so runs them in the same (Kahn's) order.
        first_node = {}
        for node in self._nodes:
            first_node[id(node.layer)] = min(first_node.get(id(node.layer), node.index), node.index)
        made_in_order = sorted(self._layers, key=lambda layer: first_node[id(layer)])
        return {"name": self.name, "trainable": self.trainable,
                "layers": [layers_module.serialize(layer) for layer in made_in_order],
                "nodes": [[node.layer.name, [ref(t) for t in node.inbound], node.takes_list]
                          for node in calls],
                "input_layers": [ref(t) for t in self.inputs],
                "output_layers": [ref(t) for t in self.outputs],
                "input_names": self._input_names, "output_keys": self._output_keys,
                "single_output": self._single_output}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the graph by replaying its layer calls in their original order.

        Replaying in creation order gives every node the same place in Kahn's
        order as before, so the layers and weights come back in the same order.
        """
        made, outputs_of, calls = {}, {}, {}
        for entry in config["layers"]:
            layer = layers_module.deserialize(entry, custom_objects)
            made[layer.name] = layer
            if isinstance(layer, InputLayer):
                outputs_of[(layer.name, 0)] = layer.output
        for name, refs, takes_list in config["nodes"]:
            if name not in made or any(tuple(ref) not in outputs_of for ref in refs):
                raise ValueError(f"The model config calls layer {name!r} on tensors that do not "
                                 "exist (yet): the config is corrupt.")
            tensors = [outputs_of[tuple(ref)] for ref in refs]
            index = calls.get(name, 0)
            calls[name] = index + 1
            outputs_of[(name, index)] = made[name](tensors if takes_list else tensors[0])

        def structure(refs, keys):
            tensors = [outputs_of[tuple(ref)] for ref in refs]
            return dict(zip(keys, tensors)) if keys else tensors

        inputs = structure(config["input_layers"], config.get("input_names"))
        outputs = structure(config["output_layers"], config.get("output_keys"))
        if config.get("single_output"):
            outputs = outputs[0]
        if not config.get("input_names") and len(inputs) == 1:
            inputs = inputs[0]
        return cls(inputs, outputs, name=config.get("name"),
                   trainable=config.get("trainable", True))


def _add_to(sums, key, value):
    """``sums[key] += value``, the first value kept as it is (no copy)."""
    sums[key] = value if key not in sums else sums[key] + value


layers_module.register_layer_class(Functional)
