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
