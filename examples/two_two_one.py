"""The 2-2-1 network that predicts sex from weight and height, checked against PyTorch.

The neural-network primer's example: four people described by their weight
(lb) and height (in), both minus an average (135 lb, 66 in), labelled 1
(female) or 0 (male); a network of two sigmoid neurons and one sigmoid output,
every weight and bias starting at 0.1; mean squared error; plain gradient
descent with learning rate 0.1 on one sample at a time, in order, for 1,000
epochs. Then it predicts two newcomers. The same network in PyTorch gives the
same numbers (``tests/test_examples.py`` checks that when torch is installed).

Run: ``python examples/two_two_one.py`` (a second or two).
"""

import time

import numpy as np
from _common import output_dir, parse_args, run, save_figure

from layerkit import Input, Sequential, backend, initializers, plotting
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "two_two_one"
PEOPLE = {"Alice": (-2, -1), "Bob": (25, 6), "Charlie": (17, 4), "Diana": (-15, -6)}
LABELS = {"Alice": 1, "Bob": 0, "Charlie": 0, "Diana": 1}
NEWCOMERS = {"Emily": (-7, -3), "Frank": (20, 2)}
LEARNING_RATE, EPOCHS, INITIAL_VALUE = 0.1, 1000, 0.1


def build_model():
    """2 inputs -> 2 sigmoid neurons -> 1 sigmoid output; every weight and bias 0.1."""
    every = {"kernel_initializer": initializers.Constant(INITIAL_VALUE),
             "bias_initializer": initializers.Constant(INITIAL_VALUE)}
    return Sequential([Input((2,)), Dense(2, activation="sigmoid", **every),
                       Dense(1, activation="sigmoid", **every)], name="two_two_one")


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    folder = output_dir(NAME)
    backend.set_floatx("float64")  # to compare with PyTorch in float64

    x = np.array(list(PEOPLE.values()), dtype=float)
    y = np.array([LABELS[name] for name in PEOPLE], dtype=float)
    model = build_model()
    model.compile(optimizer=SGD(learning_rate=LEARNING_RATE), loss="mse")
    history = model.fit(x, y, batch_size=1, epochs=EPOCHS, shuffle=False, verbose=0)
    for epoch in (0, 9, 99, 499, 999):
        print(f"epoch {epoch + 1:>4}: mean loss {history.history['loss'][epoch]:.6f}")

    for name, prediction in zip(PEOPLE, model.predict(x, verbose=0)[:, 0]):
        print(f"{name}: {prediction:.6f} (label {LABELS[name]})")
    newcomers = np.array(list(NEWCOMERS.values()), dtype=float)
    for (name, point), prediction in zip(NEWCOMERS.items(),
                                         model.predict(newcomers, verbose=0)[:, 0]):
        print(f"prediction {name} {point}: {prediction:.10f}")

    save_figure(plotting.plot_history(history), folder, "loss_curve.png")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    run(main)
