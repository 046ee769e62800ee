"""layerkit.random: Keras's seeds (int, SeedGenerator, None), distributions, dropout and shuffle."""

import numpy as np
import pytest

from layerkit import backend, ops
from layerkit import random as lk_random

DRAWS = {  # name: a draw of 2000 values with a given seed
    "normal": lambda seed: lk_random.normal((2000,), mean=1.0, stddev=2.0, seed=seed),
    "uniform": lambda seed: lk_random.uniform((2000,), minval=-1.0, maxval=3.0, seed=seed),
    "truncated_normal": lambda seed: lk_random.truncated_normal((2000,), mean=1.0, stddev=2.0, seed=seed),
    "randint": lambda seed: lk_random.randint((2000,), 0, 10, seed=seed),
    "dropout": lambda seed: lk_random.dropout(np.ones(2000), 0.5, seed=seed),
    "shuffle": lambda seed: lk_random.shuffle(np.arange(2000), seed=seed),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_seeds_follow_keras(name):
    draw = DRAWS[name]
    np.testing.assert_array_equal(draw(7), draw(7))          # an int: the same values every call
    assert not np.array_equal(draw(7), draw(8))
    first, second = lk_random.SeedGenerator(3), lk_random.SeedGenerator(3)
    a, b = draw(first), draw(first)
    assert not np.array_equal(a, b)                            # a SeedGenerator moves on
    np.testing.assert_array_equal(a, draw(second))             # the same seed, the same sequence
    np.testing.assert_array_equal(b, draw(second))
    backend.set_random_seed(11)
    c = draw(None)
    backend.set_random_seed(11)
    np.testing.assert_array_equal(c, draw(None))               # None: layerkit's generator


def test_numpys_global_state_is_never_used():
    state = np.random.get_state()[1].copy()
    for draw in DRAWS.values():
        draw(None), draw(1), draw(lk_random.SeedGenerator())
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_distributions_have_their_moments_bounds_and_dtypes():
    normal = lk_random.normal((20000,), mean=1.0, stddev=2.0, seed=0)
    assert normal.dtype == np.float32 and abs(normal.mean() - 1) < 0.05 and abs(normal.std() - 2) < 0.05
    uniform = lk_random.uniform((20000,), minval=-1.0, maxval=3.0, dtype="float64", seed=0)
    assert uniform.dtype == np.float64 and uniform.min() >= -1 and uniform.max() < 3
    assert abs(uniform.mean() - 1) < 0.05
    truncated = lk_random.truncated_normal((4, 5000), mean=1.0, stddev=2.0, seed=0)
    assert truncated.shape == (4, 5000) and np.abs(truncated - 1).max() <= 4
    assert abs(truncated.std() - 2 * 0.8796) < 0.05  # the std of N(0, 1) cut at ±2 is 0.8796
    integers = lk_random.randint((3, 1000), 2, 5, seed=0)
    assert integers.dtype == np.int32 and set(np.unique(integers)) == {2, 3, 4}


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="floating point `dtype`. Received: dtype=int32"):
        lk_random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer `dtype`. Received: dtype=float32"):
        lk_random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="non-negative integer or an instance of `SeedGenerator`"):
        lk_random.normal((2,), seed=1.5)
    for seed in (-1, 2.0, True, "1"):
        with pytest.raises(ValueError, match=f"Received: seed={seed!r}"):
            lk_random.SeedGenerator(seed)
    for rate in (-0.1, 1.5, "0.5", True):
        with pytest.raises(ValueError, match=f"between 0 and 1. Received: rate={rate!r}"):
            lk_random.dropout(np.ones(3), rate)


def test_seed_generator_names_and_config_round_trip():
    assert lk_random.SeedGenerator().name == "seed_generator"
    assert lk_random.SeedGenerator().name == "seed_generator_1"
    generator = lk_random.SeedGenerator(5, name="mine")
    assert generator.get_config() == {"seed": 5, "name": "mine"}
    copy = lk_random.SeedGenerator.from_config(generator.get_config())
    np.testing.assert_array_equal(lk_random.normal((3,), seed=copy),
                                  lk_random.normal((3,), seed=lk_random.SeedGenerator(5)))


def test_dropout_keeps_about_one_minus_rate_and_scales_them():
    x = np.random.default_rng(0).normal(size=(200, 100)).astype(np.float32)
    before = x.copy()
    out = lk_random.dropout(x, 0.3, seed=0)
    kept = out != 0
    assert out.dtype == np.float32 and abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], x[kept] / np.float32(0.7), rtol=1e-6)
    np.testing.assert_array_equal(x, before)
    assert lk_random.dropout(x, 0.0) is x
    np.testing.assert_array_equal(lk_random.dropout(x, 1.0), np.zeros_like(x))


def test_dropout_noise_shape_drops_whole_rows():
    out = lk_random.dropout(np.ones((500, 4)), 0.5, noise_shape=(None, 1), seed=0)
    assert np.all((out == 0).all(axis=1) | (out == 2).all(axis=1))
    assert 0.4 < (out[:, 0] == 0).mean() < 0.6


def test_gradient_through_dropout_is_the_scaled_mask():
    x = np.random.default_rng(1).normal(size=(6, 5))
    upstream = np.random.default_rng(2).normal(size=(6, 5))
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        out = lk_random.dropout(t, 0.4, seed=3)
    mask = lk_random.dropout(np.ones((6, 5)), 0.4, seed=3) != 0
    np.testing.assert_allclose(out.value, np.where(mask, x / 0.6, 0), rtol=1e-15)
    np.testing.assert_allclose(tape.gradient(out, t, output_gradients=upstream),
                               np.where(mask, upstream / 0.6, 0), rtol=1e-15)


def test_shuffle_permutes_slices_along_an_axis_and_is_differentiable():
    x = np.arange(12.0).reshape(3, 4)
    rows, columns = lk_random.shuffle(x, seed=0), lk_random.shuffle(x, axis=1, seed=0)
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, x.tolist()))
    assert sorted(map(tuple, columns.T.tolist())) == sorted(map(tuple, x.T.tolist()))
    np.testing.assert_array_equal(x, np.arange(12.0).reshape(3, 4))
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        shuffled = lk_random.shuffle(t, seed=0)
    weights = np.arange(12.0).reshape(3, 4)
    grad = tape.gradient(shuffled, t, output_gradients=weights)
    np.testing.assert_array_equal(grad[(rows[:, 0] // 4).astype(int)], weights)  # row i came from x[perm[i]]
