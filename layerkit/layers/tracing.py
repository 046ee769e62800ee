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
operation whose backward is that layer's own (:mod:`~layerkit.layers.layer_call`).

What each call reads of the layer (its weight names, the trained ones, its inner
layers) is found once and kept while the structure of the layers and the number of
the layer's attributes stay the same (:func:`plan_of`).
"""

import functools
import inspect
import weakref

from layerkit.layers.weight_owner import structure_version
from layerkit.ops import GradientTape, Tensor, Variable
from layerkit.ops.tensor import unwrap

_training = []  # the training flag of the calls being run, innermost last


def inside_call():
    """Whether a layer's ``call`` is running (an inner layer called now is part of it)."""
    return bool(_training)


def current_training(default=False):
    """The training flag of the enclosing ``call``: what an inner layer called without one uses."""
    return _training[-1] if _training else default


class training_scope:
    """Within the block, :func:`current_training` gives ``training`` (the enclosing call's flag)."""

    __slots__ = ("training",)

    def __init__(self, training):
        self.training = bool(training)

    def __enter__(self):
        _training.append(self.training)

    def __exit__(self, *exc_info):
        _training.pop()


class CallRecord:
    """What a training forward pass of a ``call()`` layer keeps for its backward pass."""

    __slots__ = ("tape", "inputs", "takes_list", "variables", "outputs", "losses")

    def __init__(self, tape, inputs, takes_list, variables, outputs, losses):
        self.tape, self.inputs, self.takes_list = tape, inputs, takes_list
        self.variables, self.outputs, self.losses = variables, outputs, losses


class weights_as_variables:
    """Within the block, every attribute of ``layer`` holding one of its own weights reads as a
    Variable.

    Trained weights are watched by ``tape``; the others (and all, without a tape) are
    constants. ``with`` gives ``{weight name: Variable}``; the plain arrays are put back after.
    """

    __slots__ = ("layer", "tape", "swapped")

    def __init__(self, layer, tape):
        self.layer, self.tape = layer, tape

    def __enter__(self):
        layer, tape = self.layer, self.tape
        plan = plan_of(layer)
        trained = plan.trained
        variables, by_id = {}, {}
        for name in plan.weight_names:
            array = getattr(layer, name)
            variable = Variable(array, tape if name in trained else None, name=name)
            variables[name], by_id[id(array)] = variable, variable
        attributes = vars(layer)  # every attribute holding a weight: its name and its aliases
        self.swapped = {attr: attributes[attr]
                        for attr, key in zip(attributes, map(id, attributes.values())) if key in by_id}
        try:
            for attr, value in self.swapped.items():
                setattr(layer, attr, by_id[id(value)])
        except BaseException:  # e.g. a read-only property: nothing stays swapped
            self.__exit__()
            raise
        return variables

    def __exit__(self, *exc_info):
        for attr, value in self.swapped.items():
            setattr(self.layer, attr, value)


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
    plan = plan_of(layer)
    trained = plan.trained
    inputs = [x for x in record.inputs if isinstance(x, Tensor)] if input_gradient else []
    inner_layers = plan.inner_layers
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


class LayerPlan:
    """What tracing ``layer`` reads of it at every call, found once: its weight names, those
    it trains, and its inner layers. Kept while the structure of the layers and the number
    of the layer's attributes stay the same (a new sublayer is a new attribute)."""

    __slots__ = ("key", "weight_names", "trained", "inner_layers")

    def __init__(self, layer, key):
        self.key = key
        self.weight_names = layer.weight_names
        self.trained = layer.trainable_weight_names
        self.inner_layers = layer.flatten_layers(include_self=False)


_plans = weakref.WeakKeyDictionary()  # layer -> LayerPlan


def plan_of(layer):
    """``layer``'s :class:`LayerPlan`, found again only when it may have changed."""
    key = (structure_version(), len(vars(layer)))
    plan = _plans.get(layer)
    if plan is None or plan.key != key:
        plan = _plans[layer] = LayerPlan(layer, key)
    return plan


def _as_list(structure):
    return list(structure) if isinstance(structure, (list, tuple)) else [structure]


def _values(outputs):
    """The outputs' values; a weight returned as it is (``return self.total``) is copied."""
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_values(o) for o in outputs)
    return outputs.numpy() if isinstance(outputs, Variable) else unwrap(outputs)


def _is_float(x):
    return getattr(getattr(x, "dtype", None), "kind", None) == "f"
