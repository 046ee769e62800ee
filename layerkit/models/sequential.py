"""``Sequential``: a stack of layers, each feeding the next."""

import numpy as np

from layerkit import layers as layers_module
from layerkit.layers.input import InputLayer
from layerkit.layers.keras_tensor import KerasTensor
from layerkit.layers.layer import Layer
from layerkit.layers.weight_owner import structure_changed
from layerkit.models.data import fits_shape
from layerkit.models.model import Model


class Sequential(Model):
    """A linear stack of layers: forward runs them in order, backward in reverse.

    Parameters
    ----------
    layers : list of Layer, optional
        May start with ``Input(shape)``; the model is built as soon as the
        input shape is known (from an Input, a first layer's ``input_shape``,
        or the first batch).
    trainable : bool
    name : str, optional

    Raises
    ------
    TypeError
        If something other than a layer is added.
    ValueError
        For a duplicate layer name, or an Input that does not come first.

    Example
    -------
    >>> import numpy as np
    >>> from layerkit import layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
    ...                     layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    >>> model.predict(np.zeros((3, 4)), verbose=0).shape
    (3, 1)
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._layers = []
        self._input_layer = None
        self._first_weighted = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self._input_layer is not None and self._layers:
            self.build(self._input_layer.batch_shape)

    @property
    def layers(self):
        return list(self._layers)

    @property
    def output_names(self):
        return [self._layers[-1].name if self._layers else "output"]

    @property
    def input_names(self):
        return [self._input_layer.name if self._input_layer is not None else "input"]

    @property
    def input_dtypes(self):
        """The Input's dtype when it is an integer one (indices), else the first layer's."""
        declared = None if self._input_layer is None else self._input_layer.dtype
        if declared is not None and np.dtype(declared).kind in "iu":
            return [declared]
        return [self.input_dtype]

    def add(self, layer, rebuild=True):
        """Append ``layer`` (or set the input, for an ``Input``) and rebuild if the input is known."""
        if isinstance(layer, KerasTensor):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError(f"An Input can only be the first entry of Sequential model "
                                 f"{self.name!r}, which already has layers or an input.")
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError("Only instances of `layerkit.layers.Layer` can be added to a "
                            f"Sequential model. Received: {layer!r} (of type {type(layer)})")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"All layers added to Sequential model {self.name!r} must have "
                             f"unique names; {layer.name!r} is already used.")
        if not self._layers and self._input_layer is None and layer.declared_input_shape:
            self._input_layer = InputLayer(shape=layer.declared_input_shape)
        self._layers.append(layer)
        structure_changed()
        self.built = False
        if rebuild and self._input_layer is not None:
            self.build(self._input_layer.batch_shape)

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError(f"Sequential model {self.name!r} has no layers to pop.")
        layer = self._layers.pop()
        structure_changed()
        self.built = False
        if rebuild and self._input_layer is not None and self._layers:
            self.build(self._input_layer.batch_shape)
        return layer

    def build(self, input_shape=None):
        """Build every layer in turn for inputs of ``input_shape`` (batch axis first)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(f"Sequential model {self.name!r} has no input shape: start "
                                 "it with Input(shape) or call build(input_shape).")
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=input_shape)
        shape = input_shape
        for layer in self._layers:
            shape = layer.build_for(shape)
        self._first_weighted = None
        self.built = True
        self.input_shape, self.output_shape = input_shape, shape

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def check_input(self, xs, caller):
        """The output shapes for inputs ``xs`` (a list of one), or a ValueError naming the mismatch."""
        x = xs[0]
        if not self._layers:
            raise ValueError(f"Sequential model {self.name!r} has no layers: add some before "
                             f"{caller}().")
        if x.ndim < 2 and self._input_layer is None:
            raise ValueError(
                f"`x` of {caller}() has shape {x.shape}: layer {self._layers[0].name!r} needs a "
                "batch axis and a feature axis, (samples, features). For one feature per "
                "sample, pass x.reshape(-1, 1).")
        expected = None if self._input_layer is None else self._input_layer.batch_shape
        if expected is not None and not fits_shape(expected, x.shape):
            raise ValueError(
                f"Input of model {self.name!r} is incompatible with its first layer "
                f"{self._layers[0].name!r}: expected shape {expected}, but {caller}() received "
                f"input with shape {x.shape}.")
        return [self.compute_output_shape((None,) + x.shape[1:])]

    def forward_all(self, xs, training=False):
        x = xs[0]
        self._activity = {}
        for k, layer in enumerate(self._layers):
            x = layer.forward(x, training=training)
            if layer.activity_regularizer is not None:
                self._record_activity(k, layer, x)
        return [x]

    def backward_all(self, grads, at_z, input_gradients=True):
        """Every layer's backward in reverse; ``at_z[0]``: the gradient is at the last layer's Z.

        Without ``input_gradients`` nothing below the first layer with weights runs (a
        Flatten first would only reshape dX), that layer skips its dX, and None is returned.
        """
        first = 0 if input_gradients else self._first_with_weights()
        last = len(self._layers) - 1
        grad = grads[0]
        if at_z[0]:
            grad = self._layers[last].backward_from_z(grad, input_gradients or last > first)
            last -= 1
        for k in range(last, first - 1, -1):
            if k in self._activity:
                grad = self._activity_gradient(k, grad)
            grad = self._layers[k].backward(grad, input_gradient=input_gradients or k > first)
        return [grad if input_gradients else None]

    def _first_with_weights(self):
        """The index of the first layer with weights (found once per build)."""
        if self._first_weighted is None:
            self._first_weighted = next((i for i, layer in enumerate(self._layers)
                                         if layer.weight_slots()), len(self._layers) - 1)
        return self._first_weighted

    def get_config(self):
        entries = [] if self._input_layer is None else [layers_module.serialize(self._input_layer)]
        entries += [layers_module.serialize(layer) for layer in self._layers]
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "layers": entries}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = [layers_module.deserialize(entry, custom_objects) for entry in config["layers"]]
        return cls(layers, trainable=config.get("trainable", True), name=config.get("name"))


layers_module.register_layer_class(Sequential)
