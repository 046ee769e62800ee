"""Graph models list their layers in Keras's order (weights files and optimizer slots follow it).

Every named and random graph of ``tests/test_graph_models.py`` is built in Keras 3 too,
and ``model.layers`` must name the same layers in the same order.
"""

import pytest
from peers import import_peer

keras = import_peer("keras")

from test_graph_models import MERGES, SPECS, build, input_names, output_names  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _keras_layer(op):
    if op.kind == "dense":
        return keras.layers.Dense(op.units, activation=op.activation, name=op.key)
    if op.kind == "activation":
        return keras.layers.Activation(op.activation, name=op.key)
    if op.kind == "flatten":
        return keras.layers.Flatten(name=op.key)
    if op.kind == "concat":
        return keras.layers.Concatenate(axis=op.axis, name=op.key)
    return {"add": keras.layers.Add, "subtract": keras.layers.Subtract,
            "multiply": keras.layers.Multiply, "average": keras.layers.Average}[op.kind](name=op.key)


def _keras_build(spec):
    inputs = [keras.Input(shape, name=name) for shape, name in zip(spec.inputs, input_names(spec))]
    tensors, made = list(inputs), {}
    for op in spec.ops:
        layer = made.get(op.key) or made.setdefault(op.key, _keras_layer(op))
        args = [tensors[r] for r in op.refs]
        tensors.append(layer(args if op.kind in MERGES else args[0]))
    outputs = [tensors[ref] for ref, _ in spec.outputs]
    ins = (dict(zip(input_names(spec), inputs)) if spec.dict_inputs
           else inputs if len(inputs) > 1 else inputs[0])
    outs = (dict(zip(output_names(spec), outputs)) if spec.dict_outputs
            else outputs if len(outputs) > 1 else outputs[0])
    return keras.Model(ins, outs)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_layers_are_listed_in_keras_order(spec):
    assert [la.name for la in build(spec).layers] == [la.name for la in _keras_build(spec).layers]
