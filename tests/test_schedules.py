"""Every learning-rate schedule: hand-computed values, Python floats, validation, config round trips."""

import json
import math

import pytest

from layerkit import optimizers
from layerkit.optimizers import schedules


def _values(schedule, steps):
    return [schedule(step) for step in steps]


def test_exponential_decay_by_hand():
    smooth = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert _values(smooth, [0, 5, 10, 25]) == pytest.approx(
        [0.1, 0.1 * 0.5 ** 0.5, 0.05, 0.1 * 0.5 ** 2.5], rel=1e-15)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert _values(stairs, [0, 9, 10, 19, 20]) == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-15)


def test_inverse_time_decay_by_hand():
    smooth = schedules.InverseTimeDecay(1.0, decay_steps=4, decay_rate=0.5)
    assert _values(smooth, [0, 2, 4, 12]) == pytest.approx([1.0, 1 / 1.25, 1 / 1.5, 1 / 2.5], rel=1e-15)
    stairs = schedules.InverseTimeDecay(1.0, decay_steps=4, decay_rate=0.5, staircase=True)
    assert _values(stairs, [3, 4, 7, 8]) == pytest.approx([1.0, 1 / 1.5, 1 / 1.5, 0.5], rel=1e-15)


def test_piecewise_constant_decay_by_hand():
    schedule = schedules.PiecewiseConstantDecay([10, 20], [0.3, 0.2, 0.1])
    assert _values(schedule, [0, 10, 11, 20, 21, 10 ** 6]) == [0.3, 0.3, 0.2, 0.2, 0.1, 0.1]
    assert schedules.PiecewiseConstantDecay([], [0.5])(7) == 0.5


def test_polynomial_decay_by_hand():
    linear = schedules.PolynomialDecay(0.1, decay_steps=10)
    end = 0.0001
    assert _values(linear, [0, 4, 10, 50]) == pytest.approx(
        [0.1, (0.1 - end) * 0.6 + end, end, end], rel=1e-15)
    square = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=2.0)
    assert square(3) == pytest.approx(0.7 ** 2, rel=1e-15)
    cyclic = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    # after step 10 the period is 20, after 20 it is 30 ...
    assert _values(cyclic, [0, 5, 10, 15, 20, 25]) == pytest.approx(
        [1.0, 0.5, 0.0, 1 - 15 / 20, 0.0, 1 - 25 / 30], abs=1e-15)


def test_cosine_decay_by_hand():
    schedule = schedules.CosineDecay(0.2, decay_steps=100, alpha=0.1)

    def expected(step):
        t = min(step, 100) / 100
        return 0.2 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * t)) + 0.1)

    steps = [0, 25, 50, 100, 150]
    assert _values(schedule, steps) == pytest.approx([expected(s) for s in steps], rel=1e-14)
    assert schedule(100) == pytest.approx(0.02, rel=1e-14)


def test_cosine_decay_with_warmup_by_hand():
    schedule = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert _values(schedule, [0, 1, 2, 4]) == pytest.approx([0.0, 0.25, 0.5, 1.0], rel=1e-15)
    assert schedule(9) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)), rel=1e-14)
    assert schedule(14) == pytest.approx(0.0, abs=1e-15)
    assert schedule(1000) == pytest.approx(0.0, abs=1e-15)


def test_cosine_decay_restarts_by_hand():
    schedule = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5,
                                             alpha=0.0)

    def cosine(t):
        return 0.5 * (1 + math.cos(math.pi * t))

    # periods: [0, 10) of length 10, [10, 30) of 20 at half height, [30, 70) of 40 at a quarter
    steps = [0, 5, 10, 20, 30, 50, 70]
    expected = [1.0, cosine(0.5), 0.5, 0.5 * cosine(0.5), 0.25, 0.25 * cosine(0.5), 0.125]
    assert _values(schedule, steps) == pytest.approx(expected, abs=1e-15)
    constant_period = schedules.CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.0)
    assert _values(constant_period, [0, 2, 4, 6, 8]) == pytest.approx(
        [1.0, 0.5, 1.0, 0.5, 1.0], abs=1e-15)


def test_cosine_decay_restarts_shrinking_periods_end():
    schedule = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=0.5)
    assert schedule(15) == pytest.approx(1.0, abs=1e-12)  # periods of 10, 5, 2.5...: a restart at 15
    with pytest.raises(ValueError, match="20.0 steps"):
        schedule(25)


ALL = [
    schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True, name="exp"),
    schedules.InverseTimeDecay(0.5, 10, 2.0),
    schedules.PiecewiseConstantDecay([5, 15], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 50, end_learning_rate=0.01, power=0.5, cycle=True),
    schedules.CosineDecay(0.1, 200, alpha=0.05, warmup_target=0.3, warmup_steps=20),
    schedules.CosineDecayRestarts(0.1, 30, t_mul=1.5, m_mul=0.8, alpha=0.01),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_returns_python_floats(schedule):
    for step in (0, 1, 7, 1000):
        assert type(schedule(step)) is float


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    json.dumps(config)
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    serialized = schedules.serialize(schedule)
    assert serialized == {"class_name": type(schedule).__name__, "config": config}
    restored = schedules.deserialize(json.loads(json.dumps(serialized)))
    assert type(restored) is type(schedule)
    assert _values(restored, range(0, 300, 7)) == _values(schedule, range(0, 300, 7))


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_an_optimizer_saves_and_restores_its_schedule(schedule):
    optimizer = optimizers.SGD(learning_rate=schedule)
    again = optimizers.SGD.from_config(optimizer.get_config())
    assert type(again.learning_rate) is type(schedule)
    assert again.learning_rate.get_config() == schedule.get_config()


def test_keras_defaults_and_config_keys():
    assert schedules.PolynomialDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": 0.0001, "power": 1.0,
        "cycle": False, "name": "PolynomialDecay"}
    assert schedules.CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    assert schedules.CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 1.0,
        "alpha": 0.0, "name": "SGDRDecay"}
    assert schedules.PiecewiseConstantDecay([1], [0.1, 0.2]).get_config()["name"] == "PiecewiseConstant"


@pytest.mark.parametrize("make, match", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: schedules.ExponentialDecay(0.1, 10, -0.5), "decay_rate"),
    (lambda: schedules.InverseTimeDecay(float("nan"), 10, 0.5), "initial_learning_rate"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "length"),
    (lambda: schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3]), "increasing"),
    (lambda: schedules.PiecewiseConstantDecay([1], [0.1, float("inf")]), "values"),
    (lambda: schedules.PolynomialDecay(0.1, -5), "decay_steps"),
    (lambda: schedules.PolynomialDecay(0.1, 5, power=-1.0), "power"),
    (lambda: schedules.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=-1.0), "warmup_target"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_steps=-1), "warmup_steps"),
    (lambda: schedules.CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, t_mul=0.0), "t_mul"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, m_mul=-1.0), "m_mul"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, alpha=True), "alpha"),
])
def test_bad_arguments_are_refused_with_the_received_value(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "Received" in str(info.value)


def test_unknown_schedule_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="CosineDecayRestarts"):
        schedules.deserialize({"class_name": "LinearWarmup", "config": {}})
