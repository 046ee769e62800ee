"""Layers inside layers: a layer's inner layers are the layers set as its attributes.

As in Keras, assigning a layer (or a list, tuple or dict of layers) to an attribute
makes it an inner layer: a model's layers, a custom layer's sublayers. The engine
walks this tree to find every weight, every added loss and every staged update.
"""

_CONTAINERS = (list, tuple, dict)


class LayerTree:
    """Mixin of :class:`~layerkit.layers.Layer`: the tree of layers set as attributes."""

    def flatten_layers(self, include_self=True, recursive=True):
        """This layer and the layers inside it (a model's layers), depth first, each once."""
        seen = set()

        def walk(layer, depth):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            if depth or include_self:
                yield layer
            if recursive or depth == 0:
                for inner in layer.sublayers():
                    yield from walk(inner, depth + 1)

        return list(walk(self, 0))

    def sublayers(self):
        """The layers directly inside this one: those set as its attributes (alone, or in a
        list, tuple or dict), in the order they were set; a model's layers."""
        found = []
        for _, value in self.tracked_attributes():
            found.extend(value if isinstance(value, list) else [value])
        return found

    def tracked_attributes(self):
        """``[(attribute name, layer or list of layers)]`` of the layers set as attributes."""
        tracked = []
        for name, value in vars(self).items():
            if isinstance(value, LayerTree):
                tracked.append((name, value))
            elif type(value) in _CONTAINERS and value:
                items = list(value.values() if type(value) is dict else value)
                if isinstance(items[0], LayerTree) and all(
                        isinstance(item, LayerTree) for item in items):
                    tracked.append((name, items))
        return tracked

    def rebind_weight(self, name, array):
        """Make ``array`` the weight ``name``: the attribute and every alias of the old array."""
        old = getattr(self, name)
        for attr, value in list(vars(self).items()):
            if value is old:
                setattr(self, attr, array)
