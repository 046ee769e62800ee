"""The ``Layer`` base class: weights, their gradients, and the forward/backward contract.

A layer is built once from its input shape (``build`` creates its weights with
``add_weight``; whoever calls ``build``, the layer is then built), then each
``forward(x, training)`` caches what ``backward`` will need and returns the output;
``backward(grad_output, input_gradient=True)`` fills ``self.grads`` (one array per
weight, named as the weight is) and returns the gradient for the layer below, or None
when ``input_gradient`` is False (nobody reads it: the first layer of a model).
Backward never changes a weight: the optimizer does that.

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

from layerkit import backend, initializers
from layerkit.layers.keras_tensor import KerasTensor, Node
from layerkit.layers.weights import assign_weights, charge

FLOAT_DTYPES = ("float16", "float32", "float64")
_structure_version = [0]


def structure_version():
    """A number that changes whenever a layer gains a weight or changes ``trainable``, or a
    model gains or loses a layer: engines keep what they derive from the layers until it does."""
    return _structure_version[0]


def structure_changed():
    """Note a change of the layers' structure (see :func:`structure_version`)."""
    _structure_version[0] += 1


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


def float_dtype(dtype, owner):
    """``dtype``'s name if it is float16, float32 or float64, else a ValueError naming ``owner``."""
    try:
        name = backend.standardize_dtype(dtype)
    except TypeError:
        name = repr(dtype)
    if name not in FLOAT_DTYPES:
        raise ValueError(f"{owner} computes in floating point only: `dtype` must be one of "
                         f"{list(FLOAT_DTYPES)}. Received: dtype={dtype!r}")
    return name


class Layer:
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
    activity_regularizer : None
        Keras's argument, not supported yet: it must be None.
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
        backward = cls.__dict__.get("backward")
        if backward is not None and "input_gradient" not in inspect.signature(backward).parameters:
            cls.backward = _with_input_gradient(backward)

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
        self._trainable = bool(trainable)
        self.dtype = float_dtype(dtype, f"Layer {self.name!r}")
        self.built = False
        self.grads = {}
        self.input_shape = self.output_shape = None
        if input_dim is not None:
            input_shape = (input_dim,)
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)
        self._weight_names = []
        self._non_trainable_names = set()
        self.inbound_nodes = []

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
            The layer's dtype by default (floating point only).
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
        dtype = float_dtype(dtype or self.dtype, f"Weight {self.name}/{name}")
        initializer = initializers.get(initializer or "glorot_uniform")
        shape = () if shape is None else tuple(int(d) for d in shape)
        charge(self.name, name, shape, dtype)
        value = backend.convert_to_array(initializer(shape, dtype), dtype)
        if value.shape != shape:
            raise ValueError(f"Initializer of {self.name}/{name} returned shape {value.shape}; "
                             f"expected {shape}.")
        setattr(self, name, value)
        self._weight_names.append(name)
        if not trainable:
            self._non_trainable_names.add(name)
        structure_changed()
        return value

    @property
    def trainable(self):
        """Whether the optimizer updates this layer's weights (setting it sets inner layers too)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        structure_changed()
        for inner in self.sublayers():
            inner.trainable = value

    def weight_slots(self):
        """``[(layer, weight name)]`` of this layer's weights and its inner layers', in order."""
        return [(layer, name) for layer in self.flatten_layers() for name in layer._weight_names]

    def trainable_slots(self):
        """``[(layer, weight name)]`` of the weights the optimizer updates, in order."""
        return [(layer, name) for layer in self.flatten_layers() if layer.trainable
                for name in layer._weight_names if name not in layer._non_trainable_names]

    @property
    def weights(self):
        """All weight arrays, in creation order (the live arrays, not copies)."""
        return [getattr(layer, name) for layer, name in self.weight_slots()]

    @property
    def weight_names(self):
        """The names of this layer's own weights, in creation order."""
        return list(self._weight_names)

    @property
    def trainable_weights(self):
        """The weights the optimizer updates."""
        return [getattr(layer, name) for layer, name in self.trainable_slots()]

    @property
    def non_trainable_weights(self):
        """The weights the optimizer leaves alone."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self):
        """Copies of the weights, as a list of arrays."""
        return [np.array(w, copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights (in place) with ``weights``, after checking them all.

        Raises
        ------
        ValueError
            If the count or any shape differs, or a value does not fit the weight's
            dtype; nothing is changed then.
        """
        weights = list(weights)
        slots = self.weight_slots()
        if len(weights) != len(slots):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expected {len(slots)} weight arrays, but "
                f"received {len(weights)}. Expected shapes "
                f"{[getattr(layer, name).shape for layer, name in slots]}.")
        assign_weights(slots, weights)

    def count_params(self):
        """The number of scalars in all weights."""
        return int(sum(w.size for w in self.weights))

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
        """The layers directly inside this one (none for a plain layer; a model's layers)."""
        return []

    # -------------------------------------------------------------- building and calling
    @property
    def declared_input_shape(self):
        """The ``input_shape`` (or ``input_dim``) given to the constructor, without the batch axis."""
        return self._declared_input_shape

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first, None)."""
        self.built = True

    def build_for(self, input_shape):
        """Build once (if needed) and record input and output shapes; return the output shape."""
        input_shape = [tuple(s) for s in input_shape] if _is_shape_list(input_shape) else tuple(
            input_shape)
        self.build(input_shape)
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

    def backward(self, grad_output, input_gradient=True):
        """Fill ``self.grads``; return the gradient for the input (None if not ``input_gradient``)."""
        raise NotImplementedError(f"Layer {type(self).__name__} must implement backward().")

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
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild a layer (unbuilt) from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
