"""Symbolic tensors and the nodes that link them: how a graph model is wired.

Calling a layer on a ``KerasTensor`` (``h = Dense(10)(x)``) runs nothing: it
builds the layer for the input shape and records a ``Node`` — "this layer,
applied to these tensors, made this tensor". A graph model is the set of nodes
between its inputs and its outputs.
"""

import itertools

_node_ids = itertools.count()


class KerasTensor:
    """A symbolic tensor: a shape (batch axis first, None), a dtype, and the node that made it.

    Attributes
    ----------
    shape : tuple
    dtype : str
    name : str
    node : Node
        The node whose output this is (for an ``Input``, the input layer's node).

    Example
    -------
    >>> from layerkit import layers
    >>> x = layers.Input((3,), name="x")
    >>> x.shape, x.dtype, x.layer.name
    ((None, 3), 'float32', 'x')
    """

    def __init__(self, shape, dtype=None, name=None, node=None):
        self.shape, self.dtype, self.name, self.node = tuple(shape), dtype, name, node

    @property
    def layer(self):
        """The layer that produced this tensor."""
        return None if self.node is None else self.node.layer

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One application of ``layer`` to ``inbound`` tensors, producing ``output``.

    Attributes
    ----------
    layer : Layer
    inbound : list of KerasTensor
        Empty for an input node.
    takes_list : bool
        Whether the layer was called with a list (merge layers) rather than one tensor.
    output : KerasTensor
    index : int
        Creation order, which makes the topological order deterministic.

    Example
    -------
    >>> from layerkit import layers
    >>> x = layers.Input((3,), name="x")
    >>> y = layers.Dense(2, name="d")(x)
    >>> node = y.node
    >>> node.layer.name, [t.name for t in node.inbound], node.output is y
    ('d', ['x'], True)
    """

    def __init__(self, layer, inbound, takes_list, output_shape):
        self.layer, self.inbound, self.takes_list = layer, list(inbound), takes_list
        self.index = next(_node_ids)
        self.node_index = len(layer.inbound_nodes)
        layer.inbound_nodes.append(self)
        name = layer.name if self.node_index == 0 else f"{layer.name}_{self.node_index}"
        self.output = KerasTensor(output_shape, layer.dtype, name, self)

    @property
    def is_input(self):
        return not self.inbound

    def __repr__(self):
        return f"<Node {self.layer.name}[{self.node_index}]>"
