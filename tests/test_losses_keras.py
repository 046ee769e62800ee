"""Every loss against Keras 3: values, gradients, function forms, edges and configs.

Keras runs on its torch backend with floatx float64 (restored afterwards); its
gradients come from torch's autograd through Keras's own code. Keras's
``ops.mean`` computes in float32 even for float64 inputs (its dtype rules map
64-bit types to 32-bit), so agreement is to about 1e-7; the bound is 1e-6
(relative). Cases, data and weight shapes are ``test_losses``'s: every reduction
and every sample-weight shape. Where Keras's value or gradient is not finite and
ours is by design (zero rows, the cosine of a zero vector, γ < 1 at p_t = 1),
the test says so. The worst relative errors are printed at the end.
"""

import inspect

import numpy as np
import pytest
from peers import import_peer
from test_losses import CASE_RANKS, CASES, REDUCTIONS, draw_weight, weight_shapes
from test_losses_edges import EDGES, NON_DEFAULT, _edge_predictions

from layerkit import losses

keras = import_peer("keras")
torch = import_peer("torch")

BOUND = 1e-6
TINY = np.finfo(np.float64).tiny
WORST = {}


@pytest.fixture(scope="module", autouse=True)
def _keras_in_float64():
    floatx = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    yield
    keras.backend.set_floatx(floatx)


@pytest.fixture(scope="module", autouse=True)
def _report_worst_errors(request):
    yield
    lines = [f"layerkit vs Keras {keras.__version__}: worst relative errors measured "
             f"(bound {BOUND:.0e})"]
    lines += [f"  {kind:<28}{error:.3e}" for kind, error in sorted(WORST.items())]
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        for line in lines:
            reporter.write_line(line)


def check(kind, ours, theirs, what, floor=TINY):
    """Relative agreement of finite entries (absolute below ``floor``); NaN where Keras has NaN."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shapes {ours.shape} vs {theirs.shape}"
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=what)
    finite = ~np.isnan(ours)
    scale = max(np.abs(ours[finite]).max(initial=0.0), np.abs(theirs[finite]).max(initial=0.0), floor)
    error = float(np.abs(ours[finite] - theirs[finite]).max(initial=0.0) / scale)
    WORST[kind] = max(WORST.get(kind, 0.0), error)
    assert error <= BOUND, f"{what}: relative error {error:.2e}\nlayerkit {ours}\nkeras    {theirs}"


def keras_loss(loss):
    return getattr(keras.losses, type(loss).__name__)(**loss.get_config())


def keras_value_and_gradient(loss, y_true, y_pred, weight):
    """Keras's value and, when it is one number, its gradient by torch's autograd."""
    prediction = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    value = loss(torch.tensor(y_true), prediction, sample_weight=weight)
    if value.ndim:
        return value.detach().numpy(), None
    value.backward()
    return value.detach().numpy(), prediction.grad.numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,rank", CASE_RANKS)
def test_classes_match_keras(name, rank, reduction):
    case = CASES[name]
    y_true, y_pred = case.draw(rank, seed=7)
    ours = case.loss(reduction)
    theirs = keras_loss(ours)
    values_shape = np.shape(ours.values(y_true, y_pred))
    for shape in weight_shapes(values_shape):
        weight = draw_weight(shape, seed=8)
        what = f"{name} rank {rank} {reduction} sample_weight {shape}"
        smaller = shape == () or (len(values_shape) == 2 and shape == values_shape[:1] + (1,))
        if case.keep is not None and smaller:
            # Keras 3.15 multiplies the weight by the mask in place: a weight smaller than the
            # mask (a scalar, or (N, 1) for (N, T) values) fails there.
            with pytest.raises(RuntimeError):
                keras_value_and_gradient(theirs, y_true, y_pred, weight)
            continue
        value, grad = keras_value_and_gradient(theirs, y_true, y_pred, weight)
        check("value", ours(y_true, y_pred, sample_weight=weight), value, what)
        if grad is not None:
            check("gradient", ours.gradient(y_true, y_pred, sample_weight=weight), grad, what)


@pytest.mark.parametrize("name,rank", CASE_RANKS)
def test_function_forms_match_keras(name, rank):
    case = CASES[name]
    y_true, y_pred = case.draw(rank, seed=9)
    keras_function = getattr(keras.losses, case.function.__name__)
    theirs = keras_function(torch.tensor(y_true), torch.tensor(y_pred), **case.kwargs)
    check("function", case.function(y_true, y_pred, **case.kwargs), theirs.numpy(), name)


# Where Keras is not finite and layerkit is, by design.
KERAS_NOT_FINITE = {
    ("cce", "zeros"), ("scce", "zeros"), ("categorical_focal", "zeros"),
    ("categorical_focal_alphas", "zeros"),       # 0 / 0 normalising a row of zeros
    ("cosine", "zeros"), ("cosine_axis1", "zeros"),  # rsqrt(0) in the gradient of the ε floor
}


@pytest.mark.parametrize("name,edge", EDGES)
def test_edges_match_keras(name, edge):
    case = CASES[name]
    y_true, y_pred = case.draw(case.ranks[0], seed=10)
    y_pred = y_true.astype(np.float64) if edge == "exact" else _edge_predictions(name, y_pred, edge)
    weight = None if name in ("dice", "tversky") else draw_weight(y_true.shape[:1] + (1,), seed=11)
    ours = case.loss()
    value, grad = ours.value_and_gradient(y_true, y_pred, sample_weight=weight)
    keras_value, keras_grad = keras_value_and_gradient(keras_loss(ours), y_true, y_pred, weight)
    if (name, edge) in KERAS_NOT_FINITE:
        assert not (np.isfinite(keras_value) and np.all(np.isfinite(keras_grad)))
        assert np.isfinite(value) and np.all(np.isfinite(grad))
        return
    if np.isnan(keras_value):   # out of the loss's domain: no number to agree on, NaN in both
        assert np.isnan(value)
        return
    # At an exact match the gradients are often 0 up to rounding (Keras's float32 means, its
    # float32 norms): agreement is absolute there, relative elsewhere.
    floor = 1.0 if edge == "exact" else TINY
    check("edge value", value, keras_value, f"{name} at {edge}", floor)
    check("edge gradient", grad, keras_grad, f"{name} at {edge}", floor)


def test_focal_gamma_below_one_at_certainty_is_finite_where_keras_is_not():
    bits = np.array([[0.0, 1.0], [1.0, 1.0]])
    ours = losses.BinaryFocalCrossentropy(gamma=0.5)
    value, grad = ours.value_and_gradient(bits, bits.copy())
    keras_value, keras_grad = keras_value_and_gradient(keras_loss(ours), bits, bits.copy(), None)
    check("edge value", value, keras_value, "focal gamma 0.5 at p_t = 1")
    assert np.isnan(keras_grad).all() and not grad.any()


@pytest.mark.parametrize("loss", NON_DEFAULT + [CASES[name].loss() for name in sorted(CASES)],
                         ids=lambda loss: type(loss).__name__)
def test_configs_have_keras_keys(loss):
    ours = loss.get_config()
    theirs = keras_loss(loss).get_config()
    # Keras 3.15 forgets Huber's delta and CosineSimilarity's axis (its round trip loses them);
    # layerkit keeps them, and the dtype, in every config.
    kept_here = {"dtype"} | {"Huber": {"delta"}, "CosineSimilarity": {"axis"}}.get(
        type(loss).__name__, set())
    assert set(theirs) <= set(ours) and set(ours) - set(theirs) <= kept_here
    assert {key: ours[key] for key in theirs} == theirs
    rng = np.random.default_rng(12)
    y_pred = rng.uniform(0.1, 0.9, size=(2, 3, 3))
    y_true = (rng.integers(0, 3, size=(2, 3)) if isinstance(loss, losses.SparseCategoricalCrossentropy)
              else rng.uniform(0.1, 0.9, size=(2, 3, 3)))
    restored = getattr(keras.losses, type(loss).__name__).from_config(ours)
    check("config round trip", loss(y_true, y_pred), restored(y_true, y_pred).numpy(),
          type(loss).__name__)


KERAS_GET_NAMES = sorted(set(keras.src.losses.ALL_OBJECTS_DICT) - {"Loss", "LossFunctionWrapper"})
REFUSED = {"ctc", "CTC", "circle", "Circle"}


@pytest.mark.parametrize("name", KERAS_GET_NAMES + ["logcosh", "kullback_leibler_divergence"])
def test_every_name_keras_gets_computes_what_keras_computes(name):
    if name in REFUSED:
        with pytest.raises(NotImplementedError, match="not implemented in layerkit"):
            losses.get(name)
        return
    rng = np.random.default_rng(13)
    y_pred = rng.uniform(0.1, 0.9, size=(4, 3))
    y_true = (rng.integers(0, 3, size=4) if "parse" in name
              else rng.integers(0, 2, size=(4, 3)).astype(float))
    # Keras's get() gives a class instance, or a function of per-sample values that compile
    # averages; two legacy names it still exports are no longer in its get() table.
    theirs = keras.losses.get({"logcosh": "log_cosh", "kullback_leibler_divergence": "kld"}.get(
        name, name))
    expected = np.mean(theirs(torch.tensor(y_true), torch.tensor(y_pred)).numpy())
    check("by name", losses.get(name)(y_true, y_pred), expected, name)


PUBLIC = [name for name in losses.__all__
          if name not in ("Loss", "LossFunctionWrapper", "get", "serialize", "deserialize")]


@pytest.mark.parametrize("name", PUBLIC)
def test_signatures_are_keras_signatures(name):
    def parameters(obj):
        return [(p.name, p.default) for p in inspect.signature(obj).parameters.values()]

    assert parameters(getattr(losses, name)) == parameters(getattr(keras.losses, name))
