"""Checking and batching the arrays given to ``fit``, ``evaluate`` and ``predict``.

Everything here is checked before any weight changes, and the user's arrays are
never written to: batches are slices (views) or gathered copies.
"""

import math
import numbers

import numpy as np


def check_int(name, value, minimum, caller):
    """``value`` as an int >= ``minimum``, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` of {caller}() must be an integer >= {minimum}. "
                         f"Received: {name}={value!r}")
    return int(value)


def check_optional_int(name, value, caller):
    """None, or an int >= 1 (for ``steps`` and the like)."""
    return None if value is None else check_int(name, value, 1, caller)


def check_split(validation_split):
    """``validation_split`` as a float in [0, 1) (None means 0, as in Keras)."""
    if validation_split is None:
        return 0.0
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError("`validation_split` must be a number in [0, 1). "
                        f"Received: validation_split={validation_split!r}")
    if not 0 <= validation_split < 1:
        raise ValueError("`validation_split` must be in [0, 1). "
                         f"Received: validation_split={validation_split!r}")
    return float(validation_split)


def resolve_verbose(verbose, caller, stream_is_terminal):
    """0, 1 or 2 from Keras's ``verbose`` ("auto": 1 on a terminal, else 2)."""
    if verbose == "auto":
        return 1 if stream_is_terminal else 2
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"`verbose` of {caller}() must be 'auto', 0, 1 or 2. "
                         f"Received: verbose={verbose!r}")
    return int(verbose)


def as_numeric(name, values, caller):
    """``values`` as a numeric ndarray with no NaN or inf, or a clear error."""
    if values is None:
        raise ValueError(f"{caller}() needs `{name}`. Received: {name}=None")
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged lists
        raise ValueError(f"`{name}` of {caller}() is not a rectangular array: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` of {caller}() must be numeric. Received an array of dtype "
                        f"{array.dtype}" + (f" (e.g. {array.flat[0]!r})." if array.size else "."))
    if array.ndim == 0:
        raise ValueError(f"`{name}` of {caller}() must have a batch axis. Received a scalar.")
    if len(array) == 0:
        raise ValueError(f"`{name}` of {caller}() is empty (0 samples).")
    # A finite sum settles it without a boolean copy of the data; else look entry by entry.
    if array.dtype.kind == "f" and not (np.isfinite(array.sum()) or np.isfinite(array).all()):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"`{name}` of {caller}() contains NaN or inf (first at index "
                         f"{tuple(int(i) for i in bad)}: {array[tuple(bad)]}).")
    return array


def fits_shape(expected, shape):
    """Whether an array of ``shape`` fits ``expected`` (batch axis and None dimensions free)."""
    return len(shape) == len(expected) and all(
        e is None or e == a for e, a in zip(expected[1:], shape[1:]))


def check_same_length(arrays, caller):
    """All named arrays have the same number of samples."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"Data given to {caller}() must have the same number of samples: "
                         f"{described}.")


def split_validation(arrays, validation_split):
    """The last ``validation_split`` share of each array as validation, as Keras does."""
    validation_split = check_split(validation_split)
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves "
                         f"{'no training' if split_at == 0 else 'no validation'} samples out of {n}.")
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val


def batch_indices(n, batch_size, order=None):
    """Yield the index of each batch: slices in order, or chunks of a permutation.

    The last batch is smaller when ``batch_size`` does not divide ``n``; it is
    never dropped.
    """
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield slice(start, stop) if order is None else order[start:stop]


def take(array, index):
    """``array[index]``, or None for None."""
    return None if array is None else array[index]


def take_all(arrays, index):
    """``[a[index] for a in arrays]`` (None stays None)."""
    return [None if a is None else a[index] for a in arrays]


def class_weight_to_sample_weight(class_weight, y):
    """Per-sample weights from ``{class: weight}`` and the targets' labels."""
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    missing = set(np.unique(labels).tolist()) - set(class_weight)
    if missing:
        raise ValueError(f"`class_weight` has no weight for classes {sorted(missing)}.")
    return np.array([class_weight[label] for label in labels.tolist()], dtype=np.float64)


def by_name(model, values, names, what, caller):
    """One entry per name from an array (one name), a list, or a dict by name."""
    kind = "inputs" if what == "x" else "outputs"
    if isinstance(values, dict):
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"`{what}` of {caller}() has keys {unknown}, but the model's "
                             f"{kind} are {names}.")
        return [values.get(name) for name in names]
    if len(names) == 1:
        return [values]
    if not isinstance(values, (list, tuple)) or len(values) != len(names):
        raise ValueError(f"Model {model.name!r} has {len(names)} {kind} {names}: `{what}` of "
                         f"{caller}() must be a list of {len(names)} arrays or a dict.")
    return list(values)


def check_inputs(model, x, caller):
    """The model's inputs as a list of numeric arrays (one per input), or a clear error."""
    names = model.input_names
    xs = by_name(model, x, names, "x", caller)
    labels = ["x"] if len(names) == 1 else [f"x[{name!r}]" for name in names]
    return [as_numeric(label, value, caller) for label, value in zip(labels, xs)]


def check_data(model, x, y, sample_weight, caller, class_weight=None):
    """Everything ``fit``/``evaluate`` are given, checked before anything changes.

    Returns the inputs (in the model's dtype), the targets (standardized by
    each output's loss) and the per-sample weights.
    """
    xs = check_inputs(model, x, caller)
    names, losses = model.output_names, model._compiled_loss.losses
    ys = by_name(model, y, names, "y", caller)
    labels = ["y"] if len(names) == 1 else [f"y[{name!r}]" for name in names]
    ys = [None if (value is None and loss is None) else as_numeric(label, value, caller)
          for label, value, loss in zip(labels, ys, losses)]
    if sample_weight is not None:
        sample_weight = as_numeric("sample_weight", sample_weight, caller)
        if sample_weight.ndim != 1 or (sample_weight < 0).any():
            raise ValueError(f"`sample_weight` of {caller}() must be a 1-D array of "
                             f"non-negative weights. Received shape {sample_weight.shape}.")
    x_labels = ["x"] if len(xs) == 1 else model.input_names
    check_same_length({**dict(zip(x_labels, xs)), **dict(zip(labels, ys)),
                       "sample_weight": sample_weight}, caller)
    output_shapes = model.check_input(xs, caller)
    ys = model._compiled_loss.validate_targets(ys, output_shapes, model.input_dtype)
    if class_weight is not None:
        if len(ys) != 1:
            raise ValueError("`class_weight` is only supported for models with one output.")
        weights = class_weight_to_sample_weight(class_weight, ys[0])
        sample_weight = weights if sample_weight is None else weights * sample_weight
    return [a.astype(model.input_dtype, copy=False) for a in xs], ys, sample_weight
