"""layerkit demo: a small two-class classifier on two interleaving moons.

What ``make demo`` runs until the worked examples land. Written the way a Keras
user writes it: build a ``Sequential`` model, ``compile``, ``summary``, ``fit``
with a validation split, ``evaluate`` on a held-out test set, then check the
backpropagated gradients against finite differences.

Run it with ``python examples/demo.py``: it takes well under a second on a CPU.
It writes no files.
"""

import time

import numpy as np

import layerkit
from layerkit import Input, Sequential
from layerkit.layers import Dense
from layerkit.optimizers import SGD

SEED = 42


def make_moons(n_samples, noise, rng):
    """Two interleaving half circles in 2-D, labels 0 (upper) and 1 (lower), shuffled."""
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = rng.uniform(0, np.pi, n_upper)
    t_lower = rng.uniform(0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n_samples, 2))
    y = np.concatenate([np.zeros(n_upper), np.ones(n_lower)])
    order = rng.permutation(n_samples)
    return x[order], y[order]


def main():
    started = time.perf_counter()
    layerkit.utils.set_random_seed(SEED)  # weights and shuffling become reproducible

    # Data: 1,000 training and 500 test points, made here (no files, no downloads).
    rng = np.random.default_rng(SEED)
    x_train, y_train = make_moons(1000, noise=0.2, rng=rng)
    x_test, y_test = make_moons(500, noise=0.2, rng=rng)

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
