"""layerkit demo: a small two-class classifier on two interleaving moons, no data file needed.

Written the way a Keras user writes it: build a ``Sequential`` model,
``compile``, ``summary``, ``fit`` with a validation split, ``evaluate`` on a
held-out test set, then check the backpropagated gradients against finite
differences. The points come from ``layerkit.datasets.make_moons`` (1,000 to
train on, 500 to test on); the test accuracy is about 97 %.

``make demo`` runs the main worked example, ``cat_logistic_regression.py``;
this one is the quickest start when you have no data set at hand. Run it with
``.venv/bin/python examples/demo.py`` (after ``make demo``, or with the
virtual environment activated). It takes a few seconds and writes no files.
"""

import time

from _common import parse_args

import layerkit
from layerkit import Input, Sequential
from layerkit.datasets import make_moons
from layerkit.layers import Dense
from layerkit.optimizers import SGD

SEED = 42


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    layerkit.utils.set_random_seed(SEED)  # weights and shuffling become reproducible

    # Data: 1,000 training and 500 test points, generated (no files, no downloads).
    x_train, y_train = make_moons(1000, noise=0.2, random_state=SEED)
    x_test, y_test = make_moons(500, noise=0.2, random_state=SEED + 1)

    # Model: 2 -> 16 -> 16 -> 1, ReLU hidden layers, a sigmoid output.
    model = Sequential([
        Input((2,)),
        Dense(16, activation="relu"),
        Dense(16, activation="relu"),
        Dense(1, activation="sigmoid"),
    ], name="moons")
    model.compile(optimizer=SGD(learning_rate=0.05, momentum=0.9),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()

    # Training: the last 10 % of the training set is held out for validation.
    history = model.fit(x_train, y_train, batch_size=32, epochs=40,
                        validation_split=0.1, verbose=2)

    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nfinal val_accuracy: {history.history['val_accuracy'][-1]:.4f}")
    print(f"test loss: {test_loss:.4f} - test accuracy: {test_accuracy:.2%}")

    # Gradient check: backpropagation against central finite differences (in float64).
    errors = layerkit.utils.check_gradients(model, x_test[:8], y_test[:8])
    worst = max(errors, key=errors.get)
    print(f"gradient check on 8 samples: worst relative error {errors[worst]:.2e} ({worst})")

    print(f"done in {time.perf_counter() - started:.1f} s")
    if test_accuracy < 0.95:
        raise SystemExit(f"test accuracy {test_accuracy:.2%} is below 95 %")


if __name__ == "__main__":
    main()
