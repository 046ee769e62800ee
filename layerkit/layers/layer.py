"""The ``Layer`` base class: weights, their gradients, and the forward/backward contract.

A layer is built once from its input shape (``build`` creates its weights with
``add_weight``), then each ``forward(x)`` caches what ``backward`` will need and
returns the output; ``backward(grad_output)`` fills ``self.grads`` (one array
per weight, named as the weight is) and returns the gradient for the layer
below. Backward never changes a weight: the optimizer does that.
"""

import numpy as np

from layerkit import backend, initializers
from layerkit.layers.keras_tensor import KerasTensor, Node


def _is_shape_list(shape):
    """Whether ``shape`` is a list of shapes (a merge layer's input) rather than one shape."""
    return isinstance(shape, (list, tuple)) and len(shape) > 0 and isinstance(
        shape[0], (list, tuple))


def assign_weights(slots, weights):
    """Copy ``weights`` into the arrays ``getattr(layer, name)`` of ``slots``, all checked first.

    Parameters
    ----------
    slots : list of (Layer, str)
    weights : list of array-like
        As many as ``slots`` (the caller checks the count).

    Raises
    ------
    ValueError
        If a shape differs; nothing is written then.
    TypeError
        For non-numeric values.
    """
    arrays = [np.asarray(w) for w in weights]
    for (layer, name), new in zip(slots, arrays):
        expected = getattr(layer, name).shape
        if new.shape != expected:
            raise ValueError(f"Layer {layer.name!r} weight {name!r}: expected shape {expected}, "
                             f"received {new.shape}.")
        if not np.issubdtype(new.dtype, np.number):
            raise TypeError(f"Layer {layer.name!r} weight {name!r}: received non-numeric "
                            f"values of dtype {new.dtype}.")
    for (layer, name), new in zip(slots, arrays):
        np.copyto(getattr(layer, name), new, casting="unsafe")


class Layer:
    """Base class of every layer; subclass it for a custom layer.

    A subclass implements ``build(input_shape)`` (if it has weights),
    ``forward(x, training=False)``, ``backward(grad_output)``,
    ``compute_output_shape(input_shape)`` (if it changes the shape) and
    ``get_config()`` (its constructor arguments).

    Parameters
    ----------
    trainable : bool
        Whether the optimizer updates this layer's weights.
    dtype : str, optional
        The dtype of the weights and computations (``floatx()`` by default).
    name : str, optional
        Unique name; ``dense``, ``dense_1``... by default.
    input_shape : tuple, optional
        Shape of one sample, for the first layer of a ``Sequential`` (Keras 2 style;
        ``Input(shape)`` is preferred).
    input_dim : int, optional
        Shorthand for ``input_shape=(input_dim,)``.
    activity_regularizer : None
        Keras's argument, not supported yet: it must be None.
    autocast : bool
        Accepted for Keras compatibility (layerkit computes in the weights' dtype).

    Raises
    ------
    TypeError
        For an unknown keyword argument.

    Example
    -------
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.alpha = self.add_weight(shape=(), initializer="ones", name="alpha")
    ...     def forward(self, x, training=False):
    ...         self.X = x
    ...         return self.alpha * x
    ...     def backward(self, grad_output):
    ...         self.grads["alpha"] = np.sum(grad_output * self.X)
    ...         return grad_output * self.alpha
    >>> Scale()(np.ones((2, 3))).shape
    (2, 3)
    """

    def __init__(self, trainable=True, dtype=None, name=None, input_shape=None, input_dim=None,
                 activity_regularizer=None, autocast=True, **kwargs):
        if activity_regularizer is not None:
            raise NotImplementedError("`activity_regularizer` is not supported yet.")
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}")
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.dtype = backend.standardize_dtype(dtype)
        self.built = False
        self.grads = {}
        self.input_shape = self.output_shape = None
        if input_dim is not None:
            input_shape = (input_dim,)
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)
        self._weight_names = []
        self._non_trainable_names = set()
        self.inbound_nodes = []
        # Set by the engine before backward: False when nothing reads this layer's dX
        # (the first layer of a model during training), so that it may skip computing it.
        self.input_gradient_needed = True

    # -------------------------------------------------------------- weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create a weight, set it as ``self.<name>`` and return it.

        Parameters
        ----------
        shape : tuple
        initializer : str, Initializer or callable
            ``"glorot_uniform"`` by default.
        dtype : str, optional
            The layer's dtype by default.
        trainable : bool
        autocast : bool
            Accepted for Keras compatibility (layerkit computes in the weight's dtype).
        regularizer, constraint : None
            Keras's arguments, not supported yet: they must be None.
        aggregation, overwrite_with_gradient
            Keras's distribution settings; only the defaults are supported.
        name : str
            The attribute name, and the key of its gradient in ``self.grads``.

        Returns
        -------
        ndarray

        Raises
        ------
        NotImplementedError
            For a regularizer, a constraint or a non-default distribution setting.
        """
        if regularizer is not None or constraint is not None or aggregation not in (
                "none", None) or overwrite_with_gradient:
            raise NotImplementedError(
                f"Layer {self.name!r}: add_weight() does not support regularizer, constraint, "
                "aggregation or overwrite_with_gradient yet.")
        if name is None:
            name = f"weight_{len(self._weight_names)}"
        initializer = initializers.get(initializer or "glorot_uniform")
        shape = () if shape is None else tuple(int(d) for d in shape)
        value = backend.convert_to_array(initializer(shape, dtype or self.dtype), dtype or self.dtype)
        if value.shape != shape:
            raise ValueError(f"Initializer of {self.name}/{name} returned shape {value.shape}; "
                             f"expected {shape}.")
        setattr(self, name, value)
        self._weight_names.append(name)
        if not trainable:
            self._non_trainable_names.add(name)
        return value

    @property
    def weights(self):
        """All weight arrays, in creation order (the live arrays, not copies)."""
        return [getattr(self, n) for n in self._weight_names]

    @property
    def weight_names(self):
        """The weights' names, in the order of :attr:`weights`."""
        return list(self._weight_names)

    @property
    def trainable_weights(self):
        """The weights the optimizer updates (none when ``trainable`` is False)."""
        if not self.trainable:
            return []
        return [getattr(self, n) for n in self._weight_names if n not in self._non_trainable_names]

    @property
    def non_trainable_weights(self):
        """The weights the optimizer leaves alone."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    @property
    def gradients(self):
        """The gradients of the last ``backward``, in the order of :attr:`trainable_weights`."""
        if not self.trainable:
            return []
        return [self.grads[n] for n in self._weight_names if n not in self._non_trainable_names]

    def get_weights(self):
        """Copies of the weights, as a list of arrays."""
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights (in place) with ``weights``, after checking them all.

        Raises
        ------
        ValueError
            If the count or any shape differs; nothing is changed then.
        """
        weights = list(weights)
        current = self.weights
        if len(weights) != len(current):
            raise ValueError(
                f"Layer {self.name!r} expected {len(current)} weights, but received "
                f"{len(weights)} weights. Expected shapes {[w.shape for w in current]}.")
        assign_weights([(self, name) for name in self._weight_names], weights)

    def count_params(self):
        """The number of scalars in all weights."""
        return int(sum(w.size for w in self.weights))

    # -------------------------------------------------------------- building and calling
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first, None)."""
        self.built = True

    def build_for(self, input_shape):
        """Build once (if needed) and record input and output shapes; return the output shape."""
        input_shape = [tuple(s) for s in input_shape] if _is_shape_list(input_shape) else tuple(
            input_shape)
        if not self.built:
            self.build(input_shape)
            self.built = True
        output_shape = self.compute_output_shape(input_shape)
        self.input_shape, self.output_shape = input_shape, output_shape
        return output_shape

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (default: unchanged)."""
        return tuple(input_shape)

    def __call__(self, inputs, training=False):
        """Run the layer on an array, or wire it into a graph when given symbolic tensors.

        Parameters
        ----------
        inputs : array-like, KerasTensor, or a list of them (merge layers)
        training : bool

        Returns
        -------
        ndarray, or KerasTensor for symbolic inputs
        """
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
        arrays = [backend.convert_to_array(item, self.dtype) for item in items]
        shapes = [(None,) + a.shape[1:] for a in arrays]
        self.build_for(shapes if takes_list else shapes[0])
        return self.forward(arrays if takes_list else arrays[0], training=training)

    def forward(self, x, training=False):
        """Compute the output, caching what ``backward`` needs."""
        raise NotImplementedError(f"Layer {type(self).__name__} must implement forward().")

    def backward(self, grad_output):
        """Fill ``self.grads`` and return the gradient with respect to the input."""
        raise NotImplementedError(f"Layer {type(self).__name__} must implement backward().")

    # -------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments, as a dict of plain values."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild a layer (unbuilt) from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
