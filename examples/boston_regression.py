"""Boston housing with MiniFlow's network: 13 inputs, 10 sigmoid units, 1 linear output.

MiniFlow (the from-scratch graph framework of the deep-learning tutorials)
trains this network on the Boston housing prices: features standardised,
weights drawn from a standard normal distribution, biases zero, mean squared
error, stochastic gradient descent with learning rate 0.01 on batches of 11
samples. MiniFlow draws its batches at random with replacement and trains on
all 506 rows; here the rows are split as Keras's ``boston_housing.load_data()``
splits them (404 training, 102 test), each epoch visits every training row
once in a fresh order (batches of 11), and the model trains for 100 epochs.
The script prints the loss every 10 epochs and the mean absolute error on the
test set (in k$), and plots the loss curve and the test predictions.

About the data: its ``B`` column was built on the proportion of Black
residents of each town; it is used here, as in the tutorials, only to
illustrate regression (see ``layerkit.datasets.boston_housing``).

Run: ``python examples/boston_regression.py`` (a few seconds).
"""

import time

import numpy as np
from _common import output_dir, parse_args, run, save_figure
from matplotlib.figure import Figure

from layerkit import Input, Sequential, initializers, plotting, utils
from layerkit.datasets import boston_housing
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "boston_regression"
SEED = 0


def plot_predictions(y_true, y_pred, mae):
    """Predicted against true prices, with the diagonal of perfect predictions."""
    figure = Figure(figsize=(5, 5), layout="constrained")
    ax = figure.subplots()
    ax.scatter(y_true, y_pred, s=14, alpha=0.7)
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    ax.plot([low, high], [low, high], "k--", linewidth=1)
    ax.set_xlabel("true median value (k$)")
    ax.set_ylabel("predicted (k$)")
    ax.set_title(f"test set: mean absolute error {mae:.2f} k$")
    ax.grid(alpha=0.3)
    return figure


def load_standardized():
    """Keras's split of the Boston data, features standardised with the training statistics."""
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)  # statistics of the training set only
    return ((x_train - mean) / std, y_train), ((x_test - mean) / std, y_test)


def standard_normal():
    """MiniFlow's weights: ``randn``, a standard normal distribution."""
    return initializers.RandomNormal(mean=0.0, stddev=1.0)


def build_model():
    """13 inputs, 10 sigmoid units, 1 linear output, as a stack."""
    return Sequential([
        Input((13,)),
        Dense(10, activation="sigmoid", kernel_initializer=standard_normal()),
        Dense(1, kernel_initializer=standard_normal()),
    ], name="miniflow_boston")


def train_and_report(model, data, folder):
    """Train as MiniFlow does (SGD 0.01, batches of 11, 100 epochs), print and plot the results."""
    (x_train, y_train), (x_test, y_test) = data
    print(f"train: {x_train.shape}, test: {x_test.shape}; prices from {y_train.min()} to "
          f"{y_train.max()} k$")
    model.compile(optimizer=SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    history = model.fit(x_train, y_train, batch_size=11, epochs=100, verbose=0)
    for epoch in range(0, 100, 10):
        print(f"epoch {epoch + 1:>3}: loss (MSE) {history.history['loss'][epoch]:8.3f}, "
              f"MAE {history.history['mae'][epoch]:.3f}")

    test_mse, test_mae = model.evaluate(x_test, y_test, verbose=0)
    print(f"train MSE after 100 epochs: {history.history['loss'][-1]:.3f}")
    print(f"test MSE: {test_mse:.3f}, test MAE: {test_mae:.3f} k$ "
          f"(predicting the training mean: MAE {np.abs(y_test - y_train.mean()).mean():.3f} k$)")

    figure = plotting.plot_history(history, metrics=["loss"])
    figure.axes[0].set_yscale("log")  # the first epochs' loss is 20 times the last ones'
    figure.axes[0].set_title("training loss (MSE, k$²), log scale")
    save_figure(figure, folder, "loss_curve.png")
    predictions = model.predict(x_test, verbose=0)[:, 0]
    save_figure(plot_predictions(y_test, predictions, test_mae), folder, "test_predictions.png")
    return history, test_mae


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    folder = output_dir(NAME)
    utils.set_random_seed(SEED)
    train_and_report(build_model(), load_standardized(), folder)
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    run(main)
