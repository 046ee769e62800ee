"""Checking what ``fit``, ``evaluate`` and ``predict`` are given, before anything changes.

Every argument and array is checked here, before any weight changes, and the user's
arrays are never written to. Values are checked after they are converted to the
model's dtype: a float64 1e39 that would become inf in float32 is refused, not
silently turned into inf.
"""

import math
import numbers

import numpy as np

from layerkit.models.sample_weights import OutputSampleWeights, shaped_for_output

#: What ``fit``, ``evaluate`` and ``predict`` accept as an array: NumPy arrays (memmaps
#: included), nested lists and tuples of numbers, and objects exposing the array
#: protocol (an h5py dataset, a pandas frame...).
ARRAY_LIKE = "a NumPy array, a list of numbers, or an object with `__array__`"


def _is_array_like(value):
    return (isinstance(value, (np.ndarray, list, tuple, numbers.Number)) or hasattr(value, "__array__")
            or hasattr(value, "__array_interface__"))


def as_numeric(name, values, caller, dtype=None):
    """``values`` as a numeric ndarray (in ``dtype`` when given) with no NaN or inf.

    Raises
    ------
    TypeError
        For an object that is not array-like, or non-numeric values.
    ValueError
        For ragged lists, a missing batch axis, no samples, NaN or inf, or finite
        values that do not fit ``dtype``.
    """
    if values is None:
        raise ValueError(f"{caller}() needs `{name}`. Received: {name}=None")
    if not _is_array_like(values):
        raise TypeError(f"`{name}` of {caller}() must be {ARRAY_LIKE}. Received an object of "
                        f"type {type(values).__name__}.")
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
    if dtype is not None and np.dtype(dtype).kind in "iu" and array.dtype.kind == "f":
        check_integral(name, array, np.dtype(dtype), caller)
    converted = array
    if dtype is not None and array.dtype != dtype:
        with np.errstate(over="ignore", invalid="ignore"):  # what overflows is refused below
            converted = array.astype(dtype)
    check_finite(name, array, converted, caller)
    return converted


def check_integral(name, array, dtype, caller):
    """Refuse floats that an integer input (indices) would truncate or wrap."""
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(array) | (array != np.round(array)) | (array < info.min) | (
            array > info.max)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"`{name}` of {caller}() holds {array[index]!r} (at index {index}), which "
                         f"is not a whole number that fits the model's input dtype {dtype}: "
                         "indices are not rounded or wrapped silently.")


def check_finite(name, original, converted, caller):
    """Refuse NaN or inf in ``converted``: given so in ``original``, or made by the conversion."""
    # A finite sum settles it without a boolean copy of the data; else look entry by entry.
    with np.errstate(over="ignore", invalid="ignore"):  # a sum of large finite values may overflow
        if converted.dtype.kind != "f" or np.isfinite(converted.sum()) or np.isfinite(
                converted).all():
            return
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(converted))[0])
    if np.isfinite(original[index]):
        raise ValueError(f"`{name}` of {caller}() holds {original[index].item()!r} (at index {index}), "
                         f"too large for the model's dtype {converted.dtype}: it would become "
                         f"{converted[index]}.")
    raise ValueError(f"`{name}` of {caller}() contains NaN or inf (first at index {index}: "
                     f"{original[index]}).")


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


def split_validation_point(n, validation_split):
    """The row where validation starts: the last ``validation_split`` share is held out, as Keras does."""
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves "
                         f"{'no training' if split_at == 0 else 'no validation'} samples out of {n}.")
    return split_at


def split_validation(arrays, validation_split):
    """The last ``validation_split`` share of each array as validation, as Keras does."""
    split_at = split_validation_point(len(arrays[0]), validation_split)
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val


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
        if isinstance(values, (list, tuple)) and len(values) == 1 and isinstance(
                values[0], np.ndarray):
            return [values[0]]  # [x] for a one-input model, as Keras takes it
        return [values]
    if not isinstance(values, (list, tuple)) or len(values) != len(names):
        raise ValueError(f"Model {model.name!r} has {len(names)} {kind} {names}: `{what}` of "
                         f"{caller}() must be a list of {len(names)} arrays or a dict.")
    return list(values)


def check_inputs(model, x, caller):
    """The model's inputs as arrays in its dtype (one per input), checked against its shapes."""
    names = model.input_names
    xs = by_name(model, x, names, "x", caller)
    labels = ["x"] if len(names) == 1 else [f"x[{name!r}]" for name in names]
    xs = [as_numeric(label, value, caller, dtype)
          for label, value, dtype in zip(labels, xs, model.input_dtypes)]
    check_same_length(dict(zip(labels, xs)), caller)
    return xs


def _per_output_structure(sample_weight):
    """Whether ``sample_weight`` gives weights per output (a dict, or a list of arrays)."""
    return isinstance(sample_weight, dict) or (isinstance(sample_weight, (list, tuple)) and any(
        item is None or (isinstance(item, np.ndarray) and item.ndim > 0) for item in sample_weight))


def check_sample_weight(sample_weight, n, caller, output_names=("output",), output_shapes=None):
    """Sample weights as Keras's ``fit`` takes them, checked before anything changes.

    One array weighs every output alike. A dict by output name, or a list with one
    entry per output, weighs each output by its own array (None, or a name left out,
    leaves that output unweighted). An array is ``(N,)`` or ``(N, 1)``, one weight per
    sample, or, for a sequence output ``(N, T, D)``, ``(N, T)``: one per timestep.

    Parameters
    ----------
    sample_weight : array-like, dict or list
    n : int
        The number of samples.
    caller : str
    output_names : sequence of str
    output_shapes : sequence of tuple, optional
        The outputs' shapes (``(None, units)`` for each when not given).

    Returns
    -------
    ndarray or OutputSampleWeights
        An array for one array (or one output), else the arrays per output.

    Raises
    ------
    TypeError, ValueError
        For unknown output names, a list of the wrong length, non-numeric, NaN or
        negative weights, a shape that does not line up with its output, or a number of
        rows other than ``n``.

    Example
    -------
    >>> check_sample_weight([[1.0], [2.0]], 2, "fit").tolist()
    [1.0, 2.0]
    >>> check_sample_weight({"b": np.ones(2)}, 2, "fit", ["a", "b"])
    OutputSampleWeights([None, (2,)])
    """
    names = list(output_names)
    shapes = list(output_shapes) if output_shapes is not None else [(None, None)] * len(names)
    if not _per_output_structure(sample_weight):
        weights = as_numeric("sample_weight", sample_weight, caller, np.float64)
        checked = [shaped_for_output("sample_weight", weights, shape, caller) for shape in shapes]
        _check_rows({"sample_weight": checked[0]}, n, caller)
        return checked[0]
    if isinstance(sample_weight, dict):
        unknown = sorted(set(sample_weight) - set(names), key=str)
        if unknown:
            raise ValueError(f"`sample_weight` of {caller}() has keys {unknown}, but the model's "
                             f"outputs are {names}.")
        given = [sample_weight.get(name) for name in names]
    elif len(sample_weight) != len(names):
        raise ValueError(f"`sample_weight` of {caller}() must have one entry per output "
                         f"({len(names)}: {names}) when given as a list. Received "
                         f"{len(sample_weight)} entries.")
    else:
        given = list(sample_weight)
    labels = ["sample_weight"] if len(names) == 1 else [f"sample_weight[{name!r}]" for name in names]
    checked = {label: shaped_for_output(label, as_numeric(label, w, caller, np.float64), shape,
                                        caller)
               for label, w, shape in zip(labels, given, shapes) if w is not None}
    if not checked:
        raise ValueError(f"`sample_weight` of {caller}() gives no weights for any output "
                         f"{names}: pass None instead.")
    _check_rows(checked, n, caller)
    arrays = [checked.get(label) for label in labels]
    return arrays[0] if len(names) == 1 else OutputSampleWeights(arrays)


def _check_rows(named, n, caller):
    """Every named array has ``n`` rows, as the inputs do."""
    for label, array in named.items():
        if len(array) != n:
            raise ValueError(f"Data given to {caller}() must have the same number of samples: "
                             f"x has {n}, {label} has {len(array)}.")


def check_class_weight(class_weight, num_classes, caller):
    """``{class index: weight}`` with finite, non-negative numbers for classes that exist."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` of {caller}() must be a dict {{class index: weight}}. "
                        f"Received: {type(class_weight).__name__}")
    checked = {}
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or not (
                0 <= key < num_classes):
            raise ValueError(f"`class_weight` of {caller}() has key {key!r}, which is not a class "
                             f"of this output (classes 0 to {num_classes - 1}).")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not (
                math.isfinite(weight) and weight >= 0):
            raise ValueError(f"`class_weight` of {caller}() must map classes to finite, "
                             f"non-negative numbers. Received {key!r}: {weight!r}")
        checked[int(key)] = float(weight)
    return checked


def class_weight_to_sample_weight(class_weight, y):
    """Per-sample weights from ``{class: weight}`` and the targets' labels."""
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    missing = set(np.unique(labels).tolist()) - set(class_weight)
    if missing:
        raise ValueError(f"`class_weight` has no weight for classes {sorted(missing)}.")
    return np.array([class_weight[label] for label in labels.tolist()], dtype=np.float64)


def check_data(model, x, y, sample_weight, caller, class_weight=None):
    """Everything ``fit``/``evaluate`` are given, checked before anything changes.

    Returns the inputs (in the model's dtype), the targets (standardized by each
    output's loss, in the model's dtype) and the per-sample weights.
    """
    xs = check_inputs(model, x, caller)
    names, losses = model.output_names, model.output_losses
    ys = by_name(model, y, names, "y", caller)
    labels = ["y"] if len(names) == 1 else [f"y[{name!r}]" for name in names]
    ys = [None if (value is None and loss is None) else as_numeric(label, value, caller)
          for label, value, loss in zip(labels, ys, losses)]
    x_labels = ["x"] if len(xs) == 1 else model.input_names
    check_same_length({**dict(zip(x_labels, xs)), **dict(zip(labels, ys))}, caller)
    output_shapes = model.check_input(xs, caller)
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, len(xs[0]), caller, names, output_shapes)
    originals = ys
    with np.errstate(over="ignore", invalid="ignore"):  # what overflows is refused just below
        ys = [None if loss is None or value is None else
              loss.validate_targets(value, shape, layer.dtype)
              for loss, value, shape, layer in zip(losses, ys, output_shapes, model.output_layers)]
    for label, original, value in zip(labels, originals, ys):
        if value is not None and value is not original:  # converted: check what it became
            check_finite(label, original.reshape(value.shape), value, caller)
    if class_weight is not None:
        if len(ys) != 1:
            raise ValueError("`class_weight` is only supported for models with one output.")
        units = output_shapes[0][-1]
        class_weight = check_class_weight(class_weight, max(units, 2), caller)
        weights = class_weight_to_sample_weight(class_weight, ys[0])
        sample_weight = weights if sample_weight is None else weights * sample_weight
    return xs, ys, sample_weight
