"""``clone_model``: the same architecture with new layers (and fresh weights), as Keras clones.

A Sequential model is rebuilt from clones of its layers; a graph model by calling
clones of its layers on new inputs in the order its nodes run, so that a layer
used several times is cloned once and stays shared. Each layer is cloned by
``clone_function`` (by default from its config: same settings, weights drawn again
by its initializers); a compiled model's clone is compiled the same way, with a
fresh optimizer.
"""

import inspect

from layerkit.layers.input import Input
from layerkit.layers.keras_tensor import KerasTensor
from layerkit.models.functional import Functional
from layerkit.models.sequential import Sequential


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """``clone_function`` made to clone each layer once (shared layers stay shared), and
    nested models with :func:`clone_model` when ``recursive``."""
    clone_function = clone_function or _default_clone
    if not callable(clone_function):
        raise ValueError("Expected `clone_function` argument to be a callable. "
                         f"Received: clone_function={clone_function}")

    def wrapped(layer):
        if id(layer) not in cache:
            if recursive and isinstance(layer, (Sequential, Functional)):
                cache[id(layer)] = clone_model(
                    layer, clone_function=clone_function, recursive=True, cache=cache,
                    call_function=call_function if isinstance(layer, Functional) else None)
            else:
                cache[id(layer)] = clone_function(layer)
        return cache[id(layer)]

    return wrapped


def _compiled_like(clone, model):
    if model.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_sequential(model, clone_function, input_tensors):
    new_layers = [clone_function(layer) for layer in model.layers]
    entries = model.get_config()["layers"]
    input_config = entries[0]["config"] if entries and entries[0]["class_name"] == "InputLayer" else None
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor) or not input_tensors.node.is_input:
            raise ValueError("Argument `input_tensors` must be a KerasTensor made by `Input()`. "
                             f"Received invalid value: input_tensors={input_tensors}")
        new_layers = [input_tensors] + new_layers
    elif input_config is not None:
        new_layers = [Input(batch_shape=tuple(input_config["batch_shape"]),
                            dtype=input_config.get("dtype"), name=input_config.get("name"))
                      ] + new_layers
    return _compiled_like(Sequential(new_layers, name=model.name, trainable=model.trainable), model)


def _new_inputs(model, input_tensors, input_names):
    """One KerasTensor per model input: ``input_tensors`` checked, or new ``Input``s like the old."""
    if input_tensors is None:
        return [Input(batch_shape=t.shape, dtype=t.dtype, name=t.name) for t in model.inputs]
    if isinstance(input_tensors, dict):
        given = [input_tensors.get(name) for name in input_names or []]
        matches = input_names is not None and set(input_tensors) == set(input_names)
    else:
        given = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        matches = input_names is None and len(given) == len(model.inputs)
    if not all(isinstance(t, KerasTensor) for t in given):
        raise ValueError("All entries in `input_tensors` must be KerasTensors. Received invalid "
                         f"values: inputs_tensors={input_tensors}")
    if not matches:
        raise ValueError("`input_tensors` must have the same structure as model.input\n"
                         f"Reference structure: {input_names or [t.name for t in model.inputs]}\n"
                         f"Received structure: {input_tensors}")
    return given


def _functional_like(cls):
    parameters = list(inspect.signature(cls.__init__).parameters)
    return parameters[1:3] == ["inputs", "outputs"]


def _clone_functional(model, clone_function, input_tensors, call_function):
    config = model.get_config()
    inputs = _new_inputs(model, input_tensors, config.get("input_names"))
    tensors = {id(old): new for old, new in zip(model.inputs, inputs)}
    for node in model.nodes:
        if node.is_input:
            continue
        layer = clone_function(node.layer)
        arguments = [tensors[id(t)] for t in node.inbound]
        arguments = arguments if node.takes_list else arguments[0]
        tensors[id(node.output)] = (call_function(layer, arguments) if call_function is not None
                                    else layer(arguments))
    outputs = [tensors[id(t)] for t in model.outputs]
    if config.get("output_keys"):
        outputs = dict(zip(config["output_keys"], outputs))
    elif config.get("single_output"):
        outputs = outputs[0]
    if config.get("input_names"):
        inputs = dict(zip(config["input_names"], inputs))
    elif len(inputs) == 1:
        inputs = inputs[0]
    cls = type(model) if _functional_like(type(model)) else Functional
    return _compiled_like(cls(inputs, outputs, name=model.name), model)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the architecture of ``model``: new layers, weights drawn afresh.

    Parameters
    ----------
    model : Sequential or graph Model
    input_tensors : KerasTensor, or a list / dict of them, optional
        Inputs (from ``Input()``) to build the clone on; new ``Input``s like the model's
        by default.
    clone_function : callable, optional
        ``fn(layer)`` -> the layer to use in the clone (inputs excepted); by default
        ``layer.__class__.from_config(layer.get_config())``. Called once per layer, so
        that a shared layer stays shared.
    call_function : callable, optional
        ``fn(layer, inputs)`` -> the output tensor, to call each cloned layer (graph
        models only), e.g. to insert layers.
    recursive : bool
        Clone nested Sequential and graph models with ``clone_model`` too (else with
        ``clone_function``).

    Returns
    -------
    Model
        Of ``model``'s class when it is a Sequential or built like a graph model;
        compiled from ``model``'s compile config when ``model`` is compiled.

    Raises
    ------
    ValueError
        For ``call_function`` with a Sequential model, ``clone_function`` or
        ``input_tensors`` with another kind of model, input tensors that do not match
        the model's inputs, or an unknown keyword argument.

    Example
    -------
    >>> import numpy as np
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((3,)), layers.Dense(2, name="d")])
    >>> clone = clone_model(model)
    >>> [layer.name for layer in clone.layers], clone.layers[0] is model.layers[0]
    (['d'], False)
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    cache = {} if cache is None else cache
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models.  In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                f"merely listed). Use `call_function` with Functional models only. Received "
                f"model of type '{model.__class__.__name__}', with call_function={call_function}")
        wrapped = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential(model, wrapped, input_tensors)
    if isinstance(model, Functional):
        wrapped = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional(model, wrapped, input_tensors, call_function)
    if clone_function or input_tensors:
        raise ValueError("Arguments `clone_function` and `input_tensors` are only supported for "
                         "Sequential models or Functional models. Received model of type "
                         f"'{model.__class__.__name__}', with clone_function={clone_function} and "
                         f"input_tensors={input_tensors}")
    if call_function is not None:
        raise ValueError("Argument `call_function` is only supported for Functional models. "
                         f"Received model of type '{model.__class__.__name__}', with "
                         f"call_function={call_function}")
    return model.__class__.from_config(model.get_config())
