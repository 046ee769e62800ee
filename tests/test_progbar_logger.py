"""ProgbarLogger when the number of steps is not known ahead (a generator without ``steps``).

Keras's Progbar takes the steps seen as its total when the loop ends; layerkit's closing
line says what is known then: ``Predict 3 steps`` (verbose 2), ``3/3`` (verbose 1), never
``None``.
"""

import re

import numpy as np
import pytest

from layerkit import Sequential, layers

# A generator without `steps` ends by running out, which Keras warns about too.
pytestmark = pytest.mark.filterwarnings("ignore:Your input ran out of data:UserWarning")


def model():
    net = Sequential([layers.Input((3,)), layers.Dense(2, activation="tanh"), layers.Dense(1)])
    net.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return net


def batches(count, with_targets=False):
    rng = np.random.default_rng(0)
    for _ in range(count):
        x = rng.normal(size=(4, 3))
        yield (x, x.sum(axis=1)) if with_targets else (x,)


def lines_of(capsys):
    return capsys.readouterr().out.replace("\r", "\n").splitlines()


@pytest.mark.parametrize("count", [1, 3])
def test_predict_from_a_generator_without_steps_prints_the_steps_it_ran(capsys, count):
    model().predict(batches(count), verbose=2)
    lines = [line for line in lines_of(capsys) if line.startswith("Predict")]
    assert len(lines) == 1 and re.fullmatch(rf"Predict {count} steps - \d+\.\d\ds", lines[0]), lines
    assert "None" not in lines[0]


def test_predict_with_a_bar_and_no_total_closes_with_the_count(capsys):
    model().predict(batches(3), verbose=1)
    closing = [line for line in lines_of(capsys) if re.fullmatch(r"Predict - \d+/\d+ - .*s", line)]
    assert closing == [closing[0]] and closing[0].startswith("Predict - 3/3 - "), closing


def test_evaluate_and_fit_from_generators_without_steps_never_print_none(capsys):
    net = model()
    loss, mae = net.evaluate(batches(3, with_targets=True), verbose=1)
    net.fit(batches(3, with_targets=True), epochs=1, verbose=1, shuffle=False)
    out = lines_of(capsys)
    assert any(line.startswith("Evaluate - 3/3 - ") and line.endswith(
        f"loss: {loss:.4f} - mae: {mae:.4f}") for line in out), out
    assert any(line.startswith("Epoch 1/1 - 3/3 - ") for line in out), out
    assert not any("None" in line for line in out)


def test_known_steps_still_print_the_same(capsys):
    x = np.random.default_rng(1).normal(size=(12, 3))
    model().predict(x, batch_size=4, verbose=2)
    assert any(re.fullmatch(r"Predict 3 steps - \d+\.\d\ds", line) for line in lines_of(capsys))
