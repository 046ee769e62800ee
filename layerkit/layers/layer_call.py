"""A layer called inside another layer's recorded ``call()``: one operation on the tape.

Its vector-Jacobian product is the layer's own backward: a built-in layer keeps its
hand-written one, a ``call()`` layer its own tape. Where a layer is called several
times, each call keeps its own cache and the weight gradients add up.
"""

import numpy as np

from layerkit.ops import Operation


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
