"""The ``Loss`` base class: per-sample values, their reduction, and its gradient.

One reduction convention, written here once: a loss's ``call`` gives one value
per sample; the reduced loss (Keras's ``"sum_over_batch_size"``) is
``L = sum(w_i * l_i) / N``; and its gradient with respect to the prediction is
``dL/dy_pred = w_i * dl_i/dy_pred / N``. A subclass writes only ``call`` and
``backward`` (the per-sample gradient); the weights and the 1/N live here (and
in :mod:`layerkit.losses.reduction`, which lines sample weights up as Keras
does) and nowhere else.
"""

import numpy as np

from layerkit import backend, ops
from layerkit.losses.reduction import REDUCTIONS, line_up, reduce, scale, squeeze_or_expand_to_same_rank


class Loss:
    """Base class of losses.

    Subclasses implement ``call(y_true, y_pred) -> values`` (one per sample,
    shape ``y_pred.shape[:-1]``) and ``backward(y_true, y_pred) -> d values /
    d y_pred`` (shape of ``y_pred``: each prediction's derivative of the one
    value it feeds). A loss whose values reduce other axes than the last says
    so with :meth:`reduced_axes`; one that leaves some values out says which
    with :meth:`value_mask`.

    Parameters
    ----------
    name : str, optional
        The loss's name.
    reduction : str or None
        ``"sum_over_batch_size"`` (the batch mean, default) or ``"mean"`` (the
        same), ``"sum"``, ``"mean_with_sample_weight"`` (divide by the sum of
        the weights as given), ``"none"``/None (no reduction: a value per
        sample; when training, such a loss is averaged like
        ``"sum_over_batch_size"``). A ``sample_weight`` may have any shape Keras
        lines up with the values: a scalar, ``(N,)`` or ``(N, 1)``, and per
        timestep ``(N, T)`` for ``(N, T, D)`` predictions (see
        :mod:`layerkit.losses.reduction`).
    dtype : str, optional
        Computation dtype; None computes in ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        For an unknown reduction.

    Example
    -------
    >>> class Squares(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ((y_pred - y_true) ** 2).sum(axis=-1)
    ...     def backward(self, y_true, y_pred):
    ...         return 2 * (y_pred - y_true)
    >>> float(Squares()(np.array([[1.0]]), np.array([[3.0]])))
    4.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"Invalid value for argument `reduction`. Expected one of {list(REDUCTIONS)}. "
                f"Received: reduction={reduction!r}"
            )
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = None if dtype is None else backend.standardize_dtype(dtype)

    # -------------------------------------------------------------- subclass API
    def call(self, y_true, y_pred):
        """Per-sample loss values, shape ``y_pred.shape[:-1]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def backward(self, y_true, y_pred):
        """Gradient of each sample's value with respect to ``y_pred`` (no reduction).

        By default, derived from ``call`` through the recorded graph of its operations
        (``layerkit.ops``), so that a loss written the Keras way trains as it is; the
        built-in losses write it by hand.
        """
        return differentiate(lambda yp: self.call(y_true, yp), y_pred, self.name)

    def reduced_axes(self, ndim):
        """The axes of a rank-``ndim`` ``y_pred`` that ``call`` reduces (the last, by default)."""
        return (ndim - 1,)

    def value_mask(self, y_true, y_pred):
        """Which values count (a bool array shaped like the values), or None for all of them."""
        return None

    # -------------------------------------------------------------- public API
    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss (a scalar, unless ``reduction`` is ``"none"``).

        Raises
        ------
        ValueError
            If ``y_true`` does not match ``y_pred``, or ``sample_weight`` cannot be
            lined up with the values.
        """
        y_true, y_pred, sample_weight = self._prepare(y_true, y_pred, sample_weight)
        values = self.call(y_true, y_pred)
        mask = self.value_mask(y_true, y_pred)
        if self.reduction in ("none", None):
            weights, _, shape = line_up(values, sample_weight, mask, self.reduction)
            return values if weights is None else (values * weights).reshape(shape)
        return reduce(values, scale(values, sample_weight, mask, self.reduction))

    def values(self, y_true, y_pred):
        """The per-sample values, unweighted and unreduced: what Keras's function forms return.

        Example
        -------
        >>> class Squares(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((y_pred - y_true) ** 2).sum(axis=-1)
        >>> Squares().values(np.array([1.0, 2.0]), np.array([[3.0], [2.0]]))
        array([4., 0.])
        """
        return self.call(*self._prepare(y_true, y_pred, None)[:2])

    def value(self, y_true, y_pred, sample_weight=None):
        """The loss a training step minimises, without its gradient (what evaluation reports).

        As :meth:`value_and_gradient`'s value: a ``"none"`` reduction is averaged like
        ``"sum_over_batch_size"``.
        """
        y_true, y_pred, sample_weight = self._prepare(y_true, y_pred, sample_weight)
        return self._value(self.call(y_true, y_pred), y_true, y_pred, sample_weight)

    def logits_value(self, y_true, z, sample_weight=None):
        """The loss from the logits ``z`` of the activation it fuses with (see ``fuses_with``).

        Subclasses that fuse implement ``logits_call(y_true, z)``, the per-sample values.
        """
        y_true, z, sample_weight = self._prepare(y_true, z, sample_weight)
        return self._value(self.logits_call(y_true, z), y_true, z, sample_weight)

    def logits_call(self, y_true, z):
        """Per-sample values from the logits of the fused activation (fusing losses only)."""
        raise NotImplementedError(f"{type(self).__name__} does not fuse with an activation.")

    def _value(self, values, y_true, y_pred, sample_weight):
        return reduce(values, scale(values, sample_weight, self.value_mask(y_true, y_pred),
                                    self.reduction))

    def gradient(self, y_true, y_pred, sample_weight=None):
        """Gradient of the reduced loss with respect to ``y_pred``.

        Returns
        -------
        ndarray
            Same shape as ``y_pred``.
        """
        return self.value_and_gradient(y_true, y_pred, sample_weight)[1]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """``(loss, dloss/dy_pred)`` in one pass: what a training step needs."""
        shape = y_pred.shape if isinstance(y_pred, np.ndarray) else np.shape(y_pred)
        y_true, y_pred, sample_weight = self._prepare(y_true, y_pred, sample_weight)
        value, grad = self._reduced(self.call(y_true, y_pred), self.backward(y_true, y_pred),
                                    y_true, y_pred, sample_weight)
        return value, (grad if grad.shape == shape else grad.reshape(shape))

    def fuses_with(self, activation):
        """Whether ``activation`` is this loss's fused partner (sigmoid + BCE, softmax + CE)."""
        return False

    def validate_targets(self, y_true, output_shape, dtype=None):
        """Check targets against the model's output shape; return them standardized.

        Targets of shape (N,) for an output of shape (N, 1) become (N, 1), as in
        Keras; any other mismatch is an error rather than a silent broadcast.

        Raises
        ------
        ValueError
            If the shapes cannot match.
        """
        y_true = np.asarray(y_true)
        expected = tuple(output_shape[1:])
        if y_true.shape[1:] != expected and y_true.shape[1:] + (1,) == expected:
            y_true = y_true.reshape(y_true.shape + (1,))
        if y_true.shape[1:] != expected:
            raise ValueError(
                f"Targets of shape {y_true.shape} do not match the model's output shape "
                f"{tuple(output_shape)} for loss {self.name!r}: expected y of shape "
                f"(N, {', '.join(map(str, expected))})."
            )
        return y_true.astype(backend.standardize_dtype(dtype), copy=False)

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild a loss from :meth:`get_config`'s output."""
        return cls(**config)

    # -------------------------------------------------------------- helpers
    def _prepare(self, y_true, y_pred, sample_weight):
        """Arrays in the compute dtype, y_true lined up with y_pred as Keras does."""
        y_pred = np.asarray(y_pred)
        dtype = self.dtype or (y_pred.dtype if y_pred.dtype.kind == "f" else backend.floatx())
        if y_pred.dtype != dtype:
            y_pred = y_pred.astype(dtype)
        y_true, y_pred = self._standardize_targets(np.asarray(y_true), y_pred, dtype)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=dtype)
        return y_true, y_pred, sample_weight

    def _standardize_targets(self, y_true, y_pred, dtype):
        """``(y_true, y_pred)`` after Keras's rank rule, which must leave them the same shape."""
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"Loss {self.name!r}: `y_true` and `y_pred` must have the same shape. "
                f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            )
        return (y_true if y_true.dtype == dtype else y_true.astype(dtype)), y_pred

    def _reduced(self, values, grad, y_true, y_pred, sample_weight):
        """``(loss, dloss/dy_pred)`` from the values and their per-sample gradient ``grad``."""
        factor = scale(values, sample_weight, self.value_mask(y_true, y_pred), self.reduction)
        spread = factor if isinstance(factor, float) else np.expand_dims(
            factor, self.reduced_axes(y_pred.ndim))
        return reduce(values, factor), grad * spread


def differentiate(values_of, y_pred, name):
    """``d(Σ values_of(y_pred)) / d(y_pred)``, by recording ``values_of`` on a tape.

    Per-sample values depend on their own sample only, so this is each sample's gradient.

    Raises
    ------
    TypeError
        If the function used something the tape cannot differentiate (the message says what).
    """
    with ops.GradientTape() as tape:
        watched = tape.watch(np.asarray(y_pred))
        values = values_of(watched)
    if not isinstance(values, ops.Tensor):
        raise TypeError(f"Loss {name!r}: its values do not depend on `y_pred` through "
                        "layerkit.ops operations, so they have no gradient.")
    return tape.gradient(values, watched, unconnected_gradients="zero")

