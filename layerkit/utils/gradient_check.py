"""Finite-difference gradient checks: does backpropagation agree with the definition?

For each weight entry w, the central difference ``(L(w + h) - L(w - h)) / 2h``
approximates dL/dw with an error of order h²; in float64 with h = 1e-6 that is
about 1e-10 relative. The check runs the model in float64 (a copy of every
weight) and puts the original arrays back afterwards.
"""

import contextlib

import numpy as np


def relative_error(analytic, numeric):
    """``‖a - n‖ / (‖a‖ + ‖n‖)``, 0 when both are zero.

    Example
    -------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    analytic, numeric = np.ravel(analytic), np.ravel(numeric)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


@contextlib.contextmanager
def float64_weights(model):
    """Run ``model`` on float64 copies of its weights; restore the originals afterwards."""
    slots = model.weight_slots()
    originals = [getattr(layer, name) for layer, name in slots]
    layers = model.flatten_layers()
    dtypes = [layer.dtype for layer in layers]
    losses = [loss for loss in model.output_losses if loss is not None]
    loss_dtypes = [loss.dtype for loss in losses]
    try:
        for (layer, name), value in zip(slots, originals):
            layer.rebind_weight(name, value.astype(np.float64))
        for layer in layers:
            layer.dtype = "float64"
        for loss in losses:
            loss.dtype = None
        yield
    finally:
        for (layer, name), value in zip(slots, originals):
            layer.rebind_weight(name, value)
        for layer, dtype in zip(layers, dtypes):
            layer.dtype = dtype
        for loss, dtype in zip(losses, loss_dtypes):
            loss.dtype = dtype


def _numeric_gradient(loss_at, array, epsilon, entries):
    """Central differences of ``loss_at()`` for the chosen flat ``entries`` of ``array``."""
    flat = array.reshape(-1)
    grad = np.zeros(len(entries))
    for k, i in enumerate(entries):
        saved = flat[i]
        flat[i] = saved + epsilon
        plus = loss_at()
        flat[i] = saved - epsilon
        minus = loss_at()
        flat[i] = saved
        grad[k] = (plus - minus) / (2 * epsilon)
    return grad


def check_gradients(model, x, y, sample_weight=None, epsilon=1e-6, max_entries=None, seed=0):
    """Compare the model's gradients with central finite differences, in float64.

    Parameters
    ----------
    model : Model
        A compiled model (its compiled loss is differentiated).
    x, y : array-like
        A (small) batch.
    sample_weight : array-like, optional
    epsilon : float
        The finite-difference step.
    max_entries : int, optional
        Check at most this many randomly chosen entries of each array (all by default).
    seed : int
        Seed of that choice.

    Returns
    -------
    dict
        ``{"<layer>/<weight>": relative error, ..., "input": relative error}``.

    Raises
    ------
    RuntimeError
        If the model is not compiled with a loss.

    Example
    -------
    >>> from layerkit import Sequential, layers
    >>> model = Sequential([layers.Input((3,)), layers.Dense(2, activation="tanh"),
    ...                     layers.Dense(1, activation="sigmoid")])
    >>> model.compile(loss="binary_crossentropy")
    >>> errors = check_gradients(model, np.random.rand(5, 3), np.array([0, 1, 1, 0, 1]))
    >>> max(errors.values()) < 1e-6
    True
    """
    rng = np.random.default_rng(seed)
    with float64_weights(model):
        several = isinstance(x, (list, tuple, dict)) and len(model.input_names) > 1
        xs = ([np.array(x[name] if isinstance(x, dict) else a, dtype=np.float64)
               for name, a in zip(model.input_names, x.values() if isinstance(x, dict) else x)]
              if several else [np.array(x, dtype=np.float64)])  # copies: perturbed in place
        x_given = xs if several else xs[0]
        grads, input_grads = model.compute_gradients(x_given, y, wrt_inputs=True,
                                                     sample_weight=sample_weight)
        input_grads = input_grads if several else [input_grads]

        def loss_at():
            return model.compute_loss(x_given, y, sample_weight=sample_weight)

        def pick(size):
            if max_entries is None or size <= max_entries:
                return np.arange(size)
            return rng.choice(size, max_entries, replace=False)

        errors = {}
        for (layer, name), grad in zip(model.weight_slots(), grads):
            entries = pick(grad.size)
            numeric = _numeric_gradient(loss_at, getattr(layer, name), epsilon, entries)
            errors[f"{layer.name}/{name}"] = relative_error(grad.reshape(-1)[entries], numeric)
        for input_name, x_k, grad in zip(model.input_names, xs, input_grads):
            entries = pick(x_k.size)
            numeric = _numeric_gradient(loss_at, x_k, epsilon, entries)
            key = "input" if len(xs) == 1 else f"input/{input_name}"
            errors[key] = relative_error(grad.reshape(-1)[entries], numeric)
    return errors
