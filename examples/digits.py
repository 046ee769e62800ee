"""Handwritten digits (8x8 pixels): a softmax classifier with categorical cross-entropy.

1,797 images of the digits 0 to 9, split 1,437 / 360 as Keras splits its data
sets. Each image's 64 pixel values (0..16) are divided by 16; the labels are
one-hot encoded; a network of 64 ReLU units and a 10-way softmax is trained
with categorical cross-entropy and SGD with momentum, holding 10 % of the
training images out for validation. The script prints the test accuracy,
plots the learning curves and shows some test images with their predictions.

Run: ``python examples/digits.py`` (a few seconds).
"""

import time

import numpy as np
from _common import output_dir, parse_args, run, save_figure

from layerkit import Input, Sequential, plotting, utils
from layerkit.datasets import digits
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "digits"
SEED = 0


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    folder = output_dir(NAME)
    utils.set_random_seed(SEED)

    (x_train_images, y_train), (x_test_images, y_test) = digits.load_data()
    x_train = x_train_images.reshape(len(x_train_images), -1) / 16.0
    x_test = x_test_images.reshape(len(x_test_images), -1) / 16.0
    y_train_one_hot = utils.to_categorical(y_train, 10)
    y_test_one_hot = utils.to_categorical(y_test, 10)
    print(f"train: {x_train.shape}, test: {x_test.shape}, "
          f"images per digit in train: {np.bincount(y_train).tolist()}")

    model = Sequential([
        Input((64,)),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ], name="digits")
    model.compile(optimizer=SGD(learning_rate=0.05, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train_one_hot, batch_size=32, epochs=40,
                        validation_split=0.1, verbose=0)
    for epoch in range(0, 40, 5):
        logs = {k: v[epoch] for k, v in history.history.items()}
        print(f"epoch {epoch + 1:>2}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.4f}, "
              f"val_accuracy {logs['val_accuracy']:.4f}")
    test_loss, test_accuracy = model.evaluate(x_test, y_test_one_hot, verbose=0)
    print(f"test accuracy: {100 * test_accuracy:.2f} % (test loss {test_loss:.4f}, "
          f"{len(x_test)} images)")

    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    save_figure(plotting.plot_history(history), folder, "learning_curves.png")
    wrong = np.flatnonzero(predicted != y_test)
    shown = np.concatenate([np.arange(20 - min(len(wrong), 5)), wrong[:5]])
    save_figure(plotting.plot_images(x_test_images[shown], y_test[shown], predicted[shown],
                                     ncols=10, title="test digits: label / prediction "
                                     "(the last row ends with mistakes)"),
                folder, "test_predictions.png")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    run(main)
