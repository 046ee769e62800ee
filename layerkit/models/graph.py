"""Ordering a graph of layers: Kahn's topological sort, as in MiniFlow.

A graph model's nodes (one per layer application) are collected backwards
from its outputs, checked against the inputs it was given, and ordered so that
every node comes after the nodes that feed it. Forward runs in that order,
backward in reverse.
"""

from collections import deque


def _describe(node):
    return f"{node.layer.name!r} ({type(node.layer).__name__})"


def collect_nodes(inputs, outputs):
    """Every node that the outputs depend on; a ValueError if it needs an input not given."""
    for tensor in inputs:
        if not tensor.node.is_input:
            raise ValueError(f"Model inputs must come from Input(); {tensor.name!r} is the "
                             f"output of layer {_describe(tensor.node)}.")
    given = {id(t.node) for t in inputs}
    nodes, consumer_of, stack = {}, {}, [(t.node, None) for t in outputs]
    while stack:
        node, consumer = stack.pop()
        if consumer is not None:
            consumer_of.setdefault(id(node), consumer)
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        if node.is_input and id(node) not in given:
            needed_by = consumer_of.get(id(node))
            by = f"layer {_describe(needed_by)}" if needed_by else "an output"
            raise ValueError(
                f"Graph disconnected: {by} needs the input {node.layer.name!r}, which is not "
                f"among the model's inputs {[t.node.layer.name for t in inputs]}. Pass it in "
                "Model(inputs=...).")
        stack.extend((t.node, node) for t in node.inbound)
    return list(nodes.values())


def topological_order(nodes):
    """Kahn's algorithm: repeatedly take a node none of whose inputs is still pending.

    Ties are broken by creation order, so the order is the same on every run.

    Raises
    ------
    ValueError
        If the graph has a cycle (then no order exists).
    """
    pending = {id(node): len(node.inbound) for node in nodes}
    consumers = {id(node): [] for node in nodes}
    for node in sorted(nodes, key=lambda n: n.index):
        for tensor in node.inbound:
            consumers[id(tensor.node)].append(node)
    ready = deque(sorted((n for n in nodes if not n.inbound), key=lambda n: n.index))
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for consumer in consumers[id(node)]:
            pending[id(consumer)] -= 1
            if pending[id(consumer)] == 0:
                ready.append(consumer)
    if len(order) != len(nodes):
        stuck = [_describe(n) for n in nodes if n not in order]
        raise ValueError(f"The graph has a cycle through {stuck}: it cannot be ordered.")
    return order


def _post_order(outputs):
    """Keras's ``_build_map``: nodes after their inputs, and each layer's first-visit index."""
    finished, order, first_seen, stack = set(), [], {}, []

    def enter(node):
        first_seen.setdefault(id(node.layer), len(first_seen))
        stack.append((node, iter(node.inbound)))

    for output in outputs:
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


def keras_layer_order(inputs, outputs):
    """The layers of the graph from ``inputs`` to ``outputs`` in Keras's order.

    Keras lists a graph model's layers by depth from the outputs, deepest first, ties
    broken by the order in which a depth-first walk from the outputs first meets them
    (``keras/src/ops/function.py``, ``map_graph``); weights files number the layers, and
    optimizers order their slots, in that order. (Forward still runs in Kahn's order.)

    Example
    -------
    >>> from layerkit import Input, Model, layers
    >>> x = Input((3,), name="x")
    >>> d3, d1, d2 = (layers.Dense(2, name=n) for n in ("d3", "d1", "d2"))
    >>> b = d3(x)
    >>> model = Model(x, layers.Add(name="add")([d2(d1(x)), b]))
    >>> [layer.name for layer in model.layers]
    ['x', 'd1', 'd2', 'd3', 'add']
    """
    order, first_seen = _post_order(outputs)
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
    for tensor in inputs:  # inputs no output needs: Keras keeps them, last at depth 0
        if id(tensor.node.layer) not in layer_depth:
            layer_depth[id(tensor.node.layer)], first_seen[id(tensor.node.layer)] = 0, -1
            by_id[id(tensor.node.layer)] = tensor.node.layer
    ranked = sorted(layer_depth, key=lambda key: (-layer_depth[key], first_seen[key]))
    return [by_id[key] for key in ranked]
