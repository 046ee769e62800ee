"""Boston housing with the functional API: MiniFlow's network written as the graph it is.

MiniFlow builds this regression node by node: ``Input`` nodes for the features
and the weights, a ``Linear`` node, a ``Sigmoid`` node, another ``Linear`` and
an ``MSE`` node, sorted with Kahn's algorithm. Here the same network is written
with layerkit's functional API (``Input`` -> ``Dense(10, sigmoid)`` ->
``Dense(1)``, then ``Model(inputs, outputs)``) and trained exactly as
``boston_regression.py`` trains the ``Sequential`` version. With the same seed,
the two give the same weights, bit for bit: a stack is just the simplest graph.

Run: ``python examples/boston_functional.py`` (a few seconds).
"""

import time

import numpy as np
from _common import output_dir, parse_args, run
from boston_regression import SEED, build_model, load_standardized, standard_normal, train_and_report

from layerkit import Input, Model, utils
from layerkit.layers import Dense
from layerkit.optimizers import SGD

NAME = "boston_functional"


def build_graph_model():
    """The same network as ``boston_regression.build_model()``, wired as a graph."""
    features = Input(shape=(13,), name="features")
    hidden = Dense(10, activation="sigmoid", kernel_initializer=standard_normal())(features)
    price = Dense(1, kernel_initializer=standard_normal())(hidden)
    return Model(inputs=features, outputs=price, name="miniflow_boston_graph")


def main():
    parse_args(__doc__)
    started = time.perf_counter()
    folder = output_dir(NAME)
    data = load_standardized()

    utils.set_random_seed(SEED)
    model = build_graph_model()
    model.summary()
    print("Kahn's order:", " -> ".join(node.layer.name for node in model.nodes))
    train_and_report(model, data, folder)

    utils.set_random_seed(SEED)
    stack = build_model()
    stack.compile(optimizer=SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    stack.fit(*data[0], batch_size=11, epochs=100, verbose=0)
    same = all(np.array_equal(a, b) for a, b in zip(model.get_weights(), stack.get_weights()))
    print(f"the Sequential version, same seed, has identical weights: {same}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return same


if __name__ == "__main__":
    run(main)
