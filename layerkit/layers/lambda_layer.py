"""``Lambda``: a function of the input, as a layer, differentiated through its operations."""

import inspect

from layerkit import registry
from layerkit.layers.layer import Layer

_LAMBDA = "<lambda>"


class Lambda(Layer):
    """Wrap ``function(inputs, **arguments)`` as a layer; its backward comes from the graph.

    The function is written with ``layerkit.ops`` (or NumPy's functions, which the
    recorded Tensors handle), has no weights, and may take ``training``.

    Parameters
    ----------
    function : callable
    output_shape : tuple or callable, optional
        The output shape (without the batch axis) or a function of the input shape;
        by default, found by calling ``function`` on a batch of one zero sample.
    mask : None
        Keras's argument; masks are not supported, it must be None.
    arguments : dict, optional
        Keyword arguments passed to ``function``.
    **kwargs
        ``name``, ``dtype``... (see :class:`Layer`).

    Raises
    ------
    TypeError
        If ``function`` is not callable.

    Example
    -------
    >>> import numpy as np
    >>> from layerkit import ops
    >>> Lambda(lambda x: ops.square(x) + 1)(np.array([[2.0]]))
    array([[5.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        if not callable(function):
            raise TypeError(f"`function` must be callable. Received: function={function!r}")
        if mask is not None:
            raise NotImplementedError("Lambda: `mask` is not supported (layerkit has no masks).")
        super().__init__(**kwargs)
        self.function, self.arguments = function, dict(arguments or {})
        self._output_shape = output_shape
        self._takes_training = "training" in inspect.signature(function).parameters

    def call(self, inputs, training=None):
        extra = {"training": training} if self._takes_training else {}
        return self.function(inputs, **self.arguments, **extra)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        """The function by its registered name (a lambda cannot be saved: it is code)."""
        name = getattr(self.function, "__name__", None)
        function = _LAMBDA if name == _LAMBDA else registry.get_registered_name(self.function)
        output_shape = self._output_shape
        if callable(output_shape):
            output_shape = registry.get_registered_name(output_shape)
        return {**super().get_config(), "function": function, "output_shape": output_shape,
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from the function's registered name; code is never loaded.

        Raises
        ------
        ValueError
            For a lambda, or a function name that is neither registered nor given.
        """
        config = dict(config)
        name = config.pop("function")
        if name == _LAMBDA or not isinstance(name, str):
            raise ValueError("A Lambda layer wrapping a lambda cannot be rebuilt from a config: "
                             "layerkit never runs code from a file. Define the function with "
                             "`def`, register it with `layerkit.saving.register_keras_serializable()`"
                             " (or pass it in `custom_objects`), and save again.")
        function = registry.get_registered_object(name, custom_objects)
        if function is None:
            raise ValueError(f"Unknown Lambda function {name!r}: register it with "
                             "`layerkit.saving.register_keras_serializable()` or pass it in "
                             "`custom_objects`.")
        if isinstance(config.get("output_shape"), str):
            config["output_shape"] = registry.get_registered_object(config["output_shape"],
                                                                    custom_objects)
        return cls(function, **config)
