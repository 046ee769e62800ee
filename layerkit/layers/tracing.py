"""Running a layer's ``call()`` so that its backward pass comes from the recorded graph.

A layer written the Keras way defines ``call(inputs, training=None)`` with operations
(``ops.matmul(x, self.w) + self.b``) and no ``forward``/``backward``. In training, its
forward pass runs ``call`` on a fresh :class:`~layerkit.ops.GradientTape`: the input
and the trained weights are watched (each weight attribute reads as an
:class:`~layerkit.ops.Variable` during the call), every operation is recorded, and the
tape is kept; its backward pass asks the tape for the gradients of the outputs and of
the losses the call added, with respect to the weights (and the input when wanted).
Outside training ``call`` runs on the weights as constants: nothing is recorded.

A layer called inside another's ``call`` on a recorded Tensor is one recorded
operation (:class:`LayerCall`) whose backward is that layer's own backward: a built-in
layer keeps its hand-written one, a ``call()`` layer its own tape. Where a layer is
called several times, each call keeps its own cache and the weight gradients add up.
"""

import contextlib
import functools
import inspect

import numpy as np

from layerkit.ops import GradientTape, Operation, Tensor, Variable
from layerkit.ops.tensor import unwrap

_training = []  # the training flag of the calls being run, innermost last


def inside_call():
    """Whether a layer's ``call`` is running (an inner layer called now is part of it)."""
    return bool(_training)


def current_training(default=False):
    """The training flag of the enclosing ``call``: what an inner layer called without one uses."""
    return _training[-1] if _training else default


@contextlib.contextmanager
def training_scope(training):
    _training.append(bool(training))
    try:
        yield
    finally:
        _training.pop()


class CallRecord:
    """What a training forward pass of a ``call()`` layer keeps for its backward pass."""

    __slots__ = ("tape", "inputs", "takes_list", "variables", "outputs", "losses")

    def __init__(self, tape, inputs, takes_list, variables, outputs, losses):
        self.tape, self.inputs, self.takes_list = tape, inputs, takes_list
        self.variables, self.outputs, self.losses = variables, outputs, losses


@contextlib.contextmanager
def weights_as_variables(layer, tape):
    """Every attribute of ``layer`` holding one of its own weights reads as a Variable.

    Trained weights are watched by ``tape``; the others (and all, without a tape) are
    constants. Yields ``{weight name: Variable}``; the plain arrays are put back after.
    """
    trained = set(layer.trainable_weight_names)
    variables, by_id = {}, {}
    for name in layer.weight_names:
        array = getattr(layer, name)
        variable = Variable(array, tape if name in trained else None, name=name)
        variables[name], by_id[id(array)] = variable, variable
    swapped = {attr: value for attr, value in vars(layer).items() if id(value) in by_id}
    try:
        for attr, value in swapped.items():
            setattr(layer, attr, by_id[id(value)])
        yield variables
    finally:
        for attr, value in swapped.items():
            setattr(layer, attr, value)


def run_call(layer, inputs, training):
    """``layer.call(inputs)`` with the training flag passed when ``call`` takes it."""
    with training_scope(training):
        if _takes_training(type(layer).call):
            return layer.call(inputs, training=training)
        return layer.call(inputs)


@functools.lru_cache(maxsize=256)
def _takes_training(call):
    return "training" in inspect.signature(call).parameters


def traced_forward(layer, inputs, training):
    """The output values of ``layer.call(inputs)``; in training, the record for the backward.

    Returns
    -------
    (output values, CallRecord or None)
    """
    layer.begin_call_losses()
    if not training:
        with weights_as_variables(layer, None):
            outputs = run_call(layer, inputs, False)
        layer.end_call_losses()
        return _values(outputs), None
    takes_list = isinstance(inputs, (list, tuple))
    tape = GradientTape()
    with tape:
        watched = [tape.watch(x) if _is_float(x) else x for x in _as_list(inputs)]
        with weights_as_variables(layer, tape) as variables:
            outputs = run_call(layer, watched if takes_list else watched[0], True)
        losses = layer.end_call_losses()
    return _values(outputs), CallRecord(tape, watched, takes_list, variables, outputs, losses)


def traced_backward(layer, record, grad_output, input_gradient):
    """Fill ``layer.grads`` (and its inner layers') from the record; return dL/d(inputs)."""
    trained = layer.trainable_weight_names
    inputs = [x for x in record.inputs if isinstance(x, Tensor)] if input_gradient else []
    inner_layers = layer.flatten_layers(include_self=False)
    for inner in inner_layers:
        inner.grads = {}
    targets = _as_list(record.outputs) + list(record.losses)
    seeds = _as_list(grad_output) + [None] * len(record.losses)  # d(total)/d(added loss) = 1
    results = record.tape.gradient(targets, [record.variables[n] for n in trained] + inputs,
                                   output_gradients=seeds, unconnected_gradients="zero")
    layer.grads = dict(zip(trained, results[:len(trained)]))
    for inner in inner_layers:  # inner layers the output does not depend on
        for name in inner.trainable_weight_names:
            if name not in inner.grads:
                inner.grads[name] = 0 * getattr(inner, name)
    if not input_gradient:
        return None
    input_grads = iter(results[len(trained):])
    grads = [next(input_grads) if isinstance(x, Tensor) else None for x in record.inputs]
    return grads if record.takes_list else grads[0]


def record_layer_call(layer, items, training, takes_list):
    """Record ``layer`` applied to ``items`` (some of them recorded Tensors) as one operation.

    Returns its output Tensor, or a tuple of them for a layer with several outputs.
    """
    call = LayerCall(layer, training, takes_list)
    output = call(*items)
    if call.outputs is None:
        return output
    return tuple(Pick(call, index)(output) for index in range(len(call.outputs)))


class LayerCall(Operation):
    """One application of a layer inside a recorded ``call()``; its VJP is the layer's backward.

    A layer with several outputs records this operation with an empty placeholder as
    its output, and one :class:`Pick` per output; the gradients the picks receive are
    gathered in ``pending`` and given to the layer's backward together.
    """

    outputs = None
    always_backward = True  # it fills the layer's weight gradients, wanted or not upstream

    def __init__(self, layer, training, takes_list):
        self.layer, self.training, self.takes_list = layer, training, takes_list

    def forward(self, *inputs):
        output = self.layer.forward(list(inputs) if self.takes_list else inputs[0],
                                    training=self.training)
        self.cache = self.layer.get_cache()
        if not isinstance(output, (list, tuple)):
            return output
        self.outputs, self.pending = list(output), [None] * len(output)
        return np.zeros(0, dtype=self.outputs[0].dtype)

    def backward(self, grad_output):
        if self.outputs is not None:  # several outputs: what each Pick received
            grad_output = [np.zeros_like(out) if grad is None else grad
                           for out, grad in zip(self.outputs, self.pending)]
        members = self.layer.flatten_layers()
        earlier = {id(member): member.grads for member in members}  # other calls' sums
        for member in members:
            member.grads = {}
        self.layer.set_cache(self.cache)
        grads = self.layer.backward(grad_output, input_gradient=any(self.needs_gradient))
        for member in members:
            summed = dict(earlier[id(member)])
            for name, grad in member.grads.items():
                summed[name] = grad if name not in summed else summed[name] + grad
            member.grads = summed
        grads = grads if self.takes_list else [grads]
        return tuple(g if needed else None for g, needed in zip(grads, self.needs_gradient))


class Pick(Operation):
    """Output ``index`` of a layer call with several outputs (see :class:`LayerCall`)."""

    def __init__(self, call, index):
        self.call, self.index = call, index

    def forward(self, placeholder):
        return self.call.outputs[self.index]

    def backward(self, grad_output):
        pending = self.call.pending
        previous = pending[self.index]
        pending[self.index] = grad_output if previous is None else previous + grad_output
        return (np.zeros(0, dtype=grad_output.dtype),)


def _as_list(structure):
    return list(structure) if isinstance(structure, (list, tuple)) else [structure]


def _values(outputs):
    """The outputs' values; a weight returned as it is (``return self.total``) is copied."""
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_values(o) for o in outputs)
    return outputs.numpy() if isinstance(outputs, Variable) else unwrap(outputs)


def _is_float(x):
    return getattr(getattr(x, "dtype", None), "kind", None) == "f"
