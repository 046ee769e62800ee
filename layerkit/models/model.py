"""``Model``: what every model shares (layers, weights, gradients, summary, training).

A model is a layer made of layers: its weights are its layers' weights, in
order, and :class:`~layerkit.models.trainer.Trainer` (with its bases) gives it ``compile``,
``fit``, ``evaluate`` and ``predict``. ``Sequential`` runs its layers in a
line; a graph model runs them in topological order: both share this class and
the one training loop.
"""


from layerkit import saving
from layerkit.layers import tracing
from layerkit.layers.layer import Layer
from layerkit.models.summary import print_summary
from layerkit.models.trainer import Trainer

_GRAPH_MODEL = []  # the graph model class, registered by layerkit.models.functional


def register_graph_model(cls):
    """Class decorator: ``Model(inputs, outputs)`` makes an instance of ``cls`` (a graph model)."""
    _GRAPH_MODEL[:] = [cls]
    return cls


class Model(Trainer, Layer):
    """Base class of models.

    A subclass provides ``layers``, ``build``, ``compute_output_shape``,
    ``check_input``, ``forward_all(xs, training)`` and
    ``backward_all(grads, at_z, input_gradients)`` (one array per input or output).
    ``Model(inputs, outputs)`` makes a graph model
    (:class:`~layerkit.models.functional.Functional`), as in Keras.

    Parameters
    ----------
    trainable : bool
    dtype : str, optional
    name : str, optional

    Example
    -------
    A subclassed model, built by its first call:

    >>> import numpy as np
    >>> from layerkit import layers
    >>> class TwoLayers(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden, self.out = layers.Dense(4, activation="relu"), layers.Dense(1)
    ...     def call(self, inputs):
    ...         return self.out(self.hidden(inputs))
    >>> model = TwoLayers()
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> model.predict(np.ones((2, 3)), verbose=0).shape, model.count_params()
    ((2, 1), 21)

    ``Model(inputs, outputs)`` makes a graph model instead:

    >>> x = layers.Input((3,))
    >>> type(Model(x, layers.Dense(1)(x))).__name__
    'Functional'
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(_GRAPH_MODEL[0])
        return super().__new__(cls)

    def __init__(self, trainable=True, dtype=None, name=None, **kwargs):
        Layer.__init__(self, trainable=trainable, dtype=dtype, name=name, **kwargs)
        self._init_trainer()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model from ``get_config()`` (a graph config makes a graph model)."""
        if cls is Model and "input_layers" in config:
            return _GRAPH_MODEL[0].from_config(config, custom_objects)
        return super().from_config(config)

    @property
    def layers(self):
        """The model's layers, in execution order (without the Input); for a subclassed
        model, the layers set as its attributes, in the order they were set."""
        return Layer.sublayers(self)

    @property
    def output_layers(self):
        """The layers whose outputs are the model's outputs (a subclassed model: itself)."""
        return [self] if self.writes_call() else [self.layers[-1]]

    @property
    def output_names(self):
        """One name per output (the output layers' names)."""
        return [layer.name for layer in self.output_layers]

    @property
    def input_names(self):
        """One name per input."""
        return ["input"]

    def sublayers(self):
        return self.layers

    def output_can_fuse(self, index):
        """Whether output ``index`` may take its loss gradient at its layer's Z.

        True unless something else also reads that layer's output (a graph decides).
        """
        return True

    def forward(self, x, training=False):
        """As a layer: one array in (a list for several inputs), one out (a list for several)."""
        outputs = self.forward_all(x if len(self.input_names) > 1 else [x], training)
        return outputs[0] if len(outputs) == 1 else outputs

    def forward_all(self, xs, training=False):
        """A subclassed model: its ``call`` on the input(s), recorded in training."""
        if not self.writes_call():
            raise NotImplementedError(f"Model {type(self).__name__} must implement call().")
        output, self.call_record = tracing.traced_forward(self, xs[0] if len(xs) == 1 else xs,
                                                          training)
        return list(output) if isinstance(output, (list, tuple)) else [output]

    def backward_all(self, grads, at_z, input_gradients=True):
        """A subclassed model: the gradients from its recorded ``call``."""
        grad = tracing.traced_backward(self, self.call_record, grads[0] if len(grads) == 1
                                       else grads, input_gradients)
        return grad if isinstance(grad, list) else [grad]

    def check_input(self, xs, caller):
        """A subclassed model: the output shapes its ``call`` gives (any input shape is tried)."""
        shape = self.compute_output_shape((None,) + xs[0].shape[1:])
        return shape if isinstance(shape, list) else [shape]

    def backward(self, grad_output, input_gradient=True):
        """As a layer inside another model: the gradient(s) for this model's input(s)."""
        grads = grad_output if len(self.output_names) > 1 else [grad_output]
        input_grads = self.backward_all(grads, [False] * len(grads), input_gradient)
        return input_grads if len(self.input_names) > 1 else input_grads[0]

    # -------------------------------------------------------------- activity regularization
    def _record_activity(self, key, layer, output):
        """Keep a layer's output whose ``activity_regularizer`` penalises it (in forward)."""
        self._activity[key] = (layer.activity_regularizer, output)

    def _activity_gradient(self, key, grad):
        """``grad`` plus the gradient of the recorded output's penalty (in backward)."""
        regularizer, output = self._activity[key]
        return grad + regularizer.gradient(output) / max(len(output), 1)

    def activity_penalty(self):
        """The activity regularizers' penalties of the last forward pass, each divided by the
        batch size (as Keras adds them to the loss), this model's and its inner models'."""
        activity = getattr(self, "_activity", None)
        total = sum(float(reg(output)) / max(len(output), 1)
                    for reg, output in activity.values()) if activity else 0.0
        for layer in self.layers:
            if isinstance(layer, Model):
                total += layer.activity_penalty()
        return total

    def get_cache(self):
        """Every inner layer's cache (a model used several times in a graph)."""
        return {id(layer): layer.get_cache() for layer in self.flatten_layers(include_self=False)}

    def set_cache(self, cache):
        for layer in self.flatten_layers(include_self=False):
            layer.set_cache(cache[id(layer)])

    @property
    def input_dtype(self):
        """The dtype inputs are converted to (the first layer's; a subclassed model's own)."""
        return self.layers[0].dtype if self.layers and not self.writes_call() else self.dtype

    @property
    def input_dtypes(self):
        """The dtype each input is converted to (an integer one for indices)."""
        return [self.input_dtype]

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index``.

        Raises
        ------
        ValueError
            If no layer matches, or neither or both arguments are given.
        """
        if (name is None) == (index is None):
            raise ValueError("Provide exactly one of `name` and `index` to get_layer().")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model {self.name!r} has {len(self.layers)} layers; "
                                 f"received index={index}.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    # -------------------------------------------------------------- files
    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Write the weights to ``filepath`` (``*.weights.h5``, Keras 3's layout), atomically.

        Example
        -------
        >>> import os, tempfile
        >>> from layerkit import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> model.save_weights(os.path.join(tempfile.mkdtemp(), "m.weights.h5"))
        """
        if max_shard_size is not None:
            raise NotImplementedError("Sharded weights files (`max_shard_size`) are not supported.")
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from a ``.keras`` archive, a ``.weights.h5`` file or a legacy ``.h5`` file.

        Layerkit's and Keras 3's files alike; the optimizer state they hold is restored
        into a compiled model. Everything is checked before anything is written: on any
        error the weights are unchanged.
        """
        if kwargs:
            raise TypeError(f"load_weights() got unsupported arguments: {sorted(kwargs)}")
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Write the whole model (architecture, weights, optimizer state) to one file.

        ``.keras``: Keras 3's zip archive, which Keras loads; ``.h5``/``.hdf5``: one HDF5
        file. ``layerkit.models.load_model(filepath)`` rebuilds either; training resumes
        exactly.

        Arguments as :func:`layerkit.saving.save_model`'s, which this calls.

        Raises
        ------
        ValueError
            For ``zipped=False`` (Keras's unzipped model folder, not supported), another
            suffix, ``include_optimizer=False``, ``save_format`` or an unknown argument,
            or an unbuilt model.

        Example
        -------
        >>> import os, tempfile
        >>> from layerkit import Sequential, layers, models
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> model.save(path)
        >>> models.load_model(path).get_weights()[0].shape
        (3, 2)
        """
        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def to_json(self, **kwargs):
        """The model's config in Keras 3's form, as a JSON string (``json.dumps(..., **kwargs)``).

        ``layerkit.models.model_from_json`` and ``keras.models.model_from_json`` rebuild
        the model (compiled, if it is) with fresh weights.

        Example
        -------
        >>> from layerkit import Sequential, layers, models
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2, name="out")])
        >>> models.model_from_json(model.to_json()).get_layer("out").units
        2
        """
        return saving.keras_config.to_json(self, **kwargs)

    # -------------------------------------------------------------- display
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a Keras-style table: layer (type), output shape, parameters, and totals.

        Parameters
        ----------
        line_length : int, optional
            Total width (88 by default).
        positions : list of float, optional
            Right edges of the columns, as fractions of the width.
        print_fn : callable, optional
            Called with the whole text (``print`` by default).
        expand_nested : bool
            Also list the layers of nested models.
        show_trainable : bool
            Add a "Trainable" column.
        layer_range : (str, str), optional
            Names of the first and last layers to show.
        """
        print_summary(self, line_length, positions, print_fn, expand_nested, show_trainable,
                      layer_range)
