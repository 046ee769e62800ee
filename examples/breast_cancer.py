"""Breast cancer Wisconsin: a binary classifier on 30 measurements of cell nuclei.

569 tumours, malignant (0) or benign (1), split 455 / 114 as Keras splits its
data sets. The features are standardised with the training set's mean and
standard deviation; a network of 16 ReLU units and one sigmoid output is
trained with binary cross-entropy and SGD, holding 10 % of the training set
out for validation. The script prints the test accuracy and the confusion
counts, and plots the learning curves.

Run: ``python examples/breast_cancer.py`` (a few seconds).
"""

import time

import numpy as np
from _common import output_dir, parse_args, run, save_figure

from layerkit import Input, Sequential, plotting, utils
from layerkit.datasets import breast_cancer
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "breast_cancer"
SEED = 0


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    folder = output_dir(NAME)
    utils.set_random_seed(SEED)

    (x_train, y_train), (x_test, y_test) = breast_cancer.load_data()
    class_names = breast_cancer.load_class_names()
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    print(f"train: {x_train.shape}, test: {x_test.shape}, classes {class_names}, "
          f"benign share in train: {y_train.mean():.2f}")

    model = Sequential([
        Input((30,)),
        Dense(16, activation="relu"),
        Dense(1, activation="sigmoid"),
    ], name="breast_cancer")
    model.compile(optimizer=SGD(learning_rate=0.01, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=50, validation_split=0.1,
                        verbose=0)
    for epoch in range(0, 50, 10):
        logs = {k: v[epoch] for k, v in history.history.items()}
        print(f"epoch {epoch + 1:>2}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.4f}, "
              f"val_accuracy {logs['val_accuracy']:.4f}")
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {100 * test_accuracy:.2f} % (test loss {test_loss:.4f}, "
          f"{len(x_test)} tumours)")
    predicted = (model.predict(x_test, verbose=0)[:, 0] > 0.5).astype(int)
    for true in (0, 1):
        counts = [int(np.sum((y_test == true) & (predicted == guess))) for guess in (0, 1)]
        print(f"  {class_names[true]:>9}: predicted {class_names[0]} {counts[0]}, "
              f"{class_names[1]} {counts[1]}")

    save_figure(plotting.plot_history(history), folder, "learning_curves.png")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    run(main)
