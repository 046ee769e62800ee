"""Every loss against its formula and against finite differences, for every reduction and weight shape.

Each case below declares a loss, how to draw data away from its kinks, and its
per-sample values written out from the formula with Python's ``math`` (a loop
over the rows, independent of layerkit's vectorised code). The tests check the
values; the reduced value for every reduction and every sample-weight shape
Keras accepts (scalar, ``(N,)``, ``(N, 1)``; ``(N, 1)``, ``(N, T)`` and
``(N, T, 1)`` for ``(N, T, D)`` predictions) against the reduction written out
here; the gradient against central differences in float64 (relative error
below 1e-6); and the function forms. The worst relative error against finite
differences is printed at the end of the module. ``test_losses_edges.py``
covers the edges (zeros, huge values, exact matches), names and configs;
``test_losses_keras.py`` compares everything with Keras.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from layerkit import losses
from layerkit.utils import relative_error

EPS = 1e-7        # backend.epsilon()
BOUND = 1e-6      # finite differences: worst relative error allowed
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]
_WORST = {}       # case id -> worst relative error against finite differences


@pytest.fixture(scope="module", autouse=True)
def _report_worst_error():
    yield
    if _WORST:
        name = max(_WORST, key=_WORST.get)
        print(f"\n[test_losses] {len(_WORST)} losses checked against finite differences, worst "
              f"relative error {_WORST[name]:.3e} ({name})")


# ---------------------------------------------------------------------------- the formulas
def _mean(xs):
    return sum(xs) / len(xs)


def _clip(x, low, high):
    return min(max(x, low), high)


def _sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _softmax(zs):
    top = max(zs)
    exps = [math.exp(z - top) for z in zs]
    return [e / sum(exps) for e in exps]


def mse_row(t, p):
    return _mean([(b - a) ** 2 for a, b in zip(t, p)])


def mae_row(t, p):
    return _mean([abs(b - a) for a, b in zip(t, p)])


def mape_row(t, p):
    return 100 * _mean([abs(a - b) / max(abs(a), EPS) for a, b in zip(t, p)])


def msle_row(t, p):
    return _mean([(math.log(1 + max(b, EPS)) - math.log(1 + max(a, EPS))) ** 2 for a, b in zip(t, p)])


def huber_row(t, p, delta=1.0):
    return _mean([0.5 * (b - a) ** 2 if abs(b - a) <= delta else delta * abs(b - a) - 0.5 * delta ** 2
                  for a, b in zip(t, p)])


def log_cosh_row(t, p):
    return _mean([math.log(math.cosh(b - a)) for a, b in zip(t, p)])


def cosine_row(t, p):
    norm_t = math.sqrt(sum(a * a for a in t))
    norm_p = math.sqrt(sum(b * b for b in p))
    return -sum(a * b for a, b in zip(t, p)) / (max(norm_t, EPS) * max(norm_p, EPS))


def kld_row(t, p):
    return sum(_clip(a, EPS, 1) * math.log(_clip(a, EPS, 1) / _clip(b, EPS, 1)) for a, b in zip(t, p))


def poisson_row(t, p):
    return _mean([b - a * math.log(b + EPS) for a, b in zip(t, p)])


def signed(y_true):
    """Keras's hinge labels: a batch of 0s and 1s becomes -1s and 1s."""
    return 2 * y_true - 1 if set(np.unique(y_true).tolist()) <= {0.0, 1.0} else y_true


def hinge_row(t, p):
    return _mean([max(1 - a * b, 0) for a, b in zip(t, p)])


def squared_hinge_row(t, p):
    return _mean([max(1 - a * b, 0) ** 2 for a, b in zip(t, p)])


def categorical_hinge_row(t, p):
    positive = sum(a * b for a, b in zip(t, p))
    negative = max((1 - a) * b for a, b in zip(t, p))
    return max(negative - positive + 1, 0)


def bce_row(t, p, from_logits=False, label_smoothing=0.0):
    total = 0.0
    for a, b in zip(t, p):
        a = a * (1 - label_smoothing) + 0.5 * label_smoothing
        if from_logits:
            total += max(b, 0) - a * b + math.log1p(math.exp(-abs(b)))
        else:
            q = _clip(b, EPS, 1 - EPS)
            total -= a * math.log(q) + (1 - a) * math.log(1 - q)
    return total / len(p)


def cce_row(t, p, from_logits=False):
    q = _softmax(p) if from_logits else [_clip(b / sum(p), EPS, 1 - EPS) for b in p]
    return -sum(a * math.log(b) for a, b in zip(t, q))


def scce_row(t, p, from_logits=False, ignore_class=None):
    label = t[0]
    if label == ignore_class:
        return 0.0
    return cce_row([1.0 if k == label else 0.0 for k in range(len(p))], p, from_logits)


def binary_focal_row(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                     label_smoothing=0.0):
    terms = []
    for a, b in zip(t, p):
        a = a * (1 - label_smoothing) + 0.5 * label_smoothing
        q = _sigmoid(b) if from_logits else b
        qc = _clip(q, EPS, 1 - EPS)
        bce = -(a * math.log(qc) + (1 - a) * math.log(1 - qc))
        p_t = a * q + (1 - a) * (1 - q)
        weight = a * alpha + (1 - a) * (1 - alpha) if apply_class_balancing else 1.0
        terms.append(weight * (1 - p_t) ** gamma * bce)
    return _mean(terms)


def categorical_focal_row(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    k = len(p)
    t = [a * (1 - label_smoothing) + label_smoothing / k for a in t]
    q = _softmax(p) if from_logits else list(p)
    o = [_clip(b / sum(q), EPS, 1 - EPS) for b in q]
    alphas = alpha if isinstance(alpha, list) else [alpha] * k
    return sum(w * (1 - b) ** gamma * -a * math.log(b) for w, a, b in zip(alphas, t, o))


def dice_row(t, p):
    return 1 - 2 * sum(a * b for a, b in zip(t, p)) / (sum(t) + sum(p) + EPS)


def tversky_row(t, p, alpha=0.5, beta=0.5):
    hits = sum(a * b for a, b in zip(t, p))
    misses = sum((1 - b) * a for a, b in zip(t, p))
    extras = sum(b * (1 - a) for a, b in zip(t, p))
    return 1 - hits / (hits + alpha * misses + beta * extras + EPS)


def rowwise(row, **kwargs):
    """Per-sample values from a formula on one row (the last axis)."""
    def values(y_true, y_pred):
        out = np.empty(y_pred.shape[:-1])
        for index in np.ndindex(out.shape):
            out[index] = row(y_true[index].tolist(), y_pred[index].tolist(), **kwargs)
        return out
    return values


def whole(row, **kwargs):
    """One value for the whole batch (``axis=None``)."""
    return lambda y_true, y_pred: np.array(row(y_true.ravel().tolist(), y_pred.ravel().tolist(),
                                               **kwargs))


# ---------------------------------------------------------------------------- data, away from kinks
def _apart(rng, shape):
    """Random signs times magnitudes away from 0, 0.5 and 1 (kinks of |e| and of Huber's δ)."""
    band = rng.integers(0, 3, size=shape)
    low, high = np.array([0.15, 0.6, 1.2])[band], np.array([0.35, 0.9, 2.5])[band]
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high)


def real(rng, shape):
    y_true = rng.normal(size=shape)
    return y_true, y_true + _apart(rng, shape)


def nonzero(rng, shape):
    y_true = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)
    return y_true, y_true + _apart(rng, shape)


def positive(rng, shape):   # some targets below ε, clipped
    return rng.uniform(-0.5, 3.0, size=shape), rng.uniform(0.1, 3.0, size=shape)


def counts(rng, shape):
    return rng.poisson(2.0, size=shape).astype(float), rng.uniform(0.2, 4.0, size=shape)


def distributions(rng, shape):
    y_true = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    y_true[..., 0] = 0.0    # a zero target, clipped to ε
    return y_true, rng.uniform(0.05, 0.95, size=shape)


def signs(rng, shape):      # margins 1 - y p away from the kink
    y_true = rng.choice([-1.0, 1.0], size=shape)
    return y_true, y_true * (1 - _apart(rng, shape))


def bits(rng, shape):
    return rng.integers(0, 2, size=shape).astype(float), rng.uniform(0.05, 0.95, size=shape)


def bit_logits(rng, shape):
    return rng.integers(0, 2, size=shape).astype(float), rng.normal(scale=2.0, size=shape)


def one_hot(rng, shape):
    return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])], rng.uniform(0.05, 1.0,
                                                                                          size=shape)


def one_hot_logits(rng, shape):
    return one_hot(rng, shape)[0], rng.normal(scale=2.0, size=shape)


def hinge_scores(rng, shape):
    """Scores whose margin and whose best other class are clear of the kinks."""
    y_true, y_pred = one_hot(rng, shape)[0], rng.normal(scale=1.5, size=shape)
    for index in np.ndindex(shape[:-1]):
        while True:
            others = np.sort((1 - y_true[index]) * y_pred[index])
            margin = others[-1] - np.sum(y_true[index] * y_pred[index]) + 1
            if abs(margin) > 0.05 and others[-1] - others[-2] > 0.05:
                break
            y_pred[index] = rng.normal(scale=1.5, size=shape[-1])
    return y_true, y_pred


def labels(rng, shape):
    return rng.integers(0, shape[-1], size=shape[:-1]), rng.uniform(0.05, 1.0, size=shape)


def labels_ignored(rng, shape):
    y_true = rng.integers(0, shape[-1], size=shape[:-1])
    y_true.reshape(-1)[::3] = -1
    return y_true, rng.normal(scale=2.0, size=shape)


# ---------------------------------------------------------------------------- the cases
@dataclass
class Case:
    """A loss (made for a reduction), its data, its per-sample formula, its function form."""

    make: Callable[..., losses.Loss]
    data: Callable
    reference: Callable
    function: Callable | None = None          # the function form, with the same arguments
    kwargs: dict = field(default_factory=dict)
    ranks: tuple = (2, 3)                     # ranks of y_pred drawn
    keep: Callable | None = None              # the values that count (ignore_class)

    def loss(self, reduction="sum_over_batch_size"):
        return self.make(reduction=reduction, **self.kwargs)

    def draw(self, rank, seed=0):
        rng = np.random.default_rng(seed)
        return self.data(rng, (4, 3) if rank == 2 else (3, 2, 3))


def _moved(reference):
    """A per-row formula applied along axis 1 (CosineSimilarity(axis=1))."""
    return lambda y_true, y_pred: reference(np.moveaxis(y_true, 1, -1), np.moveaxis(y_pred, 1, -1))


L = losses
CASES = {
    "mse": Case(L.MeanSquaredError, real, rowwise(mse_row), L.mean_squared_error),
    "mae": Case(L.MeanAbsoluteError, real, rowwise(mae_row), L.mean_absolute_error),
    "mape": Case(L.MeanAbsolutePercentageError, nonzero, rowwise(mape_row),
                 L.mean_absolute_percentage_error),
    "msle": Case(L.MeanSquaredLogarithmicError, positive, rowwise(msle_row),
                 L.mean_squared_logarithmic_error),
    "huber": Case(L.Huber, real, rowwise(huber_row), L.huber),
    "huber_delta": Case(L.Huber, real, rowwise(huber_row, delta=0.5), L.huber, {"delta": 0.5}),
    "log_cosh": Case(L.LogCosh, real, rowwise(log_cosh_row), L.log_cosh),
    "cosine": Case(L.CosineSimilarity, real, rowwise(cosine_row), L.cosine_similarity),
    "cosine_axis1": Case(L.CosineSimilarity, real, _moved(rowwise(cosine_row)), L.cosine_similarity,
                         {"axis": 1}, ranks=(3,)),
    "kld": Case(L.KLDivergence, distributions, rowwise(kld_row), L.kl_divergence),
    "poisson": Case(L.Poisson, counts, rowwise(poisson_row), L.poisson),
    "bce": Case(L.BinaryCrossentropy, bits, rowwise(bce_row), L.binary_crossentropy),
    "bce_logits": Case(L.BinaryCrossentropy, bit_logits,
                       rowwise(bce_row, from_logits=True, label_smoothing=0.1), L.binary_crossentropy,
                       {"from_logits": True, "label_smoothing": 0.1}),
    "cce": Case(L.CategoricalCrossentropy, one_hot, rowwise(cce_row), L.categorical_crossentropy),
    "cce_logits": Case(L.CategoricalCrossentropy, one_hot_logits, rowwise(cce_row, from_logits=True),
                       L.categorical_crossentropy, {"from_logits": True}),
    "scce": Case(L.SparseCategoricalCrossentropy, labels,
                 lambda y, p: rowwise(scce_row)(y[..., None], p), L.sparse_categorical_crossentropy),
    "scce_ignore": Case(L.SparseCategoricalCrossentropy, labels_ignored,
                        lambda y, p: rowwise(scce_row, from_logits=True, ignore_class=-1)(y[..., None],
                                                                                          p),
                        L.sparse_categorical_crossentropy, {"from_logits": True, "ignore_class": -1},
                        keep=lambda y_true: y_true != -1),
    "hinge": Case(L.Hinge, signs, lambda y, p: rowwise(hinge_row)(signed(y), p), L.hinge),
    "hinge_01": Case(L.Hinge, bits, lambda y, p: rowwise(hinge_row)(signed(y), p), L.hinge),
    "squared_hinge": Case(L.SquaredHinge, signs, lambda y, p: rowwise(squared_hinge_row)(signed(y), p),
                          L.squared_hinge),
    "categorical_hinge": Case(L.CategoricalHinge, hinge_scores, rowwise(categorical_hinge_row),
                              L.categorical_hinge),
    "binary_focal": Case(L.BinaryFocalCrossentropy, bits, rowwise(binary_focal_row),
                         L.binary_focal_crossentropy),
    "binary_focal_balanced": Case(
        L.BinaryFocalCrossentropy, bits,
        rowwise(binary_focal_row, apply_class_balancing=True, alpha=0.4, gamma=1.5, label_smoothing=0.1),
        L.binary_focal_crossentropy,
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1}),
    "binary_focal_logits": Case(L.BinaryFocalCrossentropy, bit_logits,
                                rowwise(binary_focal_row, gamma=3.0, from_logits=True),
                                L.binary_focal_crossentropy, {"gamma": 3.0, "from_logits": True}),
    "categorical_focal": Case(L.CategoricalFocalCrossentropy, one_hot, rowwise(categorical_focal_row),
                              L.categorical_focal_crossentropy),
    "categorical_focal_alphas": Case(
        L.CategoricalFocalCrossentropy, one_hot,
        rowwise(categorical_focal_row, alpha=[0.2, 0.3, 0.5], gamma=0.5, label_smoothing=0.1),
        L.categorical_focal_crossentropy, {"alpha": [0.2, 0.3, 0.5], "gamma": 0.5, "label_smoothing": 0.1}),
    "categorical_focal_logits": Case(L.CategoricalFocalCrossentropy, one_hot_logits,
                                     rowwise(categorical_focal_row, gamma=1.0, from_logits=True),
                                     L.categorical_focal_crossentropy, {"gamma": 1.0, "from_logits": True}),
    "dice": Case(L.Dice, bits, whole(dice_row), L.dice, ranks=(2,)),
    "dice_rows": Case(L.Dice, bits, rowwise(dice_row), L.dice, {"axis": -1}),
    "tversky": Case(L.Tversky, bits, whole(tversky_row, alpha=0.3, beta=0.7), L.tversky,
                    {"alpha": 0.3, "beta": 0.7}, ranks=(2,)),
    "tversky_rows": Case(L.Tversky, bits, rowwise(tversky_row, alpha=0.7, beta=0.3), L.tversky,
                         {"alpha": 0.7, "beta": 0.3, "axis": -1}),
}
CASE_RANKS = [(name, rank) for name, case in CASES.items() for rank in case.ranks]


def weight_shapes(values_shape):
    """Every sample-weight shape Keras lines up with values of this shape."""
    if len(values_shape) == 0:
        return [None, ()]
    n = values_shape[0]
    if len(values_shape) == 1:
        return [None, (), (n,), (n, 1)]
    return [None, (), (n, 1), values_shape, values_shape + (1,)]


def draw_weight(shape, seed=1):
    if shape is None:
        return None
    weight = np.random.default_rng(seed).uniform(0.0, 2.0, size=shape)
    return weight if shape else float(weight)


def expected_reduction(values, weight, reduction, kept=None):
    """The reduced loss as Keras defines it, written out.

    A mask (``kept``) weighs the kept values ``total / kept`` for the means, 1
    otherwise, and multiplies the sample weight. A weight with one trailing
    axis of size 1 more than the values loses it (values of rank 1 gain it
    instead, so unreduced values come out ``(N, 1)``); otherwise it broadcasts.
    ``"mean_with_sample_weight"`` divides by the sum of the weights as given.
    A single value (rank 0) is returned weighted, unreduced.
    """
    values = np.asarray(values, dtype=np.float64)
    if kept is not None:
        mask = kept.astype(np.float64)
        if reduction in ("sum_over_batch_size", "mean"):
            mask = mask * kept.size / kept.sum()
        if weight is None:
            weight = mask
        else:
            weight = np.asarray(weight, dtype=np.float64)
            weight = mask.reshape(mask.shape + (1,) * max(weight.ndim - mask.ndim, 0)) * weight
    out_shape = values.shape
    if weight is None:
        w, given = np.ones_like(values), float(values.size)
    else:
        weight = np.asarray(weight, dtype=np.float64)
        given = float(weight.sum())
        if weight.ndim == values.ndim + 1 and weight.shape[-1] == 1:
            w = weight[..., 0]
            out_shape = weight.shape if values.ndim == 1 else values.shape
        else:
            w = np.broadcast_to(weight, values.shape)
    weighted = w * values
    if values.ndim == 0 or reduction in ("none", None):
        return weighted.reshape(out_shape)
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight":
        return weighted.sum() / given
    return weighted.sum() / values.size


def numeric_gradient(f, x, h=1e-6):
    """Central differences of the scalar ``f`` at ``x``, in float64."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * h)
    return grad


# ---------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("name,rank", CASE_RANKS)
def test_values_follow_the_formula(name, rank):
    case = CASES[name]
    y_true, y_pred = case.draw(rank)
    expected = case.reference(y_true, y_pred)
    got = case.loss("none")(y_true, y_pred)
    assert np.shape(got) == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(case.function(y_true, y_pred, **case.kwargs), expected, rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,rank", CASE_RANKS)
def test_reductions_and_weight_shapes(name, rank, reduction):
    case = CASES[name]
    y_true, y_pred = case.draw(rank)
    values = case.reference(y_true, y_pred)
    kept = None if case.keep is None else case.keep(y_true)
    loss = case.loss(reduction)
    for shape in weight_shapes(values.shape):
        weight = draw_weight(shape)
        expected = expected_reduction(values, weight, reduction, kept)
        got = loss(y_true, y_pred, sample_weight=weight)
        assert np.shape(got) == expected.shape, f"sample_weight {shape}"
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15,
                                   err_msg=f"sample_weight {shape}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,rank", CASE_RANKS)
def test_gradient_matches_finite_differences(name, rank, reduction):
    case = CASES[name]
    y_true, y_pred = case.draw(rank)
    loss = case.loss(reduction)
    for shape in weight_shapes(np.shape(case.reference(y_true, y_pred))):
        weight = draw_weight(shape)
        value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weight)
        assert grad.shape == y_pred.shape and grad.dtype == np.float64
        numeric = numeric_gradient(lambda p, w=weight: loss.value_and_gradient(y_true, p, w)[0], y_pred)
        error = relative_error(grad, numeric)
        _WORST[name] = max(_WORST.get(name, 0.0), error)
        assert error < BOUND, f"sample_weight {shape}: relative error {error:.2e}"
        np.testing.assert_array_equal(loss.gradient(y_true, y_pred, sample_weight=weight), grad)
        called = np.asarray(loss(y_true, y_pred, sample_weight=weight))
        # Unreduced, a training step averages the values like "sum_over_batch_size".
        reduced = called.sum() / called.size if reduction in ("none", None) and called.ndim else called
        assert float(value) == pytest.approx(float(reduced), rel=1e-12, abs=1e-15)
