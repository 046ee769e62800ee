"""Cat vs non-cat with logistic regression: the deep-learning course's first assignment.

The course's recipe, written with layerkit: flatten each 64x64x3 image into
12,288 values divided by 255, one sigmoid unit whose weights start at zero,
binary cross-entropy, plain gradient descent with learning rate 0.005 on the
whole training set at once (one batch of 209 images), 2,000 iterations. The
course gets a train accuracy of 99.04 % and a test accuracy of 70 %; so does
this script, cost for cost (it computes in float64, as the course's NumPy does).

It then saves the weights to HDF5, loads them into a fresh model and checks
the predictions are identical. It writes, in ``examples/output/cat_logistic_regression/``,
``cat_logistic_regression.weights.h5``, ``learning_curve.png`` (training and test
loss and accuracy at every iteration) and ``test_predictions.png`` (fifteen test
images with their predicted labels).

Run: ``python examples/cat_logistic_regression.py`` (the data: see
``datasets/README.md``; ``LAYERKIT_DATA_DIR`` names the folder holding it).
"""

import time

import numpy as np
from _common import output_dir, parse_args, print_cost_every, run, save_figure
from matplotlib.figure import Figure

from layerkit import Input, Sequential, backend, plotting
from layerkit.datasets import cat_vs_noncat
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "cat_logistic_regression"


def build_model():
    """One sigmoid unit on the 12,288 pixel values, weights and bias at zero."""
    return Sequential([
        Input((64 * 64 * 3,)),
        Dense(1, activation="sigmoid", kernel_initializer="zeros"),
    ], name="logistic_regression")


def accuracy(model, x, y):
    """Percentage of images whose predicted probability is on the right side of 0.5."""
    predicted = (model.predict(x, verbose=0)[:, 0] > 0.5).astype(y.dtype)
    return 100.0 * np.mean(predicted == y), predicted


def plot_learning_curves(history):
    """Loss and accuracy at every iteration, training and test (the test set is the validation data).

    The test curve is drawn first and thinner, so the training curve stays visible where the
    two overlap (both zigzag during the first ~300 iterations).
    """
    figure = Figure(figsize=(9, 3.5), layout="constrained")
    for ax, name in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        iterations = range(len(history.history[name]))
        test = ax.plot(iterations, history.history["val_" + name], color="C1", linewidth=0.8,
                       alpha=0.7, label="test")
        training = ax.plot(iterations, history.history[name], color="C0", linewidth=1.6,
                           label="training")
        ax.set_title(name)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.legend(handles=training + test)
    return figure


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    folder = output_dir(NAME)
    backend.set_floatx("float64")  # the course computes in float64

    (x_train_orig, y_train), (x_test_orig, y_test) = cat_vs_noncat.load_data()
    class_names = cat_vs_noncat.load_class_names()
    print(f"train: {x_train_orig.shape} images, {int(y_train.sum())} cats; "
          f"test: {x_test_orig.shape} images, {int(y_test.sum())} cats; classes {class_names}")
    x_train = x_train_orig.reshape(len(x_train_orig), -1) / 255.0  # (209, 12288)
    x_test = x_test_orig.reshape(len(x_test_orig), -1) / 255.0      # (50, 12288)

    model = build_model()
    model.compile(optimizer=SGD(learning_rate=0.005), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=len(x_train), epochs=2000, shuffle=False,
                        validation_data=(x_test, y_test), verbose=0,
                        callbacks=[print_cost_every(100)])

    train_accuracy, _ = accuracy(model, x_train, y_train)
    test_accuracy, test_predicted = accuracy(model, x_test, y_test)
    print(f"train accuracy: {train_accuracy:.2f} %")
    print(f"test accuracy: {test_accuracy:.2f} %")

    # Save the weights, load them into a fresh model, compare the predictions.
    weights_file = folder / "cat_logistic_regression.weights.h5"
    model.save_weights(weights_file)
    restored = build_model()
    restored.load_weights(weights_file)
    same = np.array_equal(model.predict(x_test, verbose=0), restored.predict(x_test, verbose=0))
    print(f"wrote {weights_file}; reloaded into a fresh model: predictions identical: {same}")
    if not same:
        raise SystemExit("the reloaded model predicts differently")

    save_figure(plot_learning_curves(history), folder, "learning_curve.png")
    shown = slice(0, 15)
    save_figure(plotting.plot_images(x_test_orig[shown], y_test[shown], test_predicted[shown],
                                     class_names=class_names,
                                     title="test images: label / prediction"),
                folder, "test_predictions.png")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    run(main)
