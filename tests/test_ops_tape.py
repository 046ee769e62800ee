"""GradientTape's semantics, TensorFlow's: sources, targets, fan-out, persistence, nesting, order.

Expected gradients are written from the formulas in each test.
"""

import weakref

import numpy as np
import pytest

from layerkit import ops


@pytest.fixture
def x():
    return np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


# ---------------------------------------------------------------- what gradient returns
def test_fan_out_sums_the_gradients_of_every_consumer(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = t * t + 3 * t + ops.sin(t)  # t feeds four operations
    np.testing.assert_allclose(tape.gradient(y, t), 2 * x + 3 + np.cos(x), rtol=1e-15)


def test_a_value_reused_many_times_deep_in_the_graph():
    with ops.GradientTape() as tape:
        t = tape.watch(np.array(0.3))
        y = t
        for _ in range(20):  # y = t ** 21, every step reads t again
            y = y * t
    np.testing.assert_allclose(tape.gradient(y, t), 21 * 0.3 ** 20, rtol=1e-13)


def test_unconnected_sources_get_none_or_zeros(x):
    with ops.GradientTape(persistent=True) as tape:
        a, b = tape.watch([x, x[0]])
        y = ops.sum(a ** 2)
    assert tape.gradient(y, [a, b])[1] is None
    np.testing.assert_array_equal(tape.gradient(y, b, unconnected_gradients="zero"), np.zeros(3))
    with pytest.raises(ValueError, match="unconnected_gradients.*'none', 'zero'"):
        tape.gradient(y, b, unconnected_gradients="zeros")


def test_a_target_not_computed_on_the_tape_is_unconnected(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
    assert tape.gradient(np.sum(x), t) is None


def test_non_scalar_target_differentiates_its_sum_by_default(x):
    with ops.GradientTape(persistent=True) as tape:
        t = tape.watch(x)
        y = t ** 3
    np.testing.assert_allclose(tape.gradient(y, t), 3 * x ** 2, rtol=1e-15)
    weights = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(tape.gradient(y, t, output_gradients=weights), 3 * x ** 2 * weights,
                               rtol=1e-15)
    with pytest.raises(ValueError, match=r"target's shape \(2, 3\); received \(3,\)"):
        tape.gradient(y, t, output_gradients=np.ones(3))


def test_several_targets_add_up_with_one_output_gradient_each(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        first, second = ops.sum(t ** 2), t * 5  # second is not a scalar
    grads = tape.gradient([first, second], t, output_gradients=[2.0, np.full(x.shape, 0.5)])
    np.testing.assert_allclose(grads, 2.0 * 2 * x + 0.5 * 5, rtol=1e-15)


def test_a_target_that_also_feeds_another_target(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        inner = ops.sum(t ** 2)
        outer = inner * 3
    np.testing.assert_allclose(tape.gradient([inner, outer], t), 4 * 2 * x, rtol=1e-15)


def test_sources_in_a_list_a_dict_and_nested(x):
    w0, b0 = np.array([[1.0], [2.0], [-1.0]]), np.array([0.5])
    with ops.GradientTape(persistent=True) as tape:
        params = tape.watch({"dense": [w0, b0]})
        w, b = params["dense"]
        z = ops.matmul(x, w) + b
        loss = ops.sum(z)
    grads = tape.gradient(loss, params)
    assert set(grads) == {"dense"} and isinstance(grads["dense"], list)
    np.testing.assert_allclose(grads["dense"][0], x.sum(axis=0, keepdims=True).T, rtol=1e-15)
    np.testing.assert_allclose(grads["dense"][1], [2.0], rtol=1e-15)
    dw, db = tape.gradient(loss, (w, b))
    np.testing.assert_allclose(dw, grads["dense"][0], rtol=0)


def test_gradient_with_respect_to_an_intermediate_tensor(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        hidden = ops.tanh(t)
        y = ops.sum(hidden * hidden)
    d_hidden, d_t = tape.gradient(y, [hidden, t])
    np.testing.assert_allclose(d_hidden, 2 * np.tanh(x), rtol=1e-15)
    np.testing.assert_allclose(d_t, 2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-14)


def test_target_is_the_source():
    seed = np.array([1.0, 2.0])
    with ops.GradientTape() as tape:
        t = tape.watch(np.array([3.0, 4.0]))
    grad = tape.gradient(t, t, output_gradients=seed)
    np.testing.assert_array_equal(grad, seed)
    grad[0] = 99.0
    assert seed[0] == 1.0  # the caller's output gradient is not returned as the gradient


def test_returned_gradients_are_fresh_writable_arrays():
    with ops.GradientTape() as tape:
        a, b = tape.watch([np.ones(3), np.ones(3)])
        y = ops.sum(a + b)  # Add passes one gradient array to both, Sum a read-only broadcast
    da, db = tape.gradient(y, [a, b])
    assert da.flags.writeable and db.flags.writeable and not np.shares_memory(da, db)
    da *= 5
    np.testing.assert_array_equal(db, np.ones(3))


def test_gradients_keep_the_dtype_of_their_source():
    with ops.GradientTape() as tape:
        w = tape.watch(np.ones((3, 2), dtype=np.float32))
        loss = ops.sum(ops.matmul(np.ones((4, 3)), w))  # a float64 constant promotes the value
    assert loss.dtype == np.float64
    assert tape.gradient(loss, w).dtype == np.float32


# ---------------------------------------------------------------- the tape's life
def test_non_persistent_tape_computes_one_set_of_gradients(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = ops.sum(t)
    tape.gradient(y, t)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape.*persistent=True"):
        tape.gradient(y, t)


def test_persistent_tape_computes_several(x):
    with ops.GradientTape(persistent=True) as tape:
        t = tape.watch(x)
        y, z = ops.sum(t ** 2), ops.sum(ops.exp(t))
    np.testing.assert_allclose(tape.gradient(y, t), 2 * x, rtol=1e-15)
    np.testing.assert_allclose(tape.gradient(z, t), np.exp(x), rtol=1e-15)
    np.testing.assert_allclose(tape.gradient(y, t), 2 * x, rtol=1e-15)


def test_watch_rules(x):
    tape = ops.GradientTape()
    with pytest.raises(RuntimeError, match="inside the `with GradientTape"):
        tape.watch(x)
    with tape:
        with pytest.raises(ValueError, match="floating-point.*int64"):
            tape.watch(np.arange(3))
        t = tape.watch(x)
        assert tape.watch(t) is t
        assert tape.watch(2.0).dtype == np.float32  # a Python number becomes floatx
        with pytest.raises(RuntimeError, match="already recording"):
            tape.__enter__()
    assert t.value is x  # watched, not copied


def test_sources_must_be_tensors(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        y = ops.sum(t)
    with pytest.raises(TypeError, match="source 1 is a ndarray.*tape.watch"):
        tape.gradient(y, [t, x])
    np.testing.assert_array_equal(tape.gradient(y, t), np.ones_like(x))  # the refusal used nothing up


def test_stop_recording_and_stale_tensors_are_constants(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        with tape.stop_recording():
            constant = t * 2
        y = ops.sum(t * constant)
    assert type(constant) is np.ndarray
    np.testing.assert_allclose(tape.gradient(y, t), 2 * x, rtol=1e-15)
    after = t + 1  # the tape has stopped: the Tensor is a constant now
    assert type(after) is np.ndarray
    np.testing.assert_array_equal(np.asarray(t), x)


def test_nested_tapes_are_refused_clearly(x):
    with ops.GradientTape() as outer:
        t = outer.watch(x)
        with ops.GradientTape() as inner:
            with pytest.raises(ValueError, match="another GradientTape.*nested"):
                inner.watch(t)
            u = inner.watch(ops.stop_gradient(t))
            with pytest.raises(ValueError, match="two different GradientTapes"):
                t * u
            v = ops.sum(u ** 2)
        np.testing.assert_allclose(inner.gradient(v, u), 2 * x, rtol=1e-15)
        y = ops.sum(t ** 3)
    np.testing.assert_allclose(outer.gradient(y, t), 3 * x ** 2, rtol=1e-15)


def test_the_tapes_operations_reversed_put_each_node_after_all_its_consumers(x):
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        left, right = ops.exp(t), ops.sin(t)        # a diamond: t -> left, right -> joined
        joined = left * right
        y = ops.sum(joined + left)
        ops.sqrt(ops.abs(t))                        # recorded, but y does not depend on it
    order = tape.operations[::-1]
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            if parent is not None and parent is not t.node:
                assert position[id(parent)] > position[id(node)]
    assert len(order) == 7 and order[2] is y.node and t.node not in order
    expected = np.exp(x) * np.sin(x) + np.exp(x) * np.cos(x) + np.exp(x)
    np.testing.assert_allclose(tape.gradient(y, t), expected, rtol=1e-14)


def test_the_graph_holds_only_the_arrays_backward_reads(rng):
    x0, w0, b0 = rng.normal(size=(8, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
    with ops.GradientTape() as tape:
        w, b = tape.watch([w0, b0])
        product = ops.matmul(x0, w)
        held = weakref.ref(product.value)
        loss = ops.sum(ops.relu(product + b))
        del product
    assert held() is None  # Matmul does not keep its output, Add keeps only its inputs' shapes
    z = x0 @ w0 + b0
    np.testing.assert_allclose(tape.gradient(loss, b), (z > 0).sum(axis=0), rtol=1e-15)

