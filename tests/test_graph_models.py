"""Graph models (Keras's functional API): gradients, structure, errors, training and saving.

Graphs are *declared* as :class:`GraphSpec` values (inputs, a list of layer
applications, outputs with their losses) so that one description builds the
layerkit model here and the same network in PyTorch in
``test_graph_torch_parity.py``. The hand-written specs cover each feature on
its own (fan-out, every merge layer, shared layers, several inputs and
outputs, fused output gradients); seeded random specs mix them.

Checked here:

* ``check_gradients`` (central differences, float64) agrees with backprop to
  1e-6 relative on every spec, and hand-computed gradients show that fan-out
  sums and that a shared layer's weight gradient is the sum over its uses;
* Kahn's order is valid and deterministic, ``model.layers`` lists the
  InputLayers first and in order; the summary's "Connected to" column;
  ``trace`` prints forward in order, backward in reverse, and leaves nothing;
* bad graphs and bad data fail with messages naming what is wrong;
* fit / evaluate / predict with lists and dicts, log names, a Sequential
  model equal bit for bit to its functional twin, a Sequential inside a graph;
* get_config / from_config, model files and weights files (bit-identical
  predictions, training resumed exactly), and ``examples/computation_graph.py``.

The worst gradient-check error is printed at the end of the module.
"""

import contextlib
import importlib.util
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from layerkit import Input, Model, Sequential, backend, layers
from layerkit.layers import Activation, Add, Concatenate, Dense, InputLayer, Layer, Multiply
from layerkit.models import load_model
from layerkit.models.graph import topological_order
from layerkit.optimizers import SGD
from layerkit.utils import check_gradients, set_random_seed, trace

GRAD_BOUND = 1e-6
ROOT = Path(__file__).resolve().parent.parent
WORST = {}  # spec name -> worst gradient-check relative error


@pytest.fixture(scope="module", autouse=True)
def _report_worst_error(request):
    yield
    if not WORST:
        return
    name = max(WORST, key=WORST.get)
    line = (f"graph gradient checks: {len(WORST)} graphs, worst relative error "
            f"{WORST[name]:.3e} ({name}), bound {GRAD_BOUND:.0e}")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        reporter.write_line(line)


# ============================================================================ graph specs
MERGES = ("add", "subtract", "multiply", "average", "concat")
LOSS_NAMES = {"mse": "mse", "bce": "binary_crossentropy", "cce": "categorical_crossentropy",
              "scce": "sparse_categorical_crossentropy"}
HEAD_ACTIVATION = {"bce": "sigmoid", "cce": "softmax", "scce": "softmax"}


@dataclass(frozen=True)
class Op:
    """One layer application. ``refs`` index the tensors: the inputs first, then each op's
    output in order. Ops with the same ``key`` share one layer (the key is its name)."""

    kind: str            # "dense", "activation", "flatten", or one of MERGES
    key: str
    refs: tuple
    units: int = 0
    activation: str = "linear"
    axis: int = -1


@dataclass(frozen=True)
class GraphSpec:
    name: str
    inputs: tuple                 # one sample's shape per input
    ops: tuple
    outputs: tuple                # (tensor ref, loss kind) per output
    loss_style: str = "list"      # how compile() gets the losses: "single", "list" or "dict"
    loss_weights: tuple = None    # one float per output, or None
    weights_style: str = "list"   # how compile() gets loss_weights: "list" or "dict"
    dict_inputs: bool = False     # Model({"in0": ..., ...}, ...)
    dict_outputs: bool = False    # Model(..., {"out0": ..., ...})

    def __str__(self):
        return self.name


def D(key, units, activation, ref):
    return Op("dense", key, (ref,), units=units, activation=activation)


def M(kind, key, *refs, axis=-1):
    return Op(kind, key, tuple(refs), axis=axis)


def shapes_of(spec):
    """The per-sample shape of every tensor of ``spec``, checking the spec on the way."""
    shapes = [tuple(s) for s in spec.inputs]
    dense_in = {}
    for op in spec.ops:
        args = [shapes[r] for r in op.refs]
        if op.kind == "dense":
            assert dense_in.setdefault(op.key, (args[0][-1], op.units, op.activation)) == (
                args[0][-1], op.units, op.activation), f"{spec}: shared {op.key} differs"
            shapes.append(args[0][:-1] + (op.units,))
        elif op.kind in ("activation",):
            shapes.append(args[0])
        elif op.kind == "flatten":
            shapes.append((math.prod(args[0]),))
        elif op.kind == "concat":
            axis = op.axis % (len(args[0]) + 1) - 1
            joined = list(args[0])
            joined[axis] = sum(a[axis] for a in args)
            shapes.append(tuple(joined))
        else:
            assert len(set(args)) == 1, f"{spec}: {op.key} merges shapes {args}"
            shapes.append(args[0])
    return shapes


def input_names(spec):
    return [f"in{i}" for i in range(len(spec.inputs))]


def output_names(spec):
    if spec.dict_outputs:
        return [f"out{i}" for i in range(len(spec.outputs))]
    return [spec.ops[ref - len(spec.inputs)].key for ref, _ in spec.outputs]


def _make_layer(op):
    if op.kind == "dense":
        return Dense(op.units, activation=op.activation, name=op.key)
    if op.kind == "activation":
        return Activation(op.activation, name=op.key)
    if op.kind == "flatten":
        return layers.Flatten(name=op.key)
    if op.kind == "concat":
        return Concatenate(axis=op.axis, name=op.key)
    return {"add": layers.Add, "subtract": layers.Subtract, "multiply": layers.Multiply,
            "average": layers.Average}[op.kind](name=op.key)


def build(spec):
    """The layerkit model of ``spec`` (uncompiled; weights from the layerkit generator)."""
    inputs = [Input(shape, name=name) for shape, name in zip(spec.inputs, input_names(spec))]
    tensors, made = list(inputs), {}
    for op in spec.ops:
        layer = made.get(op.key) or made.setdefault(op.key, _make_layer(op))
        args = [tensors[r] for r in op.refs]
        tensors.append(layer(args if op.kind in MERGES else args[0]))
    outputs = [tensors[ref] for ref, _ in spec.outputs]
    ins = (dict(zip(input_names(spec), inputs)) if spec.dict_inputs
           else inputs if len(inputs) > 1 else inputs[0])
    outs = (dict(zip(output_names(spec), outputs)) if spec.dict_outputs
            else outputs if len(outputs) > 1 else outputs[0])
    return Model(ins, outs, name=spec.name)


def set_spec_weights(model, seed, scale=0.8):
    """Draw every Dense layer's weights (kept moderate); return ``{name: (kernel, bias)}``."""
    rng = np.random.default_rng(seed)
    weights = {}
    for layer in model.layers:
        if isinstance(layer, Dense):
            fan_in, units = layer.kernel.shape
            kernel = rng.normal(size=(fan_in, units)) * scale / math.sqrt(fan_in)
            bias = rng.normal(scale=0.3, size=units)
            layer.set_weights([kernel, bias])
            weights[layer.name] = (layer.kernel.copy(), layer.bias.copy())
    return weights


def make_data(spec, n, seed):
    """Inputs and targets (lists, one array per input / output) for ``spec``."""
    rng = np.random.default_rng(seed)
    shapes = shapes_of(spec)
    xs = [rng.normal(size=(n,) + tuple(s)) for s in spec.inputs]
    ys = []
    for k, (ref, kind) in enumerate(spec.outputs):
        units = shapes[ref][-1]
        if kind == "mse":
            ys.append(rng.normal(size=(n, units)))
        elif kind == "bce":
            ys.append(rng.integers(0, 2, size=(n, units)).astype(np.float64) if k % 2 == 0
                      else rng.uniform(size=(n, units)))
        elif kind == "cce":
            ys.append(np.eye(units)[rng.integers(0, units, size=n)] if seed % 2
                      else rng.dirichlet(np.ones(units), size=n))
        else:
            ys.append(rng.integers(0, units, size=n))
    return xs, ys


def structure_x(spec, xs):
    if spec.dict_inputs:
        return dict(zip(input_names(spec), xs))
    return xs if len(xs) > 1 else xs[0]


def structure_y(spec, ys):
    if spec.dict_outputs or spec.loss_style == "dict":
        return dict(zip(output_names(spec), ys))
    return ys if len(ys) > 1 else ys[0]


def compile_args(spec):
    """``(loss, loss_weights)`` as compile() takes them for ``spec``."""
    names = output_names(spec)
    kinds = [LOSS_NAMES[kind] for _, kind in spec.outputs]
    if spec.loss_style == "single":
        assert len(set(kinds)) == 1
        loss = kinds[0]
    elif spec.loss_style == "dict":
        loss = dict(zip(names, kinds))
    else:
        loss = kinds if len(kinds) > 1 else kinds[0]
    weights = spec.loss_weights
    if weights is not None:
        weights = dict(zip(names, weights)) if spec.weights_style == "dict" else list(weights)
    return loss, weights


def loss_weight_values(spec):
    return list(spec.loss_weights) if spec.loss_weights is not None else [1.0] * len(
        spec.outputs)


def compiled(spec, seed=0, optimizer=None, metrics=None):
    model = build(spec)
    weights = set_spec_weights(model, seed)
    loss, loss_weights = compile_args(spec)
    model.compile(optimizer=optimizer or SGD(learning_rate=0.1, momentum=0.9), loss=loss,
                  loss_weights=loss_weights, metrics=metrics)
    return model, weights


# ---------------------------------------------------------------- hand-written graphs
def _spec(name, inputs, ops, outputs, **kwargs):
    return GraphSpec(name, tuple(tuple(s) for s in inputs), tuple(ops), tuple(outputs), **kwargs)


NAMED = [
    # x (ref 0) read by two layers, joined by Add.
    _spec("fanout2_add", [(4,)],
          [D("a", 3, "tanh", 0), D("b", 3, "sigmoid", 0), M("add", "join", 1, 2),
           D("out", 2, "linear", 3)], [(4, "mse")]),
    # x read by three Dense layers and the Concatenate itself; a hidden tensor read twice.
    _spec("fanout3_concat", [(3,)],
          [D("a", 4, "tanh", 0), D("b", 2, "sigmoid", 0), D("c", 3, "linear", 0),
           M("concat", "cat", 1, 2, 3, 0), D("d", 4, "tanh", 1), M("add", "sum", 1, 5),
           M("concat", "cat2", 4, 6), D("out", 1, "sigmoid", 7)], [(8, "bce")]),
    _spec("merge_add3", [(4,)],
          [D("a", 3, "tanh", 0), D("b", 3, "sigmoid", 0), D("c", 3, "linear", 0),
           M("add", "add3", 1, 2, 3), D("out", 2, "linear", 4)], [(5, "mse")]),
    _spec("merge_subtract", [(4,)],
          [D("a", 3, "tanh", 0), D("b", 3, "sigmoid", 0), M("subtract", "sub", 1, 2),
           D("out", 3, "softmax", 3)], [(4, "cce")]),
    _spec("merge_multiply3", [(4,)],
          [D("a", 3, "tanh", 0), D("b", 3, "sigmoid", 0), D("c", 3, "linear", 0),
           M("multiply", "mul3", 1, 2, 3), D("out", 2, "linear", 4)], [(5, "mse")]),
    _spec("merge_average3", [(4,)],
          [D("a", 3, "tanh", 0), D("b", 3, "sigmoid", 0), D("c", 3, "linear", 0),
           M("average", "avg3", 1, 2, 3), D("out", 1, "sigmoid", 4)], [(5, "bce")]),
    _spec("merge_concat_last_axis", [(4,)],
          [D("a", 3, "tanh", 0), D("b", 5, "sigmoid", 0), M("concat", "cat", 1, 2),
           D("out", 4, "softmax", 3)], [(4, "scce")]),
    # One tensor twice in a merge: Multiply([a, a]) is a², Add([m, a, a]).
    _spec("merge_same_tensor_twice", [(3,)],
          [D("a", 4, "tanh", 0), M("multiply", "square", 1, 1), M("add", "sum", 2, 1, 1),
           D("out", 2, "linear", 3)], [(4, "mse")]),
    # Rank-3 inputs: Dense on (2, 3), Concatenate along axis 1 and along the last axis.
    _spec("concat_rank3_axis1_and_last", [(2, 3)],
          [D("a", 4, "tanh", 0), D("b", 4, "sigmoid", 0),
           M("concat", "cat_axis1", 1, 2, axis=1), M("concat", "cat_last", 1, 2, axis=-1),
           Op("flatten", "flat1", (3,)), Op("flatten", "flat2", (4,)),
           M("add", "sum", 5, 6), D("out", 3, "softmax", 7)], [(8, "cce")]),
    # Two rank-3 inputs of different lengths joined along axis 1 (sizes differ on that axis).
    _spec("concat_rank3_two_inputs_axis1", [(2, 3), (5, 3)],
          [D("p", 4, "tanh", 0), D("q", 4, "linear", 1), M("concat", "cat", 2, 3, axis=1),
           Op("flatten", "flat", (4,)), D("out", 2, "linear", 5)], [(6, "mse")]),
    # One Dense used on two inputs.
    _spec("shared_twice_two_inputs", [(3,), (3,)],
          [D("s", 4, "tanh", 0), D("s", 4, "tanh", 1), M("subtract", "diff", 2, 3),
           D("out", 1, "sigmoid", 4)], [(5, "bce")]),
    # A chain that feeds a shared layer its own output, three times.
    _spec("shared_chain_thrice", [(3,)],
          [D("s", 3, "tanh", 0), D("s", 3, "tanh", 1), D("s", 3, "tanh", 2),
           D("out", 2, "linear", 3)], [(4, "mse")]),
    # Shared three times, with other layers between the uses and every use read later.
    _spec("shared_thrice_mixed", [(3,)],
          [D("s", 3, "sigmoid", 0), D("t", 3, "tanh", 1), D("s", 3, "sigmoid", 2),
           D("s", 3, "sigmoid", 1), M("concat", "cat", 1, 3, 4), D("out", 3, "softmax", 5)],
          [(6, "scce")]),
    # Merge layers shared too: one Multiply and one Concatenate, each used twice.
    _spec("shared_merge_layers", [(3,)],
          [D("a", 3, "tanh", 0), D("b", 3, "sigmoid", 0), D("c", 3, "linear", 0),
           M("multiply", "mul", 1, 2), M("multiply", "mul", 3, 0),
           M("concat", "cat", 4, 1), M("concat", "cat", 5, 2), M("add", "sum", 6, 7),
           D("out", 2, "linear", 8)], [(9, "mse")]),
    # Two inputs, two outputs: sigmoid + BCE and softmax + CE (both fused), a loss list,
    # loss_weights as a list.
    _spec("two_in_two_out_list", [(3,), (4,)],
          [D("ha", 4, "tanh", 0), D("hb", 4, "sigmoid", 1), M("concat", "cat", 2, 3),
           D("o_bce", 2, "sigmoid", 4), M("add", "sum", 2, 3), D("o_cce", 3, "softmax", 6)],
          [(5, "bce"), (7, "cce")], loss_weights=(0.3, 1.7)),
    # The same with dicts everywhere: inputs, outputs, loss, loss_weights.
    _spec("two_in_two_out_dict", [(3,), (4,)],
          [D("ha", 4, "tanh", 0), D("hb", 4, "sigmoid", 1), M("concat", "cat", 2, 3),
           D("o_bce", 1, "sigmoid", 4), M("average", "avg", 2, 3), D("o_scce", 3, "softmax", 6)],
          [(5, "bce"), (7, "scce")], loss_style="dict", loss_weights=(2.0, 0.5),
          weights_style="dict", dict_inputs=True, dict_outputs=True),
    # One loss for both outputs.
    _spec("two_out_single_loss", [(3,)],
          [D("h", 4, "tanh", 0), D("o1", 2, "linear", 1), D("o2", 1, "linear", 1)],
          [(2, "mse"), (3, "mse")], loss_style="single"),
    # An output read by another layer: its gradient cannot be fused and is summed.
    _spec("output_feeds_output", [(3,)],
          [D("h", 4, "tanh", 0), D("o1", 2, "sigmoid", 1), D("o2", 1, "linear", 2)],
          [(2, "bce"), (3, "mse")], loss_weights=(1.5, 0.5)),
    # A shared layer as the output (sigmoid + BCE, not fusable: two uses).
    _spec("shared_output", [(3,)],
          [D("s", 3, "sigmoid", 0), D("s", 3, "sigmoid", 1)], [(2, "bce")]),
    # A shared layer called after a merge that reads the same inputs: the order of node
    # creation differs from the order of first use (what from_config must reproduce).
    _spec("shared_called_after_a_merge", [(2,), (2,)],
          [M("concat", "c", 0, 1), D("shared", 4, "tanh", 1), D("shared", 4, "tanh", 0),
           D("hc", 4, "sigmoid", 2), D("hs", 4, "linear", 3), M("concat", "j", 5, 6, 4),
           D("out", 1, "sigmoid", 7)], [(8, "bce")]),
    # Outputs from Activation layers: fused through Activation.backward_from_z.
    _spec("activation_outputs", [(3,)],
          [D("h", 3, "linear", 0), Op("activation", "sig", (1,), activation="sigmoid"),
           D("g", 4, "tanh", 0), Op("activation", "soft", (3,), activation="softmax")],
          [(2, "bce"), (4, "cce")], loss_style="dict"),
]


# ---------------------------------------------------------------- random graphs
_HIDDEN = ("tanh", "sigmoid", "linear")


def random_spec(seed):
    """A seeded random DAG: fan-out, merges, shared Dense layers, one or two inputs/outputs."""
    rng = np.random.default_rng(seed)
    n_inputs = int(rng.integers(1, 3))
    inputs = [(int(rng.integers(2, 5)),) for _ in range(n_inputs)]
    widths = [s[0] for s in inputs]
    ops, dense, consumed = [], {}, set()

    def add(op, width):
        ops.append(op)
        consumed.update(op.refs)
        widths.append(width)
        return len(widths) - 1

    def new_dense(ref, units=None):
        key = f"d{len(dense)}"
        units = units or int(rng.integers(2, 5))
        dense[key] = (widths[ref], units, str(rng.choice(_HIDDEN)))
        return add(D(key, units, dense[key][2], ref), units)

    for _ in range(int(rng.integers(4, 9))):
        move = rng.choice(["dense", "shared", "merge", "concat"], p=[0.35, 0.25, 0.25, 0.15])
        recent = max(0, len(widths) - 4)
        if move == "shared":
            candidates = [(key, ref) for key, (w, _, _) in dense.items()
                          for ref in range(len(widths)) if widths[ref] == w]
            if candidates:
                key, ref = candidates[int(rng.integers(len(candidates)))]
                add(D(key, dense[key][1], dense[key][2], ref), dense[key][1])
                continue
            move = "dense"
        if move == "dense":
            new_dense(int(rng.integers(recent, len(widths))))
        elif move == "merge":
            kind = str(rng.choice(["add", "subtract", "multiply", "average"]))
            first = int(rng.integers(recent, len(widths)))
            same = [r for r in range(len(widths)) if widths[r] == widths[first] and r != first]
            if not same:
                same = [new_dense(int(rng.integers(len(widths))), units=widths[first])]
            count = 1 if kind == "subtract" else int(rng.integers(1, 3))
            others = [same[int(rng.integers(len(same)))] for _ in range(count)]
            add(M(kind, f"m{len(ops)}", first, *others), widths[first])
        elif len(widths) == 1:
            new_dense(0)
        else:
            refs = rng.choice(len(widths), size=min(len(widths), int(rng.integers(2, 4))),
                              replace=False)
            refs = tuple(int(r) for r in refs)
            add(M("concat", f"c{len(ops)}", *refs), sum(widths[r] for r in refs))
    sinks = [r for r in range(len(widths)) if r not in consumed]
    final = sinks[0] if len(sinks) == 1 else add(M("concat", "sinks", *sinks),
                                                 sum(widths[r] for r in sinks))
    n_outputs = int(rng.integers(1, 3))
    outputs = []
    for k in range(n_outputs):
        kind = str(rng.choice(["mse", "bce", "cce", "scce"]))
        units = int(rng.integers(1, 4)) if kind in ("mse", "bce") else int(rng.integers(2, 5))
        source = final if k == 0 else int(rng.integers(n_inputs, len(widths)))
        ref = add(D(f"head{k}", units, HEAD_ACTIVATION.get(kind, "linear"), source), units)
        outputs.append((ref, kind))
    style = "list" if n_outputs == 1 else str(rng.choice(["list", "dict"]))
    loss_weights = None
    if n_outputs > 1 and rng.uniform() < 0.6:
        loss_weights = tuple(float(w) for w in np.round(rng.uniform(0.2, 2.0, n_outputs), 2))
    return _spec(f"random{seed}", inputs, ops, outputs, loss_style=style,
                 loss_weights=loss_weights, weights_style=str(rng.choice(["list", "dict"])),
                 dict_inputs=bool(n_inputs > 1 and rng.uniform() < 0.3),
                 dict_outputs=bool(n_outputs > 1 and rng.uniform() < 0.3))


RANDOM = [random_spec(seed) for seed in range(24)]
SPECS = NAMED + RANDOM


def _uses(spec):
    counts = {}
    for op in spec.ops:
        counts[op.key] = counts.get(op.key, 0) + 1
    return counts


def test_specs_cover_every_feature():
    kinds = {op.kind for spec in SPECS for op in spec.ops}
    assert set(MERGES) <= kinds
    rank3_axis1 = [spec for spec in SPECS for op in spec.ops
                   if op.kind == "concat" and op.axis == 1 and len(spec.inputs[0]) == 2]
    assert rank3_axis1
    assert any(max(_uses(s).values()) == 2 for s in SPECS)
    assert any(max(_uses(s).values()) >= 3 for s in SPECS)
    # a chain feeding a shared layer its own output
    assert any(op.kind == "dense" and ref >= len(s.inputs) and s.ops[ref - len(s.inputs)].key
               == op.key for s in SPECS for op in s.ops for ref in op.refs)
    for spec in SPECS:  # everything checks out, and each graph is built without error
        shapes_of(spec)
    fan_out = [s for s in SPECS if any(sum(r == t for op in s.ops for r in op.refs) >= 3
                                       for t in range(len(s.inputs) + len(s.ops)))]
    assert len(fan_out) >= 5
    multi = [s for s in SPECS if len(s.outputs) == 2]
    assert {s.loss_style for s in multi} == {"single", "list", "dict"}
    assert any(s.loss_weights and s.weights_style == "dict" for s in multi)
    assert any(s.loss_weights and s.weights_style == "list" for s in multi)
    assert any(len(s.inputs) == 2 for s in RANDOM) and any(len(s.outputs) == 2 for s in RANDOM)
    assert any(max(_uses(s).values()) >= 2 for s in RANDOM)
    heads = {kind for s in SPECS for _, kind in s.outputs}
    assert heads == {"mse", "bce", "cce", "scce"}


# ============================================================================ gradients
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_gradient_check(spec):
    model, _ = compiled(spec)
    xs, ys = make_data(spec, 6, seed=len(spec.name))
    errors = check_gradients(model, structure_x(spec, xs), structure_y(spec, ys))
    expected = {f"{layer.name}/{name}" for layer, name in model.weight_slots()}
    expected |= {"input"} if len(xs) == 1 else {f"input/{n}" for n in input_names(spec)}
    assert set(errors) == expected
    WORST[spec.name] = max(errors.values())
    bad = {k: v for k, v in errors.items() if not v < GRAD_BOUND}
    assert not bad, f"{spec}: relative errors above {GRAD_BOUND}: {bad}"


def test_fused_gradient_is_used_exactly_where_allowed():
    """The fused (A - Y)/N gradient is used for a lone sigmoid/softmax output, not for a shared
    output layer nor for an output another layer reads."""
    def fused_flags(spec):
        model, _ = compiled(spec)
        xs, ys = make_data(spec, 4, seed=0)
        flags = []
        original = model.backward_all

        def spy(grads, from_z, *args, **kwargs):
            flags.append(list(from_z))
            return original(grads, from_z, *args, **kwargs)

        model.backward_all = spy
        model.compute_gradients(structure_x(spec, xs), structure_y(spec, ys))
        return flags[0]

    by_name = {spec.name: spec for spec in NAMED}
    assert fused_flags(by_name["two_in_two_out_list"]) == [True, True]
    assert fused_flags(by_name["activation_outputs"]) == [True, True]
    assert fused_flags(by_name["output_feeds_output"]) == [False, False]
    assert fused_flags(by_name["shared_output"]) == [False]


def test_fan_out_gradients_are_summed(float64):
    """x feeds two linear layers: dL/dx is the sum of what both send back (by hand)."""
    rng = np.random.default_rng(3)
    w1, w2, w3 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(2, 1))
    x = Input((3,))
    a, b = Dense(2, use_bias=False, name="a")(x), Dense(2, use_bias=False, name="b")(x)
    out = Dense(1, use_bias=False, name="out")(Add()([a, b]))
    model = Model(x, out)
    model.set_weights([w1, w2, w3])
    model.compile(loss="mse")
    xv, yv = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    (g1, g2, g3), gx = model.compute_gradients(xv, yv, wrt_inputs=True)
    h = xv @ w1 + xv @ w2
    d_out = 2 * (h @ w3 - yv) / 5
    d_h = d_out @ w3.T
    np.testing.assert_allclose(g3, h.T @ d_out, rtol=1e-12)
    np.testing.assert_allclose(g1, xv.T @ d_h, rtol=1e-12)
    np.testing.assert_allclose(g2, xv.T @ d_h, rtol=1e-12)
    np.testing.assert_allclose(gx, d_h @ w1.T + d_h @ w2.T, rtol=1e-12)


def test_shared_layer_weight_gradient_is_the_sum_over_its_uses(float64):
    """s used on a and b (different caches): dL/dW_s = aᵀ·g_a + bᵀ·g_b, by hand."""
    rng = np.random.default_rng(4)
    ws, bs, wo = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(2, 1))
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(2, activation="tanh", name="s")
    out = Dense(1, use_bias=False, name="out")(Multiply()([shared(a), shared(b)]))
    model = Model([a, b], out)
    model.set_weights([ws, bs, wo])
    model.compile(loss="mse")
    xa, xb, yv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 1))
    (g_ws, g_bs, g_wo), (g_a, g_b) = model.compute_gradients([xa, xb], yv, wrt_inputs=True)
    ha, hb = np.tanh(xa @ ws + bs), np.tanh(xb @ ws + bs)
    d_out = 2 * ((ha * hb) @ wo - yv) / 4
    d_prod = d_out @ wo.T
    dz_a, dz_b = d_prod * hb * (1 - ha ** 2), d_prod * ha * (1 - hb ** 2)
    np.testing.assert_allclose(g_wo, (ha * hb).T @ d_out, rtol=1e-12)
    np.testing.assert_allclose(g_ws, xa.T @ dz_a + xb.T @ dz_b, rtol=1e-12)
    np.testing.assert_allclose(g_bs, dz_a.sum(0) + dz_b.sum(0), rtol=1e-12)
    np.testing.assert_allclose(g_a, dz_a @ ws.T, rtol=1e-12)
    np.testing.assert_allclose(g_b, dz_b @ ws.T, rtol=1e-12)


class _WrongBackward(Layer):
    """Identity whose backward forgets half the gradient: the check must notice."""

    def forward(self, x, training=False):
        return x

    def backward(self, grad_output):
        return 0.5 * grad_output


def test_gradient_check_catches_a_wrong_backward_behind_fan_out():
    x = Input((3,))
    h = Dense(3, activation="tanh")(x)
    out = Dense(1)(Add()([_WrongBackward()(h), h]))
    model = Model(x, out)
    model.compile(loss="mse")
    rng = np.random.default_rng(0)
    errors = check_gradients(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))
    assert errors["input"] > 1e-3 and errors["dense/kernel"] > 1e-3


def test_outputs_without_a_loss_leave_their_layers_alone():
    """A loss for one of two outputs: the other head gets zero gradients and keeps its weights."""
    spec = next(s for s in NAMED if s.name == "two_in_two_out_list")
    model = build(spec)
    model.compile(optimizer=SGD(0.1, momentum=0.9), loss={"o_bce": "binary_crossentropy"})
    xs, ys = make_data(spec, 8, seed=1)
    before = model.get_layer("o_cce").get_weights()
    trained = model.get_layer("o_bce").get_weights()
    model.fit(xs, {"o_bce": ys[0]}, epochs=2, batch_size=4, verbose=0)
    for w, w0 in zip(model.get_layer("o_cce").get_weights(), before):
        np.testing.assert_array_equal(w, w0)
    assert not np.array_equal(model.get_layer("o_bce").get_weights()[0], trained[0])
    errors = check_gradients(model, xs, {"o_bce": ys[0]})
    assert max(errors.values()) < GRAD_BOUND


# ============================================================================ structure
def _order(model):
    return [(node.layer.name, node.node_index) for node in model.nodes]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_topological_order_is_valid(spec):
    model = build(spec)
    position = {id(node): k for k, node in enumerate(model.nodes)}
    assert len(position) == len(spec.inputs) + len(spec.ops)
    for node in model.nodes:
        for tensor in node.inbound:
            assert position[id(tensor.node)] < position[id(node)], (
                f"{node} runs before {tensor.node}, which feeds it")
    # model.layers: each layer once, InputLayers included (in Keras's order, which the peer
    # module tests/test_graph_models_keras.py compares with Keras's own)
    assert len({id(la) for la in model.layers}) == len(model.layers)
    assert {la.name for la in model.layers if isinstance(la, InputLayer)} == set(input_names(spec))
    assert {la.name for la in model.layers} == {f"in{i}" for i in range(len(spec.inputs))} | {
        op.key for op in spec.ops}


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_topological_order_is_deterministic(spec):
    backend.clear_session()
    first = build(spec)
    backend.clear_session()
    second = build(spec)
    assert _order(second) == _order(first)
    assert [la.name for la in second.layers] == [la.name for la in first.layers]


def test_topological_order_does_not_depend_on_the_order_of_outputs():
    x, z = Input((2,), name="x"), Input((2,), name="z")
    a = Dense(2, name="a")(z)
    b = Dense(2, name="b")(x)
    c = Dense(2, name="c")(Add(name="add")([a, b]))
    d = Dense(2, name="d")(b)
    orders = {tuple(_order(Model([x, z], outs))) for outs in ([c, d], [d, c])}
    orders |= {tuple(_order(Model([z, x], [c, d])))}
    assert len(orders) == 1
    # Kahn's algorithm, ties by creation order: x, z ready; x frees b; z frees a; b frees d
    # (add still waits for a); a frees add; add frees c.
    assert [name for name, _ in orders.pop()] == ["x", "z", "b", "a", "d", "add", "c"]


def test_topological_sort_reports_a_cycle():
    class FakeNode:
        def __init__(self, name, index):
            self.layer = type("L", (), {"name": name})()
            self.index, self.inbound = index, []

    a, b, c = FakeNode("a", 0), FakeNode("b", 1), FakeNode("c", 2)
    tensor = type("T", (), {})
    ta, tb, tc = tensor(), tensor(), tensor()
    ta.node, tb.node, tc.node = a, b, c
    b.inbound, c.inbound = [ta, tc], [tb]  # b <- c <- b
    with pytest.raises(ValueError, match="cycle") as info:
        topological_order([a, b, c])
    assert "'b'" in str(info.value) and "'c'" in str(info.value)
    assert [n.layer.name for n in topological_order([a])] == ["a"]


# ---------------------------------------------------------------- summary
def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def _rows(text):
    """``{layer name: [Connected to entries]}`` from a summary's box drawing."""
    rows, current = {}, None
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:
            current = cells[0].split(" (")[0]
            rows[current] = []
        if cells[3]:
            rows[current].append(cells[3])
    return rows


def test_summary_has_a_connected_to_column():
    x = Input((3,), name="x")
    h = Dense(4)(x)
    out = Dense(1)(h)
    text = _summary(Model(x, out))
    header = next(line for line in text.splitlines() if "Layer (type)" in line)
    assert "Connected to" in header and "Output Shape" in header and "Param #" in header
    rows = _rows(text)
    assert list(rows) == ["x", "dense", "dense_1"]
    assert rows == {"x": ["-"], "dense": ["x[0][0]"], "dense_1": ["dense[0][0]"]}
    assert "Total params: 21" in text


def test_summary_lists_every_connection_of_a_shared_layer():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(3, activation="tanh", name="shared")
    first = shared(a)
    second = shared(first)
    third = shared(b)
    out = Dense(1, name="out")(layers.Concatenate(name="cat")([second, third, first]))
    rows = _rows(_summary(Model([a, b], out)))
    assert list(rows) == ["a", "shared", "b", "cat", "out"]   # model.layers: Keras's order
    # one entry per call (listed in the order the calls run)
    assert sorted(rows["shared"]) == ["a[0][0]", "b[0][0]", "shared[0][0]"]
    assert rows["cat"] == ["shared[1][0]", "shared[2][0]", "shared[0][0]"]
    assert rows["out"] == ["cat[0][0]"]


# ---------------------------------------------------------------- trace
_TRACE_LINE = re.compile(r"^(\d+) (forward|backward \(from Z\)|backward)\s+(\S+) \((\w+)\): ")


def _parse_trace(lines):
    parsed = []
    for line in lines:
        match = _TRACE_LINE.match(line)
        assert match, f"unexpected trace line: {line!r}"
        parsed.append((int(match[1]), match[2], match[3]))
    return parsed


@pytest.mark.parametrize("spec", [s for s in NAMED if s.name in (
    "fanout3_concat", "shared_thrice_mixed", "two_in_two_out_dict", "output_feeds_output",
    "shared_merge_layers")], ids=str)
def test_trace_prints_forward_in_order_and_backward_in_reverse(spec):
    model, _ = compiled(spec)
    xs, ys = make_data(spec, 5, seed=2)
    lines = []
    with trace(model, print_fn=lines.append):
        model.train_on_batch(structure_x(spec, xs), structure_y(spec, ys))
    parsed = _parse_trace(lines)
    assert [step for step, _, _ in parsed] == list(range(1, len(parsed) + 1))
    order = [node.layer.name for node in model.nodes if not node.is_input]
    forward = [name for _, direction, name in parsed if direction == "forward"]
    backward = [name for _, direction, name in parsed if direction != "forward"]
    assert forward == order
    assert backward == order[::-1]  # every layer of these graphs reaches a loss
    assert [d for _, d, _ in parsed] == ["forward"] * len(order) + [
        d for _, d, _ in parsed[len(order):]]
    # The gradient enters at Z exactly for the outputs that may fuse with their loss.
    fusable = {tensor.node.layer.name for k, tensor in enumerate(model.outputs)
               if model.output_can_fuse(k) and spec.outputs[k][1] != "mse"}
    assert {name for _, d, name in parsed if d == "backward (from Z)"} == fusable
    dense_lines = [line for line in lines if " backward" in line and "(Dense)" in line]
    assert dense_lines and all("dkernel (" in line and "dbias (" in line for line in dense_lines)

    # Nothing is printed outside the block, and no wrapper is left behind.
    model.predict(structure_x(spec, xs), verbose=0)
    model.train_on_batch(structure_x(spec, xs), structure_y(spec, ys))
    assert len(lines) == len(parsed)
    for layer in model.layers:
        assert not {"forward", "backward", "backward_from_z"} & set(vars(layer)), layer.name


def test_trace_of_predict_shows_forward_only_and_cleans_up_after_an_error():
    spec = NAMED[0]
    model, _ = compiled(spec)
    xs, _ = make_data(spec, 3, seed=0)
    lines = []
    with trace(model, print_fn=lines.append):
        model.predict(xs[0], verbose=0)
    assert [d for _, d, _ in _parse_trace(lines)] == ["forward"] * 4
    with pytest.raises(RuntimeError, match="boom"), trace(model, print_fn=lines.append):
        raise RuntimeError("boom")
    assert all("forward" not in vars(layer) for layer in model.layers)

    out = io.StringIO()  # print is the default
    with contextlib.redirect_stdout(out), trace(model):
        model.predict(xs[0], verbose=0)
    assert len(out.getvalue().splitlines()) == 4


# ============================================================================ bad graphs
def test_an_output_that_needs_an_input_not_given_is_a_disconnected_graph():
    x, z = Input((3,), name="x"), Input((3,), name="z")
    hz = Dense(2, name="needs_z")(z)
    out = Dense(1, name="out")(layers.Concatenate(name="cat")([Dense(2, name="hx")(x), hz]))
    with pytest.raises(ValueError, match="Graph disconnected") as info:
        Model(x, out)
    assert "needs_z" in str(info.value) and "'z'" in str(info.value)
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(z, out)
    with pytest.raises(ValueError, match="Graph disconnected") as info:  # an Input as an output
        Model(x, [out, z])
    assert "'z'" in str(info.value)
    Model([x, z], out)  # fine with both


def test_model_inputs_must_be_input_tensors():
    x = Input((3,), name="x")
    h = Dense(4, name="hidden")(x)
    out = Dense(1, name="out")(Add(name="add")([h, Dense(4, name="skip")(x)]))
    with pytest.raises(ValueError, match=r"Input\(\)") as info:
        Model([x, h], out)
    assert "hidden" in str(info.value)
    with pytest.raises(TypeError, match="KerasTensor"):
        Model(np.ones((2, 3)), out)
    with pytest.raises(TypeError, match="KerasTensor"):
        Model(x, [out, np.ones(3)])


def test_an_intermediate_tensor_as_the_only_input_names_the_real_problem():
    """Model(h, out) with h = Dense(x): the problem is that h is not an Input, and the message
    should say so rather than only report the graph as disconnected from x."""
    x = Input((3,), name="x")
    h = Dense(4, name="hidden")(x)
    out = Dense(1, name="out")(h)
    with pytest.raises(ValueError, match=r"Input\(\)") as info:
        Model(h, out)
    assert "hidden" in str(info.value)


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average", "Concatenate"])
def test_merge_layers_need_a_list_of_at_least_two_tensors(kind):
    x = Input((3,))
    for arg in (x, [x]):
        layer = getattr(layers, kind)(name=f"my_{kind.lower()}")
        with pytest.raises(ValueError, match=f"my_{kind.lower()}") as info:
            layer(arg)
        assert "list of" in str(info.value) and "Received 1" in str(info.value)


def test_subtract_takes_exactly_two():
    x = Input((3,))
    with pytest.raises(ValueError, match="exactly 2") as info:
        layers.Subtract(name="minus")([x, x, x])
    assert "minus" in str(info.value) and "Received 3" in str(info.value)


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average"])
def test_merge_layers_refuse_tensors_of_different_shapes(kind):
    a, b = Input((3,)), Input((4,))
    with pytest.raises(ValueError) as info:
        getattr(layers, kind)(name="joint")([a, b])
    message = str(info.value)
    assert "'joint'" in message and "(None, 3)" in message and "(None, 4)" in message
    c = Input((2, 3))
    with pytest.raises(ValueError, match=r"\(None, 2, 3\)"):  # different ranks too
        getattr(layers, kind)(name="joint2")([a, c])


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3), (4, 3)]),       # axis 1 differs, joining the last
    (1, [(2, 3), (2, 5)]),        # the last axis differs, joining axis 1
    (-1, [(3,), (2, 3)]),         # ranks differ
])
def test_concatenate_refuses_mismatched_non_axis_dimensions(axis, shapes):
    tensors = [Input(s) for s in shapes]
    with pytest.raises(ValueError) as info:
        Concatenate(axis=axis, name="joined")(tensors)
    message = str(info.value)
    assert "'joined'" in message
    for s in shapes:
        assert str((None,) + s) in message


def test_concatenate_refuses_the_batch_axis():
    a = Input((3,))
    with pytest.raises(ValueError, match="batch axis"):
        Concatenate(axis=0, name="rows")([a, a])


def test_calling_a_layer_on_arrays_and_symbolic_tensors_together_is_refused():
    x = Input((3,))
    with pytest.raises(TypeError, match="mix of symbolic tensors and arrays") as info:
        Add(name="mixed")([x, np.ones((2, 3))])
    assert "mixed" in str(info.value)
    with pytest.raises(TypeError, match="mix"):
        Concatenate(name="mixed_cat")([np.ones((2, 3)), x])


def _two_by_two():
    spec = next(s for s in NAMED if s.name == "two_in_two_out_list")
    model, _ = compiled(spec)
    xs, ys = make_data(spec, 6, seed=0)
    return model, xs, ys


def test_fit_with_the_wrong_number_of_inputs_or_outputs_lists_the_names():
    model, (xa, xb), (y1, y2) = _two_by_two()
    for bad_x in (xa, [xa], [xa, xb, xb]):
        with pytest.raises(ValueError, match=r"2 inputs \['in0', 'in1'\]"):
            model.fit(bad_x, [y1, y2], verbose=0)
    for bad_y in (y1, [y1], [y1, y2, y2]):
        with pytest.raises(ValueError, match=r"2 outputs \['o_bce', 'o_cce'\]"):
            model.fit([xa, xb], bad_y, verbose=0)
    with pytest.raises(ValueError, match=r"2 inputs"):
        model.predict([xa], verbose=0)
    with pytest.raises(ValueError, match=r"2 outputs"):
        model.evaluate([xa, xb], [y1], verbose=0)


def test_dicts_with_unknown_keys_list_the_names():
    model, (xa, xb), (y1, y2) = _two_by_two()
    before = model.get_weights()
    with pytest.raises(ValueError) as info:
        model.fit({"in0": xa, "in1": xb, "extra": xa}, [y1, y2], verbose=0)
    assert "['extra']" in str(info.value) and "['in0', 'in1']" in str(info.value)
    with pytest.raises(ValueError) as info:
        model.fit([xa, xb], {"o_bce": y1, "nope": y2}, verbose=0)
    assert "['nope']" in str(info.value) and "['o_bce', 'o_cce']" in str(info.value)
    with pytest.raises(ValueError, match=r"x\['in1'\]"):
        model.fit({"in0": xa}, [y1, y2], verbose=0)
    with pytest.raises(ValueError, match="extra"):
        model.predict({"in0": xa, "in1": xb, "extra": xa}, verbose=0)
    for w, w0 in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, w0)


def test_loss_dict_naming_an_unknown_output_is_refused():
    model, _, _ = _two_by_two()
    with pytest.raises(ValueError) as info:
        model.compile(loss={"o_bce": "binary_crossentropy", "o_typo": "mse"})
    assert "['o_typo']" in str(info.value) and "['o_bce', 'o_cce']" in str(info.value)
    with pytest.raises(ValueError, match=r"\['w'\]"):
        model.compile(loss="mse", loss_weights={"w": 2.0})
    with pytest.raises(ValueError, match=r"\['bad'\]"):
        model.compile(loss="mse", metrics={"bad": ["mae"]})
    with pytest.raises(ValueError, match="one entry per output"):
        model.compile(loss=["mse"])


def test_an_input_of_the_wrong_shape_names_the_input():
    model, (xa, xb), (y1, y2) = _two_by_two()
    with pytest.raises(ValueError, match="'in1'") as info:
        model.fit([xa, xb[:, :3]], [y1, y2], verbose=0)
    assert "(None, 4)" in str(info.value) and "(6, 3)" in str(info.value)


# ============================================================================ fit, evaluate, predict
def _io_model(dict_outputs):
    a, b = Input((3,), name="a"), Input((2,), name="b")
    h = Dense(4, activation="tanh", name="h")(layers.Concatenate(name="cat")([a, b]))
    p = Dense(1, activation="sigmoid", name="p")(h)
    q = Dense(2, name="q")(layers.Add(name="add")([h, Dense(4, name="hb")(b)]))
    outputs = {"prob": p, "value": q} if dict_outputs else [p, q]
    return Model({"a": a, "b": b} if dict_outputs else [a, b], outputs)


def _io_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    xa, xb = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))
    yp = (xa[:, 0] + xb[:, 1] > 0).astype(np.float64)
    yq = np.stack([xa.sum(1), xb[:, 0] - xa[:, 2]], axis=1)
    return xa, xb, yp, yq


def test_fit_evaluate_predict_with_lists():
    xa, xb, yp, yq = _io_data()
    model = _io_model(dict_outputs=False)
    model.compile(optimizer=SGD(0.05), loss=["binary_crossentropy", "mse"],
                  loss_weights=[2.0, 0.5], metrics=[["accuracy"], ["mae"]])
    history = model.fit([xa, xb], [yp, yq], batch_size=8, epochs=3, verbose=0,
                        validation_data=([xa[:6], xb[:6]], [yp[:6], yq[:6]]))
    names = ["loss", "p_loss", "q_loss", "p_accuracy", "q_mae"]
    assert sorted(history.history) == sorted(names + ["val_" + n for n in names])
    assert all(len(v) == 3 for v in history.history.values())

    logs = model.evaluate([xa, xb], [yp, yq], verbose=0, return_dict=True)
    assert list(logs) == names
    values = model.evaluate([xa, xb], [yp, yq], verbose=0)
    assert values == [logs[n] for n in names]
    # As in Keras, each output's logged loss is unweighted; "loss" weighs them.
    prob, value = model.predict([xa, xb], verbose=0)
    assert isinstance(model.predict([xa, xb], verbose=0), list)
    assert prob.shape == (20, 1) and value.shape == (20, 2)
    bce = -np.mean(yp * np.log(prob[:, 0]) + (1 - yp) * np.log(1 - prob[:, 0]))
    mse = np.mean((value - yq) ** 2)
    np.testing.assert_allclose(logs["p_loss"], bce, rtol=1e-5)
    np.testing.assert_allclose(logs["q_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 2.0 * logs["p_loss"] + 0.5 * logs["q_loss"],
                               rtol=1e-6)
    np.testing.assert_allclose(logs["q_mae"], np.mean(np.abs(value - yq)), rtol=1e-5)
    np.testing.assert_allclose(logs["p_accuracy"], np.mean((prob[:, 0] > 0.5) == yp), rtol=1e-6)
    # The same model called on its arrays one batch at a time gives the same outputs.
    prob_b, value_b = model.predict_on_batch([xa[:4], xb[:4]])
    np.testing.assert_allclose(prob_b, prob[:4], rtol=1e-6)
    np.testing.assert_allclose(value_b, value[:4], rtol=1e-6)


def test_fit_evaluate_predict_with_dicts():
    xa, xb, yp, yq = _io_data()
    model = _io_model(dict_outputs=True)
    assert model.output_names == ["prob", "value"] and model.input_names == ["a", "b"]
    model.compile(optimizer=SGD(0.05), loss={"prob": "binary_crossentropy", "value": "mse"},
                  loss_weights={"value": 3.0}, metrics={"prob": ["accuracy"]})
    x, y = {"b": xb, "a": xa}, {"value": yq, "prob": yp}  # key order does not matter
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0, validation_split=0.25)
    names = ["loss", "prob_loss", "value_loss", "prob_accuracy"]
    assert sorted(history.history) == sorted(names + ["val_" + n for n in names])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == names
    predicted = model.predict(x, verbose=0)
    assert isinstance(predicted, dict) and list(predicted) == ["prob", "value"]
    assert predicted["prob"].shape == (20, 1) and predicted["value"].shape == (20, 2)
    listed = model.predict([xa, xb], verbose=0)  # a list in the inputs' order works too
    np.testing.assert_array_equal(listed["value"], predicted["value"])
    mse = np.mean((predicted["value"] - yq) ** 2)
    np.testing.assert_allclose(logs["value_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], logs["prob_loss"] + 3.0 * logs["value_loss"],
                               rtol=1e-6)


def test_single_output_graph_keeps_plain_names_and_arrays():
    x = Input((3,), name="x")
    out = Dense(1, activation="sigmoid", name="out")(Dense(4, activation="tanh")(x))
    model = Model(x, out)
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    xv, yv = rng.normal(size=(12, 3)), rng.integers(0, 2, 12)
    history = model.fit(xv, yv, epochs=2, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert isinstance(model.predict(xv, verbose=0), np.ndarray)
    assert model.predict({"x": xv}, verbose=0).shape == (12, 1)


def _sequential(seed):
    set_random_seed(seed)
    model = Sequential([Input((4,)), Dense(6, activation="tanh"),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer=SGD(0.1, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def _functional(seed):
    set_random_seed(seed)
    x = Input((4,))
    out = Dense(1, activation="sigmoid")(Dense(6, activation="tanh")(x))
    model = Model(x, out)
    model.compile(optimizer=SGD(0.1, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("seed", [0, 7])
def test_sequential_and_functional_twins_are_bit_identical(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(50, 4)), rng.integers(0, 2, 50)
    runs = []
    for make in (_sequential, _functional):
        model = make(seed)
        initial = model.get_weights()
        history = model.fit(x, y, batch_size=8, epochs=4, validation_split=0.2, verbose=0)
        runs.append((initial, model.get_weights(), history.history,
                     model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)))
    (init_s, w_s, h_s, p_s, e_s), (init_f, w_f, h_f, p_f, e_f) = runs
    for a, b in zip(init_s, init_f):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(w_s[0], init_s[0])
    assert len(w_s) == len(w_f) == 4
    for a, b in zip(w_s, w_f):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert h_s == h_f
    np.testing.assert_array_equal(p_s, p_f)
    assert e_s == e_f


def test_a_sequential_model_as_a_layer_in_a_graph():
    inner = Sequential([Input((3,)), Dense(4, activation="tanh", name="inner_a"),
                        Dense(3, activation="sigmoid", name="inner_b")], name="block")
    x = Input((3,), name="x")
    out = Dense(1, name="out")(Add(name="skip")([inner(x), x]))
    model = Model(x, out)
    assert [layer.name for layer in model.layers] == ["x", "block", "skip", "out"]
    assert len(model.get_weights()) == 6 and model.count_params() == 16 + 15 + 4
    rows = _rows(_summary(model))
    assert rows["block"] == ["x[0][0]"] and rows["skip"] == ["block[0][0]", "x[0][0]"]
    model.compile(optimizer=SGD(0.1), loss="mse")
    rng = np.random.default_rng(0)
    xv, yv = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    errors = check_gradients(model, xv, yv)
    assert max(errors.values()) < GRAD_BOUND, errors
    before = inner.get_weights()
    model.fit(xv, yv, epochs=2, batch_size=4, verbose=0)
    assert not np.array_equal(inner.get_weights()[0], before[0])  # its weights train too
    expected = model.get_layer("out")(inner.predict(xv, verbose=0) + xv)
    np.testing.assert_allclose(model.predict(xv, verbose=0), expected, rtol=1e-5)


def test_a_sequential_model_shared_inside_a_graph():
    """A Sequential used twice is a shared layer: its uses need their own caches, and its
    weight gradients are summed over the uses, as for a shared Dense."""
    inner = Sequential([Input((3,)), Dense(3, activation="tanh", name="inner")], name="block")
    a, b = Input((3,), name="a"), Input((3,), name="b")
    out = Dense(1, name="out")(Add(name="sum")([inner(inner(a)), inner(b)]))
    model = Model([a, b], out)
    model.compile(loss="mse")
    rng = np.random.default_rng(0)
    xa, xb, yv = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    errors = check_gradients(model, [xa, xb], yv)
    bad = {k: v for k, v in errors.items() if not v < GRAD_BOUND}
    assert not bad, f"relative errors above {GRAD_BOUND}: {bad}"


# ============================================================================ config and files
def _assert_same_predictions(model, other, spec, xs):
    first = model.predict(structure_x(spec, xs), verbose=0)
    second = other.predict(structure_x(spec, xs), verbose=0)
    if isinstance(first, dict):
        assert list(first) == list(second)
        first, second = list(first.values()), list(second.values())
    first = first if isinstance(first, list) else [first]
    second = second if isinstance(second, list) else [second]
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_config_round_trip(spec):
    model = build(spec)
    set_spec_weights(model, seed=1)
    config = model.get_config()
    config = json.loads(json.dumps(config))  # plain values only
    rebuilt = Model.from_config(config)
    assert type(rebuilt) is type(model)
    assert sorted(la.name for la in rebuilt.layers) == sorted(la.name for la in model.layers)
    assert rebuilt.input_names == model.input_names
    assert rebuilt.output_names == model.output_names
    rebuilt.set_weights(model.get_weights())
    xs, _ = make_data(spec, 5, seed=3)
    _assert_same_predictions(model, rebuilt, spec, xs)
    assert json.loads(json.dumps(rebuilt.get_config())) == config


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_config_round_trip_keeps_the_layers_and_their_order(spec):
    """The rebuilt model runs its nodes in the same order and lists its layers (hence its
    weights, and the groups of a weights file) in the same order as the original."""
    model = build(spec)
    rebuilt = Model.from_config(json.loads(json.dumps(model.get_config())))
    assert [la.name for la in rebuilt.layers] == [la.name for la in model.layers]
    assert [type(la) for la in rebuilt.layers] == [type(la) for la in model.layers]
    assert _order(rebuilt) == _order(model)


def test_a_saved_model_gets_each_weight_back_in_its_own_layer(tmp_path):
    """Two layers of the same shape whose order of first use differs from the order in which
    their nodes were made: loading must not swap their weights."""
    x, z = Input((2,), name="x"), Input((2,), name="z")
    joined = Concatenate(name="c")([x, z])
    shared = Dense(4, name="shared")
    s_z, s_x = shared(z), shared(x)
    hc, hs = Dense(4, name="hc")(joined), Dense(4, name="hs")(s_z)
    model = Model([x, z], Dense(1, name="out")(Concatenate(name="j")([hc, hs, s_x])))
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    for name in ("shared", "hc", "hs", "out"):
        for a, b in zip(loaded.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b, err_msg=name)
    data = [np.ones((1, 2)), np.arange(2.0).reshape(1, 2)]
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


SAVE_SPECS = [s for s in NAMED if s.name in ("shared_thrice_mixed", "two_in_two_out_dict",
                                             "concat_rank3_axis1_and_last",
                                             "shared_called_after_a_merge")] + RANDOM[:3]


@pytest.mark.parametrize("spec", SAVE_SPECS, ids=str)
def test_model_file_round_trip_and_resumed_training(spec, tmp_path):
    xs, ys = make_data(spec, 24, seed=5)
    x, y = structure_x(spec, xs), structure_y(spec, ys)

    def fresh():
        set_random_seed(11)
        return compiled(spec, seed=2)[0]

    uninterrupted = fresh()
    uninterrupted.fit(x, y, batch_size=5, epochs=4, verbose=0)

    model = fresh()
    model.fit(x, y, batch_size=5, epochs=2, verbose=0)
    path = tmp_path / "graph.h5"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert [la.name for la in loaded.layers] == [la.name for la in model.layers]
    _assert_same_predictions(model, loaded, spec, xs)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert loaded.optimizer.iterations == model.optimizer.iterations

    loaded.fit(x, y, batch_size=5, epochs=4, initial_epoch=2, verbose=0)
    for a, b in zip(loaded.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("spec", SAVE_SPECS[:3], ids=str)
def test_weights_file_round_trip_and_resumed_training(spec, tmp_path):
    xs, ys = make_data(spec, 24, seed=6)
    x, y = structure_x(spec, xs), structure_y(spec, ys)

    def fresh(seed):  # plain SGD, no shuffling: the weights are the whole state
        set_random_seed(seed)
        model = build(spec)
        loss, loss_weights = compile_args(spec)
        model.compile(optimizer=SGD(0.05), loss=loss, loss_weights=loss_weights)
        return model

    uninterrupted = fresh(3)
    uninterrupted.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)

    model = fresh(3)
    model.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "graph.weights.h5"
    model.save_weights(path)
    other = fresh(99)  # other initial weights
    assert not np.array_equal(other.get_weights()[0], model.get_weights()[0])
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_same_predictions(model, other, spec, xs)
    other.fit(x, y, batch_size=6, epochs=3, initial_epoch=1, shuffle=False, verbose=0)
    for a, b in zip(other.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)


# ============================================================================ the example
def test_computation_graph_example_runs(capsys):
    path = ROOT / "examples" / "computation_graph.py"
    spec = importlib.util.spec_from_file_location("computation_graph_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    history, errors = module.main()
    out = capsys.readouterr().out
    assert max(errors.values()) < GRAD_BOUND, errors
    assert "Connected to" in out
    order = re.findall(r"^\s+\d+\. (\w+)\s+<-", out, flags=re.M)
    assert order == ["x", "left", "right", "add", "out"]
    traced = _parse_trace([line.strip() for line in out.splitlines()
                           if re.match(r"^\s+\d+ (forward|backward)", line)])
    assert [n for _, d, n in traced if d == "forward"] == ["left", "right", "add", "out"]
    assert [n for _, d, n in traced if d != "forward"] == ["out", "add", "right", "left"]
    assert history.history["loss"][-1] < history.history["loss"][0]
