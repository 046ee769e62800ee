"""Every optimizer: steps computed here from its equations, its arguments, names and configs.

Each reference below is written from the optimizer's equations (the docstring's, which
are Keras 3's), in float64, independently of layerkit's code: two steps on a 1-D and
a 2-D weight must agree to 1e-12 relative. Then the arguments every Keras optimizer
shares (weight decay and its exclusions, clipping, EMA, gradient accumulation, loss
scaling, learning-rate forms), argument validation, names and config round trips.
The state (``variables_for``) is covered in ``test_optimizers_state.py``.
"""

import copy
import json
import math

import numpy as np
import pytest

from layerkit import optimizers
from layerkit.optimizers import schedules

W0 = [np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.1], [-0.4, 2.0]])]
G1 = [np.array([0.5, 1.0, -2.0]), np.array([[1.5, -0.2], [0.7, 0.05]])]
G2 = [np.array([-0.3, 0.2, 1.0]), np.array([[-0.6, 0.9], [0.1, -1.2]])]


def fresh():
    return [w.copy() for w in W0]


def run(optimizer, grads_per_step, weights=None):
    weights = fresh() if weights is None else weights
    for grads in grads_per_step:
        optimizer.apply([g.copy() for g in grads], weights)
    return weights


# ============================================================== references from the equations


def ref_rmsprop(w, grads, lr, rho, momentum, eps, centered):
    v, a, m = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        if centered:
            a = rho * a + (1 - rho) * g
            step = lr * g / np.sqrt(v - a * a + eps)
        else:
            step = lr * g / np.sqrt(v + eps)
        if momentum > 0:
            m = momentum * m + step
            w = w - m
        else:
            w = w - step
    return w


def ref_adagrad(w, grads, lr, initial, eps):
    acc = np.full_like(w, initial)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def ref_adadelta(w, grads, lr, rho, eps):
    eg, ed = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        eg = rho * eg + (1 - rho) * g * g
        delta = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * delta * delta
        w = w + lr * delta
    return w


def ref_adamax(w, grads, lr, b1, b2, eps):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr / (1 - b1**t) * m / (u + eps)
    return w


def ref_nadam(w, grads, lr, b1, b2, eps):
    m, v, product = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, start=1):
        mu, mu_next = b1 * (1 - 0.5 * 0.96**t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu) * g / (1 - product)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def ref_adam(w, grads, lr, b1, b2, eps, weight_decay=0.0):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - w * weight_decay * lr
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    return w


def ref_lion(w, grads, lr, b1, b2, weight_decay=0.0):
    m = np.zeros_like(w)
    for g in grads:
        w = w - w * weight_decay * lr
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    return w


def ref_ftrl(w, grads, lr, power, initial, l1, l2, shrink, beta):
    n, z = np.full_like(w, initial), np.zeros_like(w)
    l2 = l2 + beta / (2 * lr)
    for g in grads:
        n_new = n + g * g
        z = z + g + 2 * shrink * w - (n_new ** -power - n ** -power) / lr * w
        w = (np.clip(z, -l1, l1) - z) / (n_new ** -power / lr + 2 * l2)
        n = n_new
    return w


def ref_adafactor(w, grads, lr, decay, eps1, eps2, clip, relative):
    r = np.zeros(w.shape[:-1]) if w.ndim == 2 else None
    c = np.zeros(w.shape[-1:]) if w.ndim == 2 else None
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        rate = min(lr, 1 / math.sqrt(t)) if relative else lr
        alpha = max(eps2, math.sqrt(np.mean(w * w))) * min(rate, 1 / math.sqrt(t))
        g2 = g * g + eps1
        beta = 1 - t**decay
        if w.ndim == 2:
            r = beta * r + (1 - beta) * g2.mean(axis=1)
            c = beta * c + (1 - beta) * g2.mean(axis=0)
            v = np.outer(r / r.mean(), c)
        else:
            v = beta * v + (1 - beta) * g2
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, math.sqrt(np.mean(u * u)) / clip)
    return w


REFERENCES = {
    "rmsprop": (lambda: optimizers.RMSprop(0.05, rho=0.8, epsilon=1e-3),
                lambda w, gs: ref_rmsprop(w, gs, 0.05, 0.8, 0.0, 1e-3, False)),
    "rmsprop-momentum": (lambda: optimizers.RMSprop(0.05, rho=0.8, momentum=0.7, epsilon=1e-3),
                         lambda w, gs: ref_rmsprop(w, gs, 0.05, 0.8, 0.7, 1e-3, False)),
    "rmsprop-centered": (lambda: optimizers.RMSprop(0.05, rho=0.8, momentum=0.7, epsilon=1e-3,
                                                    centered=True),
                         lambda w, gs: ref_rmsprop(w, gs, 0.05, 0.8, 0.7, 1e-3, True)),
    "adagrad": (lambda: optimizers.Adagrad(0.2, initial_accumulator_value=0.3, epsilon=1e-4),
                lambda w, gs: ref_adagrad(w, gs, 0.2, 0.3, 1e-4)),
    "adadelta": (lambda: optimizers.Adadelta(1.5, rho=0.7, epsilon=1e-2),
                 lambda w, gs: ref_adadelta(w, gs, 1.5, 0.7, 1e-2)),
    "adamax": (lambda: optimizers.Adamax(0.1, beta_1=0.8, beta_2=0.9, epsilon=1e-3),
               lambda w, gs: ref_adamax(w, gs, 0.1, 0.8, 0.9, 1e-3)),
    "nadam": (lambda: optimizers.Nadam(0.1, beta_1=0.8, beta_2=0.9, epsilon=1e-3),
              lambda w, gs: ref_nadam(w, gs, 0.1, 0.8, 0.9, 1e-3)),
    "adamw": (lambda: optimizers.AdamW(0.1, weight_decay=0.3, beta_1=0.8, beta_2=0.9, epsilon=1e-3),
              lambda w, gs: ref_adam(w, gs, 0.1, 0.8, 0.9, 1e-3, weight_decay=0.3)),
    "lion": (lambda: optimizers.Lion(0.1, beta_1=0.7, beta_2=0.8, weight_decay=0.2),
             lambda w, gs: ref_lion(w, gs, 0.1, 0.7, 0.8, weight_decay=0.2)),
    "ftrl": (lambda: optimizers.Ftrl(0.3, learning_rate_power=-0.7, initial_accumulator_value=0.2,
                                     l1_regularization_strength=0.05, l2_regularization_strength=0.1,
                                     l2_shrinkage_regularization_strength=0.02, beta=0.4),
             lambda w, gs: ref_ftrl(w, gs, 0.3, -0.7, 0.2, 0.05, 0.1, 0.02, 0.4)),
    "adafactor": (lambda: optimizers.Adafactor(0.7, beta_2_decay=-0.6, epsilon_1=1e-20,
                                               epsilon_2=1e-2, clip_threshold=0.8),
                  lambda w, gs: ref_adafactor(w, gs, 0.7, -0.6, 1e-20, 1e-2, 0.8, True)),
    "adafactor-absolute": (lambda: optimizers.Adafactor(0.05, relative_step=False, clip_threshold=2.0),
                           lambda w, gs: ref_adafactor(w, gs, 0.05, -0.8, 1e-30, 1e-3, 2.0, False)),
}


@pytest.mark.parametrize("case", list(REFERENCES))
def test_two_steps_follow_the_equations(case):
    make, reference = REFERENCES[case]
    optimizer = make()
    weights = fresh()
    for steps in ([G1], [G1, G2]):
        run(optimizer, steps[-1:], weights)
        for index, w in enumerate(weights):
            expected = reference(W0[index], [g[index] for g in steps])
            np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-15)
    assert optimizer.iterations == 2


def test_rmsprop_matches_keras_docstring():
    w = np.array([10.0])
    optimizers.RMSprop(learning_rate=0.1).apply([np.array([10.0])], [w])
    np.testing.assert_allclose(w, 10 - 0.1 * 10 / math.sqrt(0.1 * 100 + 1e-7), rtol=1e-14)


def test_adafactor_factors_only_weights_of_two_dimensions():
    optimizer = optimizers.Adafactor()
    weights = run(optimizer, [G1])
    state = optimizer.variables_for(weights)[2:]
    # per weight: r, c, velocity; the 1-D weight's r and c are 0-d placeholders (Keras's layout)
    assert [s.shape for s in state] == [(), (), (3,), (2,), (2,), (2, 2)]
    assert not state[0] and not state[1]


def test_nadam_keeps_the_momentum_product_once_per_step():
    optimizer = optimizers.Nadam(beta_1=0.8)
    run(optimizer, [G1, G2])
    product = optimizer.variables[-1]
    assert product.shape == ()
    assert float(product) == pytest.approx(0.8 * (1 - 0.5 * 0.96) * 0.8 * (1 - 0.5 * 0.96**2), rel=1e-15)


def test_adamw_decays_by_default_and_refuses_none():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="weight_decay=None"):
        optimizers.AdamW(weight_decay=None)


# ============================================================== Muon


def ref_newton_schulz(x, steps, a=3.4445, b=-4.7750, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (math.sqrt(float(np.sum(x * x))) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def test_muon_two_steps_follow_the_equations():
    kernel, bias = np.array([[0.3, -0.1], [-0.4, 2.0], [1.0, 0.2]]), np.array([1.0, -2.0])
    gk = [np.array([[1.5, -0.2], [0.7, 0.05], [0.3, 0.3]]), np.array([[-0.6, 0.9], [0.1, -1.2], [0, 1]])]
    gb = [np.array([0.5, 1.0]), np.array([-0.3, 0.2])]
    lr, mu, wd, adam_wd = 0.1, 0.9, 0.02, 0.05
    optimizer = optimizers.Muon(lr, momentum=mu, weight_decay=wd, adam_weight_decay=adam_wd,
                                adam_lr_ratio=0.5, ns_steps=4)
    ours = [kernel.copy(), bias.copy()]
    m = np.zeros_like(kernel)
    for step in range(2):
        optimizer.apply([gk[step], gb[step]], ours)
        kernel = kernel - kernel * wd * lr
        m = mu * m + gk[step]
        update = lr * ref_newton_schulz(gk[step] + mu * m, 4)
        kernel = kernel - update * math.sqrt(3) * 0.2
        np.testing.assert_allclose(ours[0], kernel, rtol=1e-12)
    np.testing.assert_allclose(ours[1], ref_adam(bias, gb, lr * 0.5, 0.9, 0.999, 1e-7, adam_wd / 0.5),
                               rtol=1e-12)


def test_muon_newton_schulz_nearly_orthogonalises():
    x = np.random.default_rng(3).normal(size=(6, 4))
    singular = np.linalg.svd(optimizers.muon.newton_schulz(x, 5, 3.4445, -4.7750, 2.0315),
                             compute_uv=False)
    assert np.all((singular > 0.6) & (singular < 1.25))      # about U Vᵀ, as Keras's quintic gives


def test_muon_excludes_layers_by_path_and_needs_paths_for_that():
    kernel, head = np.ones((3, 2)), np.ones((2, 1))
    grads = [np.full((3, 2), 0.1), np.full((2, 1), 0.1)]
    optimizer = optimizers.Muon(exclude_layers=["output"])
    with pytest.raises(ValueError, match="set_variable_paths"):
        optimizer.apply(grads, [kernel, head])
    assert not optimizer.built and kernel.sum() == 6 and head.sum() == 2
    optimizer.set_variable_paths([kernel, head], ["hidden/kernel", "output/kernel"])
    optimizer.apply(grads, [kernel, head])
    assert sorted(optimizer.slots(kernel)) == ["momentum"]
    assert sorted(optimizer.slots(head)) == ["momentum", "velocity"]


# ============================================================== arguments shared by every optimizer

ALL = ["SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "Adafactor", "Nadam",
       "Ftrl", "Lion", "Muon"]


def make(class_name, **kwargs):
    return getattr(optimizers, class_name)(**kwargs)


@pytest.mark.parametrize("name", ALL)
def test_weight_decay_is_keras_decoupled_rule_before_the_step(name):
    # the decayed optimizer's step equals the plain one's applied to w - w·wd·lr
    lr, wd = 0.05, 0.3
    decay = {"Muon": {"weight_decay": wd, "adam_weight_decay": wd}}.get(name, {"weight_decay": wd})
    plain = {"Muon": {"weight_decay": None, "adam_weight_decay": None}}.get(name, {})
    if name == "AdamW":
        plain = {"weight_decay": 0.0}
    decayed = run(make(name, learning_rate=lr, **decay), [G1])
    shrunk = [w - w * wd * lr for w in W0]
    expected = run(make(name, learning_rate=lr, **plain), [G1], weights=shrunk)
    for a, b in zip(decayed, expected):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_exclude_from_weight_decay_by_array_and_by_name():
    kernel, bias, other = np.ones((2, 2)), np.ones(2), np.ones(3)
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    optimizer.set_variable_paths([kernel, bias], ["dense_1/kernel", "dense_1/bias"])
    optimizer.apply([np.zeros((2, 2)), np.zeros(2), np.zeros(3)], [kernel, bias, other])
    np.testing.assert_array_equal(kernel, np.full((2, 2), 0.95))
    np.testing.assert_array_equal(bias, np.ones(2))
    np.testing.assert_array_equal(other, np.ones(3))
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


def test_exclude_by_layer_name_matches_the_path():
    a, b = np.ones(2), np.ones(2)
    optimizer = optimizers.AdamW(learning_rate=0.5, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["^head/"])
    optimizer.set_variable_paths([a, b], ["body/kernel", "head/kernel"])
    optimizer.apply([np.zeros(2), np.zeros(2)], [a, b])
    np.testing.assert_array_equal(a, np.full(2, 0.95))
    np.testing.assert_array_equal(b, np.ones(2))


def test_var_names_without_paths_is_refused_before_anything_changes():
    w = np.ones(2)
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.1, momentum=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    with pytest.raises(ValueError, match="set_variable_paths"):
        optimizer.apply([np.ones(2)], [w])
    np.testing.assert_array_equal(w, np.ones(2))
    assert not optimizer.built and optimizer.iterations == 0


@pytest.mark.parametrize("bad", [{"var_names": ["("]}, {"var_names": [3]}, {"var_names": "bias"}])
def test_exclude_from_weight_decay_arguments(bad):
    with pytest.raises(ValueError, match="var_names"):
        optimizers.SGD(weight_decay=0.1).exclude_from_weight_decay(**bad)


def test_clipnorm_is_kerass_formula_and_survives_float32_overflow():
    g = np.array([3.0, 4.0])
    w = np.zeros(2)
    optimizers.SGD(1.0, clipnorm=2.0).apply([g], [w])
    np.testing.assert_allclose(w, -g * 2.0 / 5.0, rtol=1e-15)
    big = np.array([3e30, 4e30], dtype=np.float32)          # its square overflows float32
    w32 = np.zeros(2, dtype=np.float32)
    optimizers.SGD(1.0, clipnorm=1.0).apply([big], [w32])
    np.testing.assert_allclose(w32, [-0.6, -0.8], rtol=1e-6)
    w32 = np.zeros(2, dtype=np.float32)
    optimizers.SGD(1.0, global_clipnorm=1.0).apply([big], [w32])
    np.testing.assert_allclose(w32, [-0.6, -0.8], rtol=1e-6)


def test_global_clipnorm_of_an_infinite_gradient_is_nan_as_in_keras():
    w = np.zeros(2)
    optimizers.SGD(1.0, global_clipnorm=1.0).apply([np.array([np.inf, 1.0])], [w])
    assert np.isnan(w).all()


def test_ema_averages_the_weights_and_overwrites_them_every_n_updates():
    lr, momentum = 0.1, 0.8
    optimizer = optimizers.SGD(lr, use_ema=True, ema_momentum=momentum, ema_overwrite_frequency=3)
    w = np.array([1.0, -1.0])
    grads = [np.array([0.5, 1.0]), np.array([-1.0, 2.0]), np.array([3.0, 0.1]), np.array([1.0, 1.0])]
    expected_w, average = w.copy(), np.zeros(2)
    for step, g in enumerate(grads):
        optimizer.apply([g], [w])
        expected_w = expected_w - lr * g
        m = momentum if step else 0.0          # Keras: the first average is the weight itself
        average = m * average + (1 - m) * expected_w
        if (step + 1) % 3 == 0:
            expected_w = average.copy()
        np.testing.assert_allclose(w, expected_w, rtol=1e-14)
        np.testing.assert_allclose(optimizer.slots(w)["average"], average, rtol=1e-14)


def test_finalize_variable_values_swaps_in_the_averages():
    optimizer = optimizers.Adam(0.1, use_ema=True)
    weights = run(optimizer, [G1, G2])
    averages = [optimizer.slots(w)["average"].copy() for w in weights]
    stranger = np.ones(2)
    with pytest.raises(ValueError, match="no moving average"):
        optimizer.finalize_variable_values(weights + [stranger])
    assert not np.array_equal(weights[0], averages[0])
    optimizer.finalize_variable_values(weights)
    for w, a in zip(weights, averages):
        np.testing.assert_array_equal(w, a)
    unchanged = fresh()
    optimizers.Adam().finalize_variable_values(unchanged)          # without EMA: nothing
    np.testing.assert_array_equal(unchanged[1], W0[1])


def test_gradient_accumulation_updates_every_n_steps_with_the_mean_gradient():
    n, lr, wd = 3, 0.1, 0.2
    grads = [np.array([0.5, 1.0]), np.array([-1.0, 2.0]), np.array([3.0, 0.1]),
             np.array([1.0, 1.0]), np.array([2.0, -4.0]), np.array([0.0, 1.0])]
    optimizer = optimizers.SGD(lr, momentum=0.5, weight_decay=wd, clipnorm=1.0,
                               gradient_accumulation_steps=n)
    w = np.array([1.0, -1.0])
    expected, velocity = w.copy(), np.zeros(2)
    for step, g in enumerate(grads, start=1):
        optimizer.apply([g], [w])
        if step % n == 0:
            mean = np.mean(grads[step - n:step], axis=0)
            mean = mean * 1.0 / max(np.linalg.norm(mean), 1.0)       # clipped after averaging
            expected = expected - expected * wd * lr
            velocity = 0.5 * velocity - lr * mean
            expected = expected + velocity
        np.testing.assert_allclose(w, expected, rtol=1e-14)
        assert optimizer.iterations == step // n                        # Keras's count
        assert int(optimizer.variables_for([w])[0]) == step              # what files hold
    assert not optimizer.slots(w)["gradient_accumulator"].any()


def test_accumulation_schedules_follow_every_call_and_bias_corrections_the_updates():
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1

    optimizer = optimizers.Adam(schedule, gradient_accumulation_steps=2)
    weights = run(optimizer, [G1, G2, G1, G2])
    assert seen == [0, 1, 2, 3]
    mean = [(a + b) / 2 for a, b in zip(G1, G2)]
    for w, w0, g in zip(weights, W0, mean):
        np.testing.assert_allclose(w, ref_adam(w0, [g, g], 0.1, 0.9, 0.999, 1e-7), rtol=1e-12)


def test_loss_scale_factor_is_undone_by_apply_only():
    optimizer = optimizers.SGD(0.1, loss_scale_factor=8.0)
    assert optimizer.scale_loss(2.5) == 20.0
    w = np.array([1.0])
    optimizer.apply([np.array([8.0])], [w])               # gradients of the scaled loss
    np.testing.assert_allclose(w, [0.9])
    optimizer.update([np.array([1.0])], [w])              # the training loop's own gradients
    np.testing.assert_allclose(w, [0.8])
    assert optimizers.SGD().scale_loss(2.5) == 2.5


def test_learning_rate_forms():
    w = np.array([1.0])
    optimizers.SGD(lambda: 0.25).apply([np.array([1.0])], [w])                   # Keras: no argument
    optimizers.SGD(lambda step: 0.5 / (1 + step)).apply([np.array([1.0])], [w])  # layerkit: the step
    optimizers.SGD(schedules.ExponentialDecay(0.1, 1, 0.5)).apply([np.array([1.0])], [w])
    np.testing.assert_allclose(w, [1.0 - 0.25 - 0.5 - 0.1])


def test_a_non_finite_learning_rate_is_refused_before_anything_changes():
    w = np.array([1.0])
    optimizer = optimizers.Adam(lambda: float("nan"))
    with pytest.raises(ValueError, match="finite"):
        optimizer.apply([np.array([1.0])], [w])
    assert w[0] == 1.0 and optimizer.iterations == 0
    assert not optimizer.slots(w)["momentum"].any()


def test_ftrl_refuses_a_zero_learning_rate_at_the_update():
    w = np.array([1.0])
    optimizer = optimizers.Ftrl(learning_rate=0.0)
    with pytest.raises(ValueError, match="divides by the learning rate"):
        optimizer.apply([np.array([1.0])], [w])
    assert w[0] == 1.0 and optimizer.iterations == 0


def test_apply_with_no_gradients_does_nothing():
    optimizer = optimizers.Adam()
    optimizer.apply([], [])
    assert optimizer.iterations == 0 and not optimizer.built


# ============================================================== argument validation

BAD_ARGUMENTS = [
    ("SGD", {"momentum": 1.5}, "momentum"), ("SGD", {"nesterov": "yes"}, "nesterov"),
    ("SGD", {"learning_rate": -0.1}, "learning_rate"), ("SGD", {"learning_rate": "fast"}, "learning_rate"),
    ("SGD", {"learning_rate": float("nan")}, "learning_rate"),
    ("SGD", {"weight_decay": -0.1}, "weight_decay"), ("SGD", {"clipnorm": 0.0}, "clipnorm"),
    ("SGD", {"clipvalue": -1.0}, "clipvalue"), ("SGD", {"global_clipnorm": True}, "global_clipnorm"),
    ("SGD", {"clipnorm": 1.0, "clipvalue": 1.0}, "Only one of"),
    ("SGD", {"use_ema": 1}, "use_ema"), ("SGD", {"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
    ("SGD", {"use_ema": True, "ema_overwrite_frequency": 0}, "ema_overwrite_frequency"),
    ("SGD", {"loss_scale_factor": 0.0}, "loss_scale_factor"),
    ("SGD", {"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
    ("SGD", {"gradient_accumulation_steps": 2.5}, "gradient_accumulation_steps"),
    ("SGD", {"name": ""}, "name"), ("SGD", {"no_such_argument": 1}, "not recognized.*momentum"),
    ("RMSprop", {"rho": 1.1}, "rho"), ("RMSprop", {"momentum": -0.5}, "momentum"),
    ("RMSprop", {"epsilon": -1e-7}, "epsilon"), ("RMSprop", {"centered": None}, "centered"),
    ("Adam", {"beta_1": 1.0}, "beta_1"), ("Adam", {"beta_2": -0.1}, "beta_2"),
    ("Adam", {"amsgrad": "no"}, "amsgrad"), ("AdamW", {"weight_decay": None}, "weight_decay"),
    ("AdamW", {"weight_decay": -1.0}, "weight_decay"),
    ("Adadelta", {"rho": 2.0}, "rho"), ("Adadelta", {"epsilon": float("inf")}, "epsilon"),
    ("Adagrad", {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    ("Adagrad", {"epsilon": -1.0}, "epsilon"),
    ("Adamax", {"beta_1": 1.5}, "beta_1"), ("Adamax", {"epsilon": "small"}, "epsilon"),
    ("Nadam", {"beta_2": 1.0}, "beta_2"),
    ("Adafactor", {"beta_2_decay": 0.5}, "beta_2_decay"), ("Adafactor", {"epsilon_1": -1.0}, "epsilon_1"),
    ("Adafactor", {"epsilon_2": -1.0}, "epsilon_2"), ("Adafactor", {"clip_threshold": 0}, "clip_threshold"),
    ("Adafactor", {"relative_step": 1}, "relative_step"),
    ("Ftrl", {"learning_rate_power": 0.5}, "learning_rate_power` needs to be negative or zero"),
    ("Ftrl", {"initial_accumulator_value": -1}, "initial_accumulator_value` needs to be positive"),
    ("Ftrl", {"l1_regularization_strength": -1}, "l1_regularization_strength"),
    ("Ftrl", {"l2_regularization_strength": -1}, "l2_regularization_strength"),
    ("Ftrl", {"l2_shrinkage_regularization_strength": -1}, "l2_shrinkage_regularization_strength"),
    ("Ftrl", {"beta": -1}, "beta"),
    ("Lion", {"beta_1": 0.0}, "degenerates to SignSGD"), ("Lion", {"beta_2": 1.5}, "beta_2"),
    ("Muon", {"exclude_layers": ["("]}, "exclude_layers"), ("Muon", {"ns_steps": -1}, "ns_steps"),
    ("Muon", {"momentum": 2.0}, "momentum"), ("Muon", {"rms_rate": -0.2}, "rms_rate"),
    ("Muon", {"adam_beta_1": 1.0}, "beta_1"), ("Muon", {"exclude_embeddings": "yes"}, "exclude_embeddings"),
    ("Muon", {"muon_a": float("nan")}, "muon_a"), ("Muon", {"adam_lr_ratio": -1}, "adam_lr_ratio"),
]


@pytest.mark.parametrize("name, kwargs, match", BAD_ARGUMENTS,
                         ids=[f"{n}-{next(iter(k))}" for n, k, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_named_with_what_was_received(name, kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        make(name, **kwargs)
    if "not recognized" not in match and "Only one" not in match:
        assert "Received" in str(info.value)


def test_decay_is_ignored_with_kerass_warning():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)


# ============================================================== names and configs

KERAS_NAMES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
               "adadelta": "Adadelta", "adagrad": "Adagrad", "adamax": "Adamax",
               "adafactor": "Adafactor", "nadam": "Nadam", "ftrl": "Ftrl", "lion": "Lion",
               "muon": "Muon"}


@pytest.mark.parametrize("name", list(KERAS_NAMES))
def test_every_keras_name(name):
    cls = getattr(optimizers, KERAS_NAMES[name])
    for spelling in (name, KERAS_NAMES[name], name.upper()):
        assert type(optimizers.get(spelling)) is cls
    assert type(optimizers.deserialize({"class_name": name.upper(), "config": {}})) is cls


@pytest.mark.parametrize("name", ["LossScaleOptimizer", "MultiOptimizer", "ScheduleFreeAdamW"])
def test_keras_names_layerkit_refuses_say_why(name):
    with pytest.raises(ValueError, match=f"{name}.*not available"):
        optimizers.get(name)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="rmsprop"):
        optimizers.get("rmsprob")


CONFIGURED = [
    optimizers.RMSprop(0.02, rho=0.8, momentum=0.3, epsilon=1e-4, centered=True, clipvalue=0.5),
    optimizers.Adagrad(0.3, initial_accumulator_value=0.2, epsilon=1e-5, weight_decay=0.01),
    optimizers.Adadelta(0.9, rho=0.5, epsilon=1e-3, use_ema=True, ema_momentum=0.5,
                        ema_overwrite_frequency=2),
    optimizers.Adamax(0.01, beta_1=0.7, beta_2=0.8, epsilon=1e-4, global_clipnorm=0.5),
    optimizers.Nadam(0.01, beta_1=0.7, beta_2=0.8, epsilon=1e-4, gradient_accumulation_steps=2),
    optimizers.AdamW(0.01, weight_decay=0.1, beta_1=0.7, amsgrad=True, loss_scale_factor=4.0),
    optimizers.Lion(0.01, beta_1=0.5, beta_2=0.7, clipnorm=1.0, name="my_lion"),
    optimizers.Ftrl(0.1, learning_rate_power=-0.3, initial_accumulator_value=0.5,
                    l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                    l2_shrinkage_regularization_strength=0.03, beta=0.2),
    optimizers.Adafactor(0.1, beta_2_decay=-0.5, epsilon_1=1e-20, epsilon_2=1e-2, clip_threshold=0.5,
                         relative_step=False),
    optimizers.Muon(0.1, adam_beta_1=0.8, adam_beta_2=0.9, adam_weight_decay=0.01, epsilon=1e-5,
                    weight_decay=0.02, exclude_embeddings=False, muon_a=3.0, muon_b=-4.0, muon_c=2.0,
                    adam_lr_ratio=0.5, momentum=0.9, ns_steps=3, nesterov=False, rms_rate=None),
    optimizers.SGD(schedules.CosineDecay(0.1, 10), momentum=0.9, use_ema=True),
]


@pytest.mark.parametrize("optimizer", CONFIGURED, ids=lambda o: type(o).__name__)
def test_config_round_trip_gives_the_same_optimizer(optimizer):
    config = optimizer.get_config()
    json.dumps(config)
    for restored in (type(optimizer).from_config(copy.deepcopy(config)),
                     optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(optimizer))))):
        assert type(restored) is type(optimizer) and restored.get_config() == config
        a, b = run(copy.deepcopy(optimizer), [G1, G2, G1]), run(restored, [G1, G2, G1])
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ALL)
def test_configs_hold_kerass_keys(name):
    keras_base = {"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                  "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                  "gradient_accumulation_steps"}
    config = make(name).get_config()
    assert keras_base <= set(config)
    assert config["name"] == {"RMSprop": "rm_sprop", "AdamW": "adam_w"}.get(name, name.lower())


# ============================================================== stability and in-place updates


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ALL)
def test_large_gradients_stay_finite_without_warnings(name, dtype):
    rng = np.random.default_rng(7)
    weights = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]
    arrays = [id(w) for w in weights]
    optimizer = make(name)
    for sign in (1, -1, 1):
        optimizer.apply([sign * 1000 * np.sign(rng.normal(size=w.shape)).astype(dtype) for w in weights],
                        weights)
    assert [id(w) for w in weights] == arrays
    assert all(w.dtype == dtype and np.isfinite(w).all() for w in weights)
    assert all(np.isfinite(v).all() for v in optimizer.variables_for(weights))


@pytest.mark.parametrize("name", ALL)
def test_the_callers_gradients_are_not_changed(name):
    grads = [g.copy() for g in G1]
    run(make(name, gradient_accumulation_steps=2, clipnorm=0.1), [grads, grads])
    for g, g0 in zip(grads, G1):
        np.testing.assert_array_equal(g, g0)
