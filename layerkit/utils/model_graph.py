"""A model's layers as a graph to draw: boxes, arrows, nested-model clusters, and a layered layout.

:func:`model_graph` reads a model through its public API (``layers``; a graph
model's ``nodes``, each with its ``layer`` and ``inbound`` tensors) into boxes (one
per layer, a shared layer once) and arrows along the data flow. With
``expand_nested``, a model used as a layer is drawn as its own layers inside a
dashed cluster, and arrows go to its first layers and from its last ones, as
Keras's ``model_to_dot`` does. :func:`layered_layout` then places the boxes in
ranks (the longest path from an input), each rank ordered by its predecessors'
positions so that arrows cross little.
"""


def _is_graph_model(layer):
    return hasattr(layer, "nodes") and hasattr(layer, "inputs")


def is_nested_model(layer):
    """Whether ``layer`` is a model made of layers (Sequential or graph) that can be expanded.

    Example
    -------
    >>> from layerkit import layers
    >>> is_nested_model(layers.Dense(2))
    False
    """
    return hasattr(layer, "layers") and hasattr(layer, "output_layers") and bool(layer.sublayers())


def _entries(model, tensor_index, expand):
    """The boxes an arrow into ``model``'s input ``tensor_index`` points at."""
    if not (expand and is_nested_model(model)):
        return [model]
    if _is_graph_model(model):
        return _entries(model.inputs[min(tensor_index, len(model.inputs) - 1)].node.layer, 0,
                        expand)
    return _entries(model.layers[0], 0, expand)


def _exits(model, expand):
    """The boxes an arrow out of ``model`` starts from."""
    if not (expand and is_nested_model(model)):
        return [model]
    return [box for layer in model.output_layers for box in _exits(layer, expand)]


def _links(model):
    """``[(source layer, destination layer, index of the input)]`` inside ``model``."""
    if _is_graph_model(model):
        return [(tensor.node.layer, node.layer, index) for node in model.nodes if not node.is_input
                for index, tensor in enumerate(node.inbound)]
    layers = model.layers
    return [(a, b, 0) for a, b in zip(layers[:-1], layers[1:])]


class ModelGraph:
    """Boxes (layers, in the order forward runs them), arrows and clusters of a model.

    Attributes
    ----------
    layers : list of Layer
        One per box.
    edges : list of (int, int)
        Arrows, as indices into ``layers`` (each once).
    clusters : list of (str, list of int, int)
        Nested models expanded: name, the boxes inside, depth.
    """

    def __init__(self):
        self.layers, self.edges, self.clusters = [], [], []
        self._index = {}

    def box(self, layer):
        if id(layer) not in self._index:
            self._index[id(layer)] = len(self.layers)
            self.layers.append(layer)
        return self._index[id(layer)]

    def edge(self, source, destination):
        pair = (self.box(source), self.box(destination))
        if pair not in self.edges and pair[0] != pair[1]:
            self.edges.append(pair)


def model_graph(model, expand_nested=False):
    """The :class:`ModelGraph` of ``model``.

    Example
    -------
    >>> from layerkit import Input, Model, layers
    >>> x = Input((2,), name="x")
    >>> y = layers.Add(name="add")([layers.Dense(2, name="a")(x), layers.Dense(2, name="b")(x)])
    >>> graph = model_graph(Model(x, y))
    >>> [layer.name for layer in graph.layers], graph.edges
    (['x', 'a', 'b', 'add'], [(0, 1), (0, 2), (1, 3), (2, 3)])
    """
    graph = ModelGraph()

    def walk(inner, depth):
        members = []
        for layer in inner.layers:
            if expand_nested and is_nested_model(layer):
                inside = walk(layer, depth + 1)
                graph.clusters.append((layer.name, inside, depth + 1))
                members += inside
            else:
                members.append(graph.box(layer))
        for source, destination, index in _links(inner):
            for start in _exits(source, expand_nested):
                for end in _entries(destination, index, expand_nested):
                    graph.edge(start, end)
        return members

    walk(model, 0)
    return graph


def layered_layout(count, edges):
    """``(rank, position)`` of each of ``count`` boxes listed in topological order.

    The rank is the longest path from a box without predecessors. Within a rank, each
    box wants the mean position of its predecessors; the boxes are taken in the order
    of those wishes (then in their own order) and pushed apart to one unit at least,
    so that a box sits near what feeds it and arrows cross little.

    Example
    -------
    >>> layered_layout(4, [(0, 1), (0, 2), (1, 3), (2, 3)])
    [(0, 0.0), (1, 0.0), (1, 1.0), (2, 0.5)]
    """
    predecessors = [[] for _ in range(count)]
    for source, destination in edges:
        if source < destination:
            predecessors[destination].append(source)
    ranks = [0] * count
    for box in range(count):
        ranks[box] = max((ranks[p] + 1 for p in predecessors[box]), default=0)
    positions = [0.0] * count
    for rank in range(max(ranks, default=-1) + 1):
        wishes = {}
        for box in (b for b in range(count) if ranks[b] == rank):
            before = predecessors[box]
            wishes[box] = sum(positions[p] for p in before) / len(before) if before else 0.0
        taken = -float("inf")
        for box in sorted(wishes, key=lambda b: (wishes[b], b)):
            positions[box] = taken = max(wishes[box], taken + 1.0)
    return list(zip(ranks, positions))
