"""Cat vs non-cat with a 4-layer network: the deep-learning course's "application" assignment.

12,288-20-7-5-1: three ReLU layers and a sigmoid output, binary cross-entropy,
plain gradient descent with learning rate 0.0075 on the whole training set at
once, 2,500 iterations, weights drawn as ``randn / sqrt(fan_in)``, biases zero.

Two runs:

1. From the course's own initial weights: ``numpy.random.RandomState(1)`` (the
   same stream as the course's ``np.random.seed(1)``), then for each layer
   ``randn(units, fan_in) / sqrt(fan_in)`` drawn in order, transposed into
   layerkit's (fan_in, units) kernels with ``set_weights``. This reproduces the
   course's figures: cost 0.092878 at iteration 2400, train accuracy 98.56 %,
   test accuracy 80 %.
2. From layerkit's own seeded initializer,
   ``VarianceScaling(scale=1.0, mode="fan_in", distribution="untruncated_normal")``
   (the same distribution, other random numbers). What it reaches depends on
   the seed: ``--seeds 1-7`` trains one network per seed and prints the range
   of their accuracies. Fifty test images make each one worth 2 points.

Run: ``python examples/cat_deep_network.py [--seed N | --seeds A-B] [--quick]``.
``--quick`` runs 101 iterations instead of 2,500: its costs at iterations 0
and 100 are the course's, its accuracies are not the final ones. It writes
``learning_curves.png`` (the cost of every run at every iteration) and
``mislabelled_test_images.png`` (the test images the course-initialised
network gets wrong).
"""

import time

import numpy as np
from _common import output_dir, parse_args, print_cost_every, run, save_figure
from matplotlib.figure import Figure

from layerkit import Input, Sequential, backend, initializers, plotting, utils
from layerkit.datasets import cat_vs_noncat
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "cat_deep_network"
LAYER_DIMS = [12288, 20, 7, 5, 1]
ITERATIONS, QUICK_ITERATIONS = 2500, 101


def build_model(kernel_initializer="glorot_uniform"):
    """12288-20-7-5-1, ReLU then sigmoid."""
    return Sequential(
        [Input((LAYER_DIMS[0],))]
        + [Dense(units, activation="relu", kernel_initializer=kernel_initializer)
           for units in LAYER_DIMS[1:-1]]
        + [Dense(LAYER_DIMS[-1], activation="sigmoid", kernel_initializer=kernel_initializer)],
        name="deep_cat")


def course_initial_weights(seed=1):
    """The course's ``initialize_parameters_deep``, as layerkit weights [W1, b1, W2, b2, ...].

    The course draws ``W[l] = randn(n[l], n[l-1]) / sqrt(n[l-1])`` in layer
    order from ``np.random.seed(1)``; a private ``RandomState(1)`` gives the same
    numbers without touching NumPy's global state. layerkit's kernels are
    (fan_in, units): the transpose.
    """
    rng = np.random.RandomState(seed)
    weights = []
    for fan_in, units in zip(LAYER_DIMS[:-1], LAYER_DIMS[1:]):
        weights.append((rng.randn(units, fan_in) / np.sqrt(fan_in)).T)
        weights.append(np.zeros(units))
    return weights


def accuracy(model, x, y):
    predicted = (model.predict(x, verbose=0)[:, 0] > 0.5).astype(y.dtype)
    return 100.0 * np.mean(predicted == y), predicted


def train(model, x_train, y_train, iterations):
    model.compile(optimizer=SGD(learning_rate=0.0075), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x_train, y_train, batch_size=len(x_train), epochs=iterations,
                     shuffle=False, verbose=0, callbacks=[print_cost_every(100)])


def plot_costs(histories):
    """The training cost of each run against the iteration, on one set of axes."""
    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.subplots()
    for label, history in histories.items():
        ax.plot(history.history["loss"], label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (binary cross-entropy)")
    ax.set_title("cat vs non-cat, 12288-20-7-5-1, learning rate 0.0075")
    ax.grid(alpha=0.3)
    ax.legend()
    return figure


def seed_range(text):
    """``"3"`` -> [3]; ``"1-7"`` -> [1, 2, ..., 7]."""
    first, _, last = text.partition("-")
    seeds = list(range(int(first), int(last or first) + 1))
    if not seeds:
        raise ValueError(f"an empty range of seeds: {text!r}")
    return seeds


def options(parser):
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--seed", type=seed_range, default=[1], metavar="N",
                        help="seed of layerkit's initializer for the second run (default 1)")
    choice.add_argument("--seeds", type=seed_range, dest="seed", metavar="A-B",
                        help="one second run per seed from A to B, and the range of their accuracies")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ITERATIONS} iterations instead of {ITERATIONS}")


def main():
    args = parse_args(__doc__, options)
    iterations = QUICK_ITERATIONS if args.quick else ITERATIONS
    started = time.perf_counter()
    folder = output_dir(NAME)
    backend.set_floatx("float64")  # the course computes in float64

    (x_train_orig, y_train), (x_test_orig, y_test) = cat_vs_noncat.load_data()
    class_names = cat_vs_noncat.load_class_names()
    x_train = x_train_orig.reshape(len(x_train_orig), -1) / 255.0
    x_test = x_test_orig.reshape(len(x_test_orig), -1) / 255.0

    print(f"== 1. the course's initial weights (RandomState(1)), {iterations} iterations")
    course = build_model()
    course.set_weights(course_initial_weights(seed=1))
    histories = {"course's initial weights, RandomState(1)":
                 train(course, x_train, y_train, iterations)}
    train_accuracy, _ = accuracy(course, x_train, y_train)
    test_accuracy, test_predicted = accuracy(course, x_test, y_test)
    print(f"course init: train accuracy: {train_accuracy:.2f} %")
    print(f"course init: test accuracy: {test_accuracy:.2f} %")

    print(f"\n== 2. layerkit's initializer, VarianceScaling(1, 'fan_in', 'untruncated_normal'), "
          f"seed {args.seed[0]}{f' to {args.seed[-1]}' if len(args.seed) > 1 else ''}, "
          f"{iterations} iterations")
    reached = {}
    for seed in args.seed:
        utils.set_random_seed(seed)
        own = build_model(initializers.VarianceScaling(scale=1.0, mode="fan_in",
                                                       distribution="untruncated_normal"))
        histories[f"layerkit's initializer, seed {seed}"] = train(own, x_train, y_train,
                                                                  iterations)
        reached[seed] = accuracy(own, x_train, y_train)[0], accuracy(own, x_test, y_test)[0]
        print(f"layerkit init (seed {seed}): train accuracy: {reached[seed][0]:.2f} %")
        print(f"layerkit init (seed {seed}): test accuracy: {reached[seed][1]:.2f} %")
    if len(reached) > 1:
        train_range = sorted(train for train, _ in reached.values())
        test_range = sorted(test for _, test in reached.values())
        print(f"seeds {args.seed[0]} to {args.seed[-1]} gave train accuracies from "
              f"{train_range[0]:.2f} % to {train_range[-1]:.2f} % and test accuracies from "
              f"{test_range[0]:.2f} % to {test_range[-1]:.2f} %")
    print("   (these vary with the seed: same distribution as the course's, other numbers; "
          "one test image is 2 %; --seeds A-B compares several)")
    if args.quick:
        print(f"   (--quick: {iterations} iterations; the course's figures need {ITERATIONS})")

    save_figure(plot_costs(histories), folder, "learning_curves.png")
    wrong = np.flatnonzero(test_predicted != y_test)
    save_figure(plotting.plot_images(x_test_orig[wrong], y_test[wrong], test_predicted[wrong],
                                     class_names=class_names,
                                     title="test images the network (course init) gets wrong"),
                folder, "mislabelled_test_images.png")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    run(main)
