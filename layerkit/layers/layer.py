"""The ``Layer`` base class: weights, their gradients, and the forward/backward contract.

A layer is built once from its input shape (``build`` creates its weights with
``add_weight``; whoever calls ``build``, the layer is then built), then each
``forward(x, training)`` caches what ``backward`` will need and returns the output;
``backward(grad_output, input_gradient=True)`` fills ``self.grads`` (one array per
weight, named as the weight is) and returns the gradient for the layer below, or None
when ``input_gradient`` is False (nobody reads it: the first layer of a model).
Backward never changes a weight: the optimizer does that.

A layer may instead be written the Keras way: ``build`` (or ``__init__``) creates
weights with ``add_weight``, and ``call(inputs, training=None)`` composes
operations (``layerkit.ops``); its backward pass then comes from the recorded graph
(:mod:`layerkit.layers.tracing`), while the built-in layers keep their hand-written
one. Layers assigned as attributes of a layer are its inner layers
(:mod:`layerkit.layers.layer_tree`); ``add_loss`` is :mod:`layerkit.layers.added_losses`.

Two optional parts of the contract serve the engine:

- ``cache_names``: the attributes ``forward`` leaves for ``backward``. A layer used
  several times before backward runs (shared in a graph) has them saved per use with
  ``get_cache``/``set_cache``.
- The fused output gradient: a layer whose output is ``activation(Z)`` names that
  activation in ``output_activation()``, keeps ``Z``, and implements
  ``backward_from_z(grad_z, input_gradient)``; the loss may then give the gradient at
  Z directly (sigmoid + binary cross-entropy, softmax + cross-entropy: ``(A - Y) / N``).
"""

import functools
import inspect

import numpy as np

from layerkit import backend, regularizers
from layerkit.layers import layer_call, tracing
from layerkit.layers.added_losses import AddedLosses
from layerkit.layers.keras_tensor import KerasTensor, Node
from layerkit.layers.layer_tree import LayerTree
from layerkit.layers.weight_owner import WeightOwner, float_dtype
from layerkit.ops.tensor import is_recording, value_of


def _is_shape_list(shape):
    """Whether ``shape`` is a list of shapes (a merge layer's input) rather than one shape."""
    return isinstance(shape, (list, tuple)) and len(shape) > 0 and isinstance(
        shape[0], (list, tuple))


def _built_once(build):
    """Wrap a subclass's ``build``: it runs once, and the layer is built afterwards."""
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if not self.built:
            build(self, *args, **kwargs)
            self.built = True
    return wrapper


def _with_input_gradient(backward):
    """Give a ``backward(grad_output)`` written without ``input_gradient`` the full signature."""
    @functools.wraps(backward)
    def wrapper(self, grad_output, input_gradient=True):
        return backward(self, grad_output)
    return wrapper


class Layer(LayerTree, AddedLosses, WeightOwner):
    """Base class of every layer; subclass it for a custom layer.

    A subclass implements ``build(input_shape)`` (if it has weights),
    ``forward(x, training=False)``, ``backward(grad_output, input_gradient=True)``,
    ``compute_output_shape(input_shape)`` (if it changes the shape),
    ``get_config()`` (its constructor arguments) and, to be shared in a graph,
    ``cache_names``.

    Parameters
    ----------
    trainable : bool
        Whether the optimizer updates this layer's weights.
    dtype : str, optional
        float16, float32 or float64 (``floatx()`` by default).
    name : str, optional
        Unique name; ``dense``, ``dense_1``... by default.
    input_shape : tuple, optional
        Shape of one sample, for the first layer of a ``Sequential`` (Keras 2 style;
        ``Input(shape)`` is preferred).
    input_dim : int, optional
        Shorthand for ``input_shape=(input_dim,)``.
    activity_regularizer : str or Regularizer, optional
        A penalty on the layer's output, added to the loss divided by the batch size
        (as Keras does); its gradient flows back through the layer.
    autocast : bool
        Accepted for Keras compatibility (layerkit computes in the weights' dtype).

    Raises
    ------
    TypeError
        For an unknown keyword argument.
    ValueError
        For a dtype that is not floating point.

    Example
    -------
    >>> import numpy as np
    >>> class Scale(Layer):
    ...     cache_names = ("X",)
    ...     def build(self, input_shape):
    ...         self.alpha = self.add_weight(shape=(), initializer="ones", name="alpha")
    ...     def forward(self, x, training=False):
    ...         self.X = x
    ...         return self.alpha * x
    ...     def backward(self, grad_output, input_gradient=True):
    ...         self.grads["alpha"] = np.sum(grad_output * self.X)
    ...         return grad_output * self.alpha if input_gradient else None
    >>> Scale()(np.ones((2, 3))).shape
    (2, 3)
    """

    #: The attributes ``forward`` leaves for ``backward`` (None: not declared).
    cache_names = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _built_once(cls.__dict__["build"])
        if cls.writes_call() and "cache_names" not in cls.__dict__:
            cls.cache_names = ("call_record",)
        backward = cls.__dict__.get("backward")
        if backward is not None and "input_gradient" not in inspect.signature(backward).parameters:
            cls.backward = _with_input_gradient(backward)

    def __init__(self, trainable=True, dtype=None, name=None, input_shape=None, input_dim=None,
                 activity_regularizer=None, autocast=True, **kwargs):
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}")
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self.dtype = float_dtype(dtype, f"Layer {self.name!r}")
        self._init_weights(trainable)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_shape = self.output_shape = None
        if input_dim is not None:
            input_shape = (input_dim,)
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)
        self.inbound_nodes = []
        self.call_record = None
        self._init_added_losses()

    # -------------------------------------------------------------- building and calling
    @property
    def declared_input_shape(self):
        """The ``input_shape`` (or ``input_dim``) given to the constructor, without the batch axis."""
        return self._declared_input_shape

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first, None).

        The default creates none; for a ``call()`` layer (a subclassed model) it builds
        the inner layers by a first call on zeros, as Keras's symbolic build does.
        """
        self.built = True
        if self.writes_call():
            self.output_shape = self.compute_output_shape(input_shape)

    def build_for(self, input_shape):
        """Build once (if needed) and record input and output shapes; return the output shape.

        A ``call()`` layer's inner layers are built by a first call on zeros.
        """
        input_shape = [tuple(s) for s in input_shape] if _is_shape_list(input_shape) else tuple(
            input_shape)
        if self.built and input_shape == self.input_shape and self.output_shape is not None:
            return self.output_shape
        self.build(input_shape)
        output_shape = self.compute_output_shape(input_shape)
        self.input_shape, self.output_shape = input_shape, output_shape
        return output_shape

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (default: unchanged; a ``call()`` layer: what
        ``call`` gives for a batch of one zero sample)."""
        if not self.writes_call():
            return tuple(input_shape)
        several = _is_shape_list(input_shape)
        zeros = [np.zeros((1,) + tuple(s[1:]), dtype=self.dtype)
                 for s in (input_shape if several else [input_shape])]
        output, _ = tracing.traced_forward(self, zeros if several else zeros[0], False)
        self.clear_added_losses()
        if isinstance(output, (list, tuple)):
            return [(None,) + np.shape(o)[1:] for o in output]
        return (None,) + np.shape(output)[1:]

    @classmethod
    def writes_call(cls):
        """Whether the layer is written with ``call()`` (its backward comes from the graph)."""
        return cls.call is not Layer.call

    def __call__(self, inputs, training=None, **kwargs):
        """Run the layer on arrays, record it inside another layer's ``call``, or wire it
        into a graph when given symbolic tensors.

        Parameters
        ----------
        inputs : array-like, Tensor, KerasTensor, or a list of them (merge layers)
        training : bool, optional
            Training mode (Dropout active...); by default that of the enclosing
            ``call``, else False.
        **kwargs
            Keras's ``mask`` is accepted when None.

        Returns
        -------
        ndarray (a Tensor inside a recorded ``call``), or KerasTensor for symbolic inputs
        """
        if kwargs.pop("mask", None) is not None or kwargs:
            raise TypeError(f"Layer {self.name!r}: unsupported call arguments {sorted(kwargs) or ['mask']}.")
        training = tracing.current_training() if training is None else bool(training)
        takes_list = isinstance(inputs, (list, tuple))
        items = list(inputs) if takes_list else [inputs]
        symbolic = [isinstance(item, KerasTensor) for item in items]
        if any(symbolic):
            if not all(symbolic):
                raise TypeError(f"Layer {self.name!r} was called on a mix of symbolic tensors "
                                "and arrays; use Input() tensors throughout a graph.")
            shapes = [item.shape for item in items]
            output_shape = self.build_for(shapes if takes_list else shapes[0])
            return Node(self, items, takes_list, output_shape).output
        shapes = [(None,) + np.shape(value_of(item))[1:] for item in items]
        self.build_for(shapes if takes_list else shapes[0])
        if is_recording(items):  # inside another layer's recorded call(): one recorded operation
            return layer_call.record_layer_call(self, items, training, takes_list)
        arrays = [backend.convert_to_array(value_of(item), self.dtype) for item in items]
        if not tracing.inside_call():
            self.clear_added_losses()  # layer.losses holds what this call adds
        output = self.forward(arrays if takes_list else arrays[0], training=training)
        if not tracing.current_training() and training:
            for layer in self.flatten_layers():  # called on its own: nothing waits to commit
                layer.commit_staged_updates()
        return output

    def call(self, inputs, training=None):
        """The layer's computation written with operations (Keras's way); see the module docstring."""
        raise NotImplementedError(f"Layer {type(self).__name__} must implement call(), or "
                                  "forward() and backward().")

    def forward(self, x, training=False):
        """Compute the output, caching what ``backward`` needs (a ``call()`` layer: its graph)."""
        if not self.writes_call():
            raise NotImplementedError(f"Layer {type(self).__name__} must implement call(), or "
                                      "forward() and backward().")
        output, self.call_record = tracing.traced_forward(self, x, training)
        return output

    def backward(self, grad_output, input_gradient=True):
        """Fill ``self.grads``; return the gradient for the input (None if not ``input_gradient``)."""
        if not self.writes_call():
            raise NotImplementedError(f"Layer {type(self).__name__} must implement backward().")
        if self.call_record is None:
            raise RuntimeError(f"Layer {self.name!r}: backward() needs a forward pass in training "
                               "mode first.")
        return tracing.traced_backward(self, self.call_record, grad_output, input_gradient)

    # -------------------------------------------------------------- engine contract
    def get_cache(self):
        """What the last ``forward`` left for ``backward`` (the ``cache_names`` attributes)."""
        if self.cache_names is None:
            raise TypeError(f"Layer {self.name!r} ({type(self).__name__}) does not declare "
                            "`cache_names` (the attributes its forward leaves for its backward), "
                            "so it cannot be used several times in one model. Add, e.g., "
                            "`cache_names = ('X',)` to the class.")
        return {name: getattr(self, name, None) for name in self.cache_names}

    def set_cache(self, cache):
        """Put back what :meth:`get_cache` returned, before running ``backward`` for that use."""
        for name, value in cache.items():
            setattr(self, name, value)

    def output_activation(self):
        """The activation this layer's output ends with, when it can backpropagate from Z.

        None by default. A layer returning its activation here keeps ``Z`` and
        implements :meth:`backward_from_z`.
        """
        return None

    def backward_from_z(self, grad_z, input_gradient=True):
        """Backward from the gradient at the pre-activation ``Z`` (see ``output_activation``)."""
        raise NotImplementedError(f"Layer {type(self).__name__} has no output activation to "
                                  "backpropagate from.")

    # -------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments, as a dict of plain values."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild a layer (unbuilt) from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
