"""A model is a computation graph: its order is a topological sort, its gradients flow back.

The tutorials' material as a layerkit graph model: the input fans out into two
branches (a sigmoid one and a tanh one), an ``Add`` joins them, and a linear
unit reads the sum. The script prints

1. the order Kahn's algorithm gives the nodes (every node after the nodes that feed it),
2. one traced training step: each layer's forward pass, then each backward pass in
   reverse order; the input receives the *sum* of the gradients of its two consumers,
3. a gradient check against finite differences, and a short training run,
   whose loss curve it writes to ``examples/output/computation_graph/loss_curve.png``.

Run: ``python examples/computation_graph.py`` (a second or two).
"""

import numpy as np

import layerkit
from layerkit import Input, Model, layers, plotting
from layerkit.utils import check_gradients, trace


def make_data(n=200, seed=0):
    """y = sin(x1) + x2² / 2 + noise: a smooth non-linear target of two features."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2 + rng.normal(scale=0.05, size=n)
    return x, y


def build_model():
    x = Input(shape=(2,), name="x")
    left = layers.Dense(3, activation="sigmoid", name="left")(x)    # x fans out ...
    right = layers.Dense(3, activation="tanh", name="right")(x)     # ... to two layers
    joined = layers.Add(name="add")([left, right])
    y = layers.Dense(1, name="out")(joined)
    return Model(x, y, name="two_branches")


def main():
    """Print the order, a traced step and a gradient check, then train; return (history, errors)."""
    layerkit.utils.set_random_seed(7)
    x, y = make_data()
    model = build_model()
    model.compile(optimizer=layerkit.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="mse")
    model.summary()

    print("\nTopological order (Kahn's algorithm):")
    for position, node in enumerate(model.nodes, start=1):
        inputs = ", ".join(t.node.layer.name for t in node.inbound) or "fed by the data"
        print(f"  {position}. {node.layer.name:<6} <- {inputs}")

    print("\nOne training step, traced (forward in order, backward in reverse):")
    with trace(model, print_fn=lambda line: print("  " + line)):
        model.train_on_batch(x[:4], y[:4])

    errors = check_gradients(model, x[:8], y[:8])
    print(f"\nGradient check (central differences, float64): worst relative error "
          f"{max(errors.values()):.2e}")

    history = model.fit(x, y, batch_size=16, epochs=60, verbose=0)
    print(f"MSE after 1 epoch: {history.history['loss'][0]:.4f}; "
          f"after 60 epochs: {history.history['loss'][-1]:.4f}")
    return history, errors


if __name__ == "__main__":  # the tests import main() without the command line and the plot
    from _common import output_dir, parse_args, run, save_figure

    parse_args(__doc__)
    history, _ = run(main)
    save_figure(plotting.plot_history(history), output_dir("computation_graph"), "loss_curve.png")
