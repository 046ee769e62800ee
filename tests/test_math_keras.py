"""layerkit's math modules against Keras 3 (torch backend, float64): the peer comparisons.

Activations, regularizer penalties (and their gradients, against torch's autograd
of Keras's penalty), constraints and schedules must equal Keras's on random
inputs; initializers are compared by distribution (variance-scaling constants,
orthogonality), not by draws, and deterministic ones exactly. Names and configs
are checked against Keras's own tables. Known differences, each tested as such:
Keras 3.15.1's sparsemax is wrong when more than one entry is positive
(keras-team/keras#23425), so it is compared where the support has one entry;
Keras's OrthogonalRegularizer normalises in float32 (so it is also compared with
torch's autograd of the float64 formula), its NonNeg answers in float32, and its
Identity leaves ``gain`` out of its config.
"""

import math

import numpy as np
import pytest
from parity import rel_err
from peers import import_peer

from layerkit import activations, constraints, initializers, regularizers
from layerkit.optimizers import schedules

keras = import_peer("keras")
torch = import_peer("torch")
ops = keras.ops

WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _keras_in_float64():
    keras.backend.set_floatx("float64")
    yield
    keras.backend.set_floatx("float32")
    lines = [f"  {kind:<48}{err:.3e}" for kind, err in sorted(WORST.items())]
    print("\n[test_math_keras] worst relative errors against Keras:\n" + "\n".join(lines))


def _record(kind, ours, theirs):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300)
    WORST[kind] = max(WORST.get(kind, 0.0), float(np.max(np.abs(ours - theirs)) / scale))


def _numpy(tensor):
    """A Keras result as a NumPy array (torch tensors directly: Keras's own conversion warns)."""
    if isinstance(tensor, torch.Tensor):
        return tensor.detach().cpu().numpy()
    return np.asarray(ops.convert_to_numpy(tensor))


# ============================================================== activations
ACTIVATION_CASES = [
    ("relu", {}), ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 1.5, "threshold": 0.5}),
    ("relu", {"negative_slope": 0.2, "max_value": 0.4, "threshold": -0.1}),
    ("relu", {"negative_slope": 0.3, "threshold": 1.0}), ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.05}), ("relu6", {}),
    ("threshold", {"threshold": 0.5, "default_value": -2.0}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}), ("exponential", {}), ("sigmoid", {}),
    ("log_sigmoid", {}), ("hard_sigmoid", {}), ("sparse_sigmoid", {}), ("tanh", {}), ("hard_tanh", {}),
    ("softsign", {}), ("softplus", {}), ("sparse_plus", {}), ("squareplus", {}),
    ("squareplus", {"b": 0.5}), ("silu", {}), ("swish", {}), ("hard_silu", {}), ("hard_swish", {}),
    ("gelu", {}), ("gelu", {"approximate": True}), ("mish", {}), ("tanh_shrink", {}),
    ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.0}), ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 0.2}), ("linear", {}), ("softmax", {}), ("softmax", {"axis": 0}),
    ("log_softmax", {}), ("log_softmax", {"axis": 0}), ("sparsemax", {}), ("sparsemax", {"axis": 0}),
    ("glu", {}), ("glu", {"axis": 0}),
]


def _case_id(case):
    name, kwargs = case
    return name + "".join(f",{k}={v}" for k, v in kwargs.items())


def test_the_name_tables_agree():
    from keras.src.activations import ALL_OBJECTS_DICT

    assert set(activations.names()) == set(ALL_OBJECTS_DICT)
    assert {name for name, _ in ACTIVATION_CASES} == set(ALL_OBJECTS_DICT)


@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=_case_id)
def test_activation_values_equal_keras(case, rng):
    name, kwargs = case
    x = rng.normal(size=(6, 8)) * 3
    x[0, :4] = [-1.0, 0.0, 1.0, 3.0]  # some kinks, where both must agree too
    if name == "sparsemax":  # Keras 3.15.1 is right only for a support of one entry (#23425)
        axis = kwargs.get("axis", -1)
        winners = np.argmax(x, axis=axis)
        np.put_along_axis(x, np.expand_dims(winners, axis), 10.0, axis=axis)
    ours = activations.get(name)(x, **kwargs)
    theirs = _numpy(getattr(keras.activations, name)(ops.convert_to_tensor(x), **kwargs))
    _record("activation " + _case_id(case), ours, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_keras_sparsemax_bug_is_where_we_think_it_is():
    """Both project onto the simplex only when one entry survives; Keras's sum differs otherwise."""
    x = np.array([[0.0, 0.5, 1.0]])
    ours = activations.sparsemax(x)
    theirs = _numpy(keras.activations.sparsemax(ops.convert_to_tensor(x)))
    np.testing.assert_allclose(ours, [[0.0, 0.25, 0.75]])
    assert not np.allclose(theirs.sum(), 1.0)


# ============================================================== initializers
def test_initializer_name_tables_agree():
    from keras.src.initializers import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        if cls.__name__ == "Initializer":
            continue
        assert type(initializers.get(name)).__name__ == cls.__name__, name


@pytest.mark.parametrize("shape", [(7,), (12, 5), (3, 3, 4, 8), (2, 5, 6)])
def test_compute_fans_equal_keras(shape):
    from keras.src.initializers.random_initializers import compute_fans

    assert initializers.compute_fans(shape) == compute_fans(shape)
    assert initializers.compute_fans(shape, [0], [-1]) == compute_fans(shape, [0], [-1])


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_distributions_match_keras(mode, distribution):
    shape, scale = (500, 300), 1.3
    ours = initializers.VarianceScaling(scale, mode, distribution, seed=1)(shape, "float64")
    theirs = _numpy(keras.initializers.VarianceScaling(scale, mode, distribution, seed=1)(
        shape, dtype="float64"))
    n = {"fan_in": 500, "fan_out": 300, "fan_avg": 400}[mode]
    variance = scale / n
    standard_error = variance * math.sqrt(2 / ours.size) * 3  # generous: truncation lowers kurtosis
    for values in (ours, theirs):
        assert abs(values.var() - variance) < 6 * standard_error
        assert abs(values.mean()) < 6 * math.sqrt(variance / values.size)
    bound = {"truncated_normal": 2 * math.sqrt(variance) / 0.87962566103423978,
             "untruncated_normal": np.inf, "uniform": math.sqrt(3 * variance)}[distribution]
    assert np.abs(ours).max() <= bound
    assert np.mean(np.abs(theirs) <= bound) > 0.9999  # Keras's torch back end gives up after 4 tries
    _record(f"VarianceScaling {mode} {distribution} (sampling)", ours.var(), theirs.var())


@pytest.mark.parametrize("name", ["GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform",
                                  "LecunNormal", "LecunUniform"])
def test_presets_have_keras_constants(name):
    ours, theirs = getattr(initializers, name)(), getattr(keras.initializers, name)()
    assert (ours.scale, ours.mode, ours.distribution) == (theirs.scale, theirs.mode, theirs.distribution)
    again = initializers.deserialize({"class_name": name, "config": theirs.get_config()})
    assert type(again) is type(ours)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (2, 3, 4)])
def test_orthogonal_behaves_as_keras(shape):
    gain = 1.7
    for values in (initializers.Orthogonal(gain=gain, seed=3)(shape, "float64"),
                   _numpy(keras.initializers.Orthogonal(gain=gain, seed=3)(shape, dtype="float64"))):
        m = values.reshape(-1, shape[-1])
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-10)
    with pytest.raises(ValueError):
        keras.initializers.Orthogonal()((5,))
    with pytest.raises(ValueError):
        initializers.Orthogonal()((5,))


DETERMINISTIC = [
    (lambda m: m.Identity(gain=2.5), [(6, 4), (3, 6), (5, 5)]),
    (lambda m: m.Constant(0.3), [(6, 4)]), (lambda m: m.Zeros(), [(6, 4)]), (lambda m: m.Ones(), [(6, 4)]),
    (lambda m: m.STFT(side="real", window=None, scaling=None), [(6, 1, 5), (8, 2, 3)]),
    (lambda m: m.STFT(side="imag", window=[0.2, 0.5, 1.0, 0.5, 0.2, 0.1], scaling="density"), [(6, 1, 5)]),
    (lambda m: m.STFT(side="real", window=[0.2, 0.5, 1.0, 0.5, 0.2, 0.1], scaling="spectrum"),
     [(6, 1, 5)]),
]


@pytest.mark.parametrize("make, shape", [(make, shape) for make, shapes in DETERMINISTIC for shape in shapes],
                         ids=lambda v: str(v) if isinstance(v, tuple) else "")
def test_deterministic_initializers_equal_keras(make, shape):
    ours, theirs = make(initializers), make(keras.initializers)
    expected = _numpy(theirs(shape, dtype="float64"))
    got = ours(shape, "float64")
    _record(f"initializer {type(ours).__name__}", got, expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if isinstance(ours, initializers.Identity):
        assert theirs.get_config() == {}  # Keras 3.15.1's Identity leaves `gain` out of its config
        return
    again = type(ours).from_config(theirs.get_config())
    np.testing.assert_allclose(again(shape, "float64"), expected, rtol=1e-12, atol=1e-12)


# ============================================================== schedules
SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.8)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.8, staircase=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.5, decay_steps=5, decay_rate=0.3)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.5, decay_steps=5, decay_rate=0.3, staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 25, 40], values=[1.0, 0.5, 0.1, 0.05])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.01,
                             power=2.0, cycle=True)),
    ("CosineDecay", dict(initial_learning_rate=0.2, decay_steps=40)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=40, alpha=0.1, warmup_target=0.3,
                         warmup_steps=15)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=7, t_mul=1.0,
                                 m_mul=0.7, alpha=0.05)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.5,
                                 m_mul=0.9, alpha=0.1)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=0.9)),
]


@pytest.mark.parametrize("case", SCHEDULES, ids=lambda c: c[0] + str(sorted(c[1])))
def test_schedules_equal_keras_at_every_step(case):
    name, kwargs = case
    ours, theirs = getattr(schedules, name)(**kwargs), getattr(keras.optimizers.schedules, name)(**kwargs)
    last = 99 if kwargs.get("t_mul", 2.0) < 1 else 300  # t_mul < 1: the periods end at 100
    steps = range(0, last)
    got = np.array([ours(step) for step in steps])
    expected = np.array([float(_numpy(theirs(step))) for step in steps])
    _record(f"schedule {name}", got, expected)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert ours.get_config() == theirs.get_config()
    again = type(ours).from_config(theirs.get_config())
    assert [again(s) for s in steps] == list(got)


# ============================================================== regularizers
REGULARIZER_CASES = [
    ("L1", dict(l1=0.3)), ("L2", dict(l2=0.2)), ("L1L2", dict(l1=0.05, l2=0.4)),
    ("OrthogonalRegularizer", dict(factor=0.7, mode="rows")),
    ("OrthogonalRegularizer", dict(factor=0.7, mode="columns")),
]


@pytest.mark.parametrize("case", REGULARIZER_CASES, ids=lambda c: c[0] + str(c[1].get("mode", "")))
@pytest.mark.parametrize("shape", [(5, 4), (3, 6)])
def test_regularizer_penalty_and_gradient_equal_keras_and_autograd(case, shape, rng):
    name, kwargs = case
    ours, theirs = getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)
    x = rng.normal(size=shape)
    x[0, 0] = 0.0  # |x| at its kink: torch's gradient of abs there is 0, as layerkit's
    tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    penalty = theirs(tensor)
    penalty.backward()
    _record(f"regularizer {name} penalty", ours(x), penalty.item())
    _record(f"regularizer {name} gradient", ours.gradient(x), tensor.grad.numpy())
    # Keras keeps the L1 and orthogonal factors as float32 tensors: 1e-7 relative apart
    assert ours(x) == pytest.approx(penalty.item(), rel=1e-6)
    assert rel_err(ours.gradient(x), tensor.grad.numpy()) < 1e-6


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_equals_torch_autograd_of_its_formula(mode, rng):
    """Keras's own penalty normalises in float32 (its ``minimum(1 / norm, 1 / ε)``); this is float64."""
    x = rng.normal(size=(6, 4))
    tensor = torch.tensor(x if mode == "rows" else x.T, requires_grad=True)
    unit = tensor / torch.linalg.norm(tensor, dim=1, keepdim=True)
    k = tensor.shape[0]
    penalty = 0.7 * (unit @ unit.T).abs().triu(diagonal=1).sum() / (k * (k - 1) / 2)
    penalty.backward()
    expected = tensor.grad.numpy() if mode == "rows" else tensor.grad.numpy().T
    ours = regularizers.OrthogonalRegularizer(factor=0.7, mode=mode)
    _record("regularizer Orthogonal vs autograd", ours.gradient(x), expected)
    assert ours(x) == pytest.approx(penalty.item(), rel=1e-13)
    assert rel_err(ours.gradient(x), expected) < 1e-12


def test_regularizer_names_and_configs_agree_with_keras():
    from keras.src.regularizers import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        if cls.__name__ == "Regularizer":
            continue
        ours, theirs = regularizers.get(name), keras.regularizers.get(name)
        assert type(ours).__name__ == cls.__name__
        theirs_config = theirs.get_config()
        assert ours.get_config().keys() == theirs_config.keys()
        for key, value in ours.get_config().items():
            assert value == (pytest.approx(theirs_config[key], rel=1e-6) if isinstance(value, float)
                             else theirs_config[key])
    with pytest.raises(ValueError):  # Keras 3.15 does not know the name it documents
        keras.regularizers.get("l1_l2")


# ============================================================== constraints
CONSTRAINT_CASES = [
    ("MaxNorm", dict(max_value=1.5, axis=0)), ("MaxNorm", dict(max_value=0.5, axis=1)),
    ("MaxNorm", dict(max_value=2.0, axis=[0, 1])),
    ("MinMaxNorm", dict(min_value=0.5, max_value=1.0, rate=1.0, axis=0)),
    ("MinMaxNorm", dict(min_value=1.0, max_value=3.0, rate=0.3, axis=1)),
    ("NonNeg", {}), ("UnitNorm", dict(axis=0)), ("UnitNorm", dict(axis=2)),
    ("UnitNorm", dict(axis=[0, 2])),
]


@pytest.mark.parametrize("case", CONSTRAINT_CASES, ids=lambda c: c[0] + str(c[1]))
def test_constraints_equal_keras(case, rng):
    name, kwargs = case
    ours, theirs = getattr(constraints, name)(**kwargs), getattr(keras.constraints, name)(**kwargs)
    w = rng.normal(size=(4, 5, 3)) * rng.uniform(0.1, 3.0, size=(1, 5, 1))
    before = w.copy()
    got = ours(w)
    expected = _numpy(theirs(ops.convert_to_tensor(w)))
    np.testing.assert_array_equal(w, before)
    _record(f"constraint {name}", got, expected)
    # Keras's NonNeg answers in float32 even for float64 weights (its maximum(w, 0) promotes so)
    rtol = 1e-7 if name == "NonNeg" else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-15)
    assert ours.get_config() == theirs.get_config()
    assert type(constraints.get(keras.constraints.serialize(theirs))) is type(ours)


def test_constraint_names_agree_with_keras():
    from keras.src.constraints import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        if cls.__name__ != "Constraint":
            assert type(constraints.get(name)).__name__ == cls.__name__
