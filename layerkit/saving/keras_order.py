"""Whether a model is a graph (functional) model, as the Keras-format code needs to know.

A graph model lists its layers in Keras's order (``layerkit.models.graph.keras_layer_order``),
so that its weights files and optimizer state are laid out as Keras lays them out.
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
