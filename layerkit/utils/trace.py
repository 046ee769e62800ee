"""Tracing: watch every forward and backward pass, layer by layer, in execution order.

The tutorials debug a network by printing each node's values as they flow
forward and each gradient as it flows back. ``trace(model)`` does that for any
model, only inside its ``with`` block: it wraps the layers' ``forward`` and
``backward`` methods on entry and removes the wrappers on exit, so a model
that is not being traced pays nothing.
"""

import contextlib

import numpy as np


def describe(value):
    """``"(4, 10) mean=+0.512 std=0.210 min=-0.9 max=+1.3"``, or one per array of a list."""
    if value is None:
        return "not computed (nothing reads it)"
    if isinstance(value, (list, tuple)):
        return " | ".join(describe(v) for v in value)
    value = np.asarray(value)
    if value.size == 0:
        return f"{value.shape} empty"
    return (f"{value.shape} mean={value.mean():+.4g} std={value.std():.4g} "
            f"min={value.min():+.4g} max={value.max():+.4g}")


@contextlib.contextmanager
def trace(model, print_fn=print):
    """Print each layer's forward and backward pass while the block runs.

    Each line gives the step number, the direction, the layer, and the shape
    and a summary (mean, std, min, max) of what went in and came out; a
    backward line also lists the parameter gradients the layer filled.

    Parameters
    ----------
    model : Model
    print_fn : callable
        Receives each line (``print`` by default).

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((2,)), layers.Dense(1, kernel_initializer="ones",
    ...                                                 name="out")])
    >>> with trace(model):
    ...     _ = model.predict(np.ones((3, 2)), verbose=0)
    1 forward  out (Dense): in (3, 2) mean=+1 std=0 min=+1 max=+1 -> out (3, 1) mean=+2 std=0 min=+2 max=+2
    """
    counter = [0]
    patched = []
    running = set()  # layers inside a traced call (Dense.backward calls backward_from_z)
    directions = {"forward": "forward ", "backward": "backward", "backward_from_z": "backward (from Z)"}

    def wrap(layer, method):
        original = getattr(layer, method)
        direction = directions[method]

        def traced(value, *args, **kwargs):
            if id(layer) in running:
                return original(value, *args, **kwargs)
            running.add(id(layer))
            try:
                result = original(value, *args, **kwargs)
            finally:
                running.discard(id(layer))
            counter[0] += 1
            line = (f"{counter[0]} {direction} {layer.name} ({type(layer).__name__}): "
                    f"in {describe(value)} -> out {describe(result)}")
            if method != "forward" and getattr(layer, "grads", None):
                line += "; " + ", ".join(f"d{name} {describe(grad)}"
                                         for name, grad in layer.grads.items())
            print_fn(line)
            return result

        setattr(layer, method, traced)
        patched.append((layer, method))

    for layer in model.flatten_layers(include_self=False):
        for method in ("forward", "backward", "backward_from_z"):
            wrap(layer, method)
    try:
        yield
    finally:
        for layer, method in patched:
            delattr(layer, method)
