"""The order in which Keras walks a model's layers, and a model seen in that order.

Keras numbers a model's weight groups per class in the order of ``model.layers``, and
orders the optimizer's slots by ``model.trainable_variables``, which follow the same
order. For a Sequential model that is the order of its layers. For a graph model Keras
sorts the layers by depth from the outputs, deepest first, ties broken by the order in
which a depth-first walk from the outputs first meets them
(``keras/src/ops/function.py``, ``map_graph``). layerkit runs a graph in Kahn's order,
which can differ: with ``x -> d3`` made before ``x -> d1 -> d2``, Keras has d1, d2, d3
where layerkit has d3, d1, d2. Files in Keras's layout are therefore written and read
through :class:`KerasView`, which shows the weights-file code the model in Keras's order.
"""


def is_graph(model):
    """Whether ``model`` is a graph (functional) model: its config wires inputs to outputs.

    Example
    -------
    >>> from layerkit import Input, Model, Sequential, layers
    >>> x = Input((2,))
    >>> is_graph(Model(x, layers.Dense(1)(x))), is_graph(Sequential([layers.Dense(1)]))
    (True, False)
    """
    return bool(model.sublayers()) and "input_layers" in model.get_config()


def _post_order(model):
    """Keras's ``_build_map``: nodes after their inputs, and each layer's first-visit index."""
    finished, order, first_seen, stack = set(), [], {}, []

    def enter(node):
        first_seen.setdefault(id(node.layer), len(first_seen))
        stack.append((node, iter(node.inbound)))

    for output in model.outputs:
        if id(output.node) in finished:
            continue
        enter(output.node)
        while stack:
            node, inputs = stack[-1]
            tensor = next(inputs, None)
            if tensor is None:
                stack.pop()
                if id(node) not in finished:
                    finished.add(id(node))
                    order.append(node)
            elif id(tensor.node) not in finished:
                enter(tensor.node)
    return order, first_seen


def keras_layer_order(model):
    """``model.layers`` in the order Keras walks them (see the module's docstring).

    Example
    -------
    >>> from layerkit import Input, Model, layers
    >>> x = Input((3,), name="x")
    >>> d3, d1, d2 = (layers.Dense(2, name=n) for n in ("d3", "d1", "d2"))
    >>> b = d3(x)
    >>> model = Model(x, layers.Add(name="add")([d2(d1(x)), b]))
    >>> [layer.name for layer in model.layers]
    ['x', 'd3', 'd1', 'd2', 'add']
    >>> [layer.name for layer in keras_layer_order(model)]
    ['x', 'd1', 'd2', 'd3', 'add']
    """
    if not is_graph(model):
        return model.layers
    order, first_seen = _post_order(model)
    in_graph = {id(node) for node in order}
    node_depth, layer_depth, by_id = {}, {}, {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        by_id[id(node.layer)] = node.layer
        for tensor in node.inbound:
            parent = id(tensor.node)
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for tensor in model.inputs:  # inputs no output needs: Keras keeps them, last at depth 0
        if id(tensor.node.layer) not in layer_depth:
            layer_depth[id(tensor.node.layer)], first_seen[id(tensor.node.layer)] = 0, -1
            by_id[id(tensor.node.layer)] = tensor.node.layer
    ranked = sorted(layer_depth, key=lambda key: (-layer_depth[key], first_seen[key]))
    return [by_id[key] for key in ranked]


class KerasView:
    """A model as Keras walks it: what the weights-file reader and writer ask of a model.

    ``layers`` and ``trainable_weights`` are in Keras's order (see
    :func:`keras_layer_order`); everything else is the model's own. A graph model nested
    inside must already be in Keras's order (the weights file numbers its layers too).

    Parameters
    ----------
    model : Model

    Raises
    ------
    ValueError
        For a nested graph model whose layers Keras would order differently.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((3,)), layers.Dense(2, name="a")])
    >>> view = KerasView(model)
    >>> [layer.name for layer in view.layers], len(view.trainable_weights)
    (['a'], 2)
    """

    def __init__(self, model):
        self.model = model
        self.name = model.name
        self.layers = keras_layer_order(model)
        for layer in model.flatten_layers(include_self=False):
            if layer.sublayers() and is_graph(layer) and keras_layer_order(layer) != layer.layers:
                raise ValueError(f"The graph model {layer.name!r} nested in model {model.name!r} "
                                 "orders its layers differently from Keras: it cannot be written "
                                 "or read in Keras's layout. Use it at the top level instead.")

    @property
    def optimizer(self):
        """The model's optimizer (None if it is not compiled)."""
        return getattr(self.model, "optimizer", None)

    @property
    def trainable_weights(self):
        """The weights the optimizer updates, in Keras's order."""
        if not self.model.trainable:
            return []
        seen, weights = set(), []
        for layer in self.layers:
            for weight in layer.trainable_weights:
                if id(weight) not in seen:
                    seen.add(id(weight))
                    weights.append(weight)
        return weights

    def weight_slots(self):
        """The model's ``(layer, weight name)`` pairs (in its own order)."""
        return self.model.weight_slots()

    def set_weights(self, weights):
        """Set the model's weights (in the order of :meth:`weight_slots`)."""
        self.model.set_weights(weights)
