"""Every initializer: shapes and dtypes, sample statistics, seeds, Orthogonal, Identity, STFT, names.

Sample means and variances are compared with the distribution's within six
standard errors computed from the sample size (the draws are seeded, so the
tests are deterministic; six standard errors keep them from depending on the
seed). Expected moments come from the formulas, computed here.
"""

import json
import math

import numpy as np
import pytest

from layerkit import backend, initializers
from layerkit.initializers.variance_scaling import TRUNCATED_STDDEV

N = 200_000  # samples for the statistics
Z = 6.0      # standard errors allowed

RANDOM = [
    initializers.RandomNormal(mean=0.5, stddev=0.2, seed=1),
    initializers.RandomUniform(minval=-0.3, maxval=0.7, seed=2),
    initializers.TruncatedNormal(mean=-0.1, stddev=0.3, seed=3),
    initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=4),
    initializers.GlorotUniform(seed=5), initializers.GlorotNormal(seed=6),
    initializers.HeNormal(seed=7), initializers.HeUniform(seed=8),
    initializers.LecunNormal(seed=9), initializers.LecunUniform(seed=10),
    initializers.Orthogonal(gain=1.5, seed=11),
]
ALL = [initializers.Zeros(), initializers.Ones(), initializers.Constant(0.25),
       initializers.Identity(gain=2.0), *RANDOM]


def _truncated_variance():
    """Variance of N(0, 1) restricted to [-2, 2]: 1 - 2·2·φ(2) / (Φ(2) - Φ(-2))."""
    pdf = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    return 1 - 4 * pdf / mass


def _truncated_fourth_moment():
    """E[X⁴] of N(0, 1) restricted to [-2, 2] (integration by parts: 3 E[X²] - 2·2³ φ(2) / mass)."""
    pdf = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    return 3 * _truncated_variance() - 2 * 8 * pdf / mass


def _assert_moments(values, mean, variance, fourth_central):
    """Sample mean and variance within Z standard errors of the distribution's."""
    n = values.size
    assert abs(values.mean() - mean) < Z * math.sqrt(variance / n)
    sample_variance = values.var(ddof=1)
    assert abs(sample_variance - variance) < Z * math.sqrt((fourth_central - variance ** 2) / n)


@pytest.mark.parametrize("init", ALL, ids=lambda i: type(i).__name__)
@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_shape_and_dtype(init, dtype):
    values = init((6, 4), dtype)
    assert values.shape == (6, 4)
    assert values.dtype == np.dtype(dtype or backend.floatx())
    assert np.all(np.isfinite(values))


def test_default_dtype_follows_floatx(float64):
    assert initializers.Orthogonal(seed=0)((3, 3)).dtype == np.float64
    assert initializers.Identity()((3, 3)).dtype == np.float64


def test_truncation_constant_is_the_std_of_a_normal_cut_at_two_sigmas():
    assert TRUNCATED_STDDEV == pytest.approx(math.sqrt(_truncated_variance()), rel=1e-15)


def test_random_normal_and_uniform_statistics():
    values = initializers.RandomNormal(mean=0.5, stddev=0.2, seed=1)((N,), "float64")
    _assert_moments(values, 0.5, 0.04, 3 * 0.04 ** 2)
    low, high = -0.3, 0.7
    values = initializers.RandomUniform(minval=low, maxval=high, seed=2)((N,), "float64")
    assert values.min() >= low and values.max() < high
    _assert_moments(values, (low + high) / 2, (high - low) ** 2 / 12, (high - low) ** 4 / 80)


def test_truncated_normal_statistics_and_bounds():
    mean, stddev = -0.1, 0.3
    values = initializers.TruncatedNormal(mean=mean, stddev=stddev, seed=3)((N,), "float64")
    assert np.all(np.abs(values - mean) <= 2 * stddev)
    _assert_moments(values, mean, stddev ** 2 * _truncated_variance(),
                    stddev ** 4 * _truncated_fourth_moment())


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_gives_variance_scale_over_n(mode, distribution):
    shape, scale = (400, 250), 1.7
    n = {"fan_in": 400, "fan_out": 250, "fan_avg": 325}[mode]
    variance = scale / n
    init = initializers.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=5)
    assert init.variance(shape) == pytest.approx(variance, rel=1e-15)
    values = init(shape, "float64").ravel()
    if distribution == "truncated_normal":
        stddev = math.sqrt(variance) / TRUNCATED_STDDEV
        assert np.all(np.abs(values) <= 2 * stddev)
        fourth = stddev ** 4 * _truncated_fourth_moment()
    elif distribution == "untruncated_normal":
        fourth = 3 * variance ** 2
    else:
        limit = math.sqrt(3 * variance)
        assert np.all(np.abs(values) <= limit)
        fourth = (2 * limit) ** 4 / 80
    _assert_moments(values, 0.0, variance, fourth)


@pytest.mark.parametrize("cls, scale, mode, distribution", [
    (initializers.GlorotUniform, 1.0, "fan_avg", "uniform"),
    (initializers.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (initializers.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (initializers.HeUniform, 2.0, "fan_in", "uniform"),
    (initializers.LecunNormal, 1.0, "fan_in", "truncated_normal"),
    (initializers.LecunUniform, 1.0, "fan_in", "uniform"),
], ids=lambda v: getattr(v, "__name__", None))
def test_presets_are_their_variance_scaling(cls, scale, mode, distribution):
    init = cls(seed=3)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    twin = initializers.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=3)
    np.testing.assert_array_equal(init((30, 20)), twin((30, 20)))
    assert init.get_config() == {"seed": 3}


def test_glorot_uniform_limit_by_hand():
    values = initializers.GlorotUniform(seed=0)((300, 100), "float64")
    limit = math.sqrt(6 / (300 + 100))
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.99 * limit


def test_compute_fans_with_axes():
    assert initializers.compute_fans((3, 4, 5), input_axes=[0, 1], output_axes=[2]) == (12, 5)
    init = initializers.VarianceScaling(mode="fan_in", input_axes=[0, 1], output_axes=[2], seed=0)
    assert init.variance((3, 4, 5)) == pytest.approx(1 / 12)
    assert init.get_config()["input_axes"] == [0, 1]
    with pytest.raises(ValueError, match="both"):
        initializers.VarianceScaling(input_axes=[0])


@pytest.mark.parametrize("init", RANDOM, ids=lambda i: type(i).__name__)
def test_seeded_initializers_repeat_and_unseeded_draw_from_layerkit(init):
    first = init((8, 6))
    np.testing.assert_array_equal(first, init((8, 6)))
    config = {**init.get_config(), "seed": init.seed + 100}
    assert not np.array_equal(first, type(init).from_config(config)((8, 6)))
    unseeded = type(init).from_config({**init.get_config(), "seed": None})
    backend.set_random_seed(7)
    a, b = unseeded((8, 6)), unseeded((8, 6))
    assert not np.array_equal(a, b)
    backend.set_random_seed(7)
    np.testing.assert_array_equal(unseeded((8, 6)), a)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 3, 4), (2, 2, 2, 8)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    gain = 1.5
    w = initializers.Orthogonal(gain=gain, seed=0)(shape, "float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, gain ** 2 * np.eye(m.shape[1]), atol=1e-12)
    else:
        np.testing.assert_allclose(m @ m.T, gain ** 2 * np.eye(m.shape[0]), atol=1e-12)


def test_orthogonal_is_uniform_over_signs_and_refuses_vectors():
    draws = np.stack([initializers.Orthogonal(seed=s)((3, 3), "float64") for s in range(400)])
    # Haar measure: each entry has mean 0 and variance 1/3
    assert np.all(np.abs(draws.mean(axis=0)) < Z * math.sqrt(1 / 3 / 400))
    np.testing.assert_allclose(draws.var(axis=0), 1 / 3, atol=Z * math.sqrt(4 / 45 / 400))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))


def test_identity_is_the_identity_times_gain():
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((4, 4), "float64"), 3 * np.eye(4))
    np.testing.assert_array_equal(initializers.Identity()((2, 4), "float64"), np.eye(2, 4))
    np.testing.assert_array_equal(initializers.Identity()((4, 2), "float64"), np.eye(4, 2))
    with pytest.raises(ValueError, match="2D"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("scaling", [None, "density", "spectrum"])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_kernel_by_hand(side, scaling, periodic):
    frames, bins = 8, 5
    n_fft = 2 * (bins - 1)
    m = frames + 1 if periodic else frames
    hann = np.array([0.5 - 0.5 * math.cos(2 * math.pi * t / (m - 1)) for t in range(m)])[:frames]
    trig = math.cos if side == "real" else math.sin
    expected = np.array([[[trig(-2 * math.pi * t * f / n_fft) * hann[t] for f in range(bins)]]
                         for t in range(frames)])
    expected /= {None: 1.0, "density": math.sqrt(np.sum(hann ** 2)), "spectrum": np.sum(hann)}[scaling]
    got = initializers.STFT(side=side, window="hann", scaling=scaling, periodic=periodic)(
        (frames, 1, bins), "float64")
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_stft_windows_and_errors():
    window = [0.1, 0.5, 1.0, 0.5]
    got = initializers.STFT(window=window, scaling=None)((4, 1, 3), "float64")
    np.testing.assert_allclose(got[:, 0, 0], window)
    with pytest.raises(ValueError, match="hann"):
        initializers.STFT(window="kaiser_bessel")
    with pytest.raises(ValueError, match="window"):
        initializers.STFT(window=[1.0, 2.0])((4, 1, 3))
    with pytest.raises(ValueError, match="side"):
        initializers.STFT(side="complex")


@pytest.mark.parametrize("name, cls", [
    ("orthogonal", "Orthogonal"), ("OrthogonalInitializer", "Orthogonal"), ("identity", "Identity"),
    ("IdentityInitializer", "Identity"), ("lecun_normal", "LecunNormal"),
    ("lecun_uniform", "LecunUniform"), ("he_normal", "HeNormal"), ("he_uniform", "HeUniform"),
    ("glorot_normal", "GlorotNormal"), ("glorot_uniform", "GlorotUniform"),
    ("variance_scaling", "VarianceScaling"), ("truncated_normal", "TruncatedNormal"),
    ("random_normal", "RandomNormal"), ("normal", "RandomNormal"), ("random_uniform", "RandomUniform"),
    ("uniform", "RandomUniform"), ("constant", "Constant"), ("zeros", "Zeros"), ("zero", "Zeros"),
    ("ones", "Ones"), ("one", "Ones"), ("stft", "STFT"), ("STFTInitializer", "STFT"),
])
def test_keras_string_names(name, cls):
    assert type(initializers.get(name)).__name__ == cls


NEW = [initializers.Orthogonal(gain=2.0, seed=3), initializers.Identity(gain=0.5),
       initializers.STFT(side="imag", window="hamming", scaling="spectrum", periodic=True),
       initializers.STFT(window=[0.0, 1.0, 1.0, 0.0], scaling=None),
       initializers.VarianceScaling(scale=0.5, mode="fan_avg", distribution="uniform", seed=2,
                                    input_axes=[0], output_axes=[1]),
       initializers.HeNormal(seed=1, input_axes=[0], output_axes=[1])]


@pytest.mark.parametrize("init", NEW, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    config = init.get_config()
    json.dumps(config)
    serialized = initializers.serialize(init)
    assert serialized == {"class_name": type(init).__name__, "config": config}
    again = initializers.deserialize(serialized)
    assert type(again) is type(init) and again.get_config() == config
    shape = (4, 1, 3) if isinstance(init, initializers.STFT) else (4, 4)
    np.testing.assert_array_equal(again(shape), init(shape))
    assert type(initializers.get(json.loads(json.dumps(serialized)))) is type(init)


def test_keras_style_configs_load():
    """Keras writes ``input_axes``/``output_axes`` as None and ``"normal"`` as a distribution."""
    init = initializers.deserialize({"class_name": "HeNormal", "config": {
        "seed": 3, "input_axes": None, "output_axes": None}})
    assert init.get_config() == {"seed": 3}
    init = initializers.VarianceScaling(distribution="Normal")
    assert init.distribution == "truncated_normal"


@pytest.mark.parametrize("make, match", [
    (lambda: initializers.RandomNormal(stddev=-1.0), "stddev"),
    (lambda: initializers.TruncatedNormal(stddev=float("nan")), "stddev"),
    (lambda: initializers.RandomUniform(minval=1.0, maxval=0.0), "minval"),
    (lambda: initializers.VarianceScaling(scale=float("nan")), "scale"),
    (lambda: initializers.VarianceScaling(scale=-2.0), "scale"),
    (lambda: initializers.VarianceScaling(distribution="cauchy"), "distribution"),
    (lambda: initializers.Orthogonal(gain="big"), "gain"),
    (lambda: initializers.Identity(gain=float("inf")), "gain"),
])
def test_bad_arguments_are_refused_with_the_received_value(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "Received" in str(info.value)
